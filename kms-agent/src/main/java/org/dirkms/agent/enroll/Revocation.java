package org.dirkms.agent.enroll;

import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.dirkms.agent.directory.EnrollmentRecords.UserEntry;
import org.dirkms.agent.enroll.EnrollmentResult.Outcome;
import org.dirkms.schema.EnrollmentState;
import org.dirkms.schema.RevocationReason;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code kmsEnrollmentState: revoke-requested} (docs/administrator-contract.md, 4): both
 * certificates (on the entry and its children) are revoked with the administrator's reason and
 * the CRL republished, any certificate a claim still names as superseded is revoked too, the
 * certificates leave the entry and its children, and the state becomes {@code revoked}; the
 * archived keys stay. Only an agent with the CA in its process can sign the CRL; another leaves
 * the request for it. Repeating after a crash is harmless: a serial on the CRL is listed once.
 */
final class Revocation {

    private static final Logger LOG = LoggerFactory.getLogger(Revocation.class);

    private final EnrollmentContext context;

    Revocation(EnrollmentContext context) {
        this.context = context;
    }

    /** Revokes {@code user}, if this agent serves the user and has the CA. */
    EnrollmentResult revoke(UserEntry user) {
        if (!context.revocations().available()) {
            return Enrollment.nothing(user, "the revocation waits for an agent that has the CA in its process");
        }
        try {
            if (context.scope().groupOf(user).isEmpty()) {
                return Enrollment.nothing(user, "served by another KMS server");
            }
        } catch (EnrollmentFailure e) {
            // The user's group is gone; this agent (the default group's) still revokes what its CA issued.
            LOG.info("Revoking {} whose group cannot be resolved: {}", user.dn(), e.getMessage());
        }
        RevocationReason reason = user.revocationReason() == null ? RevocationReason.UNSPECIFIED : user.revocationReason();
        List<byte[]> certificates = new ArrayList<>(user.certificates());
        for (byte[] child : context.records().publishedCertificates(user.dn())) {
            if (certificates.stream().noneMatch(c -> Arrays.equals(c, child))) {
                certificates.add(child);
            }
        }
        // Certificates a re-enrollment superseded but did not revoke yet (its claim is still on the
        // entry): revoked too, with reason superseded, before the claim goes with markRevoked.
        List<SupersededCertificate> superseded = user.claim() == null ? List.of()
                : SupersededCertificate.parse(user.claim().superseded());
        context.revocations().revoke(user.dn(), superseded, RevocationReason.SUPERSEDED);
        List<SupersededCertificate> published = new ArrayList<>();
        for (byte[] der : certificates) {
            X509Certificate certificate = Enrollment.parse(der, user.dn());
            published.add(SupersededCertificate.of(certificate));
        }
        context.revocations().revoke(user.dn(), published, reason);
        context.records().removePublishedCertificates(user.dn());
        context.records().markRevoked(user.dn());
        LOG.info("Revoked {} ({}): {}", user.dn(), reason.ldapValue(), published);
        return new EnrollmentResult(user.dn(), user.mail(), Outcome.REVOKED, EnrollmentState.REVOKED,
                "revoked " + (superseded.size() + published.size()) + " certificate(s)", null);
    }
}
