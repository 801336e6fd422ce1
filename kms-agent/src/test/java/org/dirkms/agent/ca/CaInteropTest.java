package org.dirkms.agent.ca;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.SecureRandom;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.dirkms.schema.CrlDistributionPoints;
import org.dirkms.schema.KeyAlgorithm;
import org.dirkms.schema.RevocationReason;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CA's output judged by independent tools: every template's certificate verifies with
 * {@code openssl verify -x509_strict} for its purpose and imports into gpgsm as valid; a
 * revoked certificate fails {@code openssl verify -crl_check}; a subordinate under a root made
 * with plain openssl issues certificates that verify against that root alone.
 *
 * <p>The root is RSA-3072, the default CA key (generated once for the class); end entities
 * are EC P-256, and RSA-2048 where RSA's keyEncipherment is under test.
 */
class CaInteropTest {
    private static final String ROOT_DN = "cn=Example Root CA,ou=Certification Authorities,ou=KMS,dc=example,dc=com";
    private static final String ALICE = "uid=alice,ou=People,dc=example,dc=com";
    private static final String ALICE_MAIL = "alice@example.com";

    @TempDir
    static Path work;
    private static CertificationAuthority root;
    private static Path rootPem;
    private static Path gnupgHome;

    @BeforeAll
    static void createRoot() {
        ExternalTool.require("openssl", "openssl");
        ExternalTool.require("gpgsm", "gpgsm");
        SecureRandom random = new SecureRandom();
        Clock clock = Clock.systemUTC();
        SoftwareSigner signer = SoftwareSigner.generate(KeyAlgorithm.RSA_3072, random);
        X509Certificate certificate = CaSetup.selfSignedRoot(signer, ROOT_DN, Duration.ofDays(3650), clock, random);
        root = new CertificationAuthority(signer, List.of(certificate), StandardTemplates.all(), clock, random,
                new CertificationAuthority.Publication(null, List.of(CrlDistributionPoints.ldap(
                        "ldap://kms.example.com:389", ROOT_DN), "http://pki.example.com/root.crl"),
                        null, "http://pki.example.com/root.crt", null, Duration.ofDays(7)));
        rootPem = TestKeys.writePem(work.resolve("root.pem"), certificate);
        gnupgHome = work.resolve("gnupg");
    }

    @AfterAll
    static void stopAgent() {
        if (gnupgHome != null && Files.isDirectory(gnupgHome)) {
            ExternalTool.run(work, Map.of("GNUPGHOME", gnupgHome.toString()), List.of("gpgconf", "--kill", "all"));
        }
    }

    @Test
    void rootCertificateIsAStrictSelfSignedCa() {
        String text = ExternalTool.succeed(work, Map.of(), "openssl", "x509", "-in", rootPem.toString(), "-noout", "-text",
                "-nameopt", "RFC2253");
        assertTrue(text.contains("CA:TRUE"), text);
        assertTrue(text.contains("Certificate Sign, CRL Sign"), text);
        assertTrue(text.contains("Subject: CN=Example Root CA,OU=Certification Authorities,OU=KMS,DC=example,DC=com"), text);
        ExternalTool.succeed(work, Map.of(), "openssl", "verify", "-x509_strict", "-CAfile", rootPem.toString(),
                rootPem.toString());
    }

    @Test
    void signingCertificatePassesOpensslAndGpgsm() throws Exception {
        X509Certificate certificate = issue(StandardTemplates.SMIME_SIGNATURE, TestKeys.ecP256());
        verify(certificate, "smimesign", "signing");
        gpgsmAcceptsAsValid(certificate, "signing");
        String text = ExternalTool.succeed(work, Map.of(), "openssl", "x509", "-in", work.resolve("signing.pem").toString(),
                "-noout", "-text");
        assertTrue(text.contains("email:" + ALICE_MAIL), text);
        // RFC 4516: host and port, the CA entry as base, the base scope, so that a client reads
        // the one entry instead of searching its directory (docs/interoperability.md).
        assertTrue(text.contains("URI:ldap://kms.example.com:389/cn=Example%20Root%20CA,ou=Certification%20Authorities,"
                + "ou=KMS,dc=example,dc=com?certificateRevocationList;binary?base"), text);
        assertTrue(text.contains("URI:http://pki.example.com/root.crl"), text);
        assertTrue(text.contains("CA Issuers - URI:ldap://kms.example.com:389/cn=Example%20Root%20CA,"
                + "ou=Certification%20Authorities,ou=KMS,dc=example,dc=com?cACertificate;binary?base"), text);
    }

    @Test
    void rsaEncryptionCertificateGetsKeyEnciphermentAndPassesSmimeEncrypt() throws Exception {
        X509Certificate certificate = issue(StandardTemplates.SMIME_ENCRYPTION, TestKeys.rsa(2048));
        assertTrue(certificate.getKeyUsage()[2], "keyEncipherment");
        assertTrue(!certificate.getKeyUsage()[4], "no keyAgreement for RSA");
        verify(certificate, "smimeencrypt", "encryption-rsa");
        gpgsmAcceptsAsValid(certificate, "encryption-rsa");
    }

    @Test
    void ecEncryptionCertificateGetsKeyAgreement() throws Exception {
        X509Certificate certificate = issue(StandardTemplates.SMIME_ENCRYPTION, TestKeys.ecP256());
        assertTrue(certificate.getKeyUsage()[4], "keyAgreement");
        assertTrue(!certificate.getKeyUsage()[2], "no keyEncipherment for EC");
        // OpenSSL's smimeencrypt purpose demands keyEncipherment, which an EC key cannot do
        // (RFC 5480 section 3); the chain and S/MIME extended key usage are checked with -purpose any.
        verify(certificate, "any", "encryption-ec");
        gpgsmAcceptsAsValid(certificate, "encryption-ec");
    }

    @Test
    void singleKeyCertificatePassesBothSmimePurposes() throws Exception {
        X509Certificate certificate = issue(StandardTemplates.SMIME_SINGLE_KEY, TestKeys.rsa(2048));
        verify(certificate, "smimesign", "single-key");
        verify(certificate, "smimeencrypt", "single-key");
        gpgsmAcceptsAsValid(certificate, "single-key");
    }

    @Test
    void keyRecoveryAgentAndTrustListCertificatesVerify() throws Exception {
        X509Certificate recovery = issue(StandardTemplates.KEY_RECOVERY_AGENT, TestKeys.ecP256());
        verify(recovery, "any", "recovery-agent");
        gpgsmAcceptsAsValid(recovery, "recovery-agent");
        X509Certificate trustList = issue(StandardTemplates.TRUST_LIST_SIGNING, TestKeys.ecP256());
        verify(trustList, "any", "trust-list");
        gpgsmAcceptsAsValid(trustList, "trust-list");
        assertEquals(List.of(ExtendedKeyUsages.TRUST_LIST_SIGNING), trustList.getExtendedKeyUsage());
        assertEquals(List.of(ExtendedKeyUsages.KEY_RECOVERY_AGENT), recovery.getExtendedKeyUsage());
    }

    @Test
    void ldapServerCertificatePassesSslServerWithHostAndLoopbackNames() throws Exception {
        KeyPair keys = TestKeys.ecP256();
        X509Certificate certificate = root.issue(IssuanceRequest.forServer(StandardTemplates.LDAP_SERVER,
                TestKeys.request(keys), "cn=ldap.example.com,ou=Servers,ou=KMS,dc=example,dc=com",
                List.of("ldap.example.com", "localhost"), List.of("127.0.0.1", "::1")));
        Path pem = TestKeys.writePem(work.resolve("server.pem"), certificate);
        ExternalTool.succeed(work, Map.of(), "openssl", "verify", "-x509_strict", "-purpose", "sslserver",
                "-CAfile", rootPem.toString(), pem.toString());
        ExternalTool.succeed(work, Map.of(), "openssl", "x509", "-in", pem.toString(), "-noout", "-checkhost", "localhost");
        String ip = ExternalTool.succeed(work, Map.of(), "openssl", "x509", "-in", pem.toString(), "-noout",
                "-checkip", "127.0.0.1");
        assertTrue(ip.contains("does match"), ip);
        gpgsmAcceptsAsValid(certificate, "server");
    }

    @Test
    void legacyTemplateYieldsAVersion1CertificateOpensslParses() throws Exception {
        X509Certificate certificate = issue(StandardTemplates.LEGACY_V1, TestKeys.ecP256());
        assertEquals(1, certificate.getVersion());
        Path pem = TestKeys.writePem(work.resolve("legacy.pem"), certificate);
        String text = ExternalTool.succeed(work, Map.of(), "openssl", "x509", "-in", pem.toString(), "-noout", "-text");
        assertTrue(text.contains("Version: 1 (0x0)"), text);
        assertTrue(!text.contains("X509v3 extensions"), text);
    }

    @Test
    void signingAndEncryptionCertificatesShareSubjectAndIssuer() throws Exception {
        X509Certificate signing = issue(StandardTemplates.SMIME_SIGNATURE, TestKeys.ecP256());
        X509Certificate encryption = issue(StandardTemplates.SMIME_ENCRYPTION, TestKeys.ecP256());
        assertEquals(signing.getSubjectX500Principal(), encryption.getSubjectX500Principal());
        assertEquals(signing.getIssuerX500Principal(), encryption.getIssuerX500Principal());
        assertArrayEqualsBytes(signing.getSubjectX500Principal().getEncoded(), encryption.getSubjectX500Principal().getEncoded());
        assertNotEquals(signing.getSerialNumber(), encryption.getSerialNumber());
    }

    @Test
    void revokedCertificateFailsCrlCheckAndOthersPass() throws Exception {
        X509Certificate revoked = issue(StandardTemplates.SMIME_SIGNATURE, TestKeys.ecP256());
        X509Certificate kept = issue(StandardTemplates.SMIME_SIGNATURE, TestKeys.ecP256());
        X509CRL first = root.revoke(revoked.getSerialNumber(), RevocationReason.KEY_COMPROMISE, null);
        X509CRL crl = root.renewCrl(first);
        Path crlPem = TestKeys.writePem(work.resolve("crl.pem"), crl);
        Path revokedPem = TestKeys.writePem(work.resolve("revoked.pem"), revoked);
        Path keptPem = TestKeys.writePem(work.resolve("kept.pem"), kept);
        ExternalTool.Result result = ExternalTool.run(work, Map.of(), List.of("openssl", "verify", "-x509_strict",
                "-crl_check", "-CRLfile", crlPem.toString(), "-CAfile", rootPem.toString(), revokedPem.toString()));
        assertNotEquals(0, result.exitCode(), result.output());
        assertTrue(result.output().contains("certificate revoked"), result.output());
        ExternalTool.succeed(work, Map.of(), "openssl", "verify", "-x509_strict", "-crl_check", "-CRLfile",
                crlPem.toString(), "-CAfile", rootPem.toString(), keptPem.toString());
        String text = ExternalTool.succeed(work, Map.of(), "openssl", "crl", "-in", crlPem.toString(), "-noout", "-text");
        assertTrue(text.contains("Version 2"), text);
        assertTrue(text.contains("X509v3 CRL Number: \n                2"), text);
        assertTrue(text.contains("Key Compromise"), text);
        assertTrue(text.contains("Next Update"), text);
        assertTrue(text.contains("X509v3 Authority Key Identifier"), text);
    }

    @Test
    void subordinateUnderAnOpensslRootIssuesCertificatesThatVerifyAgainstThatRootAlone() throws Exception {
        Path dir = Files.createDirectories(work.resolve("outside"));
        // The outside root, made as an outside CA would, with plain openssl.
        ExternalTool.succeed(dir, Map.of(), "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                "ec_paramgen_curve:P-256", "-nodes", "-keyout", "outside-root.key", "-out", "outside-root.pem",
                "-days", "3650", "-subj", "/O=Outside Trust/CN=Outside Root",
                "-addext", "basicConstraints=critical,CA:TRUE",
                "-addext", "keyUsage=critical,keyCertSign,cRLSign");
        SecureRandom random = new SecureRandom();
        String subDn = "cn=Example Issuing CA,ou=Certification Authorities,ou=KMS,dc=example,dc=com";
        SoftwareSigner subKey = SoftwareSigner.generate(KeyAlgorithm.EC_P384, random);
        Files.write(dir.resolve("sub.csr"), CaSetup.subordinateRequest(subKey, subDn));
        Files.writeString(dir.resolve("sub.ext"), String.join("\n",
                "basicConstraints=critical,CA:TRUE,pathlen:0",
                "keyUsage=critical,keyCertSign,cRLSign",
                "subjectKeyIdentifier=hash",
                "authorityKeyIdentifier=keyid",
                "nameConstraints=critical,permitted;email:.example.com,permitted;email:example.com,"
                        + "permitted;DNS:example.com,permitted;dirName:dc_example",
                "[dc_example]", "0.DC=com", "1.DC=example", ""));
        ExternalTool.succeed(dir, Map.of(), "openssl", "x509", "-req", "-inform", "DER", "-in", "sub.csr",
                "-CA", "outside-root.pem", "-CAkey", "outside-root.key", "-CAcreateserial", "-days", "1825",
                "-extfile", "sub.ext", "-out", "sub.pem");
        X509Certificate outsideRoot = read(dir.resolve("outside-root.pem"));
        X509Certificate subCertificate = read(dir.resolve("sub.pem"));
        List<X509Certificate> installed = CaSetup.installSubordinate(subKey, subDn, subCertificate, List.of(outsideRoot),
                Clock.systemUTC());
        assertEquals(2, installed.size());
        CertificationAuthority sub = new CertificationAuthority(subKey, installed, StandardTemplates.all(),
                Clock.systemUTC(), random, CertificationAuthority.Publication.at("ldap://kms.example.com:389"));

        X509Certificate leaf = sub.issue(IssuanceRequest.forPerson(StandardTemplates.SMIME_SIGNATURE,
                TestKeys.request(TestKeys.ecP256()), ALICE, List.of(ALICE_MAIL)));
        Path leafPem = TestKeys.writePem(dir.resolve("leaf.pem"), leaf);
        ExternalTool.succeed(dir, Map.of(), "openssl", "verify", "-x509_strict", "-purpose", "smimesign",
                "-CAfile", "outside-root.pem", "-untrusted", "sub.pem", leafPem.toString());

        // The subordinate's name constraints are enforced before signing, not left to relying parties.
        IssuanceRefusedException refused = org.junit.jupiter.api.Assertions.assertThrows(IssuanceRefusedException.class,
                () -> sub.issue(IssuanceRequest.forPerson(StandardTemplates.SMIME_SIGNATURE,
                        TestKeys.request(TestKeys.ecP256()), "uid=mallory,ou=People,dc=example,dc=org",
                        List.of("mallory@example.org"))));
        assertEquals(IssuanceRefusedException.Kind.CA_POLICY, refused.kind());
        assertTrue(refused.getMessage().contains("outside the name constraints"), refused.getMessage());

        // A certificate for another key, or one that does not chain to the given root, is not installed.
        SoftwareSigner otherKey = SoftwareSigner.generate(KeyAlgorithm.EC_P384, random);
        IllegalArgumentException wrongKey = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> CaSetup.installSubordinate(otherKey, subDn, subCertificate, List.of(outsideRoot), Clock.systemUTC()));
        assertTrue(wrongKey.getMessage().contains("not for this CA's key"), wrongKey.getMessage());
        IllegalArgumentException wrongRoot = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> CaSetup.installSubordinate(subKey, subDn, subCertificate, List.of(root.certificate()), Clock.systemUTC()));
        assertTrue(wrongRoot.getMessage().contains("does not chain to the root"), wrongRoot.getMessage());
    }

    private static X509Certificate issue(String template, KeyPair keys) throws IssuanceRefusedException {
        return root.issue(IssuanceRequest.forPerson(template, TestKeys.request(keys), ALICE, List.of(ALICE_MAIL)));
    }

    private static void verify(X509Certificate certificate, String purpose, String name) {
        Path pem = TestKeys.writePem(work.resolve(name + ".pem"), certificate);
        String output = ExternalTool.succeed(work, Map.of(), "openssl", "verify", "-x509_strict", "-purpose", purpose,
                "-CAfile", rootPem.toString(), pem.toString());
        assertTrue(output.contains(": OK"), output);
    }

    /** gpgsm imports the root and the certificate and, with the root trusted, lists the certificate as valid. */
    private static void gpgsmAcceptsAsValid(X509Certificate certificate, String name) throws IOException {
        Files.createDirectories(gnupgHome);
        Files.setPosixFilePermissions(gnupgHome, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        Map<String, String> environment = Map.of("GNUPGHOME", gnupgHome.toString());
        Files.writeString(gnupgHome.resolve("gpgsm.conf"), "disable-crl-checks\ndisable-dirmngr\n");
        // The root is trusted for S/MIME the way an administrator would mark it (gpg-agent's trustlist.txt).
        String fingerprint = fingerprint(root.certificate());
        Files.writeString(gnupgHome.resolve("trustlist.txt"), fingerprint + " S relax\n");
        Path pem = TestKeys.writePem(work.resolve(name + "-gpgsm.pem"), certificate);
        ExternalTool.succeed(work, environment, "gpgsm", "--batch", "--import", rootPem.toString());
        ExternalTool.succeed(work, environment, "gpgsm", "--batch", "--import", pem.toString());
        String serialHex = certificate.getSerialNumber().toString(16).toUpperCase();
        String listing = ExternalTool.succeed(work, environment, "gpgsm", "--batch", "--with-validation", "--list-keys",
                "--with-colons", "0x" + fingerprint(certificate).replace(":", ""));
        String record = listing.lines().filter(line -> line.startsWith("crt:")).findFirst().orElse("");
        // Field 2 of a crt record is the validity: 'u' (ultimately) or 'f' (fully) valid; 'i', 'r', 'e' are failures.
        String validity = record.isEmpty() ? "" : record.split(":", -1)[1];
        assertTrue(validity.equals("u") || validity.equals("f"), "gpgsm says validity '" + validity + "' for serial "
                + serialHex + ":\n" + listing);
    }

    private static String fingerprint(X509Certificate certificate) {
        try {
            byte[] digest = java.security.MessageDigest.getInstance("SHA-1").digest(certificate.getEncoded());
            List<String> bytes = new ArrayList<>();
            for (byte b : digest) {
                bytes.add(String.format("%02X", b));
            }
            return String.join(":", bytes);
        } catch (java.security.GeneralSecurityException e) {
            throw new AssertionError(e);
        }
    }

    private static X509Certificate read(Path pem) throws Exception {
        try (var in = Files.newInputStream(pem)) {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
    }

    private static void assertArrayEqualsBytes(byte[] expected, byte[] actual) {
        org.junit.jupiter.api.Assertions.assertArrayEquals(expected, actual);
    }

}
