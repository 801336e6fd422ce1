package org.dirkms.agent.enroll;

import java.util.ArrayList;
import java.util.List;

import org.dirkms.agent.ca.CaService;
import org.dirkms.agent.ca.CrlContentionException;
import org.dirkms.agent.directory.DirectoryAccessException;
import org.dirkms.agent.ca.CertificationAuthority;
import org.dirkms.schema.RevocationReason;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What this agent can revoke. Revoking signs a CRL, so only an agent with a CA in its process
 * can ({@link #byCa}); one without ({@link #NONE}) leaves every certificate to revoke in the
 * claim, on the entry, for an agent that has the CA to take over (docs/state-machines.md).
 */
interface Revocations {

    /** An agent without a CA: it revokes nothing and leaves everything in the claim. */
    Revocations NONE = new Revocations() {
        @Override
        public boolean available() {
            return false;
        }

        @Override
        public List<SupersededCertificate> revoke(String userDn, List<SupersededCertificate> certificates,
                RevocationReason reason) {
            return List.copyOf(certificates);
        }
    };

    /** Whether this agent revokes at all. */
    boolean available();

    /**
     * Revokes {@code certificates} with {@code reason} (a serial already on the CRL is listed
     * once: repeating after a crash is harmless).
     *
     * @return those left for an agent that has the CA: all of them without a CA; none with one
     *         (a certificate another CA issued cannot be revoked by this KMS at all: it is logged)
     */
    List<SupersededCertificate> revoke(String userDn, List<SupersededCertificate> certificates, RevocationReason reason);

    /** The revocations of the CA {@code ca} in this process, published through {@code service}. */
    static Revocations byCa(CaService service, CertificationAuthority ca) {
        Logger log = LoggerFactory.getLogger(Revocations.class);
        return new Revocations() {
            @Override
            public boolean available() {
                return true;
            }

            @Override
            public List<SupersededCertificate> revoke(String userDn, List<SupersededCertificate> certificates,
                    RevocationReason reason) {
                List<String> revoked = new ArrayList<>();
                for (SupersededCertificate certificate : certificates) {
                    if (!certificate.issuedBy(ca.certificate())) {
                        log.warn("{}: certificate {} was issued by another CA than this agent's; not revoked", userDn,
                                certificate);
                        continue;
                    }
                    try {
                        service.revoke(ca, certificate.serial(), reason);
                    } catch (CrlContentionException e) {
                        // Resumable like any directory failure: the claim still names what is left.
                        throw new DirectoryAccessException(e.getMessage(), e);
                    }
                    revoked.add(certificate.serial().toString(16));
                }
                if (!revoked.isEmpty()) {
                    log.info("{}: revoked {} ({})", userDn, revoked, reason.ldapValue());
                }
                return List.of();
            }
        };
    }
}
