package org.dirkms.agent.transfer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.dirkms.agent.ca.CaSetup;
import org.dirkms.agent.ca.CertificationAuthority;
import org.dirkms.agent.ca.SoftwareSigner;
import org.dirkms.agent.ca.StandardTemplates;
import org.dirkms.agent.keys.KeyPairFactory;
import org.dirkms.schema.DataFolder;
import org.dirkms.schema.KeyAlgorithm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The server's transfer identity: two keys certified by its CA, each for one use, kept owner-only
 * in the data folder, made once and renewed when due; and the import's check that every key in a
 * file is its certificate's.
 */
class TransferIdentityTest {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Instant NOW = Instant.parse("2026-12-01T10:00:00Z");
    private static final String SERVER = "cn=default,ou=Servers,ou=KMS,dc=example,dc=com";

    @TempDir
    Path folder;

    private static CertificationAuthority ca(Clock clock) {
        SoftwareSigner signer = SoftwareSigner.generate(KeyAlgorithm.EC_P256, RANDOM);
        X509Certificate root = CaSetup.selfSignedRoot(signer, "cn=Test CA,dc=example,dc=com", Duration.ofDays(3650),
                clock, RANDOM);
        return new CertificationAuthority(signer, List.of(root), StandardTemplates.all(), clock, RANDOM,
                CertificationAuthority.Publication.at("ldap://127.0.0.1:10389"));
    }

    @Test
    void theFirstStartMakesAnEncryptionOnlyTransportKeyAndASignatureOnlySigningKeyOwnerOnly() throws Exception {
        Clock clock = Clock.fixed(NOW, ZoneOffset.UTC);
        CertificationAuthority ca = ca(clock);
        DataFolder data = DataFolder.of(folder);
        TransferIdentity made = TransferIdentity.openOrCreate(data, ca, SERVER, clock, RANDOM);
        assertTrue(made.made());
        X509Certificate transport = made.transport().certificate();
        X509Certificate signing = made.signing().certificate();
        boolean[] transportUsage = transport.getKeyUsage();
        boolean[] signingUsage = signing.getKeyUsage();
        // RFC 5280 section 4.2.1.3: digitalSignature(0), keyEncipherment(2), keyAgreement(4).
        assertTrue(transportUsage[4] && !transportUsage[0] && !transportUsage[2], "EC transport: keyAgreement only");
        assertTrue(signingUsage[0] && !signingUsage[2] && !signingUsage[4], "signing: digitalSignature only");
        assertEquals("CN=Transfer Transport,CN=default,OU=Servers,OU=KMS,DC=example,DC=com",
                transport.getSubjectX500Principal().getName());
        transport.verify(ca.certificate().getPublicKey());
        signing.verify(ca.certificate().getPublicKey());
        assertTrue(KeyPairFactory.matches(made.transport().privateKey(), transport.getPublicKey()));
        for (Path file : List.of(data.transferTransportKeyStore(), data.transferTransportPassphrase(),
                data.transferSigningKeyStore(), data.transferSigningPassphrase())) {
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)), file.toString());
        }
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(data.transfer())));

        TransferIdentity again = TransferIdentity.openOrCreate(data, ca, SERVER, clock, RANDOM);
        assertFalse(again.made(), "a second start keeps the keys");
        assertEquals(transport, again.transport().certificate());
        assertEquals(transport, TransferIdentity.open(data).transport().certificate());

        Clock late = Clock.fixed(transport.getNotAfter().toInstant().minus(Duration.ofDays(10)), ZoneOffset.UTC);
        TransferIdentity renewed = TransferIdentity.openOrCreate(data, ca, SERVER, late, RANDOM);
        assertTrue(renewed.made(), "renewed within " + TransferIdentity.RENEW_BEFORE + " of its end");
        assertFalse(transport.equals(renewed.transport().certificate()));
    }

    @Test
    void aFolderWithoutTheIdentityIsNamedInTheMessage() {
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                () -> TransferIdentity.open(DataFolder.of(folder)));
        assertTrue(missing.getMessage().startsWith("there is no transfer key store " + folder.resolve(
                "transfer/transport.p12") + ": start 'dirkms serve'"), missing.getMessage());
    }

    @Test
    void aKeyThatIsNotItsCertificatesIsRefusedByItsItemName() {
        Clock clock = Clock.fixed(NOW, ZoneOffset.UTC);
        TransferIdentity identity = TransferIdentity.openOrCreate(DataFolder.of(folder), ca(clock), SERVER, clock,
                RANDOM);
        byte[] certificate = der(identity.transport().certificate());
        // The signing key under the transport certificate: a file whose key would not read the mail.
        TransferDocument.User user = new TransferDocument.User("user-1", "uid=a,ou=People,dc=example,dc=com",
                List.of("a@example.com"), "a", "a", "enrolled", "Default", List.of(certificate),
                List.of(new TransferDocument.Key(certificate, identity.signing().privateKey().getEncoded())), 1);
        TransferDocument document = new TransferDocument(manifest(List.of(user)), List.of(user));
        assertEquals("user-1/key-1 is not the private key of its certificate "
                + identity.transport().certificate().getSubjectX500Principal().getName() + ", serial "
                + identity.transport().certificate().getSerialNumber().toString(16)
                + ": mail encrypted to it could not be read with it",
                assertThrows(TransferRefusedException.class, () -> TransferImport.checkKeys(document)).getMessage());

        TransferDocument.User good = new TransferDocument.User("user-1", user.sourceDn(), user.mail(), "a", "a",
                "enrolled", "Default", List.of(certificate),
                List.of(new TransferDocument.Key(certificate, identity.transport().privateKey().getEncoded())), 1);
        Map<String, List<java.security.PrivateKey>> keys = TransferImport.checkKeys(
                new TransferDocument(manifest(List.of(good)), List.of(good)));
        assertEquals(1, keys.get("user-1").size());
    }

    private static TransferDocument.Manifest manifest(List<TransferDocument.User> users) {
        return new TransferDocument.Manifest(TransferDocument.FORMAT, SERVER, "dc=example,dc=com", "CN=Test CA", "00",
                NOW, NOW.plus(Duration.ofDays(7)), users.size(), 1, 1, TransferDocument.digests(users));
    }

    private static byte[] der(X509Certificate certificate) {
        try {
            return certificate.getEncoded();
        } catch (java.security.cert.CertificateEncodingException e) {
            throw new IllegalStateException(e);
        }
    }
}
