package org.dirkms.agent.archive;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.util.HexFormat;
import java.util.List;
import org.dirkms.agent.ca.StandardTemplates;
import org.dirkms.agent.keys.ExternalTools;
import org.dirkms.agent.keys.KeyPairFactory;
import org.dirkms.agent.keys.RecoveryKeyStore;
import org.dirkms.agent.keys.TestPki;
import org.dirkms.agent.keys.TestPki.Credential;
import org.dirkms.schema.DataFolder;
import org.dirkms.schema.KeyAlgorithm;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Archived keys judged by OpenSSL: for an RSA and an EC (P-256 and P-384) recovery key, the EnvelopedData uses
 * the promised algorithms ({@code openssl cms -cmsout -print}), decrypts with {@code openssl cms
 * -decrypt} and the recovery key alone to a PKCS#8 key whose public half is the published
 * certificate's; {@link KeyRecoverer} gives the same key; {@link ArchiveChecker} tells a match
 * from a mismatch and from an archive it cannot open.
 */
class KeyArchiveInteropTest {
    private static TestPki pki;

    @TempDir
    Path work;

    @BeforeAll
    static void createCa() {
        ExternalTools.require("openssl", "openssl");
        pki = TestPki.create();
    }

    /** The recovery key algorithms under test: RSA (key transport) and EC (key agreement). */
    enum RecoveryAlgorithm {
        RSA_2048(KeyAlgorithm.RSA_2048, WrappedKey.RSA_OAEP_SHA256_AES256, List.of("rsaesOaep", "sha256", "aes-256-cbc")),
        EC_P256(KeyAlgorithm.EC_P256, WrappedKey.ECDH_SHA256KDF_AES256_WRAP,
                List.of("dhSinglePass-stdDH-sha256kdf-scheme", "id-aes256-wrap", "aes-256-cbc")),
        /** What {@code dirkms serve} makes. */
        EC_P384(KeyAlgorithm.EC_P384, WrappedKey.ECDH_SHA256KDF_AES256_WRAP,
                List.of("dhSinglePass-stdDH-sha256kdf-scheme", "id-aes256-wrap", "aes-256-cbc"));

        final KeyAlgorithm algorithm;
        final String wrapping;
        final List<String> printed;

        RecoveryAlgorithm(KeyAlgorithm algorithm, String wrapping, List<String> printed) {
            this.algorithm = algorithm;
            this.wrapping = wrapping;
            this.printed = printed;
        }
    }

    @ParameterizedTest
    @EnumSource(RecoveryAlgorithm.class)
    void opensslDecryptsTheArchiveToTheKeyOfThePublishedCertificate(RecoveryAlgorithm recovery) throws Exception {
        RecoveryKeyStore store = RecoveryKeyStore.create(DataFolder.of(work.resolve("data")), pki.ca()::certifyRecoveryAgent, TestPki.RECOVERY_DN,
                recovery.algorithm, TestPki.RANDOM);
        Credential encryption = pki.issue(StandardTemplates.SMIME_ENCRYPTION, KeyAlgorithm.EC_P256);
        WrappedKey wrapped = new KeyArchiver(store.current().certificate(), TestPki.RANDOM)
                .wrap(encryption.keys().getPrivate(), encryption.certificate());
        assertEquals(recovery.wrapping, wrapped.wrappingAlgorithm());
        assertEquals(store.current().keyId(), wrapped.wrappingKeyId());

        Path archive = TestPki.write(work.resolve("archive.der"), wrapped.envelopedDataDer());
        Path recoveryCertificate = TestPki.writePem(work.resolve("recovery.crt"), store.current().certificate());
        Path recoveryKey = TestPki.writePem(work.resolve("recovery.key"), store.current().privateKey());
        Path userCertificate = TestPki.writePem(work.resolve("user.crt"), encryption.certificate());

        String printed = ExternalTools.openssl(work, "cms", "-cmsout", "-print", "-inform", "DER", "-in", archive.toString());
        assertTrue(printed.contains("pkcs7-envelopedData"), printed);
        for (String algorithm : recovery.printed) {
            assertTrue(printed.contains(algorithm), "openssl shows " + algorithm + " in:\n" + printed);
        }

        ExternalTools.openssl(work, "cms", "-decrypt", "-inform", "DER", "-in", archive.toString(), "-recip",
                recoveryCertificate.toString(), "-inkey", recoveryKey.toString(), "-out", "recovered.der");
        String recoveredPublic = ExternalTools.openssl(work, "pkey", "-inform", "DER", "-in", "recovered.der", "-pubout");
        String certificatePublic = ExternalTools.openssl(work, "x509", "-in", userCertificate.toString(), "-noout", "-pubkey");
        assertEquals(certificatePublic, recoveredPublic, "the recovered key's public half is the certificate's");
        // The content is the PKCS#8 PrivateKeyInfo itself, byte for byte.
        assertArrayEquals(encryption.keys().getPrivate().getEncoded(), Files.readAllBytes(work.resolve("recovered.der")));

        PrivateKey unwrapped = new KeyRecoverer(store.keys()).unwrap(wrapped.envelopedDataDer());
        assertArrayEquals(encryption.keys().getPrivate().getEncoded(), unwrapped.getEncoded());
        assertTrue(new ArchiveChecker(new KeyRecoverer(store.keys())).check(wrapped, encryption.certificate()).matches());
    }

    @Test
    void anRsaUserKeyIsArchivedAndRecoveredToo() throws Exception {
        RecoveryKeyStore store = RecoveryKeyStore.create(DataFolder.of(work.resolve("data")), pki.ca()::certifyRecoveryAgent, TestPki.RECOVERY_DN,
                KeyAlgorithm.EC_P256, TestPki.RANDOM);
        Credential encryption = pki.issue(StandardTemplates.SMIME_ENCRYPTION, KeyAlgorithm.RSA_2048);
        WrappedKey wrapped = new KeyArchiver(store.current().certificate(), TestPki.RANDOM)
                .wrap(encryption.keys().getPrivate(), encryption.certificate());
        Path archive = TestPki.write(work.resolve("archive.der"), wrapped.envelopedDataDer());
        Path recoveryCertificate = TestPki.writePem(work.resolve("recovery.crt"), store.current().certificate());
        Path recoveryKey = TestPki.writePem(work.resolve("recovery.key"), store.current().privateKey());
        ExternalTools.openssl(work, "cms", "-decrypt", "-inform", "DER", "-in", archive.toString(), "-recip",
                recoveryCertificate.toString(), "-inkey", recoveryKey.toString(), "-out", "recovered.der");
        String modulus = ExternalTools.openssl(work, "rsa", "-inform", "DER", "-in", "recovered.der", "-noout", "-modulus");
        assertTrue(modulus.contains(((java.security.interfaces.RSAPublicKey) encryption.certificate().getPublicKey())
                .getModulus().toString(16).toUpperCase()), modulus);
        PrivateKey unwrapped = new KeyRecoverer(store.keys()).unwrap(wrapped.envelopedDataDer());
        assertTrue(KeyPairFactory.matches(unwrapped, encryption.certificate().getPublicKey()));
    }

    @Test
    void theCheckerTellsAMatchFromAMismatchAndFromAnUnrecoverableArchive() throws Exception {
        RecoveryKeyStore store = RecoveryKeyStore.create(DataFolder.of(work.resolve("data")), pki.ca()::certifyRecoveryAgent, TestPki.RECOVERY_DN,
                KeyAlgorithm.EC_P256, TestPki.RANDOM);
        RecoveryKeyStore elsewhere = RecoveryKeyStore.create(DataFolder.of(work.resolve("other")), pki.ca()::certifyRecoveryAgent, TestPki.RECOVERY_DN,
                KeyAlgorithm.EC_P256, TestPki.RANDOM);
        Credential alice = pki.issue(StandardTemplates.SMIME_ENCRYPTION, KeyAlgorithm.EC_P256);
        Credential other = pki.issue(StandardTemplates.SMIME_ENCRYPTION, KeyAlgorithm.EC_P256);
        ArchiveChecker checker = new ArchiveChecker(new KeyRecoverer(store.keys()));
        // Archived without its certificate (as before issuance), then checked against the certificate.
        WrappedKey wrapped = new KeyArchiver(store.current().certificate(), TestPki.RANDOM).wrap(alice.keys().getPrivate(), null);

        ArchiveChecker.Verdict match = checker.check(wrapped, alice.certificate());
        assertEquals(ArchiveChecker.Outcome.MATCHES, match.outcome(), match.message());

        ArchiveChecker.Verdict mismatch = checker.check(wrapped, other.certificate());
        assertEquals(ArchiveChecker.Outcome.MISMATCH, mismatch.outcome(), mismatch.message());
        assertTrue(mismatch.message().contains(other.certificate().getSerialNumber().toString(16)), mismatch.message());

        WrappedKey foreign = new KeyArchiver(elsewhere.current().certificate(), TestPki.RANDOM).wrap(alice.keys().getPrivate(),
                alice.certificate());
        ArchiveChecker.Verdict unknownKey = checker.check(foreign, alice.certificate());
        assertEquals(ArchiveChecker.Outcome.UNRECOVERABLE, unknownKey.outcome(), unknownKey.message());
        assertTrue(unknownKey.message().contains("does not hold"), unknownKey.message());

        ArchiveChecker.Verdict garbage = checker.check(new byte[] {0x30, 0x03, 0x02, 0x01, 0x00}, alice.certificate());
        assertEquals(ArchiveChecker.Outcome.UNRECOVERABLE, garbage.outcome(), garbage.message());
        assertTrue(garbage.message().contains("not CMS EnvelopedData"), garbage.message());

        // A damaged archive (one byte of the encrypted content flipped) is unrecoverable, not a wrong key.
        byte[] damaged = wrapped.envelopedDataDer();
        damaged[damaged.length - 5] ^= 0x55;
        ArchiveChecker.Verdict broken = checker.check(damaged, alice.certificate());
        assertEquals(ArchiveChecker.Outcome.UNRECOVERABLE, broken.outcome(), broken.message());

        String hex = HexFormat.of().formatHex(alice.keys().getPrivate().getEncoded());
        for (ArchiveChecker.Verdict verdict : List.of(match, mismatch, unknownKey, garbage, broken)) {
            assertFalse(verdict.message().contains(hex), verdict.message());
        }
    }

    @Test
    void archivesWrappedToARotatedOutKeyStayRecoverable() throws Exception {
        Path data = work.resolve("data");
        RecoveryKeyStore first = RecoveryKeyStore.create(DataFolder.of(data), pki.ca()::certifyRecoveryAgent, TestPki.RECOVERY_DN, KeyAlgorithm.RSA_2048,
                TestPki.RANDOM);
        Credential alice = pki.issue(StandardTemplates.SMIME_ENCRYPTION, KeyAlgorithm.EC_P256);
        WrappedKey old = new KeyArchiver(first.current().certificate(), TestPki.RANDOM).wrap(alice.keys().getPrivate(),
                alice.certificate());
        RecoveryKeyStore rotated = first.rotate(DataFolder.of(data), pki.ca()::certifyRecoveryAgent, TestPki.RECOVERY_DN, KeyAlgorithm.EC_P256, TestPki.RANDOM);
        WrappedKey fresh = new KeyArchiver(rotated.current().certificate(), TestPki.RANDOM).wrap(alice.keys().getPrivate(),
                alice.certificate());
        assertEquals(WrappedKey.RSA_OAEP_SHA256_AES256, old.wrappingAlgorithm());
        assertEquals(WrappedKey.ECDH_SHA256KDF_AES256_WRAP, fresh.wrappingAlgorithm());
        KeyRecoverer recoverer = new KeyRecoverer(RecoveryKeyStore.open(DataFolder.of(data)).keys());
        assertArrayEquals(alice.keys().getPrivate().getEncoded(), recoverer.unwrap(old.envelopedDataDer()).getEncoded());
        assertArrayEquals(alice.keys().getPrivate().getEncoded(), recoverer.unwrap(fresh.envelopedDataDer()).getEncoded());
    }

    @Test
    void aKeyThatIsNotTheCertificatesIsNotArchived() {
        RecoveryKeyStore store;
        try {
            store = RecoveryKeyStore.create(DataFolder.of(work.resolve("data")), pki.ca()::certifyRecoveryAgent, TestPki.RECOVERY_DN, KeyAlgorithm.EC_P256,
                    TestPki.RANDOM);
        } catch (org.dirkms.agent.ca.IssuanceRefusedException e) {
            throw new AssertionError(e);
        }
        Credential alice = pki.issue(StandardTemplates.SMIME_ENCRYPTION, KeyAlgorithm.EC_P256);
        Credential other = pki.issue(StandardTemplates.SMIME_ENCRYPTION, KeyAlgorithm.EC_P256);
        KeyArchiver archiver = new KeyArchiver(store.current().certificate(), TestPki.RANDOM);
        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
                () -> archiver.wrap(alice.keys().getPrivate(), other.certificate()));
        assertTrue(refused.getMessage().contains("is not the key of certificate"), refused.getMessage());
        assertTrue(archiver.toString().contains(store.current().keyId()), archiver.toString());
    }
}
