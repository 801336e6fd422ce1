package org.dirkms.it.enroll;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.apache.directory.ldap.client.api.LdapNetworkConnection;
import org.dirkms.agent.archive.ArchiveChecker;
import org.dirkms.agent.archive.KeyRecoverer;
import org.dirkms.agent.directory.LdapEnrollmentRecords;
import org.dirkms.agent.enroll.EnrollmentResult;
import org.dirkms.agent.enroll.EnrollmentService;
import org.dirkms.agent.keys.RecoveryKeyStore;
import org.dirkms.it.support.LdapTools;
import org.dirkms.it.support.People;
import org.dirkms.it.support.TestDirectory;
import org.dirkms.schema.DataFolder;
import org.dirkms.schema.EnrollmentState;
import org.dirkms.schema.KeyAlgorithm;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The key material of one enrollment, made and stored in the real directory by the enrollment
 * service over the agent's StartTLS connection, and read back the way each party reads it: a
 * mail client finds the S/MIME bundle anonymously by {@code mail} and {@code openssl cms -verify}
 * accepts it with the group's capabilities; the user binds as self and opens the key package
 * with {@code openssl pkcs12} and the token; the archived key that the user's
 * {@code kmsArchiveRecord} names decrypts with {@code openssl cms -decrypt} and the recovery key
 * taken from the recovery key store by {@code openssl pkcs12}, to the key of the published
 * encryption certificate.
 */
class KeyMaterialInDirectoryIT {
    @RegisterExtension
    static final TestDirectory directory = new TestDirectory();
    private static final String MAIL = "kim@example.com";
    private static final String PASSWORD = "kim-test-password";
    private static final SecureRandom RANDOM = new SecureRandom();

    @TempDir
    static Path caWork;

    private static TestCertificationAuthority pki;
    private static String kim;

    @TempDir
    Path work;

    @BeforeAll
    static void setUp() throws Exception {
        LdapTools.requireTool("openssl", "openssl");
        pki = TestCertificationAuthority.create(directory, caWork, "Keys IT CA", KeyAlgorithm.EC_P256, RANDOM);
        String group = "cn=Keys," + directory.layout().administrativeGroups();
        LdapTools.against(directory).asKmsAdministrator().add("dn: " + group + "\nobjectClass: kmsAdminGroup\ncn: Keys\n"
                + "kmsAssignedServer: " + "cn=default," + directory.layout().servers() + "\nkmsKeyAlgorithm: EC-P256\n"
                + "kmsContentEncryptionAlgorithm: AES-128-GCM\nkmsMessageFormat: S/MIME-4.0\n"
                + "kmsPackageFormat: pbes2-aes-256\n").assertSuccess();
        kim = "uid=kim," + directory.layout().people();
        People.addAndEnroll(directory, "dn: " + kim + "\nobjectClass: inetOrgPerson\nobjectClass: kmsUser\n"
                + "uid: kim\ncn: Kim Example\nsn: Example\nmail: " + MAIL + "\nuserPassword: " + PASSWORD
                + "\nkmsAdministrativeGroup: " + group + "\nkmsEnrollmentState: requested\n");
    }

    @AfterAll
    static void close() {
        if (pki != null) {
            pki.connection().close();
        }
    }

    @Test
    void eachPartyReadsWhatTheAgentStored() throws Exception {
        LdapNetworkConnection connection = pki.connection();
        EnrollmentService service = EnrollmentService.issuing(new LdapEnrollmentRecords(connection, directory.layout()),
                pki.caService(), pki.ca(), pki.recovery().current().certificate(),
                EnrollmentService.Settings.defaults(directory.agentDn(), RANDOM), Clock.systemUTC(), RANDOM);
        EnrollmentResult result = service.handle(kim);
        assertEquals(EnrollmentState.ENROLLED, result.state(), result.toString());
        char[] token = result.token();
        assertNotNull(token, "a package protected by a token was delivered");
        LdapTools agent = LdapTools.against(directory).asAgent();
        LdapTools.Result record = agent.search(kim, "(objectClass=kmsUser)", "kmsArchiveRecord").assertSuccess();
        String archiveDn = record.stdout().lines().filter(line -> line.startsWith("kmsArchiveRecord: "))
                .map(line -> line.substring("kmsArchiveRecord: ".length())).findFirst().orElseThrow();

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
        // Only the user's entry carries the address (its kmsPublishedCertificate children do not):
        // two certificates, each found once.
        List<X509Certificate> published = new ArrayList<>();
        for (byte[] der : values(found.stdout(), "userCertificate;binary")) {
            published.add((X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(new ByteArrayInputStream(der)));
        }
        assertEquals(2, published.size(), found.stdout());
        assertEquals(2, new java.util.HashSet<>(published).size(), "two different certificates: " + found.stdout());
        // The encryption certificate is the one for key agreement (EC) or key encipherment.
        X509Certificate encryption = published.stream()
                .filter(certificate -> certificate.getKeyUsage() != null
                        && (certificate.getKeyUsage()[2] || certificate.getKeyUsage()[4]))
                .findFirst().orElseThrow();

        // The user: binds as self over StartTLS, fetches the package, opens it with the token.
        LdapTools.Result fetched = LdapTools.against(directory).as(kim, PASSWORD)
                .search(kim, "(objectClass=*)", "kmsKeyPackage").assertSuccess();
        Path p12 = Files.write(work.resolve("kim.p12"), values(fetched.stdout(), "kmsKeyPackage").get(0));
        String opened = openssl("pkcs12", "-in", p12.toString(), "-passin", "pass:" + new String(token), "-nodes");
        assertEquals(2, opened.split("-----BEGIN PRIVATE KEY-----", -1).length - 1, "both private keys");

        // Recovery: the archive read back from the directory, the recovery key taken from its key store by openssl.
        LdapTools.Result archived = agent.search(archiveDn, "(objectClass=kmsArchivedKey)", "kmsWrappedKey",
                "kmsWrappingAlgorithm", "kmsWrappingKeyId").assertSuccess();
        assertTrue(archived.stdout().contains("kmsWrappingKeyId: " + pki.recovery().current().keyId()), archived.stdout());
        byte[] wrapped = values(archived.stdout(), "kmsWrappedKey").get(0);
        Path archive = Files.write(work.resolve("archive.der"), wrapped);
        DataFolder recoveryFolder = DataFolder.of(caWork);
        String recoveryPem = openssl("pkcs12", "-in", recoveryFolder.recoveryKeyStore().toString(),
                "-passin", "file:" + recoveryFolder.recoveryPassphrase(), "-nodes");
        Path recoveryFile = Files.writeString(work.resolve("recovery.pem"), recoveryPem);
        openssl("cms", "-decrypt", "-inform", "DER", "-in", archive.toString(), "-inkey", recoveryFile.toString(), "-out",
                work.resolve("recovered.der").toString());
        String recoveredPublic = opensslOutput("pkey", "-inform", "DER", "-in", work.resolve("recovered.der").toString(), "-pubout");
        Path encryptionPem = Files.writeString(work.resolve("encryption.pem"), "-----BEGIN CERTIFICATE-----\n"
                + Base64.getMimeEncoder().encodeToString(encryption.getEncoded()) + "\n-----END CERTIFICATE-----\n");
        assertEquals(opensslOutput("x509", "-in", encryptionPem.toString(), "-noout", "-pubkey"), recoveredPublic);

        // The checker over what the directory publishes: exactly the encryption certificate matches.
        ArchiveChecker checker = new ArchiveChecker(new KeyRecoverer(RecoveryKeyStore.open(recoveryFolder).keys()));
        long matching = published.stream().filter(certificate -> checker.check(wrapped, certificate).matches()).count();
        assertEquals(1, matching);
        assertTrue(checker.check(wrapped, encryption).matches());
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
