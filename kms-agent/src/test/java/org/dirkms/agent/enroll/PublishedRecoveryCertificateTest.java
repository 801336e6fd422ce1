package org.dirkms.agent.enroll;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.KeyPair;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.dirkms.agent.archive.KeyRecoverer;
import org.dirkms.agent.ca.CaSetup;
import org.dirkms.agent.ca.CertificationAuthority;
import org.dirkms.agent.ca.IssuanceRequest;
import org.dirkms.agent.ca.SoftwareSigner;
import org.dirkms.agent.ca.StandardTemplates;
import org.dirkms.agent.directory.EnrollmentRecords.ArchivedKeyEntry;
import org.dirkms.agent.directory.RecoveryKeyRecords;
import org.dirkms.agent.keys.KeyPairFactory;
import org.dirkms.agent.keys.RecoveryKey;
import org.dirkms.schema.KeyAlgorithm;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * An enrollment archives to the recovery certificate the directory publishes as current, read at
 * every archive: a rekey published while the agent runs takes effect with the next archive; the
 * certificate the agent started with counts only while none is published; a published
 * certificate that is not a key recovery agent certificate fails the archive instead of being used.
 */
class PublishedRecoveryCertificateTest {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static CertificationAuthority ca;

    @BeforeAll
    static void makeCa() {
        SoftwareSigner signer = SoftwareSigner.generate(KeyAlgorithm.EC_P384, RANDOM);
        X509Certificate root = CaSetup.selfSignedRoot(signer, "cn=Unit CA,ou=Certification Authorities,ou=KMS,"
                + "dc=example,dc=com", Duration.ofDays(30), Clock.systemUTC(), RANDOM);
        ca = new CertificationAuthority(signer, List.of(root), StandardTemplates.all(), Clock.systemUTC(), RANDOM,
                CertificationAuthority.Publication.at("ldap://kms.example.com:389"));
    }

    @Test
    void theNextArchiveGoesToTheCertificatePublishedNow() throws Exception {
        RecoveryKey started = recoveryKey();
        RecoveryKey rekeyed = recoveryKey();
        Published directory = new Published();
        KeysCryptography crypto = new KeysCryptography(new PublishedRecoveryCertificate(directory,
                started.certificate()), RANDOM);
        KeyPair user = new KeyPairFactory(RANDOM).generate(KeyAlgorithm.EC_P256);

        assertEquals(started.keyId(), crypto.wrap(user.getPrivate(), null).keyId(), "none published: the one it started with");
        directory.der = rekeyed.certificate().getEncoded();
        EnrollmentCryptography.Wrapped wrapped = crypto.wrap(user.getPrivate(), null);
        assertEquals(rekeyed.keyId(), wrapped.keyId(), "published while it runs: at once");
        assertTrue(new KeyRecoverer(List.of(rekeyed)).recipient(wrapped.envelopedData()).isPresent());
        crypto.wrap(user.getPrivate(), null);
        assertEquals(3, directory.reads.get(), "read for every archive");

        directory.der = ca.certificate().getEncoded(); // a CA certificate: no key recovery agent usage
        IllegalStateException refused = assertThrows(IllegalStateException.class, () -> crypto.wrap(user.getPrivate(), null));
        assertTrue(refused.getMessage().contains("key recovery agent extended key usage"), refused.getMessage());
        directory.der = new byte[] {0x30, 0x00};
        assertThrows(IllegalStateException.class, () -> crypto.wrap(user.getPrivate(), null));
    }

    private static RecoveryKey recoveryKey() throws Exception {
        KeyPair pair = new KeyPairFactory(RANDOM).generate(KeyAlgorithm.EC_P256);
        X509Certificate certificate = ca.issue(IssuanceRequest.forPerson(StandardTemplates.KEY_RECOVERY_AGENT,
                KeyPairFactory.certificationRequest(pair), "cn=Key Recovery Agent,ou=KMS,dc=example,dc=com", List.of()));
        return new RecoveryKey(certificate, pair.getPrivate());
    }

    /** The directory's published recovery certificate, and nothing else. */
    private static final class Published implements RecoveryKeyRecords {
        volatile byte[] der;
        final AtomicInteger reads = new AtomicInteger();

        @Override
        public Optional<byte[]> currentRecoveryCertificate() {
            reads.incrementAndGet();
            return Optional.ofNullable(der);
        }

        @Override
        public void publishRecoveryCertificate(byte[] certificate) {
            der = certificate;
        }

        @Override
        public List<ArchiveRecordName> archiveRecordNames() {
            return List.of();
        }

        @Override
        public List<ArchivedKeyEntry> readArchivedKeys(List<String> dns) {
            return List.of();
        }

        @Override
        public boolean replaceWrappedKey(String dn, byte[] expected, byte[] wrappedKey, String wrappingAlgorithm,
                String wrappingKeyId) {
            return false;
        }
    }
}
