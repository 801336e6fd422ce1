package org.dirkms.it.enroll;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.directory.api.ldap.model.entry.Entry;
import org.apache.directory.ldap.client.api.LdapNetworkConnection;
import org.dirkms.agent.enroll.TestClock;
import org.dirkms.agent.archive.ArchiveChecker;
import org.dirkms.agent.archive.KeyRecoverer;
import org.dirkms.agent.ca.CaService;
import org.dirkms.agent.ca.CertificationAuthority;
import org.dirkms.agent.directory.EnrollmentRecords.ArchivedKeyEntry;
import org.dirkms.agent.directory.LdapEnrollmentRecords;
import org.dirkms.agent.enroll.EnrollmentResult;
import org.dirkms.agent.enroll.EnrollmentService;
import org.dirkms.agent.keys.RecoveryKeyStore;
import org.dirkms.it.support.LdapTools;
import org.dirkms.it.support.TestDirectory;
import org.dirkms.schema.KeyAlgorithm;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Sealed key delivery (docs/security.md, "Key delivery"), driven as the people involved drive it
 * with the Debian tools, the commands the README gives: the directory superuser adds the person,
 * a KMS administrator makes them a KMS user, the user's own {@code openssl req} makes a key pair
 * and a self-signed PKCS#10 that the user writes to {@code kmsDeliveryKey} with ldapmodify, bound
 * as themselves; the administrator asks for the enrollment and the agent ({@link
 * EnrollmentService#handle}) enrolls. No token exists; the user fetches {@code kmsKeyPackage}
 * with ldapsearch, opens it with {@code openssl cms -decrypt} and the delivery key, then with
 * {@code openssl pkcs12 -passin pass:}, and its encryption key decrypts a message that
 * {@code openssl cms -encrypt} sent to the published encryption certificate. Another key does
 * not open the package. The archive is written before the publication as always, in the same
 * five writes. EC P-256, and an RSA delivery key; a delivery key the KMS cannot seal to ends the
 * enrollment failed with a plain reason.
 */
class SealedDeliveryIT {
    @RegisterExtension
    static final TestDirectory directory = new TestDirectory();

    @TempDir
    static Path work;

    private static final SecureRandom RANDOM = new SecureRandom();
    private static LdapNetworkConnection connection;
    private static RecoveryKeyStore recovery;
    private static RecordingRecords records;
    private static EnrollmentService service;

    @BeforeAll
    static void setUp() throws Exception {
        LdapTools.requireTool("openssl", "openssl");
        TestCertificationAuthority setUp = TestCertificationAuthority.create(directory, work, "Sealed Delivery CA",
                KeyAlgorithm.EC_P256, RANDOM);
        connection = setUp.connection();
        CaService caService = setUp.caService();
        CertificationAuthority ca = setUp.ca();
        recovery = setUp.recovery();
        records = new RecordingRecords(new LdapEnrollmentRecords(connection, directory.layout()));
        service = EnrollmentService.issuing(records, caService, ca, recovery.current().certificate(),
                EnrollmentService.Settings.defaults(directory.agentDn(), RANDOM),
                new TestClock(Instant.now().truncatedTo(ChronoUnit.SECONDS)), RANDOM);
        kmsAdministrator().modify("dn: " + directory.layout().defaultAdministrativeGroup() + "\nchangetype: modify\n"
                + "replace: kmsKeyAlgorithm\nkmsKeyAlgorithm: EC-P256\n-\n").assertSuccess();
    }

    @AfterAll
    static void close() {
        if (connection != null) {
            connection.close();
        }
    }

    @Test
    void anEcDeliveryKeyGetsAPackageOnlyItsHolderOpens() throws Exception {
        deliversSealed("sealec", "-newkey ec -pkeyopt ec_paramgen_curve:P-256");
    }

    @Test
    void anRsaDeliveryKeyGetsAPackageOnlyItsHolderOpens() throws Exception {
        deliversSealed("sealrsa", "-newkey rsa:2048");
    }

    @Test
    void aDeliveryKeyTheKmsCannotSealToEndsTheEnrollmentFailedWithAPlainReason() throws Exception {
        String dn = addKmsUser("sealweak");
        Path folder = Files.createDirectories(work.resolve("sealweak"));
        writeDeliveryKey(dn, "sealweak", folder, "-newkey rsa:1024");
        kmsAdministrator().modify("dn: " + dn + "\nchangetype: modify\nadd: kmsEnrollmentState\n"
                + "kmsEnrollmentState: requested\n-\n").assertSuccess();
        records.writes.clear();
        EnrollmentResult result = service.handle(dn);
        assertEquals(EnrollmentResult.Outcome.FAILED, result.outcome(), result.toString());
        assertEquals(List.of("claim", "fail"), List.copyOf(records.writes), "nothing archived, nothing published");
        Entry user = connection.lookup(dn, "*");
        assertEquals("failed", user.get("kmsEnrollmentState").getString());
        assertEquals("kmsDeliveryKey cannot be used: the RSA key of the certificate request has 1024 bits; a delivery"
                + " key needs at least 2048; the user's client writes a new self-signed PKCS#10 of an RSA (2048 bits"
                + " or more) or EC key there (or the user removes it to get a package protected by a token), then set"
                + " kmsEnrollmentState: requested again", user.get("kmsLastError").getString());
        assertNull(user.get("kmsKeyPackage"));
        assertTrue(records.archivedKeys(dn).isEmpty());
    }

    private static void deliversSealed(String uid, String keyOptions) throws Exception {
        String dn = addKmsUser(uid);
        Path folder = Files.createDirectories(work.resolve(uid));
        writeDeliveryKey(dn, uid, folder, keyOptions);
        kmsAdministrator().modify("dn: " + dn + "\nchangetype: modify\nadd: kmsEnrollmentState\n"
                + "kmsEnrollmentState: requested\n-\n").assertSuccess();

        records.writes.clear();
        EnrollmentResult result = service.handle(dn);
        assertEquals(EnrollmentResult.Outcome.ENROLLED, result.outcome(), result.toString());
        assertTrue(result.token() == null, "no token exists for a sealed package"); // (a failure shows no token)
        assertEquals(List.of("claim", "addArchivedKey", "publishedCertificate:signing",
                "publishedCertificate:encryption", "publish"), List.copyOf(records.writes),
                "archived before anything is published, in the five writes of every first enrollment");

        // The KMS administrator, who reads tokens, finds none; nor may they read the package.
        String asAdministrator = kmsAdministrator().search(dn, "(objectClass=*)", "kmsEnrollmentToken",
                "kmsKeyPackage", "kmsEnrollmentState").assertSuccess().stdout();
        assertTrue(asAdministrator.contains("kmsEnrollmentState: enrolled"), asAdministrator);
        assertFalse(asAdministrator.contains("kmsEnrollmentToken"), "no token at all: " + asAdministrator);
        assertFalse(asAdministrator.contains("kmsKeyPackage"), asAdministrator);
        assertNull(connection.lookup(dn, "kmsEnrollmentToken").get("kmsEnrollmentToken"),
                "no token, even for the KMS agent");

        // The user fetches the package, bound as themselves over StartTLS, and opens it with the
        // delivery key, then with an empty password: the README's commands.
        shell(folder, "ldapsearch -H " + directory.ldapUrl() + " -ZZ -x -D \"$ME\" -w pw-" + uid
                + " -b \"$ME\" -s base -LLL -o ldif-wrap=no kmsKeyPackage"
                + " | sed -n 's/^kmsKeyPackage:: //p' | base64 -d > " + uid + ".cms", dn).assertSuccess();
        String printed = openssl(folder, "cms", "-cmsout", "-print", "-inform", "DER", "-in", uid + ".cms")
                .assertSuccess().stdout();
        assertTrue(printed.contains("pkcs7-envelopedData"), "CMS EnvelopedData (RFC 5652): " + printed);
        assertTrue(printed.contains(keyOptions.contains("rsa") ? "rsaesOaep" : "dhSinglePass-stdDH-sha256kdf-scheme"),
                printed);
        openssl(folder, "cms", "-decrypt", "-inform", "DER", "-in", uid + ".cms", "-inkey", "delivery.key", "-out",
                uid + ".p12").assertSuccess();
        String keys = openssl(folder, "pkcs12", "-in", uid + ".p12", "-passin", "pass:", "-nodes", "-nocerts")
                .assertSuccess().stdout();
        Path encryptionKey = Files.writeString(folder.resolve("encryption.key"),
                keyNamed(keys, uid + "@example.com encryption"));

        // A message encrypted to the published encryption certificate, as a correspondent would
        // (the certificate taken from the directory anonymously), opens with that key.
        X509Certificate encryption = EnrollmentIT.certificates(connection.lookup("cn=encryption," + dn,
                "userCertificate"), "userCertificate").get(0);
        Files.writeString(folder.resolve("encryption.pem"), "-----BEGIN CERTIFICATE-----\n" + java.util.Base64
                .getMimeEncoder(64, "\n".getBytes()).encodeToString(encryption.getEncoded()) + "\n-----END CERTIFICATE-----\n");
        Files.writeString(folder.resolve("message.txt"), "sealed delivery works for " + uid + "\n");
        openssl(folder, "cms", "-encrypt", "-binary", "-aes256", "-in", "message.txt", "-outform", "DER", "-out",
                "message.cms", "encryption.pem").assertSuccess();
        openssl(folder, "cms", "-decrypt", "-inform", "DER", "-in", "message.cms", "-recip", "encryption.pem", "-inkey",
                encryptionKey.toString(), "-out", "message.out").assertSuccess();
        assertEquals("sealed delivery works for " + uid + "\n", Files.readString(folder.resolve("message.out")));

        // Another key of the same kind does not open the package.
        shell(folder, "openssl req -new " + keyOptions + " -nodes -keyout other.key -subj '/CN=somebody else'"
                + " -outform DER -out other.req", null).assertSuccess();
        Files.deleteIfExists(folder.resolve("stolen.p12"));
        LdapTools.Result other = openssl(folder, "cms", "-decrypt", "-inform", "DER", "-in", uid + ".cms", "-inkey",
                "other.key", "-out", "stolen.p12");
        assertNotEquals(0, other.exitCode(), other.describe("a refusal"));
        assertTrue(!Files.exists(folder.resolve("stolen.p12")) || Files.size(folder.resolve("stolen.p12")) == 0
                || openssl(folder, "pkcs12", "-in", "stolen.p12", "-passin", "pass:", "-nodes").exitCode() != 0,
                "nothing that opens came out");

        // The archive as always: the encryption key, wrapped to the recovery key, listed in the history.
        List<ArchivedKeyEntry> archived = records.archivedKeys(dn);
        assertEquals(1, archived.size());
        assertArrayEquals(encryption.getEncoded(), archived.get(0).certificate());
        assertTrue(new ArchiveChecker(new KeyRecoverer(recovery.keys())).check(archived.get(0).wrappedKey(), encryption)
                .matches());
        assertEquals(archived.get(0).dn().toLowerCase(), connection.lookup(dn, "kmsArchiveRecord")
                .get("kmsArchiveRecord").getString().toLowerCase());

        // The user confirms by deleting the package, as with a token-protected one.
        LdapTools.against(directory).as(dn, "pw-" + uid).modify("dn: " + dn + "\nchangetype: modify\n"
                + "delete: kmsKeyPackage\n-\n").assertSuccess();
        assertEquals(EnrollmentResult.Outcome.PACKAGE_REMOVED, service.handle(dn).outcome());
        assertNull(connection.lookup(dn, "kmsKeyPackageExpires").get("kmsKeyPackageExpires"));
    }

    /** The superuser adds the person (with a password), a KMS administrator makes them a KMS user. */
    private static String addKmsUser(String uid) {
        String dn = "uid=" + uid + "," + directory.layout().people();
        LdapTools.against(directory).asAdmin().add("dn: " + dn + "\nobjectClass: inetOrgPerson\nuid: " + uid
                + "\ncn: User " + uid + "\nsn: " + uid + "\nmail: " + uid + "@example.com\nuserPassword: pw-" + uid
                + "\n").assertSuccess();
        kmsAdministrator().modify("dn: " + dn + "\nchangetype: modify\nadd: objectClass\nobjectClass: kmsUser\n-\n")
                .assertSuccess();
        return dn;
    }

    /**
     * The user's own client: a key pair and its self-signed PKCS#10 made with {@code openssl req}
     * in {@code folder}, the request written to the user's {@code kmsDeliveryKey} with
     * ldapmodify, bound as the user (the README's commands).
     */
    private static void writeDeliveryKey(String dn, String uid, Path folder, String keyOptions) {
        shell(folder, "openssl req -new " + keyOptions + " -nodes -keyout delivery.key -subj \"/CN=" + uid
                + " delivery key\" -outform DER -out delivery.req", dn).assertSuccess();
        shell(folder, "printf 'dn: %s\\nchangetype: modify\\nadd: kmsDeliveryKey\\nkmsDeliveryKey:: %s\\n-\\n'"
                + " \"$ME\" \"$(base64 -w0 delivery.req)\" | ldapmodify -H " + directory.ldapUrl() + " -ZZ -x -D \"$ME\""
                + " -w pw-" + uid, dn).assertSuccess();
    }

    /** The private key (PEM) in {@code pem} (openssl pkcs12 output) whose bag carries {@code friendlyName}. */
    private static String keyNamed(String pem, String friendlyName) {
        Matcher bag = Pattern.compile("friendlyName: " + Pattern.quote(friendlyName)
                + "\\n.*?(-----BEGIN PRIVATE KEY-----.*?-----END PRIVATE KEY-----\\n)", Pattern.DOTALL).matcher(pem);
        assertTrue(bag.find(), "a key named '" + friendlyName + "' in the package:\n"
                + pem.replaceAll("(?s)-----BEGIN PRIVATE KEY-----.*?-----END PRIVATE KEY-----", "(key)"));
        return bag.group(1);
    }

    private static LdapTools kmsAdministrator() {
        return LdapTools.against(directory).asKmsAdministrator();
    }

    private static LdapTools.Result openssl(Path folder, String... arguments) {
        StringBuilder command = new StringBuilder("openssl");
        for (String argument : arguments) {
            command.append(" '").append(argument.replace("'", "'\\''")).append('\'');
        }
        return shell(folder, command.toString(), null);
    }

    /** Runs {@code script} with bash in {@code folder}, as a person at a shell, {@code ME} set to {@code dn}. */
    private static LdapTools.Result shell(Path folder, String script, String dn) {
        Map<String, String> environment = new HashMap<>(Map.of("LDAPTLS_CACERT",
                directory.tlsCertificateFile().toString(), "LDAPTLS_REQCERT", "demand", "LDAPCONF", "/dev/null",
                "LDAPRC", "dirkms-it-no-ldaprc"));
        if (dn != null) {
            environment.put("ME", dn);
        }
        return LdapTools.run(List.of("bash", "-c", "set -euo pipefail; cd '" + folder + "'; " + script), environment,
                null);
    }
}
