package org.dirkms.it.guard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import org.apache.directory.api.ldap.model.entry.Entry;
import org.apache.directory.ldap.client.api.LdapNetworkConnection;
import org.dirkms.agent.enroll.KmsAgent;
import org.dirkms.dist.AgentServeSetup;
import org.dirkms.dist.CaServeSetup;
import org.dirkms.ds.server.DirectoryServer;
import org.dirkms.ds.server.ServerSettings;
import org.dirkms.it.support.LdapTools;
import org.dirkms.it.support.People;
import org.dirkms.it.support.Staff;
import org.dirkms.dist.KmsContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The hostile insider, against a running directory with its KMS agent and CA (what
 * {@code ./dirkms serve} runs), with the OpenLDAP clients and openssl, as the adversarial
 * review did it. Each test performs one finding of that review the way it was performed, asserts
 * the refusal (result code and message) and that the directory is unchanged: a dump of the whole
 * tree, read as the KMS agent (which reads every secret), before and after is the same. The people:
 * the directory superuser; alice, a KMS administrator; bob and carol, recovery agents; mallory, an
 * ordinary user; and ceo, an enrolled KMS user, the victim (docs/security.md).
 *
 * <p>Other findings have their own suites: the audit log's integrity ({@code AuditTamperIT}),
 * the data folder's modes ({@code DataFolderModesIT}), secrets in the server's log
 * ({@code SecretLoggingIT}), and the read paths that held already ({@code SecretGuardIT}).
 */
class InsiderAttackIT {

    @TempDir
    static Path data;

    @TempDir
    static Path work;

    private static DirectoryServer server;
    private static KmsAgent agent;
    private static LdapTools superuser;
    private static LdapTools alice;
    private static LdapTools bob;
    private static LdapTools mallory;
    private static LdapTools ceo;
    private static LdapTools kms;
    private static String people;
    private static String ceoDn;
    private static String malloryDn;
    private static final String CEO_PASSWORD = "ceo-test-password";
    private static final String MALLORY_PASSWORD = "mallory-test-password";

    @BeforeAll
    static void organisation() throws Exception {
        LdapTools.requireTool("openssl", "openssl");
        SecureRandom random = new SecureRandom();
        CaServeSetup.Serving serving = CaServeSetup.startServing(ServerSettings.forTests(data), Clock.systemUTC(), random);
        server = serving.server();
        agent = AgentServeSetup.start(serving);
        people = server.layout().people();
        superuser = tools().asWithPasswordFile(server.adminDn(), server.adminPasswordFile());
        kms = tools().asWithPasswordFile(server.kmsAgentDn(), server.kmsAgentPasswordFile());
        alice = Staff.person(server, "alice", "kms-administrators");
        bob = Staff.person(server, "bob", "recovery-agents");
        Staff.person(server, "carol", "recovery-agents");
        alice.modify("dn: " + server.layout().defaultAdministrativeGroup() + "\nchangetype: modify\n"
                + "replace: kmsKeyAlgorithm\nkmsKeyAlgorithm: EC-P256\n-\n").assertSuccess();
        ceoDn = "uid=ceo," + people;
        malloryDn = "uid=mallory," + people;
        People.addAndEnroll(superuser, alice, "dn: " + ceoDn + "\nobjectClass: inetOrgPerson\nobjectClass: kmsUser\n"
                + "uid: ceo\ncn: The CEO\nsn: CEO\nmail: ceo@example.com\nuserPassword: " + CEO_PASSWORD + "\n"
                + "kmsEnrollmentState: requested\n\ndn: " + malloryDn + "\nobjectClass: inetOrgPerson\nuid: mallory\n"
                + "cn: Mallory\nsn: Mallory\nmail: mallory@example.com\nuserPassword: " + MALLORY_PASSWORD + "\n");
        ceo = tools().as(ceoDn, CEO_PASSWORD);
        mallory = tools().as(malloryDn, MALLORY_PASSWORD);
        awaitState(ceoDn, "enrolled");
    }

    @AfterAll
    static void stop() {
        if (agent != null) {
            agent.close();
        }
        if (server != null) {
            server.close();
        }
    }

    private static LdapTools tools() {
        return LdapTools.against(server.ldapUrl(), server.tlsCertificateFile());
    }

    /** The whole tree as the KMS agent reads it (every secret; no password), but the audit anchor, which moves by itself. */
    private static String dump() {
        String ldif = kms.search(server.layout().suffix(), "(objectClass=*)", "*").assertSuccess().stdout();
        return java.util.Arrays.stream(ldif.split("\n\n")).map(String::strip)
                .filter(entry -> !entry.toLowerCase().contains(",ou=audit,ou=kms,"))
                .sorted().collect(Collectors.joining("\n\n"));
    }

    private static void refused(LdapTools.Result result, int code, String message) {
        result.assertExitCode(code);
        // ldapmodify reports on standard error, ldapmodrdn and ldapcompare on standard output.
        assertTrue((result.stdout() + result.stderr()).contains(message),
                result.describe("a message saying '" + message + "'"));
    }

    private static String attribute(LdapTools who, String dn, String attribute) {
        return who.searchRaw("-LLL", "-o", "ldif-wrap=no", "-s", "base", "-b", dn, "(objectClass=*)", attribute)
                .assertSuccess().stdout();
    }

    // 1. A KMS administrator reads the user's password and token, binds as the user, opens the package.
    @Test
    void aKmsAdministratorAloneCannotOpenAUsersPackage() {
        String before = dump();
        String seen = attribute(alice, ceoDn, "*");
        assertFalse(seen.toLowerCase().contains("userpassword:"), "nobody reads a password: " + seen);
        assertFalse(seen.contains("kmsKeyPackage:"), "a KMS administrator reads no package: " + seen);
        assertTrue(seen.contains("kmsEnrollmentToken"), "the KMS administrator reads the token: " + seen);
        refused(alice.modify("dn: " + ceoDn + "\nchangetype: modify\nreplace: userPassword\nuserPassword: mine\n-\n"),
                50, "only the owner of an entry and the directory administrator change its password");
        // The superuser can reset a password, but reads no token: still two people.
        String superuserSees = attribute(superuser, ceoDn, "*");
        assertFalse(superuserSees.contains("kmsEnrollmentToken:") || superuserSees.contains("kmsKeyPackage:")
                || superuserSees.toLowerCase().contains("userpassword:"), superuserSees);
        assertEquals(before, dump());
        ceo.whoami().assertSuccess();
    }

    // 2. A KMS administrator, and the superuser, add themselves to cn=KMS Agents.
    @Test
    void nobodyJoinsTheKmsAgentsOverLdap() {
        String before = dump();
        for (String[] who : List.of(new String[] {Staff.dn(server, "alice"), "alice"},
                new String[] {server.adminDn(), "superuser"})) {
            LdapTools client = who[1].equals("alice") ? alice : superuser;
            refused(client.modify("dn: " + server.layout().kmsAgentsGroup() + "\nchangetype: modify\nadd: member\n"
                    + "member: " + who[0] + "\n-\n"), 50, "dirkms roles");
            refused(client.modify("dn: " + server.layout().kmsAgentIdentity() + "\nchangetype: modify\n"
                    + "replace: userPassword\nuserPassword: taken\n-\n"), 50, "KMS");
        }
        refused(superuser.delete(server.layout().kmsAgentIdentity()), 50, "KMS subtree");
        assertEquals(before, dump());
        String archive = alice.search(server.layout().keyArchive(), "(objectClass=kmsArchivedKey)", "*")
                .assertSuccess().stdout();
        assertFalse(archive.contains("kmsWrappedKey"), archive);
    }

    // 3. A KMS administrator queues her own request naming another user.
    @Test
    void nobodyButTheKmsQueuesACertificateRequest() throws Exception {
        String before = dump();
        byte[] csr = opensslRequest("ceo-forged", "/CN=ceo/emailAddress=ceo@example.com");
        for (LdapTools client : List.of(alice, superuser)) {
            refused(client.modify("dn: cn=forged," + server.layout().requests() + "\nchangetype: add\n"
                    + "objectClass: kmsCertificateRequest\ncn: forged\nkmsRequestState: pending\n"
                    + "kmsRequestTemplate: cn=smime-signature," + server.layout().certificateTemplates() + "\n"
                    + "kmsRequestSubject: " + ceoDn + "\nkmsPkcs10Request:: " + base64(csr) + "\n"), 50, "KMS subtree");
        }
        assertEquals(before, dump());
    }

    // 4. The superuser writes its own PKCS#10 into the user's kmsSigningRequest and asks for enrollment.
    @Test
    void onlyTheUserWritesTheirSigningRequest() throws Exception {
        String before = dump();
        byte[] csr = opensslRequest("superuser-key", "/CN=ceo");
        refused(superuser.modify("dn: " + ceoDn + "\nchangetype: modify\nreplace: kmsSigningRequest\n"
                + "kmsSigningRequest:: " + base64(csr) + "\n-\n"), 50, "only the user writes it");
        refused(superuser.modify("dn: " + ceoDn + "\nchangetype: modify\nreplace: kmsEnrollmentState\n"
                + "kmsEnrollmentState: requested\n-\n"), 50, "only KMS administrators set it");
        refused(alice.modify("dn: " + ceoDn + "\nchangetype: modify\nreplace: kmsSigningRequest\n"
                + "kmsSigningRequest:: " + base64(csr) + "\n-\n"), 50, "only the user writes it");
        assertEquals(before, dump());
    }

    // 5. An ordinary user adds the CEO's address to their own entry.
    @Test
    void aUserCannotTakeAnotherAddress() {
        String before = dump();
        refused(mallory.modify("dn: " + malloryDn + "\nchangetype: modify\nadd: mail\nmail: ceo@example.com\n-\n"),
                50, "only the directory administrator changes it");
        assertEquals(before, dump());
        String byMail = tools().anonymous().search(people, "(mail=ceo@example.com)", "1.1").assertSuccess().stdout();
        assertFalse(byMail.contains(malloryDn), byMail);
    }

    // 6. A user publishes someone else's certificate on their own entry.
    @Test
    void aUserCannotPublishSomeoneElsesCertificate() {
        String before = dump();
        String ceoCertificate = attribute(tools().anonymous(), "cn=encryption," + ceoDn, "userCertificate;binary")
                .lines().filter(line -> line.startsWith("userCertificate;binary:: ")).findFirst().orElseThrow()
                .substring("userCertificate;binary:: ".length());
        refused(mallory.modify("dn: " + malloryDn + "\nchangetype: modify\nadd: userCertificate;binary\n"
                + "userCertificate;binary:: " + ceoCertificate + "\n-\n"), 19, "'ceo@example.com'");
        refused(mallory.modify("dn: " + malloryDn + "\nchangetype: modify\nadd: userSMIMECertificate\n"
                + "userSMIMECertificate:: " + attribute(tools().anonymous(), ceoDn, "userSMIMECertificate").lines()
                        .filter(line -> line.startsWith("userSMIMECertificate:: ")).findFirst().orElseThrow()
                        .substring("userSMIMECertificate:: ".length()) + "\n-\n"), 19, "'ceo@example.com'");
        assertEquals(before, dump());
    }

    // 7. A KMS administrator makes a recovery request that is already approved, by herself, needing one approval.
    @Test
    void aRecoveryRequestIsBornPendingWithItsTrueRequester() {
        String before = dump();
        String request = "dn: cn=shortcut," + server.layout().recoveryRequests() + "\nchangetype: add\n"
                + "objectClass: kmsRecoveryRequest\ncn: shortcut\nkmsRecoveryTarget: " + ceoDn + "\n";
        refused(alice.modify(request + "kmsRecoveryApproval: " + Staff.dn(server, "bob") + "\nkmsRecoveryApproval: "
                + Staff.dn(server, "carol") + "\n"), 50, "carries no approvals");
        refused(alice.modify(request + "kmsRecoveryRequester: " + Staff.dn(server, "bob") + "\n"), 50,
                "set by the directory");
        refused(alice.modify(request + "kmsRequiredApprovals: 1\n"), 50, "configuration");
        refused(alice.modify(request + "kmsRecoveryState: approved\n"), 50, "pending");
        refused(superuser.modify(request), 50, "only KMS administrators may request a key recovery");
        assertEquals(before, dump());
        alice.modify(request).assertSuccess();
        String made = attribute(kms, "cn=shortcut," + server.layout().recoveryRequests(), "*");
        assertTrue(made.contains("kmsRecoveryRequester: " + Staff.dn(server, "alice")), made);
        assertTrue(made.contains("kmsRecoveryState: pending"), made);
        refused(bob.modify("dn: cn=shortcut," + server.layout().recoveryRequests() + "\nchangetype: modify\n"
                + "add: kmsRecoveryApproval\nkmsRecoveryApproval: " + Staff.dn(server, "carol") + "\n-\n"), 50,
                "only their own DN");
        refused(alice.modify("dn: cn=shortcut," + server.layout().recoveryRequests() + "\nchangetype: modify\n"
                + "replace: kmsRecoveryTarget\nkmsRecoveryTarget: " + malloryDn + "\n-\n"), 50, "set when it is made");
    }

    // 8. Rename ou=KMS away, delete an archive record under the renamed tree, rename back.
    @Test
    void theKmsSubtreeKeepsItsNameAndTheArchiveKeepsEveryRecord() throws Exception {
        String before = dump();
        String suffix = server.layout().suffix();
        for (LdapTools client : List.of(superuser, alice, kms)) {
            LdapTools.Result rename = LdapTools.run(List.of(LdapTools.executable("ldapmodrdn"), "-H", server.ldapUrl(),
                    "-ZZ", "-x", "-D", who(client), "-y", passwordFile(client).toString(), server.layout().kms(),
                    "ou=KMS-x"), env(), null);
            refused(rename, 53, "renamed or moved");
        }
        String record = kms.search(server.layout().keyArchive(), "(kmsKeyOwner=" + ceoDn + ")", "1.1").assertSuccess()
                .stdout().lines().filter(line -> line.startsWith("dn: ")).findFirst().orElseThrow().substring(4);
        refused(kms.delete(record), 53, "append-only");
        refused(superuser.delete(record), 53, "append-only");
        refused(superuser.delete(server.layout().keyArchive()), 53, "append-only");
        assertEquals(before, dump());
    }

    // 9. A KMS administrator puts back an older CRL, with fewer revocations.
    @Test
    void aCrlIsNeverRolledBack() throws Exception {
        String caDn = kms.search(server.layout().certificationAuthorities(), "(objectClass=pkiCA)", "1.1")
                .assertSuccess().stdout().lines().filter(line -> line.startsWith("dn: ")).findFirst().orElseThrow()
                .substring(4);
        String older = crl(caDn);
        // A revocation republishes the CRL: mallory is enrolled and revoked.
        alice.modify("dn: " + malloryDn + "\nchangetype: modify\nadd: objectClass\nobjectClass: kmsUser\n-\n"
                + "add: kmsEnrollmentState\nkmsEnrollmentState: requested\n-\n").assertSuccess();
        awaitState(malloryDn, "enrolled");
        alice.modify("dn: " + malloryDn + "\nchangetype: modify\nreplace: kmsEnrollmentState\n"
                + "kmsEnrollmentState: revoke-requested\n-\n").assertSuccess();
        awaitState(malloryDn, "revoked");
        String newer = crl(caDn);
        assertFalse(older.equals(newer));
        String before = dump();
        refused(alice.modify("dn: " + caDn + "\nchangetype: modify\nreplace: certificateRevocationList;binary\n"
                + "certificateRevocationList;binary:: " + older + "\n-\n"), 50, "KMS subtree");
        refused(superuser.modify("dn: " + caDn + "\nchangetype: modify\nreplace: certificateRevocationList;binary\n"
                + "certificateRevocationList;binary:: " + older + "\n-\n"), 50, "KMS subtree");
        refused(kms.modify("dn: " + caDn + "\nchangetype: modify\nreplace: certificateRevocationList;binary\n"
                + "certificateRevocationList;binary:: " + older + "\n-\n"), 19, "RFC 5280 section 5.2.3");
        // Nor is the CA's distribution point turned to another server, or to a URL that makes
        // clients search the tree (docs/interoperability.md).
        String elsewhere = "kmsCrlDistributionPoint: ldap://attacker.example:389/" + caDn.replace(" ", "%20")
                + "?certificateRevocationList;binary?base";
        refused(alice.modify("dn: " + caDn + "\nchangetype: modify\nreplace: kmsCrlDistributionPoint\n" + elsewhere
                + "\n-\n"), 50, "KMS subtree");
        refused(superuser.modify("dn: " + caDn + "\nchangetype: modify\nreplace: kmsCrlDistributionPoint\n" + elsewhere
                + "\n-\n"), 50, "KMS subtree");
        refused(kms.modify("dn: " + caDn + "\nchangetype: modify\nreplace: kmsCrlDistributionPoint\n"
                + "kmsCrlDistributionPoint: ldap:///" + caDn.replace(" ", "%20") + "?certificateRevocationList;binary\n-\n"),
                21, "names no host");
        assertEquals(before, dump());
        // openssl still sees mallory's certificates revoked on the published CRL.
        Path crlFile = Files.write(work.resolve("published.crl"), Base64.getDecoder().decode(crl(caDn)));
        String text = LdapTools.run(List.of("openssl", "crl", "-inform", "DER", "-in", crlFile.toString(), "-noout",
                "-text"), Map.of(), null).assertSuccess().stdout();
        assertTrue(text.contains("Revoked Certificates:"), text);
    }

    // 10. An ordinary user tests another user's password with a filter.
    @Test
    void aFilterIsNoPasswordOracle() {
        for (LdapTools client : List.of(mallory, alice, superuser, kms)) {
            refused(client.search(people, "(&(uid=ceo)(userPassword=" + CEO_PASSWORD + "))", "1.1"), 50,
                    "checked by binding");
            refused(client.compare(ceoDn, "userPassword:" + CEO_PASSWORD), 50, "not entitled to read it");
        }
    }

    // 11. Anonymous writes as oracles: the answer must not depend on whether the value is right.
    @Test
    void aRefusedWriteAnswersTheSameWhateverItsValue() {
        String before = dump();
        String token = attribute(alice, ceoDn, "kmsEnrollmentToken").lines()
                .filter(line -> line.startsWith("kmsEnrollmentToken: ")).findFirst().orElseThrow()
                .substring("kmsEnrollmentToken: ".length());
        List<String[]> guesses = List.of(
                new String[] {ceoDn, "userPassword", CEO_PASSWORD, "wrong-password"},
                new String[] {server.layout().kmsAgentsGroup(), "member", server.kmsAgentDn(), malloryDn},
                new String[] {ceoDn, "kmsEnrollmentToken", token, "wrong-token"});
        for (LdapTools client : List.of(tools().anonymous().withArguments("-ZZ"), mallory)) {
            for (String[] guess : guesses) {
                List<Integer> codes = new ArrayList<>();
                for (String value : List.of(guess[2], guess[3])) {
                    codes.add(client.modify("dn: " + guess[0] + "\nchangetype: modify\ndelete: " + guess[1] + "\n"
                            + guess[1] + ": " + value + "\n-\n").exitCode());
                }
                assertEquals(codes.get(0), codes.get(1), "the same answer for a right and a wrong " + guess[1]);
                assertEquals(50, codes.get(0));
            }
            // Who has an unfetched key package: deleting it without a value answers the same for a
            // user with one (ceo) and a user without (mallory's own entry, for the anonymous).
            assertEquals(50, client.modify("dn: " + ceoDn + "\nchangetype: modify\ndelete: kmsKeyPackage\n-\n").exitCode());
            if (client != mallory) {
                assertEquals(50, client.modify("dn: " + malloryDn + "\nchangetype: modify\ndelete: kmsKeyPackage\n-\n")
                        .exitCode());
            }
        }
        assertEquals(before, dump());
    }

    // 12. Simple binds with passwords over a connection without TLS.
    @Test
    void aPasswordNeverCrossesAConnectionWithoutTls() {
        refused(tools().as(ceoDn, CEO_PASSWORD).withoutTls().whoami(), 13, "needs a protected connection");
        refused(tools().as(ceoDn, "wrong").withoutTls().whoami(), 13, "needs a protected connection");
        ceo.whoami().assertSuccess();
        tools().anonymous().search(people, "(mail=ceo@example.com)", "mail").assertSuccess();
    }

    // 13. A value over the 32 KiB a non-agent may write (below the 64 KiB any write is held to): refused
    // with a precise code, never half applied.
    @Test
    void anOversizeValueIsRefusedAndNothingChanges() throws Exception {
        String before = dump();
        String big = "x".repeat(40_000);
        refused(mallory.modify("dn: " + malloryDn + "\nchangetype: modify\nreplace: description\ndescription: " + big
                + "\n-\n"), 19, "at most 32768 bytes");
        refused(superuser.modify("dn: uid=big," + people + "\nchangetype: add\nobjectClass: inetOrgPerson\nuid: big\n"
                + "cn: Big\nsn: " + big + "\n"), 19, "at most 32768 bytes");
        assertEquals(before, dump());
        mallory.modify("dn: " + malloryDn + "\nchangetype: modify\nreplace: description\ndescription: "
                + "y".repeat(30_000) + "\n-\n").assertSuccess();
        assertTrue(attribute(kms, malloryDn, "description").contains("y".repeat(30_000)));
    }

    // ------------------------------------------------------------------ helpers

    private static String who(LdapTools client) {
        return client == superuser ? server.adminDn() : client == kms ? server.kmsAgentDn() : Staff.dn(server, "alice");
    }

    private static Path passwordFile(LdapTools client) throws Exception {
        if (client == superuser) {
            return server.adminPasswordFile();
        }
        if (client == kms) {
            return server.kmsAgentPasswordFile();
        }
        Path file = work.resolve("staff.password");
        Files.writeString(file, Staff.PASSWORD);
        return file;
    }

    private static Map<String, String> env() {
        return Map.of("LDAPTLS_CACERT", server.tlsCertificateFile().toString(), "LDAPTLS_REQCERT", "demand",
                "LDAPCONF", "/dev/null", "LDAPRC", "dirkms-it-no-ldaprc");
    }

    private static String crl(String caDn) {
        return attribute(tools().anonymous(), caDn, "certificateRevocationList;binary").lines()
                .filter(line -> line.startsWith("certificateRevocationList;binary:: ")
                        || line.startsWith("certificateRevocationList:: "))
                .findFirst().orElseThrow().replaceFirst("^[^:]*:: ", "");
    }

    /** A PKCS#10 made by openssl (EC P-256), as an attacker would make one, in DER. */
    private static byte[] opensslRequest(String name, String subject) throws Exception {
        Path key = work.resolve(name + ".key");
        Path csr = work.resolve(name + ".csr");
        LdapTools.run(List.of("openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", key.toString(), "-subj", subject, "-outform", "DER", "-out", csr.toString()), Map.of(), null)
                .assertSuccess();
        return Files.readAllBytes(csr);
    }

    private static String base64(byte[] bytes) {
        return Base64.getEncoder().encodeToString(bytes);
    }

    private static void awaitState(String dn, String state) throws Exception {
        try (LdapNetworkConnection connection = KmsContext.of(server, Clock.systemUTC(), new SecureRandom())
                .openConnection(30_000)) {
            Instant deadline = Instant.now().plusSeconds(60);
            while (true) {
                Entry entry = connection.lookup(dn, "kmsEnrollmentState", "kmsLastError");
                String now = entry.get("kmsEnrollmentState") == null ? null : entry.get("kmsEnrollmentState").getString();
                if (state.equals(now)) {
                    return;
                }
                if ("failed".equals(now) || Instant.now().isAfter(deadline)) {
                    fail(dn + " did not become " + state + ": " + entry);
                }
                Thread.sleep(100); // polling the agent's progress, not waiting for time to pass
            }
        }
    }
}
