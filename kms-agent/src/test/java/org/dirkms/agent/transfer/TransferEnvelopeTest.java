package org.dirkms.agent.transfer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.Date;
import java.util.List;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.dirkms.agent.archive.CmsEnvelope;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A transfer file round-trips between a source and its destination, and every file that is not
 * exactly what the source signed for this destination, within its validity, is refused whole
 * with its reason: one byte changed, truncated, not signed, signed under another CA, expired,
 * addressed to another server, an item that does not match the manifest.
 */
class TransferEnvelopeTest {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Instant NOW = Instant.parse("2026-12-07T10:00:00Z");
    private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);

    private static KeyPair caKey;
    private static X509Certificate ca;
    private static KeyPair signingKey;
    private static X509Certificate signing;
    private static KeyPair transportKey;
    private static X509Certificate transport;
    private static KeyPair otherTransportKey;
    private static X509Certificate otherTransport;
    private static KeyPair otherCaKey;
    private static X509Certificate otherCa;

    @BeforeAll
    static void pki() throws Exception {
        caKey = ec();
        ca = certificate("CN=Source CA", caKey, "CN=Source CA", caKey, true, KeyUsage.keyCertSign | KeyUsage.cRLSign);
        signingKey = ec();
        signing = certificate("CN=Source KMS", signingKey, "CN=Source CA", caKey, false, KeyUsage.digitalSignature);
        transportKey = ec();
        transport = certificate("CN=Destination transport", transportKey, "CN=Destination CA", ec(), false,
                KeyUsage.keyAgreement);
        otherTransportKey = ec();
        otherTransport = certificate("CN=Other transport", otherTransportKey, "CN=Destination CA", ec(), false,
                KeyUsage.keyAgreement);
        otherCaKey = ec();
        otherCa = certificate("CN=Source CA", otherCaKey, "CN=Source CA", otherCaKey, true, KeyUsage.keyCertSign);
    }

    @Test
    void theDestinationOpensWhatTheSourceSealedForIt() {
        byte[] file = TransferEnvelope.seal(document(transport, NOW.plus(Duration.ofDays(7))), signingKey.getPrivate(),
                List.of(signing, ca), transport, RANDOM);
        TransferEnvelope.Opened opened = TransferEnvelope.open(file, transportKey.getPrivate(), transport, ca, CLOCK);
        assertEquals(signing, opened.signer());
        TransferDocument document = opened.document();
        assertEquals(1, document.users().size());
        assertEquals(List.of("alice@source.example"), document.users().get(0).mail());
        assertArrayEquals(new byte[] {1, 2, 3, 4}, document.users().get(0).keys().get(0).pkcs8());
        assertFalse(new String(file, StandardCharsets.ISO_8859_1).contains("alice@source.example"),
                "nothing readable outside the envelope");
    }

    @Test
    void oneByteChangedOrTruncatedIsRefusedWhole() {
        byte[] file = TransferEnvelope.seal(document(transport, NOW.plus(Duration.ofDays(7))), signingKey.getPrivate(),
                List.of(signing, ca), transport, RANDOM);
        for (int position : List.of(file.length - 20, file.length / 2, file.length - 1)) {
            byte[] tampered = file.clone();
            tampered[position] ^= 0x01;
            TransferRefusedException refused = assertThrows(TransferRefusedException.class,
                    () -> TransferEnvelope.open(tampered, transportKey.getPrivate(), transport, ca, CLOCK));
            assertFalse(refused.getMessage().isBlank());
        }
        byte[] truncated = Arrays.copyOf(file, file.length - 100);
        assertTrue(assertThrows(TransferRefusedException.class,
                () -> TransferEnvelope.open(truncated, transportKey.getPrivate(), transport, ca, CLOCK)).getMessage()
                .startsWith("the file is not CMS EnvelopedData"));
        byte[] garbage = "not a transfer file".getBytes(StandardCharsets.US_ASCII);
        assertTrue(assertThrows(TransferRefusedException.class,
                () -> TransferEnvelope.open(garbage, transportKey.getPrivate(), transport, ca, CLOCK)).getMessage()
                .startsWith("the file is not CMS EnvelopedData"));
    }

    @Test
    void anUnsignedFileIsRefused() {
        byte[] unsigned = CmsEnvelope.toCertificate(transport, RANDOM).seal(
                document(transport, NOW.plus(Duration.ofDays(7))).toJson());
        assertTrue(assertThrows(TransferRefusedException.class,
                () -> TransferEnvelope.open(unsigned, transportKey.getPrivate(), transport, ca, CLOCK)).getMessage()
                .contains("not signed"));
    }

    @Test
    void aFileSignedUnderAnotherCaIsRefused() throws Exception {
        KeyPair impostorKey = ec();
        X509Certificate impostor = certificate("CN=Source KMS", impostorKey, "CN=Source CA", otherCaKey, false,
                KeyUsage.digitalSignature);
        byte[] file = TransferEnvelope.seal(document(transport, NOW.plus(Duration.ofDays(7))), impostorKey.getPrivate(),
                List.of(impostor, otherCa), transport, RANDOM);
        String message = assertThrows(TransferRefusedException.class,
                () -> TransferEnvelope.open(file, transportKey.getPrivate(), transport, ca, CLOCK)).getMessage();
        assertTrue(message.contains("does not chain to the trusted source CA CN=Source CA"), message);
    }

    @Test
    void anExpiredFileIsRefused() {
        byte[] file = TransferEnvelope.seal(document(transport, NOW.minusSeconds(1)), signingKey.getPrivate(),
                List.of(signing, ca), transport, RANDOM);
        assertTrue(assertThrows(TransferRefusedException.class,
                () -> TransferEnvelope.open(file, transportKey.getPrivate(), transport, ca, CLOCK)).getMessage()
                .startsWith("the file expired at "));
    }

    @Test
    void aFileForAnotherServerIsRefused() {
        byte[] sealedToOther = TransferEnvelope.seal(document(otherTransport, NOW.plus(Duration.ofDays(7))),
                signingKey.getPrivate(), List.of(signing, ca), otherTransport, RANDOM);
        assertTrue(assertThrows(TransferRefusedException.class,
                () -> TransferEnvelope.open(sealedToOther, transportKey.getPrivate(), transport, ca, CLOCK))
                .getMessage().startsWith("the file is encrypted to another server's transport certificate"));
        // Sealed to this server but addressed, inside the signature, to another: refused too.
        byte[] misaddressed = TransferEnvelope.seal(document(otherTransport, NOW.plus(Duration.ofDays(7))),
                signingKey.getPrivate(), List.of(signing, ca), transport, RANDOM);
        assertTrue(assertThrows(TransferRefusedException.class,
                () -> TransferEnvelope.open(misaddressed, transportKey.getPrivate(), transport, ca, CLOCK))
                .getMessage().startsWith("the file is addressed to the server whose transport certificate"));
    }

    @Test
    void anItemThatDoesNotMatchTheManifestIsRefused() {
        TransferDocument good = document(transport, NOW.plus(Duration.ofDays(7)));
        TransferDocument.User user = good.users().get(0);
        TransferDocument changed = new TransferDocument(good.manifest(), List.of(new TransferDocument.User(user.id(),
                user.sourceDn(), List.of("mallory@source.example"), user.commonName(), user.surname(),
                user.enrollmentState(), user.group(), user.certificates(), user.keys())));
        byte[] file = TransferEnvelope.seal(changed, signingKey.getPrivate(), List.of(signing, ca), transport, RANDOM);
        assertEquals("the digest of user-1 does not match the manifest: the item was changed after the manifest was"
                + " written", assertThrows(TransferRefusedException.class,
                        () -> TransferEnvelope.open(file, transportKey.getPrivate(), transport, ca, CLOCK)).getMessage());
    }

    private static TransferDocument document(X509Certificate destination, Instant notAfter) {
        List<TransferDocument.User> users = List.of(new TransferDocument.User("user-1",
                "uid=alice,ou=People,dc=source,dc=example", List.of("alice@source.example"), "Alice", "Example",
                "enrolled", "Default", List.of(new byte[] {9, 9}), List.of(new TransferDocument.Key(new byte[] {7},
                        new byte[] {1, 2, 3, 4}))));
        return new TransferDocument(new TransferDocument.Manifest(TransferDocument.FORMAT,
                "cn=kms1,ou=Servers,ou=KMS,dc=source,dc=example", "dc=source,dc=example", "CN=Source CA",
                TransferEnvelope.thumbprint(destination), NOW.minusSeconds(60), notAfter, 1, 1, 1,
                TransferDocument.digests(users)), users);
    }

    private static KeyPair ec() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
        return generator.generateKeyPair();
    }

    private static X509Certificate certificate(String subject, KeyPair subjectKey, String issuer, KeyPair issuerKey,
            boolean isCa, int keyUsage) throws Exception {
        JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(new X500Name(issuer),
                new BigInteger(64, RANDOM), Date.from(NOW.minus(Duration.ofDays(1))),
                Date.from(NOW.plus(Duration.ofDays(365))), new X500Name(subject), subjectKey.getPublic());
        builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(isCa));
        builder.addExtension(Extension.keyUsage, true, new KeyUsage(keyUsage));
        return new JcaX509CertificateConverter().getCertificate(builder.build(
                new JcaContentSignerBuilder("SHA256withECDSA").build(issuerKey.getPrivate())));
    }
}
