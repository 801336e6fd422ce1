package org.dirkms.it.enroll;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.directory.api.ldap.model.entry.DefaultAttribute;
import org.apache.directory.api.ldap.model.entry.DefaultModification;
import org.apache.directory.api.ldap.model.entry.Entry;
import org.apache.directory.api.ldap.model.entry.ModificationOperation;
import org.apache.directory.api.ldap.model.message.SearchScope;
import org.apache.directory.ldap.client.api.LdapNetworkConnection;
import org.dirkms.agent.directory.LdapEnrollmentRecords;
import org.dirkms.agent.enroll.KmsAgent;
import org.dirkms.dist.AgentServeSetup;
import org.dirkms.dist.CaServeSetup;
import org.dirkms.ds.server.DirectoryServer;
import org.dirkms.ds.server.ServerSettings;
import org.dirkms.it.support.AgentProgress;
import org.dirkms.it.support.LdapTools;
import org.dirkms.it.support.People;
import org.dirkms.it.support.ProjectFiles;
import org.dirkms.it.support.Staff;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A mail client looks a recipient up by address and finds each of the user's certificates once,
 * the encryption certificate where clients that take the first entry or the first value look
 * (docs/interoperability.md, "Finding certificates"; docs/directory-layout.md). Three users
 * enrolled by {@code dirkms serve}: one in the default group (RSA: keyEncipherment), one in the
 * sample Sales group (EC: keyAgreement), and one then rewritten as an earlier version published
 * (signing certificate first, children with mail), which the agent upgrades when it starts again
 * after the server's restart. Checked with {@code ldapsearch} and with gpgsm 2.2 and dirmngr
 * pointed at the directory.
 */
class MailLookupIT {
    private static final String RSA_MAIL = "rsa.user@example.com";
    private static final String EC_MAIL = "jane.doe@example.com";
    private static final String OLD_MAIL = "old.user@example.com";

    @TempDir
    static Path data;

    @TempDir
    static Path work;

    private static DirectoryServer server;
    private static KmsAgent agent;
    private static LdapNetworkConnection connection;
    private static String rsaDn;
    private static String ecDn;
    private static String oldDn;

    @BeforeAll
    static void enrollThreeUsersAndRestart() throws Exception {
        CaServeSetup.Serving serving = CaServeSetup.startServing(ServerSettings.forTests(data), Clock.systemUTC(),
                new SecureRandom());
        server = serving.server();
        agent = AgentServeSetup.start(serving);
        String suffix = server.layout().suffix();
        LdapTools superuser = LdapTools.against(server.ldapUrl(), server.tlsCertificateFile())
                .asWithPasswordFile(server.adminDn(), server.adminPasswordFile());
        for (String sample : List.of("25-add-kms-people.ldif", "20-add-user.ldif")) {
            superuser.modifyFile(ProjectFiles.file("ldif/samples/" + sample)).assertSuccess();
        }
        String alice = "uid=alice,ou=People," + suffix;
        Staff.giveRole(server, "kms-administrators", alice);
        LdapTools kmsAdministrator = LdapTools.against(server.ldapUrl(), server.tlsCertificateFile())
                .as(alice, "alice-sample-password-change-me");
        for (String sample : List.of("10-create-administrative-group.ldif", "30-enroll-user.ldif")) {
            kmsAdministrator.modifyFile(ProjectFiles.file("ldif/samples/" + sample)).assertSuccess();
        }
        ecDn = "uid=jdoe,ou=People," + suffix;
        rsaDn = "uid=rsa,ou=People," + suffix;
        oldDn = "uid=old,ou=People," + suffix;
        for (String[] user : List.of(new String[] {rsaDn, "rsa", RSA_MAIL}, new String[] {oldDn, "old", OLD_MAIL})) {
            People.addAndEnroll(superuser, kmsAdministrator, "dn: " + user[0] + "\nchangetype: add\n"
                    + "objectClass: inetOrgPerson\nobjectClass: kmsUser\nuid: " + user[1] + "\ncn: " + user[1]
                    + " User\nsn: User\nmail: " + user[2] + "\nkmsEnrollmentState: requested\n");
        }
        connection = serving.kms().openConnection(Duration.ofSeconds(30).toMillis());
        AgentProgress.awaitEnrolled(connection, ecDn);
        AgentProgress.awaitEnrolled(connection, rsaDn);
        AgentProgress.awaitEnrolled(connection, oldDn);
        publishAsBefore(oldDn, OLD_MAIL);

        // The order of the values is the order written, as stored: read after a restart, not from
        // the running server's cache. The agent started again upgrades what was published before.
        connection.close();
        agent.close();
        server.close();
        serving = CaServeSetup.startServing(ServerSettings.forTests(data), Clock.systemUTC(), new SecureRandom());
        server = serving.server();
        agent = AgentServeSetup.start(serving);
        connection = serving.kms().openConnection(Duration.ofSeconds(30).toMillis());
        Instant deadline = Instant.now().plusSeconds(60);
        while (childrenWithMail(oldDn) > 0) {
            if (Instant.now().isAfter(deadline)) {
                fail("the agent did not upgrade " + oldDn + "'s children");
            }
            Thread.sleep(100); // polling the agent's progress, not waiting for time to pass
        }
    }

    private static int childrenWithMail(String dn) throws Exception {
        int count = 0;
        try (org.apache.directory.api.ldap.model.cursor.EntryCursor cursor = connection.search(dn, "(mail=*)",
                SearchScope.ONELEVEL, "1.1")) {
            while (cursor.next()) {
                count++;
            }
        }
        return count;
    }

    /**
     * What an earlier version published, written here as the KMS agent: the signing certificate
     * first on the user's entry, and children carrying the user's mail.
     */
    private static void publishAsBefore(String dn, String mail) throws Exception {
        List<byte[]> certificates = published(dn);
        byte[] encryption = certificates.stream().filter(der -> isEncryption(certificate(der))).findFirst().orElseThrow();
        byte[] signing = certificates.stream().filter(der -> !isEncryption(certificate(der))).findFirst().orElseThrow();
        connection.modify(dn, new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE,
                new DefaultAttribute("userCertificate;binary", signing, encryption)));
        for (String child : List.of("cn=signing," + dn, "cn=encryption," + dn)) {
            connection.modify(child, new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, "cn",
                    child.substring(3, child.indexOf(','))),
                    new DefaultModification(ModificationOperation.ADD_ATTRIBUTE, "mail", mail));
        }
        assertEquals(3, LdapTools.against(server.ldapUrl(), server.tlsCertificateFile()).anonymous()
                .search(server.layout().suffix(), "(mail=" + mail + ")", "1.1").assertSuccess().stdout().lines()
                .filter(line -> line.startsWith("dn: ")).count(), "the layout before: the user and two children by mail");
    }

    @AfterAll
    static void stop() throws Exception {
        if (connection != null) {
            connection.close();
        }
        if (agent != null) {
            agent.close();
        }
        if (server != null) {
            server.close();
        }
    }

    /**
     * An anonymous {@code ldapsearch (mail=…)} for {@code userCertificate;binary}, as Thunderbird
     * and Evolution search: every certificate of the user is in the answer once, and the first
     * entry's first value is the encryption certificate (keyEncipherment or keyAgreement, RFC 5280
     * section 4.2.1.3), which is what a client that keeps the first entry or the first value uses.
     */
    @Test
    void aSearchByMailAnswersEachCertificateOnceTheEncryptionCertificateFirst() throws Exception {
        for (Map.Entry<String, String> user : Map.of(RSA_MAIL, rsaDn, EC_MAIL, ecDn, OLD_MAIL, oldDn).entrySet()) {
            String answer = LdapTools.against(server.ldapUrl(), server.tlsCertificateFile()).anonymous()
                    .search(server.layout().suffix(), "(mail=" + user.getKey() + ")", "userCertificate;binary")
                    .assertSuccess().stdout();
            List<List<X509Certificate>> entries = certificatesPerEntry(answer);
            assertTrue(!entries.isEmpty() && !entries.get(0).isEmpty(), "a certificate in the first entry:\n" + answer);
            X509Certificate first = entries.get(0).get(0);
            assertTrue(isEncryption(first), user.getKey() + ": the first entry's first value is the encryption"
                    + " certificate, not " + first.getSubjectX500Principal() + " with key usage "
                    + java.util.Arrays.toString(first.getKeyUsage()) + ":\n" + dns(answer));

            List<byte[]> published = published(user.getValue());
            assertEquals(2, published.size(), "a signing and an encryption certificate");
            List<String> found = new ArrayList<>();
            entries.forEach(certificates -> certificates.forEach(c -> found.add(fingerprint(encoded(c)))));
            for (byte[] certificate : published) {
                assertEquals(1, found.stream().filter(fingerprint(certificate)::equals).count(),
                        user.getKey() + ": each certificate once in the answer:\n" + dns(answer));
            }
            assertEquals(2, found.size(), user.getKey() + ": the two certificates and nothing else:\n" + dns(answer));
        }
    }

    /**
     * gpgsm 2.2's {@code --list-external-keys ADDRESS} (dirmngr's substring search over sn, cn and
     * mail, reading the first value of userCertificate of each entry) lists each certificate of a
     * dual-key user exactly once; {@code <ADDRESS>} (dirmngr's {@code (mail=…)}) lists the
     * encryption certificate, the one gpgsm encrypts to.
     */
    @Test
    void gpgsmListsEachCertificateOfAUserOnce() throws Exception {
        LdapTools.requireTool("gpgsm", "gpgsm");
        LdapTools.requireTool("dirmngr", "dirmngr");
        Path home = Files.createDirectories(work.resolve("gnupg"));
        Files.setPosixFilePermissions(home, PosixFilePermissions.fromString("rwx------"));
        Map<String, String> gnupg = Map.of("GNUPGHOME", home.toString());
        try {
            Files.writeString(home.resolve("dirmngr.conf"), "disable-http\nldaptimeout 10\n");
            Files.writeString(home.resolve("dirmngr_ldapservers.conf"),
                    "127.0.0.1:" + server.ldapPort() + ":::" + server.layout().suffix() + "\n");
            for (Map.Entry<String, String> user : Map.of(RSA_MAIL, rsaDn, EC_MAIL, ecDn, OLD_MAIL, oldDn).entrySet()) {
                List<byte[]> published = published(user.getValue());
                assertEquals(2, published.size(), "a signing and an encryption certificate");
                LdapTools.Result listed = LdapTools.run(List.of("gpgsm", "--batch", "--with-colons",
                        "--list-external-keys", user.getKey()), gnupg, null).assertSuccess();
                List<String> found = fingerprints(listed.stdout());
                for (byte[] certificate : published) {
                    assertEquals(1, found.stream().filter(fingerprint(certificate)::equals).count(),
                            listed.describe(user.getKey() + ": each certificate listed once"));
                }
                assertEquals(2, found.size(), listed.describe(user.getKey() + ": the user's two certificates"));

                LdapTools.Result byMail = LdapTools.run(List.of("gpgsm", "--batch", "--with-colons",
                        "--list-external-keys", "<" + user.getKey() + ">"), gnupg, null).assertSuccess();
                byte[] encryption = published.stream().filter(der -> isEncryption(certificate(der))).findFirst()
                        .orElseThrow();
                assertEquals(List.of(fingerprint(encryption)), fingerprints(byMail.stdout()),
                        byMail.describe(user.getKey() + ": by mail, the encryption certificate"));
            }
        } finally {
            LdapTools.run(List.of("gpgconf", "--kill", "all"), gnupg, null);
        }
    }

    /**
     * A user published as an earlier version did (the signing certificate first, children with
     * mail) is in the current layout once the agent has started: the encryption certificate first
     * on the user's entry, the children without mail, the signing child named after the address.
     */
    @Test
    void whatAnEarlierVersionPublishedIsInTheCurrentLayoutOnceTheAgentStarted() throws Exception {
        String children = LdapTools.against(server.ldapUrl(), server.tlsCertificateFile()).anonymous()
                .searchRaw("-LLL", "-o", "ldif-wrap=no", "-b", oldDn, "-s", "one", "(objectClass=kmsPublishedCertificate)",
                        "cn", "mail").assertSuccess().stdout();
        assertTrue(children.contains("dn: cn=signing," + oldDn) && children.contains("dn: cn=encryption," + oldDn),
                children);
        assertTrue(!children.contains("mail:"), "no child carries mail:\n" + children);
        assertTrue(children.contains("cn: signing certificate of " + OLD_MAIL), children);
        List<byte[]> published = published(oldDn);
        assertTrue(isEncryption(certificate(published.get(0))), "the encryption certificate first");
        assertTrue(!isEncryption(certificate(published.get(1))), "then the signing one");
    }

    private static List<byte[]> published(String dn) throws Exception {
        Entry user = connection.lookup(dn, "userCertificate");
        List<byte[]> certificates = new ArrayList<>();
        user.get("userCertificate").forEach(value -> certificates.add(value.getBytes()));
        return certificates;
    }

    /** The certificates of each entry of an LDIF answer, entries and values in the order answered. */
    private static List<List<X509Certificate>> certificatesPerEntry(String ldif) {
        List<List<X509Certificate>> entries = new ArrayList<>();
        for (String record : ldif.split("\n\n")) {
            if (!record.startsWith("dn: ")) {
                continue;
            }
            List<X509Certificate> certificates = new ArrayList<>();
            for (String line : record.split("\n")) {
                // ApacheDS names the attribute with or without ';binary' (as it was written).
                if (line.toLowerCase(Locale.ROOT).startsWith("usercertificate")) {
                    certificates.add(certificate(Base64.getDecoder().decode(line.substring(line.indexOf(":: ") + 3))));
                }
            }
            entries.add(certificates);
        }
        return entries;
    }

    private static String dns(String ldif) {
        return String.join("\n", ldif.lines().filter(line -> line.startsWith("dn: ")).toList());
    }

    private static List<String> fingerprints(String colons) {
        return colons.lines().filter(line -> line.startsWith("fpr:")).map(line -> line.split(":", -1)[9]).toList();
    }

    /** keyEncipherment (RSA) or keyAgreement (EC), RFC 5280 section 4.2.1.3. */
    private static boolean isEncryption(X509Certificate certificate) {
        boolean[] usage = certificate.getKeyUsage();
        return usage != null && (usage[2] || usage[4]);
    }

    private static X509Certificate certificate(byte[] der) {
        try {
            return (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(new ByteArrayInputStream(der));
        } catch (java.security.cert.CertificateException e) {
            throw new AssertionError("not a certificate", e);
        }
    }

    private static byte[] encoded(X509Certificate certificate) {
        try {
            return certificate.getEncoded();
        } catch (java.security.cert.CertificateEncodingException e) {
            throw new AssertionError(e);
        }
    }

    private static String fingerprint(byte[] der) {
        try {
            return HexFormat.of().withUpperCase().formatHex(MessageDigest.getInstance("SHA-1").digest(der));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }
}
