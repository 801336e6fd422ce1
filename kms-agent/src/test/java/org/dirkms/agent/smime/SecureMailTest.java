package org.dirkms.agent.smime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.bouncycastle.asn1.cms.AttributeTable;
import org.bouncycastle.asn1.smime.SMIMEAttributes;
import org.bouncycastle.cms.CMSSignedData;
import org.dirkms.agent.ca.IssuanceRefusedException;
import org.dirkms.agent.ca.IssuanceRequest;
import org.dirkms.agent.ca.StandardTemplates;
import org.dirkms.agent.keys.KeyPairFactory;
import org.dirkms.agent.keys.TestPki;
import org.dirkms.schema.ContentEncryptionAlgorithm;
import org.dirkms.schema.KeyAlgorithm;
import org.dirkms.schema.PackageFormat;
import org.dirkms.schema.RevocationReason;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Sign, encrypt, decrypt and verify with in-memory keys: Alice with EC P-256 keys, Bob with
 * RSA-2048 keys, both from one test CA; each content encryption; the signed attributes; a
 * changed byte, the wrong key, a revoked signer, an unknown CA.
 */
class SecureMailTest {
    private static final String MESSAGE = "From: Alice <alice@example.com>\r\nTo: bob@example.com\r\n"
            + "Subject: quarterly figures\r\nDate: Mon, 7 Dec 2026 01:00:00 +0000\r\nMessage-ID: <1@example.com>\r\n"
            + "Content-Type: text/plain; charset=us-ascii\r\n\r\nThe figures are up.\r\n";

    private static TestPki pki;
    private static MailKeys alice;
    private static MailKeys bob;
    private static SecureMail mail;

    @BeforeAll
    static void issue() throws Exception {
        pki = TestPki.create();
        alice = keys("uid=alice,ou=People,dc=example,dc=com", "alice@example.com", KeyAlgorithm.EC_P256);
        bob = keys("uid=bob,ou=People,dc=example,dc=com", "bob@example.com", KeyAlgorithm.RSA_2048);
        mail = new SecureMail(Clock.systemUTC(), TestPki.RANDOM);
    }

    /** Both keys of a user, through a real key package and token. */
    private static MailKeys keys(String dn, String address, KeyAlgorithm algorithm) throws Exception {
        KeyPair signing = TestPki.KEYS.generate(algorithm);
        KeyPair encryption = TestPki.KEYS.generate(algorithm);
        X509Certificate signingCertificate = issue(StandardTemplates.SMIME_SIGNATURE, signing, dn, address);
        X509Certificate encryptionCertificate = issue(StandardTemplates.SMIME_ENCRYPTION, encryption, dn, address);
        char[] token = OneTimeToken.generate(TestPki.RANDOM);
        List<byte[]> packages = KeyPackage.buildValues(List.of(
                new KeyPackage.Item(encryption.getPrivate(), List.of(encryptionCertificate, pki.ca().certificate()), "enc"),
                new KeyPackage.Item(signing.getPrivate(), List.of(signingCertificate, pki.ca().certificate()), "sig")),
                token, PackageFormat.LEGACY_PBE_SHA1_3DES, TestPki.RANDOM);
        return MailKeys.open(packages, token);
    }

    private static X509Certificate issue(String template, KeyPair keys, String dn, String address)
            throws IssuanceRefusedException {
        return pki.ca().issue(IssuanceRequest.forPerson(template, KeyPairFactory.certificationRequest(keys), dn,
                List.of(address)));
    }

    private static byte[] message() {
        return MESSAGE.getBytes(StandardCharsets.US_ASCII);
    }

    private static String text(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }

    private static CertificateCheck check(List<X509CRL> crls) {
        return new CertificateCheck(List.of(pki.ca().certificate()), List.of(pki.ca().certificate()), crls,
                Clock.systemUTC());
    }

    @Test
    void theKeyPackagesGiveTheSigningAndTheEncryptionKeyByKeyUsage() throws Exception {
        assertTrue(KeyUsages.signs(alice.signing().certificate()));
        assertFalse(KeyUsages.encrypts(alice.signing().certificate()));
        assertTrue(KeyUsages.encrypts(alice.encryption().certificate()));
        assertFalse(KeyUsages.signs(alice.encryption().certificate()));
        assertEquals("alice@example.com", alice.address().orElseThrow());
    }

    @Test
    void aWrongTokenAndAFileThatIsNoPackageAreRefused() throws Exception {
        char[] token = OneTimeToken.generate(TestPki.RANDOM);
        byte[] p12 = KeyPackage.build(List.of(new KeyPackage.Item(alice.signing().privateKey(),
                List.of(alice.signing().certificate()), "x")), token, PackageFormat.PBES2_AES_256, TestPki.RANDOM);
        SecureMailException wrong = assertThrows(SecureMailException.class,
                () -> MailKeys.open(List.of(p12), "not-the-token".toCharArray()));
        assertTrue(wrong.getMessage().startsWith("the token does not open key package 1"), wrong.getMessage());
        SecureMailException garbage = assertThrows(SecureMailException.class,
                () -> MailKeys.open(List.of("hello".getBytes(StandardCharsets.US_ASCII)), token));
        assertTrue(garbage.getMessage().contains("not a PKCS#12"), garbage.getMessage());
    }

    @Test
    void aSignedMessageVerifiesAndCarriesSigningTimeCapabilitiesAndKeyPreference() throws Exception {
        // signingTime has whole seconds (UTCTime), and the certificate must be valid then (RFC 5652 section 11.3)
        Clock clock = Clock.fixed(Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS), ZoneOffset.UTC);
        SecureMail clocked = new SecureMail(clock, TestPki.RANDOM);
        byte[] signed = clocked.sign(message(), alice);
        String text = text(signed);
        assertTrue(text.contains("multipart/signed"), text);
        assertTrue(text.contains("micalg=sha-256") || text.contains("micalg=\"sha-256\""), text);
        assertTrue(text.startsWith("From: Alice <alice@example.com>\r\n"), text);
        assertTrue(text.contains("Message-ID: <1@example.com>"), text);
        SecureMail.Verified verified = mail.verify(signed);
        assertEquals(1, verified.signers().size());
        SecureMail.Signer signer = verified.signers().get(0);
        assertTrue(signer.signatureValid());
        assertTrue(signer.addressMatches());
        assertEquals(clock.instant(), signer.signingTime());
        assertEquals(alice.signing().certificate(), signer.certificate());
        assertTrue(text(verified.message()).contains("The figures are up."));
        assertTrue(text(verified.message()).contains("Subject: quarterly figures"));
        assertTrue(check(List.of(pki.ca().renewCrl(null))).check(signer.certificate(), verified.certificates()).good());
        assertEquals(CertificateCheck.Verdict.REVOCATION_UNKNOWN,
                check(List.of()).check(signer.certificate(), verified.certificates()).verdict());

        String signature = text.substring(text.lastIndexOf("Content-Type: application/pkcs7-signature"));
        String base64 = signature.substring(signature.indexOf("\r\n\r\n") + 4, signature.indexOf("\r\n--"));
        CMSSignedData cms = new CMSSignedData(java.util.Base64.getMimeDecoder().decode(base64));
        AttributeTable attributes = cms.getSignerInfos().getSigners().iterator().next().getSignedAttributes();
        assertNotNull(attributes.get(SMIMEAttributes.smimeCapabilities));
        org.bouncycastle.asn1.cms.Attribute preference = attributes.get(SMIMEAttributes.encrypKeyPref);
        assertNotNull(preference);
        // RFC 8551 section 2.5.3: SMIMEEncryptionKeyPreference ::= CHOICE { issuerAndSerialNumber [0] ... }
        org.bouncycastle.asn1.cms.IssuerAndSerialNumber named = org.bouncycastle.asn1.cms.IssuerAndSerialNumber.getInstance(
                ((org.bouncycastle.asn1.ASN1TaggedObject) preference.getAttrValues().getObjectAt(0)).getBaseObject());
        assertEquals(alice.encryption().certificate().getSerialNumber(), named.getSerialNumber().getValue());
    }

    @Test
    void eightBitUtf8ContentAndHeadersComeBackAsTheyWent() throws Exception {
        String utf8 = "From: Zoë <alice@example.com>\r\nTo: bob@example.com\r\nSubject: Grüße aus Köln\r\n"
                + "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
                + "Schöne Grüße, ünd €.\r\n";
        byte[] message = utf8.getBytes(StandardCharsets.UTF_8);
        byte[] signed = mail.sign(message, alice);
        // RFC 8551 section 3.1.2: signed 8-bit text travels quoted-printable, so that no gateway re-encodes it.
        assertFalse(text(signed).contains("Content-Transfer-Encoding: 8bit"), text(signed));
        assertTrue(text(signed).contains("Content-Transfer-Encoding: quoted-printable"), text(signed));
        assertTrue(text(signed).contains("Sch=C3=B6ne Gr=C3=BC=C3=9Fe"), text(signed));
        SecureMail.Verified verified = mail.verify(signed);
        assertTrue(verified.signers().get(0).signatureValid());
        String content = text(verified.message());
        assertTrue(content.contains("Subject: Grüße aus Köln\r\n"), content);
        assertTrue(content.contains("Sch=C3=B6ne Gr=C3=BC=C3=9Fe, =C3=BCnd =E2=82=AC."), content);
        String decrypted = text(mail.decrypt(mail.encrypt(message, List.of(bob.encryption().certificate()),
                ContentEncryptionAlgorithm.AES_256_CBC, alice), bob));
        assertTrue(decrypted.startsWith("From: Zoë <alice@example.com>\r\n"), decrypted);
        SecureMail.Verified inner = mail.verify(decrypted.getBytes(StandardCharsets.UTF_8));
        assertTrue(inner.signers().get(0).signatureValid());
        jakarta.mail.internet.MimeMessage read = new jakarta.mail.internet.MimeMessage(
                jakarta.mail.Session.getInstance(new java.util.Properties()),
                new java.io.ByteArrayInputStream(inner.message()));
        assertEquals("Schöne Grüße, ünd €.\r\n", read.getContent());
    }

    @Test
    void aChangedByteBreaksTheSignature() throws Exception {
        String signed = text(mail.sign(message(), alice));
        byte[] tampered = signed.replace("The figures are up.", "The figures are dn.").getBytes(StandardCharsets.UTF_8);
        SecureMail.Signer signer = mail.verify(tampered).signers().get(0);
        assertFalse(signer.signatureValid());
        assertEquals("the signature does not match the content (changed on the way?)", signer.failure());
    }

    @Test
    void aSignatureDatedOutsideTheCertificatesValidityIsNotValid() throws Exception {
        Instant before = alice.signing().certificate().getNotBefore().toInstant().minusSeconds(3600);
        byte[] signed = new SecureMail(Clock.fixed(before, ZoneOffset.UTC), TestPki.RANDOM).sign(message(), alice);
        SecureMail.Signer signer = mail.verify(signed).signers().get(0);
        assertFalse(signer.signatureValid());
        assertEquals("the signer's certificate was not valid at the signing time " + before, signer.failure());
    }

    @ParameterizedTest
    @EnumSource(ContentEncryptionAlgorithm.class)
    void eachContentEncryptionReachesAnRsaAndAnEcRecipient(ContentEncryptionAlgorithm algorithm) throws Exception {
        byte[] encrypted = mail.encrypt(message(), List.of(bob.encryption().certificate(),
                alice.encryption().certificate()), algorithm, null);
        String text = text(encrypted);
        assertTrue(text.contains(SecureMail.isAuthenticated(algorithm) ? "smime-type=authEnveloped-data"
                : "smime-type=enveloped-data"), text);
        assertFalse(text.contains("figures are up"));
        for (MailKeys reader : List.of(alice, bob)) {
            String plain = text(mail.decrypt(encrypted, reader));
            assertTrue(plain.contains("The figures are up."), plain);
            assertTrue(plain.startsWith("From: Alice <alice@example.com>\r\n"), plain);
        }
    }

    @Test
    void signedThenEncryptedDecryptsToAMessageThatVerifies() throws Exception {
        byte[] encrypted = mail.encrypt(message(), List.of(bob.encryption().certificate()),
                ContentEncryptionAlgorithm.AES_256_GCM, alice);
        SecureMail.Verified verified = mail.verify(mail.decrypt(encrypted, bob));
        assertTrue(verified.signers().get(0).signatureValid());
        assertTrue(text(verified.message()).contains("The figures are up."));
    }

    @Test
    void aMessageForSomeoneElseOrChangedInGcmDoesNotDecrypt() throws Exception {
        byte[] encrypted = mail.encrypt(message(), List.of(bob.encryption().certificate()),
                ContentEncryptionAlgorithm.AES_256_GCM, null);
        SecureMailException notMine = assertThrows(SecureMailException.class, () -> mail.decrypt(encrypted, alice));
        assertTrue(notMine.getMessage().contains("not encrypted to any key"), notMine.getMessage());
        String text = text(encrypted);
        int body = text.indexOf("\r\n\r\n", text.indexOf("application/pkcs7-mime")) + 4;
        int at = body + (text.length() - body) * 3 / 4;
        char flipped = text.charAt(at) == 'A' ? 'B' : 'A';
        byte[] tampered = (text.substring(0, at) + flipped + text.substring(at + 1)).getBytes(StandardCharsets.UTF_8);
        assertThrows(SecureMailException.class, () -> mail.decrypt(tampered, bob));
    }

    @Test
    void aPlainMessageIsNeitherEncryptedNorSigned() {
        SecureMailException decrypt = assertThrows(SecureMailException.class, () -> mail.decrypt(message(), bob));
        assertTrue(decrypt.getMessage().contains("not encrypted S/MIME"), decrypt.getMessage());
        SecureMailException verify = assertThrows(SecureMailException.class, () -> mail.verify(message()));
        assertTrue(verify.getMessage().contains("not signed S/MIME"), verify.getMessage());
    }

    @Test
    void aRevokedSignerIsRevokedWithTimeAndReason() throws Exception {
        SecureMail.Verified verified = mail.verify(mail.sign(message(), alice));
        X509Certificate signer = verified.signers().get(0).certificate();
        X509CRL crl = pki.ca().revoke(signer.getSerialNumber(), RevocationReason.KEY_COMPROMISE, null);
        CertificateCheck.Status status = check(List.of(crl)).check(signer, verified.certificates());
        assertEquals(CertificateCheck.Verdict.REVOKED, status.verdict());
        assertTrue(status.detail().contains("keyCompromise"), status.detail());
        CertificateCheck.Status other = check(List.of(crl)).check(bob.signing().certificate(), List.of());
        assertEquals(CertificateCheck.Verdict.GOOD, other.verdict(), other.detail());
    }

    @Test
    void aSignerFromAnotherCaIsUntrustedNamingTheIssuer() throws Exception {
        TestPki other = TestPki.create();
        CertificateCheck check = new CertificateCheck(List.of(other.ca().certificate()), List.of(), List.of(),
                Clock.systemUTC());
        CertificateCheck.Status status = check.check(alice.signing().certificate(), List.of(pki.ca().certificate()));
        assertEquals(CertificateCheck.Verdict.UNTRUSTED, status.verdict());
        assertTrue(status.detail().contains("Test Root CA"), status.detail());
    }

    @Test
    void theEncryptionCertificateIsChosenByKeyUsage() throws Exception {
        X509Certificate signing = bob.signing().certificate();
        X509Certificate encryption = bob.encryption().certificate();
        assertEquals(encryption, RecipientCertificates.choose("bob@example.com", List.of(signing.getEncoded(),
                encryption.getEncoded()), Instant.now()));
        SecureMailException onlySigning = assertThrows(SecureMailException.class,
                () -> RecipientCertificates.choose("bob@example.com", List.of(signing.getEncoded()), Instant.now()));
        assertTrue(onlySigning.getMessage().contains("only a signing certificate"), onlySigning.getMessage());
        assertArrayEquals(encryption.getEncoded(), RecipientCertificates.choose("bob@example.com",
                List.of(encryption.getEncoded()), Instant.now()).getEncoded());
    }
}
