package org.dirkms.it.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import org.dirkms.agent.enroll.KmsAgent;
import org.dirkms.dist.AgentServeSetup;
import org.dirkms.dist.CaServeSetup;
import org.dirkms.ds.server.DirectoryServer;
import org.dirkms.ds.server.ServerSettings;
import org.dirkms.it.support.Gpgsm;
import org.dirkms.it.support.LdapTools;
import org.dirkms.it.support.People;
import org.dirkms.it.support.Staff;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The gpgsm (GnuPG 2.2) user's whole path as the README's "Reading and sending secure mail with
 * gpgsm" types it, in a directory of more than 500 people, so that the anonymous size cap (100
 * entries) answers any search dirmngr would make of the whole tree: each user's dirmngr knows
 * the directory ({@code dirmngr_ldapservers.conf}), each user imports the packages the KMS
 * delivered (a group with {@code kmsPackageFormat: legacy-pbe-sha1-3des} and RSA keys), finds
 * the colleague's certificates with {@code gpgsm --list-external-keys} (each once), encrypts to
 * the colleague found that way, the colleague decrypts, and a signature made by one verifies for
 * the other; CRL checks stay on throughout (dirmngr follows the distribution point each
 * certificate names). One directory serves every test of the class.
 */
class GpgsmUserPathIT {
    private static final int BULK_PEOPLE = 520;

    /** The README's steps, as the user types them (the test checks the README shows each). */
    static final String LIST_EXTERNAL = "gpgsm --list-external-keys mary.roe@example.com";
    static final String EXPORT_FOUND = "gpgsm --with-colons --list-external-keys mary.roe@example.com"
            + " | awk -F: '$1 == \"fpr\" {print \"0x\" $10}' | xargs gpgsm --armor --export > mary.pem";
    static final String IMPORT_FOUND = "gpgsm --import mary.pem";
    static final String ENCRYPT = "gpgsm --encrypt -r mary.roe@example.com --output for-mary.p7m message.txt";
    static final String SIGN = "gpgsm --detach-sign --output message.p7s message.txt";
    static final String VERIFY = "gpgsm --verify message.p7s message.txt";

    @TempDir
    static Path data;

    @TempDir
    static Path work;

    private static DirectoryServer server;
    private static KmsAgent agent;
    private static Gpgsm jane;
    private static Gpgsm mary;
    private static String janeToken;
    private static String maryToken;
    private static List<X509Certificate> janeCertificates;
    private static List<X509Certificate> maryCertificates;

    @BeforeAll
    static void aDirectoryOfMoreThan500PeopleAndTwoGpgsmUsers() throws Exception {
        LdapTools.requireTool("gpgsm", "gpgsm");
        LdapTools.requireTool("dirmngr", "dirmngr");
        CaServeSetup.Serving serving = CaServeSetup.startServing(ServerSettings.forTests(data), Clock.systemUTC(),
                new SecureRandom());
        server = serving.server();
        // The group of gpgsm 2.2 users, configured before the agent starts (which reads it then).
        LdapTools kmsAdministrator = Staff.kmsAdministrator(server);
        kmsAdministrator.modify("dn: " + server.layout().defaultAdministrativeGroup() + "\nchangetype: modify\n"
                + "replace: kmsKeyAlgorithm\nkmsKeyAlgorithm: RSA-2048\n-\n"
                + "replace: kmsPackageFormat\nkmsPackageFormat: legacy-pbe-sha1-3des\n-\n").assertSuccess();
        agent = AgentServeSetup.start(serving);
        String suffix = server.layout().suffix();
        LdapTools superuser = LdapTools.against(server.ldapUrl(), server.tlsCertificateFile())
                .asWithPasswordFile(server.adminDn(), server.adminPasswordFile());
        People.addCrowd(superuser, suffix, BULK_PEOPLE);
        LdapTools.Result wholeTree = LdapTools.against(server.ldapUrl(), server.tlsCertificateFile()).anonymous()
                .searchRaw("-LLL", "-b", suffix, "(objectClass=*)", "1.1");
        assertEquals(4, wholeTree.exitCode(), wholeTree.describe("the anonymous cap bites: sizeLimitExceeded (4)"));

        X509Certificate root = certificate(Files.readAllBytes(server.tlsCertificateFile()));
        String ldapServer = "127.0.0.1:" + server.ldapPort() + ":::" + suffix;
        jane = Gpgsm.trusting(work.resolve("jane-gnupg"), root, ldapServer);
        mary = Gpgsm.trusting(work.resolve("mary-gnupg"), root, ldapServer);
        janeToken = enrollAndImport(superuser, kmsAdministrator, jane, "jdoe", "Jane Doe", "jane.doe@example.com");
        maryToken = enrollAndImport(superuser, kmsAdministrator, mary, "mroe", "Mary Roe", "mary.roe@example.com");
        janeCertificates = published("uid=jdoe,ou=People," + suffix);
        maryCertificates = published("uid=mroe,ou=People," + suffix);
    }

    @AfterAll
    static void stop() {
        if (jane != null) {
            jane.close();
        }
        if (mary != null) {
            mary.close();
        }
        if (agent != null) {
            agent.close();
        }
        if (server != null) {
            server.close();
        }
    }

    @Test
    void eachUserHoldsTheSecretKeysOfBothCertificates() {
        assertSecretKeys(jane, janeCertificates);
        assertSecretKeys(mary, maryCertificates);
    }

    @Test
    void listExternalKeysFindsEachOfTheColleaguesCertificatesOnce() throws Exception {
        LdapTools.Result shown = shell(jane, work, LIST_EXTERNAL).assertSuccess();
        assertTrue(shown.stdout().contains("aka: mary.roe@example.com"), shown.describe("Mary's certificates"));
        LdapTools.Result external = jane.run("--with-colons", "--list-external-keys", "mary.roe@example.com")
                .assertSuccess();
        List<String> found = fingerprints(external.stdout(), "crt");
        List<String> expected = new ArrayList<>();
        for (X509Certificate certificate : maryCertificates) {
            expected.add(Gpgsm.fingerprint(certificate).replace(":", ""));
        }
        assertEquals(expected.stream().sorted().toList(), found.stream().sorted().toList(),
                external.describe("each of Mary's two certificates, once"));
    }

    @Test
    void janeEncryptsToMaryFoundThroughDirmngrAndMaryDecrypts() throws Exception {
        Path folder = Files.createDirectories(work.resolve("jane-mail"));
        Path message = Files.writeString(folder.resolve("message.txt"), "For Mary, found in the directory.\n");
        // gpgsm keeps what it listed from the directory aside (ephemeral): exported by fingerprint
        // and imported, Mary's certificates are Jane's to encrypt to by address.
        for (String step : List.of(EXPORT_FOUND, IMPORT_FOUND, ENCRYPT)) {
            shell(jane, folder, step).assertSuccess();
        }
        Path decrypted = work.resolve("from-jane.txt");
        mary.runWithPassphrase(maryToken, "--output", decrypted.toString(), "--decrypt",
                folder.resolve("for-mary.p7m").toString()).assertSuccess();
        assertEquals(Files.readString(message), Files.readString(decrypted));
        LdapTools.Result recipients = mary.run("--with-colons", "--list-keys", "mary.roe@example.com").assertSuccess();
        assertTrue(!recipients.stdout().isEmpty(), recipients.describe("Mary's own certificates"));
    }

    @Test
    void theReadmeShowsTheseSteps() throws Exception {
        String readme = Files.readString(org.dirkms.it.support.ProjectFiles.file("README.md"));
        for (String step : List.of(LIST_EXTERNAL, EXPORT_FOUND, IMPORT_FOUND, ENCRYPT, SIGN, VERIFY)) {
            assertTrue(readme.contains(step), "README, \"Reading and sending secure mail with gpgsm\", shows: " + step);
        }
    }

    @Test
    void janeSignsAndMaryVerifiesWithCrlChecks() throws Exception {
        Path folder = Files.createDirectories(work.resolve("jane-signs"));
        Files.writeString(folder.resolve("message.txt"), "Signed by Jane.\n");
        jane.runWithPassphrase(janeToken, "--output", folder.resolve("message.p7s").toString(), "--detach-sign",
                folder.resolve("message.txt").toString()).assertSuccess();
        LdapTools.Result verify = shell(mary, folder, VERIFY).assertSuccess();
        assertTrue(verify.stderr().contains("Good signature from \"/OU=People/UID=jdoe/DC=example/DC=com\"")
                && verify.stderr().contains("aka \"jane.doe@example.com\""), verify.describe("Good signature"));
        assertTrue(!verify.stderr().contains("CRL"), verify.describe("no word of a missing CRL"));
    }

    /** Runs one of the README's steps as the user types it, in {@code folder}. */
    private static LdapTools.Result shell(Gpgsm gpgsm, Path folder, String step) {
        return LdapTools.run(List.of("bash", "-c", "cd \"$FOLDER\" && " + step), Map.of("GNUPGHOME",
                gpgsm.home().toString(), "FOLDER", folder.toString()), null);
    }

    /** Enrolls the user and imports their packages into {@code gpgsm}, as the README says; gives the token. */
    private static String enrollAndImport(LdapTools superuser, LdapTools kmsAdministrator, Gpgsm gpgsm, String uid,
            String name, String address) throws Exception {
        String dn = "uid=" + uid + ",ou=People," + server.layout().suffix();
        People.addAndEnroll(superuser, kmsAdministrator, "dn: " + dn + "\nobjectClass: inetOrgPerson\n"
                + "objectClass: kmsUser\nuid: " + uid + "\ncn: " + name + "\nsn: " + name.split(" ")[1] + "\nmail: "
                + address + "\nuserPassword: " + uid + "-test-password\nkmsEnrollmentState: requested\n");
        String token = awaitEnrolled(kmsAdministrator, dn);
        String refused = importPackages(gpgsm, uid, token);
        assertNull(refused, refused);
        return token;
    }

    private static String awaitEnrolled(LdapTools kmsAdministrator, String dn) throws Exception {
        Instant deadline = Instant.now().plusSeconds(60);
        while (true) {
            String entry = kmsAdministrator.search(dn, "(objectClass=*)", "kmsEnrollmentState", "kmsLastError",
                    "kmsEnrollmentToken").assertSuccess().stdout();
            if (entry.contains("kmsEnrollmentState: enrolled")) {
                return token(entry);
            }
            if (entry.contains("kmsEnrollmentState: failed") || Instant.now().isAfter(deadline)) {
                fail("not enrolled: " + entry);
            }
            Thread.sleep(200); // polling the agent's progress
        }
    }

    /**
     * The README's fetch for a legacy group, bound as the user: one file per value of kmsKeyPackage,
     * each imported into gpgsm; null, or what gpgsm said about a package it refused.
     */
    private static String importPackages(Gpgsm gpgsm, String uid, String token) throws Exception {
        Path folder = Files.createDirectories(work.resolve(uid));
        Path password = Files.writeString(folder.resolve("password"), uid + "-test-password");
        LdapTools.run(List.of("bash", "-c", "cd \"$WORK\" && ldapsearch -H " + server.ldapUrl() + " -ZZ -x -D \"$ME\" -y "
                + password + " -b \"$ME\" -s base -LLL -o ldif-wrap=no kmsKeyPackage"
                + " | sed -n 's/^kmsKeyPackage:: //p'"
                + " | { n=0; while read -r value; do n=$((n+1)); echo \"$value\" | base64 -d > " + uid
                + "-$n.p12; done; }"), Map.of("ME", "uid=" + uid + ",ou=People," + server.layout().suffix(),
                        "LDAPTLS_CACERT", server.tlsCertificateFile().toString(), "LDAPTLS_REQCERT", "demand",
                        "LDAPCONF", "/dev/null", "LDAPRC", "dirkms-it-no-ldaprc", "WORK", folder.toString()), null)
                .assertSuccess();
        gpgsm.run("--import", server.tlsCertificateFile().toString()).assertSuccess();
        for (int n = 1; n <= 2; n++) {
            Path p12 = folder.resolve(uid + "-" + n + ".p12");
            LdapTools.Result imported = gpgsm.runWithPassphrase(token, "--import", p12.toString());
            if (imported.exitCode() != 0 || !imported.stderr().contains("secret keys imported: 1")) {
                return imported.describe("gpgsm imports the one key of " + p12.getFileName());
            }
        }
        return null;
    }

    private static void assertSecretKeys(Gpgsm gpgsm, List<X509Certificate> certificates) {
        LdapTools.Result secrets = gpgsm.run("--with-colons", "-K").assertSuccess();
        List<String> secret = fingerprints(secrets.stdout(), "crs");
        assertEquals(2, certificates.size());
        for (X509Certificate certificate : certificates) {
            try {
                assertTrue(secret.contains(Gpgsm.fingerprint(certificate).replace(":", "")),
                        secrets.describe("the key of " + certificate.getSubjectX500Principal()));
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        }
    }

    private static List<X509Certificate> published(String dn) throws Exception {
        String ldif = LdapTools.against(server.ldapUrl(), server.tlsCertificateFile()).anonymous()
                .withArguments("-s", "base").search(dn, "(objectClass=*)", "userCertificate;binary").assertSuccess()
                .stdout();
        List<X509Certificate> certificates = new ArrayList<>();
        for (byte[] der : SingleKeyUserIT.certificates(ldif)) {
            certificates.add(certificate(der));
        }
        return certificates;
    }

    /** The fingerprints of the certificates of {@code kind} (crt, crs) in gpgsm's colon listing. */
    static List<String> fingerprints(String colons, String kind) {
        List<String> found = new ArrayList<>();
        String last = null;
        for (String line : colons.lines().toList()) {
            if (line.startsWith("crs:") || line.startsWith("crt:")) {
                last = line.substring(0, 3);
            } else if (line.startsWith("fpr:") && kind.equals(last)) {
                found.add(line.split(":", -1)[9]);
            }
        }
        return found;
    }

    private static String token(String ldif) {
        for (String line : ldif.lines().toList()) {
            if (line.startsWith("kmsEnrollmentToken:: ")) {
                return new String(Base64.getDecoder().decode(line.substring(21).trim()), StandardCharsets.UTF_8);
            }
            if (line.startsWith("kmsEnrollmentToken: ")) {
                return line.substring(20).trim();
            }
        }
        return fail("no token in: " + ldif);
    }

    private static X509Certificate certificate(byte[] encoded) throws Exception {
        return (X509Certificate) CertificateFactory.getInstance("X.509")
                .generateCertificate(new ByteArrayInputStream(encoded));
    }
}
