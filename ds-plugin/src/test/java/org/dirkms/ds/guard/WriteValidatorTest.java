package org.dirkms.ds.guard;

import static org.dirkms.ds.guard.AccessPolicyTest.KMS_ADMIN;
import static org.dirkms.ds.guard.AccessPolicyTest.SUPERUSER;
import static org.dirkms.ds.guard.AccessPolicyTest.AGENT;
import static org.dirkms.ds.guard.AccessPolicyTest.ALICE;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.spec.ECGenParameterSpec;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Set;

import javax.crypto.spec.SecretKeySpec;

import org.apache.directory.api.ldap.model.exception.LdapException;
import org.apache.directory.api.ldap.model.exception.LdapInvalidAttributeValueException;
import org.apache.directory.api.ldap.model.exception.LdapNoPermissionException;
import org.apache.directory.api.ldap.model.exception.LdapUnwillingToPerformException;
import org.apache.directory.api.ldap.model.message.ResultCodeEnum;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.DERSequence;
import org.bouncycastle.asn1.DERTaggedObject;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.cms.CMSObjectIdentifiers;
import org.bouncycastle.asn1.cms.ContentInfo;
import org.bouncycastle.asn1.x509.Certificate;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.cms.CMSAlgorithm;
import org.bouncycastle.cms.CMSEnvelopedDataGenerator;
import org.bouncycastle.cms.CMSProcessableByteArray;
import org.bouncycastle.cms.jcajce.JceCMSContentEncryptorBuilder;
import org.bouncycastle.cms.jcajce.JceKEKRecipientInfoGenerator;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class WriteValidatorTest {

    private static final String SERVER = "cn=kms1,ou=Servers,ou=KMS,dc=example,dc=com";
    private static final WriteValidator VALIDATOR = new WriteValidator(dn -> dn.equalsIgnoreCase(SERVER),
            dn -> dn.equalsIgnoreCase(ALICE));

    private static byte[] certificate;
    private static byte[] pkcs10;

    @BeforeAll
    static void makeCredentials() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair pair = generator.generateKeyPair();
        X500Name name = new X500Name("CN=Alice");
        certificate = new JcaX509v3CertificateBuilder(name, BigInteger.ONE, Date.from(Instant.parse("2026-01-01T00:00:00Z")),
                Date.from(Instant.parse("2027-01-01T00:00:00Z")), name, pair.getPublic())
                .build(new JcaContentSignerBuilder("SHA256withECDSA").build(pair.getPrivate())).getEncoded();
        pkcs10 = new JcaPKCS10CertificationRequestBuilder(name, pair.getPublic())
                .build(new JcaContentSignerBuilder("SHA256withECDSA").build(pair.getPrivate())).getEncoded();
    }

    private static WriteTarget user(String state) {
        return new WriteTarget(WriteTarget.Kind.MODIFY, ALICE, null, Set.of("inetOrgPerson", "kmsUser"),
                state == null ? Map.of() : Map.of("kmsenrollmentstate", List.of(state.getBytes(StandardCharsets.UTF_8))));
    }

    private static AttributeChange replace(String attribute, byte[] value) {
        return new AttributeChange(attribute, AttributeChange.Operation.REPLACE, List.of(value));
    }

    private static AttributeChange replace(String attribute, String value) {
        return replace(attribute, value.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void theRequiredApprovalsAreACountFromOneToAHundred() {
        WriteTarget server = new WriteTarget(WriteTarget.Kind.MODIFY, SERVER, null, Set.of("kmsServer"), Map.of());
        assertDoesNotThrow(() -> VALIDATOR.validate(AGENT, server, List.of(replace("kmsrequiredapprovals", "3"))));
        for (String bad : List.of("0", "-2", "101")) {
            LdapInvalidAttributeValueException e = assertThrows(LdapInvalidAttributeValueException.class,
                    () -> VALIDATOR.validate(AGENT, server, List.of(replace("kmsrequiredapprovals", bad))));
            assertEquals(ResultCodeEnum.CONSTRAINT_VIOLATION, e.getResultCode());
            assertEquals("kmsRequiredApprovals '" + bad + "' is not a whole number from 1 to 100", e.getMessage());
        }
    }

    @Test
    void aCrlDistributionPointIsAnLdapUrlWithHostAndBaseScopeOrAnHttpUrl() {
        WriteTarget ca = new WriteTarget(WriteTarget.Kind.MODIFY,
                "cn=Example Root CA,ou=Certification Authorities,ou=KMS,dc=example,dc=com", null,
                Set.of("kmsCertificationAuthority", "pkiCA"), Map.of());
        String ldap = "ldap://kms.example.com:389/cn=Example%20Root%20CA,ou=Certification%20Authorities,ou=KMS,"
                + "dc=example,dc=com?certificateRevocationList;binary?base";
        assertDoesNotThrow(() -> VALIDATOR.validate(AGENT, ca, List.of(new AttributeChange("kmscrldistributionpoint",
                AttributeChange.Operation.REPLACE, List.of(ldap.getBytes(StandardCharsets.UTF_8),
                        "http://pki.example.com/root.crl".getBytes(StandardCharsets.UTF_8))))));
        for (String bad : List.of("ldap:///cn=Example%20Root%20CA,dc=example,dc=com?certificateRevocationList;binary",
                ldap.replace("?base", "?sub"), "ldap://kms.example.com:389/no%20dn?certificateRevocationList;binary?base",
                "https://pki.example.com/root.crl", "file:///etc/passwd")) {
            LdapInvalidAttributeValueException e = assertThrows(LdapInvalidAttributeValueException.class,
                    () -> VALIDATOR.validate(AGENT, ca, List.of(replace("kmscrldistributionpoint", bad))), bad);
            assertEquals(ResultCodeEnum.INVALID_ATTRIBUTE_SYNTAX, e.getResultCode(), bad);
            assertTrue(e.getMessage().startsWith("kmsCrlDistributionPoint is not a CRL distribution point"), e.getMessage());
        }
    }

    @Test
    void theOcspAndCaIssuersUrlsOfACaAreHttpUrlsWithAHost() {
        WriteTarget ca = new WriteTarget(WriteTarget.Kind.MODIFY,
                "cn=Example Root CA,ou=Certification Authorities,ou=KMS,dc=example,dc=com", null,
                Set.of("kmsCertificationAuthority", "pkiCA"), Map.of());
        for (String attribute : List.of("kmsOcspUrl", "kmsCaIssuersUrl")) {
            assertDoesNotThrow(() -> VALIDATOR.validate(AGENT, ca, List.of(replace(attribute.toLowerCase(java.util.Locale.ROOT),
                    "http://pki.example.com:10080/ocsp"))));
            for (String bad : List.of("https://pki.example.com/ocsp", "http:///ocsp", "ldap://kms.example.com:389/",
                    "not a url")) {
                LdapInvalidAttributeValueException e = assertThrows(LdapInvalidAttributeValueException.class,
                        () -> VALIDATOR.validate(AGENT, ca, List.of(replace(attribute.toLowerCase(java.util.Locale.ROOT),
                                bad))), bad);
                assertEquals(ResultCodeEnum.INVALID_ATTRIBUTE_SYNTAX, e.getResultCode(), bad);
                assertTrue(e.getMessage().startsWith(attribute + " is not an authority information access location"),
                        e.getMessage());
            }
        }
    }

    @Test
    void theCertificateOfARecoveryRequestIsACertificate() {
        WriteTarget request = new WriteTarget(WriteTarget.Kind.ADD, "cn=r1,ou=recovery requests,ou=kms,dc=example,dc=com",
                null, Set.of("kmsRecoveryRequest"), Map.of());
        assertDoesNotThrow(() -> VALIDATOR.validate(KMS_ADMIN, request, List.of(new AttributeChange(
                "kmsrecoverycertificate", AttributeChange.Operation.ADD, List.of(certificate)))));
        LdapInvalidAttributeValueException e = assertThrows(LdapInvalidAttributeValueException.class,
                () -> VALIDATOR.validate(KMS_ADMIN, request, List.of(new AttributeChange("kmsrecoverycertificate",
                        AttributeChange.Operation.ADD, List.of(pkcs10)))));
        assertEquals(ResultCodeEnum.INVALID_ATTRIBUTE_SYNTAX, e.getResultCode());
        assertTrue(e.getMessage().startsWith("kmsRecoveryCertificate is not an X.509 certificate"), e.getMessage());
    }

    @Test
    void theRequestKeyOfARecoveryIsACertificate() {
        WriteTarget session = new WriteTarget(WriteTarget.Kind.ADD, "cn=s1,ou=recovery requests,ou=kms,dc=example,dc=com",
                null, Set.of("kmsCustodySession"), Map.of());
        assertDoesNotThrow(() -> VALIDATOR.validate(AGENT, session, List.of(new AttributeChange("kmsrequestkey",
                AttributeChange.Operation.ADD, List.of(certificate)))));
        LdapInvalidAttributeValueException e = assertThrows(LdapInvalidAttributeValueException.class,
                () -> VALIDATOR.validate(AGENT, session, List.of(new AttributeChange("kmsrequestkey",
                        AttributeChange.Operation.ADD, List.of(pkcs10)))));
        assertEquals(ResultCodeEnum.INVALID_ATTRIBUTE_SYNTAX, e.getResultCode());
        assertTrue(e.getMessage().startsWith("kmsRequestKey is not an X.509 certificate"), e.getMessage());
    }

    @Test
    void aCustodyShareGivenBackIsCmsEnvelopedData() throws Exception {
        WriteTarget request = new WriteTarget(WriteTarget.Kind.MODIFY, "cn=r1,ou=recovery requests,ou=kms,dc=example,dc=com",
                null, Set.of("kmsRecoveryRequest"), Map.of());
        // RFC 5652 section 6.2.3 (KEKRecipientInfo) keeps the test free of a recipient certificate.
        byte[] kek = new byte[32];
        new SecureRandom().nextBytes(kek);
        CMSEnvelopedDataGenerator generator = new CMSEnvelopedDataGenerator();
        generator.addRecipientInfoGenerator(new JceKEKRecipientInfoGenerator("custody".getBytes(StandardCharsets.UTF_8),
                new SecretKeySpec(kek, "AES")));
        byte[] enveloped = generator.generate(new CMSProcessableByteArray("share".getBytes(StandardCharsets.UTF_8)),
                new JceCMSContentEncryptorBuilder(CMSAlgorithm.AES256_CBC).build()).getEncoded();
        assertDoesNotThrow(() -> VALIDATOR.validate(AccessPolicyTest.RECOVERY_AGENT, request, List.of(
                new AttributeChange("kmsrecoveryshare", AttributeChange.Operation.ADD, List.of(enveloped)))));
        byte[] data = new ContentInfo(CMSObjectIdentifiers.data, new DEROctetString(new byte[] {1, 2, 3})).getEncoded();
        Map<byte[], String> bad = Map.of(data, "is a CMS ContentInfo of 1.2.840.113549.1.7.1, not of EnvelopedData",
                certificate, "is not a CMS ContentInfo", "PEM text".getBytes(StandardCharsets.US_ASCII),
                "is not a CMS ContentInfo of EnvelopedData in DER");
        for (Map.Entry<byte[], String> value : bad.entrySet()) {
            LdapInvalidAttributeValueException e = assertThrows(LdapInvalidAttributeValueException.class,
                    () -> VALIDATOR.validate(AccessPolicyTest.RECOVERY_AGENT, request, List.of(new AttributeChange(
                            "kmsrecoveryshare", AttributeChange.Operation.ADD, List.of(value.getKey())))));
            assertEquals(ResultCodeEnum.INVALID_ATTRIBUTE_SYNTAX, e.getResultCode());
            assertTrue(e.getMessage().startsWith("kmsRecoveryShare " + value.getValue()), e.getMessage());
        }
    }

    @Test
    void anEnumeratedValueOutsideTheEnumerationIsAConstraintViolationNamingEveryValue() {
        LdapInvalidAttributeValueException e = assertThrows(LdapInvalidAttributeValueException.class,
                () -> VALIDATOR.validate(KMS_ADMIN, user(null), List.of(replace("kmsenrollmentstate", "enroled"))));
        assertEquals(ResultCodeEnum.CONSTRAINT_VIOLATION, e.getResultCode());
        assertEquals("kmsEnrollmentState 'enroled' is not one of: requested, in-progress, enrolled, failed, "
                + "revoke-requested, revoked", e.getMessage());
        assertThrows(LdapInvalidAttributeValueException.class,
                () -> VALIDATOR.validate(AGENT, user(null), List.of(replace("kmskeyalgorithm", "dsa-512"))));
    }

    @Test
    void administratorsRequestAndRevokeButOnlyAgentsCompleteTheStateMachine() throws LdapException {
        for (String from : new String[] { null, "failed", "revoked", "enrolled" }) {
            VALIDATOR.validate(KMS_ADMIN, user(from), List.of(replace("kmsenrollmentstate", "requested")));
        }
        VALIDATOR.validate(KMS_ADMIN, user("enrolled"), List.of(replace("kmsenrollmentstate", "revoke-requested")));
        assertThrows(LdapUnwillingToPerformException.class,
                () -> VALIDATOR.validate(KMS_ADMIN, user("requested"), List.of(replace("kmsenrollmentstate", "revoke-requested"))));
        LdapUnwillingToPerformException busy = assertThrows(LdapUnwillingToPerformException.class,
                () -> VALIDATOR.validate(KMS_ADMIN, user("in-progress"), List.of(replace("kmsenrollmentstate", "requested"))));
        assertTrue(busy.getMessage().contains("in-progress"), busy.getMessage());
        for (String agentOnly : new String[] { "in-progress", "enrolled", "failed", "revoked" }) {
            LdapNoPermissionException e = assertThrows(LdapNoPermissionException.class,
                    () -> VALIDATOR.validate(KMS_ADMIN, user("requested"), List.of(replace("kmsenrollmentstate", agentOnly))));
            assertTrue(e.getMessage().startsWith("only a KMS agent may set kmsEnrollmentState '" + agentOnly + "'"));
            VALIDATOR.validate(AGENT, user("requested"), List.of(replace("kmsenrollmentstate", agentOnly)));
        }
    }

    @Test
    void newRequestsByAdministratorsStartPending() throws LdapException {
        WriteTarget add = new WriteTarget(WriteTarget.Kind.ADD, "cn=r,ou=recovery requests,ou=kms,dc=example,dc=com",
                null, Set.of("kmsRecoveryRequest"), Map.of());
        VALIDATOR.validate(KMS_ADMIN, add, List.of(new AttributeChange("kmsrecoverystate", AttributeChange.Operation.ADD,
                List.of("pending".getBytes(StandardCharsets.UTF_8)))));
        assertThrows(LdapNoPermissionException.class, () -> VALIDATOR.validate(KMS_ADMIN, add, List.of(new AttributeChange(
                "kmsrecoverystate", AttributeChange.Operation.ADD, List.of("approved".getBytes(StandardCharsets.UTF_8))))));
    }

    @Test
    void certificatesMustBeDerCertificates() throws Exception {
        VALIDATOR.validate(AGENT, user(null), List.of(replace("usercertificate", certificate)));
        LdapInvalidAttributeValueException garbage = assertThrows(LdapInvalidAttributeValueException.class,
                () -> VALIDATOR.validate(AGENT, user(null), List.of(replace("usercertificate", "garbage"))));
        assertEquals(ResultCodeEnum.INVALID_ATTRIBUTE_SYNTAX, garbage.getResultCode());
        assertTrue(garbage.getMessage().startsWith("userCertificate is not an X.509 certificate in DER"),
                garbage.getMessage());
        byte[] trailing = java.util.Arrays.copyOf(certificate, certificate.length + 1);
        assertThrows(LdapInvalidAttributeValueException.class,
                () -> VALIDATOR.validate(AGENT, user(null), List.of(replace("cacertificate", trailing))));
        assertThrows(LdapInvalidAttributeValueException.class,
                () -> VALIDATOR.validate(AGENT, user(null), List.of(replace("certificaterevocationlist", certificate))));
    }

    @Test
    void aCrossCertificatePairHoldsTaggedCertificates() throws Exception {
        Certificate parsed = Certificate.getInstance(certificate);
        byte[] pair = new DERSequence(new DERTaggedObject(true, 0, parsed)).getEncoded();
        VALIDATOR.validate(AGENT, user(null), List.of(replace("crosscertificatepair", pair)));
        byte[] untagged = new DERSequence(parsed).getEncoded();
        LdapInvalidAttributeValueException e = assertThrows(LdapInvalidAttributeValueException.class,
                () -> VALIDATOR.validate(AGENT, user(null), List.of(replace("crosscertificatepair", untagged))));
        assertTrue(e.getMessage().contains("RFC 4523"), e.getMessage());
    }

    @Test
    void aSigningRequestMustVerify() throws Exception {
        VALIDATOR.validate(AGENT, user(null), List.of(replace("kmssigningrequest", pkcs10)));
        byte[] tampered = pkcs10.clone();
        tampered[tampered.length - 5] ^= 0x01; // inside the signature
        LdapInvalidAttributeValueException e = assertThrows(LdapInvalidAttributeValueException.class,
                () -> VALIDATOR.validate(AGENT, user(null), List.of(replace("kmspkcs10request", tampered))));
        assertEquals(ResultCodeEnum.INVALID_ATTRIBUTE_SYNTAX, e.getResultCode());
        assertTrue(e.getMessage().startsWith("kmsPkcs10Request "), e.getMessage());
    }

    /**
     * Found by ServerFuzzIT: the JDK's X.509 factory and Bouncy Castle put Java exception class
     * names in their messages ("Could not parse certificate: java.io.IOException: Too short"), and
     * some exceptions have none (EOFException); the refusal a client reads names neither.
     */
    @Test
    void aRefusalOfAMalformedValueCarriesNoJavaExceptionText() {
        byte[] shortCertificate = java.util.Arrays.copyOf(certificate, certificate.length);
        shortCertificate[5] = 0; // the TBSCertificate claims no content: "Too short" inside the JDK
        byte[] indefiniteWithoutEnd = {0x30, (byte) 0x80, 0x02, 0x01, 0x01};
        byte[] notAnOid = certificate.clone();
        for (int i = 0; i < notAnOid.length - 2; i++) {
            if (notAnOid[i] == 0x06 && notAnOid[i + 1] == 0x08) { // the signature algorithm's OID
                notAnOid[i] = 0x0c;
                break;
            }
        }
        for (String attribute : List.of("usercertificate", "cacertificate", "kmstransportcertificate",
                "certificaterevocationlist", "crosscertificatepair", "usersmimecertificate", "kmssigningrequest")) {
            for (byte[] value : List.of(shortCertificate, indefiniteWithoutEnd, notAnOid)) {
                LdapInvalidAttributeValueException e = assertThrows(LdapInvalidAttributeValueException.class,
                        () -> VALIDATOR.validate(AGENT, user(null), List.of(replace(attribute, value))), attribute);
                assertEquals(ResultCodeEnum.INVALID_ATTRIBUTE_SYNTAX, e.getResultCode());
                for (String javaText : List.of("Exception", "java.", "org.bouncycastle", "\tat ")) {
                    assertFalse(e.getMessage().contains(javaText), attribute + ": " + e.getMessage());
                }
            }
        }
    }

    /**
     * Found by ServerFuzzIT: kmsDeliveryKey, the PKCS#10 of the key a user's client made to seal
     * the key package to, accepted anything; like the other PKCS#10 attributes it must be a
     * request whose self-signature verifies.
     */
    @Test
    void aDeliveryKeyIsAVerifiedSigningRequest() throws Exception {
        VALIDATOR.validate(AGENT, user(null), List.of(replace("kmsdeliverykey", pkcs10)));
        for (byte[] value : List.of("not a request".getBytes(StandardCharsets.UTF_8), certificate, tampered(pkcs10))) {
            LdapInvalidAttributeValueException e = assertThrows(LdapInvalidAttributeValueException.class,
                    () -> VALIDATOR.validate(KMS_ADMIN, user(null), List.of(replace("kmsdeliverykey", value))));
            assertEquals(ResultCodeEnum.INVALID_ATTRIBUTE_SYNTAX, e.getResultCode());
            assertTrue(e.getMessage().startsWith("kmsDeliveryKey "), e.getMessage());
        }
    }

    private static byte[] tampered(byte[] der) {
        byte[] copy = der.clone();
        copy[copy.length - 5] ^= 0x01; // inside the signature
        return copy;
    }

    @Test
    void anAssignedServerMustBeAKmsServer() {
        assertDoesNotThrow(() -> VALIDATOR.validate(KMS_ADMIN, user(null), List.of(replace("kmsassignedserver", SERVER))));
        LdapInvalidAttributeValueException e = assertThrows(LdapInvalidAttributeValueException.class,
                () -> VALIDATOR.validate(KMS_ADMIN, user(null), List.of(replace("kmsassignedserver", "cn=nope,dc=example,dc=com"))));
        assertEquals(ResultCodeEnum.CONSTRAINT_VIOLATION, e.getResultCode());
    }

    @Test
    void aRecoveryTargetMustExistAndADeliveryKeyMustBeASignedRequest() throws Exception {
        WriteTarget add = new WriteTarget(WriteTarget.Kind.ADD, "cn=r,ou=recovery requests,ou=kms,dc=example,dc=com",
                null, Set.of("kmsRecoveryRequest"), Map.of());
        VALIDATOR.validate(KMS_ADMIN, add, List.of(replace("kmsrecoverytarget", ALICE)));
        LdapInvalidAttributeValueException missing = assertThrows(LdapInvalidAttributeValueException.class,
                () -> VALIDATOR.validate(KMS_ADMIN, add, List.of(replace("kmsrecoverytarget", "uid=nobody,dc=example,dc=com"))));
        assertEquals(ResultCodeEnum.CONSTRAINT_VIOLATION, missing.getResultCode());
        VALIDATOR.validate(AccessPolicyTest.ALICE_USER, user(null), List.of(replace("kmsdeliverykey", pkcs10)));
        assertThrows(LdapInvalidAttributeValueException.class, () -> VALIDATOR.validate(AccessPolicyTest.ALICE_USER,
                user(null), List.of(replace("kmsdeliverykey", certificate))));
    }

    @Test
    void aCrlIsReplacedOnlyByANewerOneOfTheSameIssuer() throws Exception {
        KeyPair ca = ecKeyPair();
        byte[] crl5 = crl(ca, "CN=CA", 5);
        byte[] crl4 = crl(ca, "CN=CA", 4);
        byte[] crl6 = crl(ca, "CN=CA", 6);
        byte[] otherIssuer = crl(ca, "CN=Other CA", 1);
        WriteTarget caEntry = new WriteTarget(WriteTarget.Kind.MODIFY, "cn=ca,ou=certification authorities,ou=kms,dc=example,dc=com",
                null, Set.of("kmsCertificationAuthority"), Map.of("certificaterevocationlist", List.of(crl5)));
        LdapInvalidAttributeValueException older = assertThrows(LdapInvalidAttributeValueException.class,
                () -> VALIDATOR.validate(AGENT, caEntry, List.of(replace("certificaterevocationlist", crl4))));
        assertEquals(ResultCodeEnum.CONSTRAINT_VIOLATION, older.getResultCode());
        assertTrue(older.getMessage().contains("CRL number 5") && older.getMessage().contains("RFC 5280"), older.getMessage());
        assertThrows(LdapInvalidAttributeValueException.class,
                () -> VALIDATOR.validate(AGENT, caEntry, List.of(replace("certificaterevocationlist", crl5))));
        VALIDATOR.validate(AGENT, caEntry, List.of(new AttributeChange("certificaterevocationlist",
                AttributeChange.Operation.ADD, List.of(crl6)), new AttributeChange("certificaterevocationlist",
                        AttributeChange.Operation.REMOVE, List.of(crl5))));
        VALIDATOR.validate(AGENT, caEntry, List.of(replace("certificaterevocationlist", otherIssuer)));
    }

    @Test
    void aCertificatePublishedByAPersonNamesTheEntrysAddressesOnly() throws Exception {
        KeyPair pair = ecKeyPair();
        byte[] mine = certificateFor(pair, "alice@example.com");
        byte[] ceo = certificateFor(pair, "ceo@example.com");
        WriteTarget entry = new WriteTarget(WriteTarget.Kind.MODIFY, ALICE, null, Set.of("inetOrgPerson"),
                Map.of("mail", List.of("Alice@Example.com".getBytes(StandardCharsets.UTF_8))));
        VALIDATOR.validate(AccessPolicyTest.ALICE_USER, entry, List.of(replace("usercertificate", mine)));
        LdapInvalidAttributeValueException other = assertThrows(LdapInvalidAttributeValueException.class,
                () -> VALIDATOR.validate(AccessPolicyTest.ALICE_USER, entry, List.of(replace("usercertificate", ceo))));
        assertEquals(ResultCodeEnum.CONSTRAINT_VIOLATION, other.getResultCode());
        assertTrue(other.getMessage().contains("'ceo@example.com'"), other.getMessage());
        LdapInvalidAttributeValueException none = assertThrows(LdapInvalidAttributeValueException.class,
                () -> VALIDATOR.validate(SUPERUSER, entry, List.of(replace("usercertificate", certificate))));
        assertTrue(none.getMessage().contains("names no e-mail address"), none.getMessage());
        // The same write may give the entry the address first.
        VALIDATOR.validate(SUPERUSER, entry, List.of(replace("mail", "ceo@example.com"), replace("usercertificate", ceo)));
        VALIDATOR.validate(AGENT, entry, List.of(replace("usercertificate", ceo)));
    }

    private static KeyPair ecKeyPair() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        return generator.generateKeyPair();
    }

    private static byte[] certificateFor(KeyPair pair, String address) throws Exception {
        X500Name name = new X500Name("CN=Someone");
        return new JcaX509v3CertificateBuilder(name, BigInteger.TWO, Date.from(Instant.parse("2026-01-01T00:00:00Z")),
                Date.from(Instant.parse("2027-01-01T00:00:00Z")), name, pair.getPublic())
                .addExtension(org.bouncycastle.asn1.x509.Extension.subjectAlternativeName, false,
                        new org.bouncycastle.asn1.x509.GeneralNames(new org.bouncycastle.asn1.x509.GeneralName(
                                org.bouncycastle.asn1.x509.GeneralName.rfc822Name, address)))
                .build(new JcaContentSignerBuilder("SHA256withECDSA").build(pair.getPrivate())).getEncoded();
    }

    private static byte[] crl(KeyPair ca, String issuer, int number) throws Exception {
        org.bouncycastle.cert.X509v2CRLBuilder builder = new org.bouncycastle.cert.X509v2CRLBuilder(new X500Name(issuer),
                Date.from(Instant.parse("2026-06-01T00:00:00Z")));
        builder.addExtension(org.bouncycastle.asn1.x509.Extension.cRLNumber, false,
                new org.bouncycastle.asn1.x509.CRLNumber(BigInteger.valueOf(number)));
        return builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(ca.getPrivate())).getEncoded();
    }
}
