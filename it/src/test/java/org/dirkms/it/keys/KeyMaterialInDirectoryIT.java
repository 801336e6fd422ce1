package org.dirkms.it.keys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.dirkms.agent.archive.ArchiveChecker;
import org.dirkms.agent.archive.KeyArchiver;
import org.dirkms.agent.archive.KeyRecoverer;
import org.dirkms.agent.ca.CaSetup;
import org.dirkms.agent.ca.CertificationAuthority;
import org.dirkms.agent.ca.SoftwareSigner;
import org.dirkms.agent.ca.StandardTemplates;
import org.dirkms.agent.keys.RecoveryKeyStore;
import org.dirkms.agent.smime.EnrollmentKeyMaterial;
import org.dirkms.it.support.LdapTools;
import org.dirkms.it.support.People;
import org.dirkms.it.support.TestDirectory;
import org.dirkms.schema.ContentEncryptionAlgorithm;
import org.dirkms.schema.KeyAlgorithm;
import org.dirkms.schema.MessageFormat;
import org.dirkms.schema.PackageFormat;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The key material of one enrollment stored in the real directory by the KMS agent (ldapmodify
 * over StartTLS) and read back the way each party reads it: a mail client finds the S/MIME
 * bundle anonymously by {@code mail} and {@code openssl cms -verify} accepts it with the
 * group's capabilities; the user binds as self and opens the key package with {@code openssl
 * pkcs12} and the token; the archived key read from {@code ou=Key Archive} decrypts with
 * {@code openssl cms -decrypt} and the recovery key taken from the recovery key store by
 * {@code openssl pkcs12}, to the key of the published encryption certificate.
 */
class KeyMaterialInDirectoryIT {
    @RegisterExtension
    static final TestDirectory directory = new TestDirectory();
    private static final String MAIL = "kim@example.com";
    private static final String PASSWORD = "kim-test-password";

    private static CertificationAuthority ca;
    private static RecoveryKeyStore recovery;
    private static String kim;

    @TempDir
    Path work;

    @BeforeAll
    static void setUp() throws Exception {
        LdapTools.requireTool("openssl", "openssl");
        SecureRandom random = new SecureRandom();
        Clock clock = Clock.systemUTC();
        String caDn = "cn=Keys IT CA," + directory.layout().certificationAuthorities();
        SoftwareSigner signer = SoftwareSigner.generate(KeyAlgorithm.EC_P384, random);
        X509Certificate root = CaSetup.selfSignedRoot(signer, caDn, Duration.ofDays(30), clock, random);
        ca = new CertificationAuthority(signer, List.of(root), StandardTemplates.all(), clock, random,
                CertificationAuthority.Publication.ldapOnly());
        recovery = RecoveryKeyStore.openOrCreate(directory.dataFolder(), ca,
                "cn=Key Recovery Agent," + directory.layout().kms(), KeyAlgorithm.EC_P256, random);
        kim = "uid=kim," + directory.layout().people();
        People.addAndEnroll(directory, "dn: " + kim + "\nobjectClass: inetOrgPerson\nobjectClass: kmsUser\n"
                + "uid: kim\ncn: Kim Example\nsn: Example\nmail: " + MAIL + "\nuserPassword: " + PASSWORD + "\n");
    }

    @Test
    void eachPartyReadsWhatTheAgentStored() throws Exception {
        SecureRandom random = new SecureRandom();
        EnrollmentKeyMaterial.Result result = new EnrollmentKeyMaterial(ca,
                new KeyArchiver(recovery.current().certificate(), random), random)
                .make(kim, List.of(MAIL), null, new EnrollmentKeyMaterial.Configuration(KeyAlgorithm.EC_P256,
                        ContentEncryptionAlgorithm.AES_128_GCM, MessageFormat.SMIME_4_0, PackageFormat.PBES2_AES_256));
        Base64.Encoder base64 = Base64.getEncoder();
        String archiveDn = "cn=" + result.encryptionCertificate().getSerialNumber().toString(16) + ","
                + directory.layout().keyArchive();
        LdapTools agent = LdapTools.against(directory).asAgent().withArguments("-ZZ");
        agent.add("dn: " + archiveDn + "\nobjectClass: kmsArchivedKey\ncn: "
                + result.encryptionCertificate().getSerialNumber().toString(16) + "\nkmsKeyOwner: " + kim
                + "\nkmsWrappedKey:: " + base64.encodeToString(result.archivedKey().envelopedDataDer())
                + "\nuserCertificate;binary:: " + base64.encodeToString(result.encryptionCertificate().getEncoded())
                + "\nkmsWrappingAlgorithm: " + result.archivedKey().wrappingAlgorithm()
                + "\nkmsWrappingKeyId: " + result.archivedKey().wrappingKeyId() + "\n").assertSuccess();
        agent.modify("dn: " + kim + "\nchangetype: modify\nadd: userCertificate;binary\nuserCertificate;binary:: "
                + base64.encodeToString(result.signingCertificate().getEncoded()) + "\nuserCertificate;binary:: "
                + base64.encodeToString(result.encryptionCertificate().getEncoded()) + "\n-\nreplace: userSMIMECertificate\n"
                + "userSMIMECertificate:: " + base64.encodeToString(result.smimeBundle()) + "\n-\nreplace: kmsKeyPackage\n"
                + "kmsKeyPackage:: " + base64.encodeToString(result.keyPackage()) + "\n-\nreplace: kmsEnrollmentToken\n"
                + "kmsEnrollmentToken: " + new String(result.token()) + "\n").assertSuccess();

        // A mail client: anonymous, by mail.
        LdapTools.Result found = LdapTools.against(directory).anonymous().search(directory.layout().people(),
                "(mail=" + MAIL + ")", "userSMIMECertificate", "userCertificate;binary").assertSuccess();
        List<byte[]> bundles = values(found.stdout(), "userSMIMECertificate");
        assertEquals(1, bundles.size(), found.stdout());
        Path bundle = Files.write(work.resolve("bundle.der"), bundles.get(0));
        String verified = openssl("cms", "-verify", "-inform", "DER", "-in", bundle.toString(), "-noverify", "-content",
                "/dev/null", "-out", "/dev/null");
        assertTrue(verified.contains("Verification successful"), verified);
        String parsed = openssl("asn1parse", "-inform", "DER", "-in", bundle.toString());
        int capabilities = parsed.indexOf(":S/MIME Capabilities");
        assertTrue(capabilities > 0 && parsed.indexOf(":aes-128-gcm", capabilities) < parsed.indexOf(":aes-256-gcm", capabilities),
                "the group's AES-128-GCM comes first:\n" + parsed);
        List<X509Certificate> published = new ArrayList<>();
        for (byte[] der : values(found.stdout(), "userCertificate;binary")) {
            published.add((X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(der)));
        }
        assertEquals(2, published.size(), found.stdout());

        // The user: binds as self over StartTLS, fetches the package, opens it with the token.
        LdapTools.Result fetched = LdapTools.against(directory).as(kim, PASSWORD).withArguments("-ZZ")
                .search(kim, "(objectClass=*)", "kmsKeyPackage").assertSuccess();
        Path p12 = Files.write(work.resolve("kim.p12"), values(fetched.stdout(), "kmsKeyPackage").get(0));
        String opened = openssl("pkcs12", "-in", p12.toString(), "-passin", "pass:" + new String(result.token()), "-nodes");
        assertEquals(2, opened.split("-----BEGIN PRIVATE KEY-----", -1).length - 1, "both private keys");

        // Recovery: the archive read back from the directory, the recovery key taken from its key store by openssl.
        LdapTools.Result archived = agent.search(archiveDn, "(objectClass=kmsArchivedKey)", "kmsWrappedKey",
                "kmsWrappingAlgorithm", "kmsWrappingKeyId").assertSuccess();
        assertTrue(archived.stdout().contains("kmsWrappingKeyId: " + recovery.current().keyId()), archived.stdout());
        byte[] wrapped = values(archived.stdout(), "kmsWrappedKey").get(0);
        Path archive = Files.write(work.resolve("archive.der"), wrapped);
        String recoveryPem = openssl("pkcs12", "-in", directory.dataFolder().recoveryKeyStore().toString(),
                "-passin", "file:" + directory.dataFolder().recoveryPassphrase(), "-nodes");
        Path recoveryFile = Files.writeString(work.resolve("recovery.pem"), recoveryPem);
        openssl("cms", "-decrypt", "-inform", "DER", "-in", archive.toString(), "-inkey", recoveryFile.toString(), "-out",
                work.resolve("recovered.der").toString());
        String recoveredPublic = opensslOutput("pkey", "-inform", "DER", "-in", work.resolve("recovered.der").toString(), "-pubout");
        Path encryptionPem = Files.writeString(work.resolve("encryption.pem"), "-----BEGIN CERTIFICATE-----\n"
                + Base64.getMimeEncoder().encodeToString(result.encryptionCertificate().getEncoded()) + "\n-----END CERTIFICATE-----\n");
        assertEquals(opensslOutput("x509", "-in", encryptionPem.toString(), "-noout", "-pubkey"), recoveredPublic);

        // The checker over what the directory publishes: exactly the encryption certificate matches.
        ArchiveChecker checker = new ArchiveChecker(new KeyRecoverer(RecoveryKeyStore.open(directory.dataFolder()).keys()));
        long matching = published.stream().filter(certificate -> checker.check(wrapped, certificate).matches()).count();
        assertEquals(1, matching);
        assertTrue(checker.check(wrapped, result.encryptionCertificate()).matches());
    }

    /** Runs openssl, failing unless it succeeds; its standard output, then its standard error (where cms -verify reports). */
    private String openssl(String... arguments) {
        List<String> command = new ArrayList<>();
        command.add("openssl");
        command.addAll(List.of(arguments));
        LdapTools.Result result = LdapTools.run(command, Map.of(), null).assertSuccess();
        return result.stdout() + result.stderr();
    }

    /** Runs openssl, failing unless it succeeds; its standard output only. */
    private String opensslOutput(String... arguments) {
        List<String> command = new ArrayList<>();
        command.add("openssl");
        command.addAll(List.of(arguments));
        return LdapTools.run(command, Map.of(), null).assertSuccess().stdout();
    }

    /**
     * The base64 values of {@code attribute} in ldapsearch's unwrapped LDIF output, whether the
     * server names it with or without the {@code ;binary} option (RFC 4522 section 2).
     */
    private static List<byte[]> values(String ldif, String attribute) {
        List<byte[]> values = new ArrayList<>();
        String name = attribute.toLowerCase().replace(";binary", "");
        for (String line : ldif.lines().toList()) {
            String lower = line.toLowerCase();
            for (String prefix : List.of(name + ":: ", name + ";binary:: ")) {
                if (lower.startsWith(prefix)) {
                    values.add(Base64.getDecoder().decode(line.substring(prefix.length())));
                }
            }
        }
        return values;
    }
}
