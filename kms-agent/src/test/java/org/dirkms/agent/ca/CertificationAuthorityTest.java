package org.dirkms.agent.ca;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.security.SecureRandom;
import java.security.cert.X509CRL;
import java.security.cert.X509CRLEntry;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.x509.Extension;
import org.dirkms.agent.ca.IssuanceRefusedException.Kind;
import org.dirkms.schema.KeyAlgorithm;
import org.dirkms.schema.RevocationReason;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The issuance pipeline's refusals and policies, and CRL bookkeeping, checked in Java. */
class CertificationAuthorityTest {
    private static final String CA_DN = "cn=Test CA,ou=Certification Authorities,ou=KMS,dc=example,dc=com";
    private static final String ALICE = "uid=alice,ou=People,dc=example,dc=com";
    private static final Instant NOW = Instant.parse("2026-11-25T08:00:00Z");
    private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
    private static final SecureRandom RANDOM = new SecureRandom();

    private static SoftwareSigner signer;
    private static CertificationAuthority ca;

    @BeforeAll
    static void createCa() {
        signer = SoftwareSigner.generate(KeyAlgorithm.EC_P384, RANDOM);
        ca = ca(Duration.ofDays(3650));
    }

    private static CertificationAuthority ca(Duration validity) {
        X509Certificate root = CaSetup.selfSignedRoot(signer, CA_DN, validity, CLOCK, RANDOM);
        return new CertificationAuthority(signer, List.of(root), StandardTemplates.all(), CLOCK, RANDOM,
                CertificationAuthority.Publication.at("ldap://kms.example.com:389"));
    }

    private static IssuanceRequest request(String template, byte[] pkcs10) {
        return IssuanceRequest.forPerson(template, pkcs10, ALICE, List.of("alice@example.com"));
    }

    private static IssuanceRefusedException refused(IssuanceRequest request) {
        return assertThrows(IssuanceRefusedException.class, () -> ca.issue(request));
    }

    @Test
    void caDnIsTheEntryDnAndTheSubjectOfItsCertificate() {
        assertEquals(CA_DN, ca.dn());
        assertEquals("CN=Test CA,OU=Certification Authorities,OU=KMS,DC=example,DC=com",
                ca.certificate().getSubjectX500Principal().getName());
    }

    @Test
    void malformedRequestIsRefused() {
        IssuanceRefusedException e = refused(request(StandardTemplates.SMIME_SIGNATURE, new byte[] {0x30, 0x03, 1, 2, 3}));
        assertEquals(Kind.MALFORMED_REQUEST, e.kind());
        assertTrue(e.getMessage().contains("not a valid PKCS#10"), e.getMessage());
        assertEquals(Kind.MALFORMED_REQUEST, refused(request(StandardTemplates.SMIME_SIGNATURE, new byte[0])).kind());
    }

    @Test
    void requestWithABadSignatureIsRefused() {
        byte[] pkcs10 = TestKeys.request(TestKeys.ecP256());
        pkcs10[pkcs10.length - 5] ^= 0x01; // inside the signature value
        IssuanceRefusedException e = refused(request(StandardTemplates.SMIME_SIGNATURE, pkcs10));
        assertEquals(Kind.BAD_SIGNATURE, e.kind());
        assertEquals("the signature of the certificate request does not verify with the key it carries", e.getMessage());
    }

    @Test
    void rsa1024IsRefusedWithTheSizesNamed() {
        IssuanceRefusedException e = refused(request(StandardTemplates.SMIME_SIGNATURE, TestKeys.request(TestKeys.rsa(1024))));
        assertEquals(Kind.KEY_POLICY, e.kind());
        assertEquals("the RSA key of the request has 1024 bits; template smime-signature requires at least 2048", e.getMessage());
    }

    @Test
    void theSubordinateCaTemplateIssuesACaCertificateWithPathLengthZero() throws Exception {
        String subordinate = "cn=Issuing CA,ou=Certification Authorities,ou=KMS,dc=example,dc=com";
        X509Certificate issued = ca.issue(IssuanceRequest.forPerson(StandardTemplates.SUBORDINATE_CA,
                TestKeys.request(TestKeys.ecP256()), subordinate, List.of()), 730);
        // RFC 5280 section 4.2.1.9: cA=TRUE, pathLenConstraint 0; section 4.2.1.3: keyCertSign, cRLSign only.
        assertEquals(0, issued.getBasicConstraints());
        assertTrue(issued.getCriticalExtensionOIDs().contains(Extension.basicConstraints.getId()));
        boolean[] usage = issued.getKeyUsage();
        assertTrue(usage[5] && usage[6], "keyCertSign and cRLSign");
        assertFalse(usage[0] || usage[1] || usage[2] || usage[4], "no end-entity usage");
        assertEquals(null, issued.getExtendedKeyUsage());
        assertEquals(Duration.ofDays(730), Duration.between(issued.getNotBefore().toInstant(),
                issued.getNotAfter().toInstant()));
        issued.verify(ca.certificate().getPublicKey());

        // The subordinate itself may issue end-entity certificates and no CA certificate.
        SoftwareSigner subordinateKey = SoftwareSigner.generate(KeyAlgorithm.EC_P384, RANDOM);
        X509Certificate subordinateCertificate = ca.issue(IssuanceRequest.forPerson(StandardTemplates.SUBORDINATE_CA,
                CaSetup.subordinateRequest(subordinateKey, subordinate), subordinate, List.of()));
        CertificationAuthority issuing = new CertificationAuthority(subordinateKey,
                List.of(subordinateCertificate, ca.certificate()), StandardTemplates.all(), CLOCK, RANDOM,
                CertificationAuthority.Publication.at("ldap://kms.example.com:389"));
        issuing.issue(request(StandardTemplates.SMIME_SIGNATURE, TestKeys.request(TestKeys.ecP256())));
        IssuanceRefusedException e = assertThrows(IssuanceRefusedException.class, () -> issuing.issue(
                IssuanceRequest.forPerson(StandardTemplates.SUBORDINATE_CA, TestKeys.request(TestKeys.ecP256()),
                        "cn=Third CA,ou=Certification Authorities,ou=KMS,dc=example,dc=com", List.of())));
        assertEquals(Kind.CA_POLICY, e.kind());
        assertEquals("CA " + issuing.dn() + " has a path length constraint of 0: it may not certify another CA",
                e.getMessage());
    }

    @Test
    void aValidityBeyondTheTemplatesIsRefused() {
        IssuanceRefusedException e = assertThrows(IssuanceRefusedException.class, () -> ca.issue(
                request(StandardTemplates.SMIME_SIGNATURE, TestKeys.request(TestKeys.ecP256())), 366));
        assertEquals(Kind.CA_POLICY, e.kind());
        assertEquals("a certificate of template smime-signature is valid for 1 to 365 days, not 366", e.getMessage());
    }

    @Test
    void templateNotInstalledIsRefused() {
        IssuanceRefusedException e = refused(request("code-signing", TestKeys.request(TestKeys.ecP256())));
        assertEquals(Kind.UNKNOWN_TEMPLATE, e.kind());
        assertTrue(e.getMessage().startsWith("template 'code-signing' is not installed on CA " + CA_DN), e.getMessage());
    }

    @Test
    void keyAlgorithmOutsideTheTemplateIsRefused() {
        CertificateTemplate rsaOnly = new CertificateTemplate("rsa-only", 3, Set.of(KeyUsageName.DIGITAL_SIGNATURE),
                List.of(ExtendedKeyUsages.EMAIL_PROTECTION), 30, Set.of(KeyAlgorithm.RSA_3072), 3072);
        CertificationAuthority narrow = new CertificationAuthority(signer, ca.chain(), List.of(rsaOnly), CLOCK, RANDOM,
                CertificationAuthority.Publication.at("ldap://kms.example.com:389"));
        IssuanceRefusedException e = assertThrows(IssuanceRefusedException.class,
                () -> narrow.issue(request("rsa-only", TestKeys.request(TestKeys.ecP256()))));
        assertEquals(Kind.KEY_POLICY, e.kind());
        assertTrue(e.getMessage().contains("does not accept this EC key (EC-P256); it accepts: RSA-3072"), e.getMessage());
    }

    @Test
    void subjectOrMailNotMatchingTheEntryIsRefused() {
        var keys = TestKeys.ecP256();
        IssuanceRefusedException subject = refused(request(StandardTemplates.SMIME_SIGNATURE,
                TestKeys.request(keys, "CN=Administrator,DC=example,DC=com")));
        assertEquals(Kind.NAME_MISMATCH, subject.kind());
        assertTrue(subject.getMessage().contains("but the directory entry is '" + ALICE + "'"), subject.getMessage());
        IssuanceRefusedException mail = refused(request(StandardTemplates.SMIME_SIGNATURE,
                TestKeys.request(keys, "E=boss@example.com")));
        assertEquals(Kind.NAME_MISMATCH, mail.kind());
        assertTrue(mail.getMessage().contains("'boss@example.com', which is not a mail value"), mail.getMessage());
    }

    @Test
    void requestThatRepeatsTheEntryNamesIsAccepted() throws Exception {
        X509Certificate certificate = ca.issue(request(StandardTemplates.SMIME_SIGNATURE,
                TestKeys.request(TestKeys.ecP256(), "DC=com,DC=example,OU=People,UID=alice")));
        assertEquals("UID=alice,OU=People,DC=example,DC=com", certificate.getSubjectX500Principal().getName());
    }

    @Test
    void personWithoutMailGetsNoSmimeCertificate() {
        IssuanceRefusedException e = assertThrows(IssuanceRefusedException.class, () -> ca.issue(IssuanceRequest.forPerson(
                StandardTemplates.SMIME_ENCRYPTION, TestKeys.request(TestKeys.ecP256()), ALICE, List.of())));
        assertEquals(Kind.MISSING_NAME, e.kind());
    }

    @Test
    void serialsArePositiveUniqueAndCarryAtLeast64Bits() throws Exception {
        Set<BigInteger> serials = new HashSet<>();
        byte[] pkcs10 = TestKeys.request(TestKeys.ecP256());
        for (int i = 0; i < 50; i++) {
            BigInteger serial = ca.issue(request(StandardTemplates.SMIME_SIGNATURE, pkcs10)).getSerialNumber();
            assertTrue(serial.signum() > 0 && serial.bitLength() >= 64 && serial.bitLength() <= 159, serial.toString(16));
            serials.add(serial);
        }
        assertEquals(50, serials.size());
    }

    @Test
    void validityFollowsTheTemplateAndStopsAtTheCaExpiry() throws Exception {
        X509Certificate normal = ca.issue(request(StandardTemplates.SMIME_SIGNATURE, TestKeys.request(TestKeys.ecP256())));
        assertEquals(NOW, normal.getNotBefore().toInstant());
        assertEquals(NOW.plus(Duration.ofDays(365)), normal.getNotAfter().toInstant());
        CertificationAuthority shortLived = ca(Duration.ofDays(30));
        X509Certificate clamped = shortLived.issue(request(StandardTemplates.SMIME_SIGNATURE,
                TestKeys.request(TestKeys.ecP256())));
        assertEquals(shortLived.certificate().getNotAfter(), clamped.getNotAfter());
    }

    @Test
    void expiredCaIssuesNothing() {
        X509Certificate root = CaSetup.selfSignedRoot(signer, CA_DN, Duration.ofDays(1),
                Clock.fixed(NOW.minus(Duration.ofDays(2)), ZoneOffset.UTC), RANDOM);
        CertificationAuthority expired = new CertificationAuthority(signer, List.of(root), StandardTemplates.all(), CLOCK,
                RANDOM, CertificationAuthority.Publication.at("ldap://kms.example.com:389"));
        IssuanceRefusedException e = assertThrows(IssuanceRefusedException.class, () -> expired.issue(
                request(StandardTemplates.SMIME_SIGNATURE, TestKeys.request(TestKeys.ecP256()))));
        assertEquals(Kind.CA_POLICY, e.kind());
    }

    @Test
    void leafHasAuthorityKeyIdentifierOfTheCa() throws Exception {
        X509Certificate leaf = ca.issue(request(StandardTemplates.SMIME_SIGNATURE, TestKeys.request(TestKeys.ecP256())));
        byte[] ski = ASN1OctetString.getInstance(ASN1OctetString.getInstance(
                ca.certificate().getExtensionValue(Extension.subjectKeyIdentifier.getId())).getOctets()).getOctets();
        byte[] aki = org.bouncycastle.asn1.x509.AuthorityKeyIdentifier.getInstance(ASN1OctetString.getInstance(
                leaf.getExtensionValue(Extension.authorityKeyIdentifier.getId())).getOctets()).getKeyIdentifierOctets();
        org.junit.jupiter.api.Assertions.assertArrayEquals(ski, aki);
        assertTrue(leaf.getCriticalExtensionOIDs().contains(Extension.keyUsage.getId()));
    }

    @Test
    void crlNumbersGrowAndEntriesAccumulate() throws Exception {
        BigInteger first = BigInteger.valueOf(0x1234567890L);
        BigInteger second = BigInteger.valueOf(0x2234567890L);
        X509CRL one = ca.revoke(first, RevocationReason.SUPERSEDED, null);
        X509CRL two = ca.revoke(second, RevocationReason.UNSPECIFIED, one);
        X509CRL three = ca.revoke(first, RevocationReason.KEY_COMPROMISE, two);
        assertEquals(BigInteger.ONE, crlNumber(one));
        assertEquals(BigInteger.valueOf(3), crlNumber(three));
        assertEquals(2, three.getRevokedCertificates().size());
        X509CRLEntry entry = three.getRevokedCertificate(first);
        assertEquals(java.security.cert.CRLReason.SUPERSEDED, entry.getRevocationReason(), "the first entry is kept");
        assertEquals(null, three.getRevokedCertificate(second).getRevocationReason(),
                "RFC 5280 5.3.1: no reason code instead of unspecified");
        assertEquals(NOW.plus(Duration.ofDays(7)), three.getNextUpdate().toInstant());
        three.verify(signer.publicKey());
    }

    @Test
    void issuedKnowsItsOwnCertificatesBySerialIssuerAndSignature() throws Exception {
        X509Certificate leaf = ca.issue(request(StandardTemplates.SMIME_SIGNATURE, TestKeys.request(TestKeys.ecP256())));
        assertTrue(ca.issued(leaf.getEncoded(), leaf.getSerialNumber()));
        assertFalse(ca.issued(leaf.getEncoded(), leaf.getSerialNumber().add(BigInteger.ONE)), "another serial");
        // Same issuer name, another key: made in this CA's name, not by it.
        SoftwareSigner otherKey = SoftwareSigner.generate(KeyAlgorithm.EC_P384, RANDOM);
        X509Certificate otherRoot = CaSetup.selfSignedRoot(otherKey, CA_DN, Duration.ofDays(10), CLOCK, RANDOM);
        CertificationAuthority impostor = new CertificationAuthority(otherKey, List.of(otherRoot), StandardTemplates.all(), CLOCK, RANDOM,
                CertificationAuthority.Publication.at("ldap://kms.example.com:389"));
        X509Certificate forged = impostor.issue(request(StandardTemplates.SMIME_SIGNATURE,
                TestKeys.request(TestKeys.ecP256())));
        assertEquals(leaf.getIssuerX500Principal(), forged.getIssuerX500Principal());
        assertFalse(ca.issued(forged.getEncoded(), forged.getSerialNumber()), "signed by another key");
        assertFalse(ca.issued(new byte[] {0x30, 0x03, 0x02, 0x01, 0x01}, BigInteger.ONE), "not a certificate");
    }

    @Test
    void crlOfAnotherCaIsNotContinued() {
        SoftwareSigner otherKey = SoftwareSigner.generate(KeyAlgorithm.EC_P384, RANDOM);
        X509Certificate otherRoot = CaSetup.selfSignedRoot(otherKey, CA_DN, Duration.ofDays(10), CLOCK, RANDOM);
        CertificationAuthority other = new CertificationAuthority(otherKey, List.of(otherRoot), List.of(), CLOCK, RANDOM,
                CertificationAuthority.Publication.at("ldap://kms.example.com:389"));
        X509CRL foreign = other.revoke(BigInteger.TEN, RevocationReason.KEY_COMPROMISE, null);
        assertThrows(IllegalArgumentException.class, () -> ca.renewCrl(foreign));
    }

    /**
     * A published CRL the JDK reads but whose issuer name Bouncy Castle cannot (found by
     * CertificateParsingFuzzTest): the CA refuses it with the IllegalArgumentException it
     * documents, not with Bouncy Castle's ASN1ParsingException from deep inside.
     */
    @Test
    void crlWhoseIssuerNameIsMalformedIsRefusedAsUnreadable() throws Exception {
        byte[] der = ca.renewCrl(null).getEncoded();
        // "Certification Authorities" (25 octets) retagged from UTF8String to BMPString, whose
        // characters take two octets each: an odd length is malformed.
        byte[] value = "Certification Authorities".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        int at = indexOf(der, value) - 2;
        assertEquals(0x0c, der[at], "the issuer's ou is a UTF8String");
        der[at] = 0x1e;
        X509CRL malformed = (X509CRL) java.security.cert.CertificateFactory.getInstance("X.509")
                .generateCRL(new java.io.ByteArrayInputStream(der));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ca.renewCrl(malformed));
        assertTrue(e.getMessage().contains("cannot be read"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> ca.revoke(BigInteger.TEN, RevocationReason.KEY_COMPROMISE, malformed));
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            if (java.util.Arrays.equals(haystack, i, i + needle.length, needle, 0, needle.length)) {
                return i;
            }
        }
        throw new AssertionError("not found");
    }

    @Test
    void chainWhosePathLengthForbidsThisCaIsRejected() throws Exception {
        // A root with pathLenConstraint 0 signs a subordinate: the subordinate may not issue.
        SoftwareSigner rootKey = SoftwareSigner.generate(KeyAlgorithm.EC_P384, RANDOM);
        var rootName = CaNames.x500Name("cn=Strict Root");
        var builder = new org.bouncycastle.cert.X509v3CertificateBuilder(rootName, BigInteger.TWO, java.util.Date.from(NOW),
                java.util.Date.from(NOW.plus(Duration.ofDays(10))), rootName,
                org.bouncycastle.asn1.x509.SubjectPublicKeyInfo.getInstance(rootKey.publicKey().getEncoded()));
        builder.addExtension(Extension.basicConstraints, true, new org.bouncycastle.asn1.x509.BasicConstraints(0));
        X509Certificate strictRoot = CertificationAuthority.certificate(builder.build(rootKey.contentSigner()));
        var subBuilder = new org.bouncycastle.cert.X509v3CertificateBuilder(rootName, BigInteger.TEN, java.util.Date.from(NOW),
                java.util.Date.from(NOW.plus(Duration.ofDays(10))), CaNames.x500Name(CA_DN),
                org.bouncycastle.asn1.x509.SubjectPublicKeyInfo.getInstance(signer.publicKey().getEncoded()));
        subBuilder.addExtension(Extension.basicConstraints, true, new org.bouncycastle.asn1.x509.BasicConstraints(true));
        X509Certificate sub = CertificationAuthority.certificate(subBuilder.build(rootKey.contentSigner()));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new CertificationAuthority(signer,
                List.of(sub, strictRoot), StandardTemplates.all(), CLOCK, RANDOM, CertificationAuthority.Publication.at("ldap://kms.example.com:389")));
        assertTrue(e.getMessage().contains("path length constraint 0"), e.getMessage());
    }

    private static BigInteger crlNumber(X509CRL crl) {
        return ASN1Integer.getInstance(ASN1OctetString.getInstance(crl.getExtensionValue(Extension.cRLNumber.getId()))
                .getOctets()).getValue();
    }
}
