package org.dirkms.agent.smime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.List;
import org.bouncycastle.cms.CMSSignedData;
import org.dirkms.agent.archive.ArchiveChecker;
import org.dirkms.agent.archive.KeyArchiver;
import org.dirkms.agent.archive.KeyRecoverer;
import org.dirkms.agent.ca.IssuanceRefusedException;
import org.dirkms.agent.keys.ExternalTools;
import org.dirkms.agent.keys.KeyPairFactory;
import org.dirkms.agent.keys.RecoveryKeyStore;
import org.dirkms.agent.keys.TestPki;
import org.dirkms.schema.ContentEncryptionAlgorithm;
import org.dirkms.schema.DataFolder;
import org.dirkms.schema.KeyAlgorithm;
import org.dirkms.schema.MessageFormat;
import org.dirkms.schema.PackageFormat;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One enrollment's cryptography used the way a user would use its output: the package opens
 * with the token, mail encrypted by {@code openssl cms} to the encryption certificate decrypts
 * with the packaged key, a message signed with the packaged signing key verifies against the
 * CA, the archive holds the encryption key; a client's own request keeps its key out of the
 * package; refusals carry the CA's reason.
 */
class EnrollmentKeyMaterialTest {
    private static final EnrollmentKeyMaterial.Configuration EC_DEFAULT = new EnrollmentKeyMaterial.Configuration(
            KeyAlgorithm.EC_P256, ContentEncryptionAlgorithm.AES_256_GCM, MessageFormat.SMIME_4_0, PackageFormat.PBES2_AES_256);

    private static TestPki pki;
    private static RecoveryKeyStore recovery;
    private static EnrollmentKeyMaterial enrollment;

    @TempDir
    static Path data;
    @TempDir
    Path work;

    @BeforeAll
    static void setUp() throws Exception {
        ExternalTools.require("openssl", "openssl");
        pki = TestPki.create();
        recovery = RecoveryKeyStore.create(DataFolder.of(data), pki.ca(), TestPki.RECOVERY_DN, KeyAlgorithm.EC_P256, TestPki.RANDOM);
        enrollment = new EnrollmentKeyMaterial(pki.ca(), new KeyArchiver(recovery.current().certificate(), TestPki.RANDOM),
                TestPki.RANDOM);
    }

    @Test
    void theUserDecryptsAndSignsWithThePackagedKeys() throws Exception {
        EnrollmentKeyMaterial.Result result = enrollment.make(TestPki.ALICE_DN, List.of(TestPki.ALICE_MAIL), null, EC_DEFAULT);
        assertTrue(result.signingKeyMadeHere());
        assertEquals(result.encryptionCertificate().getSubjectX500Principal(), result.signingCertificate().getSubjectX500Principal());
        String token = new String(result.token());
        assertFalse(result.toString().contains(token), result.toString());

        Path p12 = TestPki.write(work.resolve("alice.p12"), result.keyPackage());
        String opened = ExternalTools.openssl(work, "pkcs12", "-in", p12.toString(), "-passin", "pass:" + token, "-nodes");
        Files.writeString(work.resolve("alice.pem"), opened);
        Path ca = TestPki.writePem(work.resolve("ca.pem"), pki.ca().certificate());
        Path encryptionPem = TestPki.writePem(work.resolve("encryption.crt"), result.encryptionCertificate());
        Path signingPem = TestPki.writePem(work.resolve("signing.crt"), result.signingCertificate());
        // openssl cms -decrypt picks the key by trying; the two keys are separated per certificate.
        Path encryptionKey = work.resolve("encryption.key");
        Path signingKey = work.resolve("signing.key");
        splitKeys(opened, encryptionKey, signingKey);

        Files.writeString(work.resolve("message.txt"), "Meet at noon.\n");
        ExternalTools.openssl(work, "cms", "-encrypt", "-binary", "-aes-256-cbc", "-in", "message.txt", "-out", "message.p7m",
                encryptionPem.toString());
        ExternalTools.openssl(work, "cms", "-decrypt", "-in", "message.p7m", "-recip", encryptionPem.toString(), "-inkey",
                encryptionKey.toString(), "-out", "decrypted.txt");
        assertEquals("Meet at noon.\n", Files.readString(work.resolve("decrypted.txt")));

        ExternalTools.openssl(work, "cms", "-sign", "-binary", "-in", "message.txt", "-signer", signingPem.toString(), "-inkey",
                signingKey.toString(), "-out", "signed.p7m");
        String verified = ExternalTools.openssl(work, "cms", "-verify", "-binary", "-in", "signed.p7m", "-CAfile", ca.toString(),
                "-out", "/dev/null");
        assertTrue(verified.contains("Verification successful"), verified);

        assertTrue(new ArchiveChecker(new KeyRecoverer(recovery.keys())).check(result.archivedKey(),
                result.encryptionCertificate()).matches());
        assertFalse(new ArchiveChecker(new KeyRecoverer(recovery.keys())).check(result.archivedKey(),
                result.signingCertificate()).matches(), "the signing key is not what is archived");
        result.clearToken();
        assertFalse(new String(result.token()).contains(token.substring(0, 4)));
    }

    @Test
    void aClientsOwnSigningRequestKeepsItsKeyOnTheClient() throws Exception {
        KeyPair client = TestPki.KEYS.generate(KeyAlgorithm.EC_P256);
        EnrollmentKeyMaterial.Result result = enrollment.make(TestPki.ALICE_DN, List.of(TestPki.ALICE_MAIL),
                KeyPairFactory.certificationRequest(client), new EnrollmentKeyMaterial.Configuration(KeyAlgorithm.EC_P256,
                        ContentEncryptionAlgorithm.AES_256_CBC, MessageFormat.SMIME_3_2, PackageFormat.LEGACY_PBE_SHA1_3DES));
        assertFalse(result.signingKeyMadeHere());
        assertArrayEquals(client.getPublic().getEncoded(), result.signingCertificate().getPublicKey().getEncoded());
        Path p12 = TestPki.write(work.resolve("alice.p12"), result.keyPackage());
        String opened = ExternalTools.openssl(work, "pkcs12", "-in", p12.toString(), "-passin",
                "pass:" + new String(result.token()), "-nodes");
        assertEquals(1, opened.split("-----BEGIN PRIVATE KEY-----", -1).length - 1, "only the encryption key is delivered");

        Path bundle = TestPki.write(work.resolve("bundle.der"), result.smimeBundle());
        String certificates = ExternalTools.openssl(work, "pkcs7", "-inform", "DER", "-in", bundle.toString(), "-print_certs");
        assertEquals(3, certificates.split("-----BEGIN CERTIFICATE-----", -1).length - 1, certificates);
        assertTrue(new CMSSignedData(result.smimeBundle()).getSignerInfos().size() == 0, "certs-only: no key to sign with");
    }

    @Test
    void refusalsCarryThePlainReason() {
        IssuanceRefusedException noMail = assertThrows(IssuanceRefusedException.class,
                () -> enrollment.make(TestPki.ALICE_DN, List.of(), null, EC_DEFAULT));
        assertTrue(noMail.getMessage().contains("has no mail address"), noMail.getMessage());
        IssuanceRefusedException badRequest = assertThrows(IssuanceRefusedException.class,
                () -> enrollment.make(TestPki.ALICE_DN, List.of(TestPki.ALICE_MAIL), new byte[] {0x30, 0x00}, EC_DEFAULT));
        assertFalse(badRequest.getMessage().isBlank());
    }

    /** Writes the private key whose localKeyId bag attributes follow "(encryption)" or "(signature)" to its file. */
    private static void splitKeys(String opened, Path encryptionKey, Path signingKey) throws Exception {
        int at = 0;
        while (true) {
            int begin = opened.indexOf("-----BEGIN PRIVATE KEY-----", at);
            if (begin < 0) {
                break;
            }
            int end = opened.indexOf("-----END PRIVATE KEY-----", begin) + "-----END PRIVATE KEY-----".length();
            String attributes = opened.substring(opened.lastIndexOf("Bag Attributes", begin), begin);
            Files.writeString(attributes.contains("(encryption)") ? encryptionKey : signingKey, opened.substring(begin, end) + "\n");
            at = end;
        }
        assertTrue(Files.exists(encryptionKey) && Files.exists(signingKey), opened);
    }
}
