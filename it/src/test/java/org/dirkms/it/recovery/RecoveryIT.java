package org.dirkms.it.recovery;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.apache.directory.api.ldap.model.entry.Entry;
import org.apache.directory.api.ldap.model.message.Response;
import org.apache.directory.api.ldap.model.message.SearchRequest;
import org.apache.directory.api.ldap.model.message.SearchRequestImpl;
import org.apache.directory.api.ldap.model.message.SearchResultDone;
import org.apache.directory.api.ldap.model.message.SearchResultEntry;
import org.apache.directory.api.ldap.model.message.SearchScope;
import org.apache.directory.api.ldap.model.message.controls.PersistentSearchImpl;
import org.apache.directory.api.ldap.model.name.Dn;
import org.apache.directory.ldap.client.api.LdapNetworkConnection;
import org.apache.directory.ldap.client.api.future.SearchFuture;
import org.dirkms.agent.directory.Claim;
import org.dirkms.agent.enroll.AgentConnection;
import org.dirkms.agent.enroll.KmsAgent;
import org.dirkms.agent.recovery.RecoveryResult;
import org.dirkms.agent.recovery.RecoveryService;
import org.dirkms.dist.AgentServeSetup;
import org.dirkms.dist.CaServeSetup;
import org.dirkms.dist.DirkmsCommand;
import org.dirkms.schema.audit.AuditRecord;
import org.dirkms.ds.server.DirectoryServer;
import org.dirkms.ds.server.ServerSettings;
import org.dirkms.it.support.LdapTools;
import org.dirkms.it.support.ProjectFiles;
import org.dirkms.it.support.Staff;
import org.dirkms.it.support.StandardErrorCapture;
import org.dirkms.schema.DataFolder;
import org.dirkms.schema.DirectoryLayout;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * Key recovery as the people involved drive it (docs/administrator-contract.md, 5), against the
 * directory, CA and agent that {@code dirkms serve} runs. The directory superuser adds Jane Doe
 * and the staff with the sample LDIF, {@code dirkms roles} gives the roles, the KMS administrator
 * Alice enrolls Jane in the Sales group (EC P-256) and enrolls her again, so Jane has two
 * encryption keys, and a correspondent encrypts one message to each encryption certificate with
 * {@code openssl cms}. Jane loses everything. Alice asks for a recovery with
 * {@code 50-request-recovery.ldif}; the recovery agents Bob and Carol, each bound as themselves,
 * approve with {@code 60-approve-recovery.ldif}; every refusal of the guard is tried with
 * {@code ldapmodify} (result code, message, the entry unchanged); one approval yields no package;
 * the agent recovers both keys; nobody but Alice reads the package or the token, on any path;
 * Alice fetches with {@code dirkms recovery fetch} (and reads the same with {@code ldapsearch});
 * {@code openssl pkcs12} opens the package with the token and {@code openssl cms -decrypt} reads
 * both messages. Every step is in the audit log; no secret is, nor in what the server and the
 * agent log. A request that cannot be made fails with a plain reason, a request short of
 * approvals and an unfetched package expire, the number of approvals changes only where the KMS
 * runs, and a recovery whose agent died is taken over and delivered once.
 */
class RecoveryIT {

    @TempDir
    static Path data;

    @TempDir
    static Path work;

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String SUFFIX = "dc=example,dc=com";
    private static final String JDOE = "uid=jdoe,ou=People," + SUFFIX;
    private static final String ALICE = "uid=alice,ou=People," + SUFFIX;
    private static final String BOB = "uid=bob,ou=People," + SUFFIX;
    private static final String CAROL = "uid=carol,ou=People," + SUFFIX;
    private static final String MALLORY = "uid=mallory,ou=People," + SUFFIX;
    private static final String SAMPLE_REQUEST = "cn=recover-jdoe-2026-11-25,ou=Recovery Requests,ou=KMS," + SUFFIX;

    private static CaServeSetup.Serving serving;
    private static DirectoryServer server;
    private static KmsAgent agent;
    private static LdapNetworkConnection kms;
    private static DirectoryLayout layout;
    private static LdapTools superuser;
    private static LdapTools alice;
    private static LdapTools bob;
    private static LdapTools carol;
    private static LdapTools dave;
    private static LdapTools mallory;
    private static LdapTools jdoe;
    private static String daveDn;
    /** Jane's two encryption certificates, the first enrollment's first, as PEM files. */
    private static final List<Path> ENCRYPTION_CERTIFICATES = new ArrayList<>();
    /** One message encrypted to each of them, and its text. */
    private static final Map<Path, String> MESSAGES = new HashMap<>();

    @BeforeAll
    static void janeIsEnrolledTwiceAndReceivesMail() throws Exception {
        LdapTools.requireTool("openssl", "openssl");
        serving = CaServeSetup.startServing(ServerSettings.forTests(data), Clock.systemUTC(), RANDOM);
        server = serving.server();
        agent = AgentServeSetup.start(serving);
        layout = server.layout();
        kms = serving.kms().openConnection(Duration.ofSeconds(30).toMillis());
        superuser = tools().asWithPasswordFile(server.adminDn(), server.adminPasswordFile());
        superuser.modifyFile(sample("20-add-user.ldif")).assertSuccess();
        superuser.modifyFile(sample("25-add-kms-people.ldif")).assertSuccess();
        superuser.add("dn: " + MALLORY + "\nobjectClass: inetOrgPerson\nuid: mallory\ncn: Mallory\nsn: Mallory\n"
                + "mail: mallory@example.com\nuserPassword: mallory-password\n").assertSuccess();
        Staff.giveRole(server, "kms-administrators", ALICE);
        Staff.giveRole(server, "recovery-agents", BOB);
        Staff.giveRole(server, "recovery-agents", CAROL);
        dave = Staff.person(server, "dave", "recovery-agents");
        daveDn = Staff.dn(server, "dave");
        alice = tools().as(ALICE, "alice-sample-password-change-me");
        bob = tools().as(BOB, "bob-sample-password-change-me");
        carol = tools().as(CAROL, "carol-sample-password-change-me");
        mallory = tools().as(MALLORY, "mallory-password");
        jdoe = tools().as(JDOE, "jdoe-sample-password-change-me");

        // Alice makes the Sales group (EC P-256) and enrolls Jane in it, then enrolls her again.
        alice.modifyFile(sample("10-create-administrative-group.ldif")).assertSuccess();
        alice.modifyFile(sample("30-enroll-user.ldif")).assertSuccess();
        ENCRYPTION_CERTIFICATES.add(awaitEnrollment(1));
        alice.modify("dn: " + JDOE + "\nchangetype: modify\nreplace: kmsEnrollmentState\nkmsEnrollmentState: requested"
                + "\n-\n").assertSuccess();
        ENCRYPTION_CERTIFICATES.add(awaitEnrollment(2));
        assertNotEquals(Files.readString(ENCRYPTION_CERTIFICATES.get(0)), Files.readString(ENCRYPTION_CERTIFICATES.get(1)));

        // A correspondent writes to Jane, once to each encryption certificate she had.
        for (int i = 0; i < ENCRYPTION_CERTIFICATES.size(); i++) {
            String text = "message " + i + " for Jane, encrypted to her encryption certificate number " + (i + 1) + "\n";
            Path plain = Files.writeString(work.resolve("message" + i + ".txt"), text);
            Path encrypted = work.resolve("message" + i + ".p7m");
            openssl("cms", "-encrypt", "-binary", "-aes256", "-in", plain.toString(), "-out", encrypted.toString(),
                    ENCRYPTION_CERTIFICATES.get(i).toString()).assertSuccess();
            Files.delete(plain);
            MESSAGES.put(encrypted, text);
        }
    }

    /** What the server and the agent log while a test watches them; closed after each test. */
    private StandardErrorCapture logged;

    @AfterEach
    void stopWatchingTheLog() {
        if (logged != null) {
            logged.close();
        }
    }

    @AfterAll
    static void stop() {
        if (kms != null) {
            kms.close();
        }
        if (agent != null) {
            agent.close();
        }
        if (server != null) {
            server.close();
        }
    }

    @Test
    void twoRecoveryAgentsApproveAndTheRequesterGetsEveryEncryptionKeyJaneHad() throws Exception {
        // Alice asks, with the sample; the directory records her, the state and the count.
        alice.modifyFile(sample("50-request-recovery.ldif")).assertSuccess();
        String made = alice.search(SAMPLE_REQUEST, "(objectClass=*)", "*").assertSuccess().stdout();
        assertTrue(made.contains("kmsRecoveryRequester: " + ALICE), made);
        assertTrue(made.contains("kmsRecoveryState: pending"), made);
        assertTrue(made.contains("kmsRequiredApprovals: 2"), made);
        assertTrue(made.contains("kmsRecoveryTarget: " + JDOE), made);

        // Every refusal: its result code, its message, and the request as it was.
        String before = snapshot(SAMPLE_REQUEST);
        refused(mallory.modify(approval(SAMPLE_REQUEST, "add", MALLORY)), 50,
                "only members of the recovery agents group approve key recoveries", before);
        refused(bob.modify(approval(SAMPLE_REQUEST, "add", CAROL)), 50, "a recovery agent may add or remove only their"
                + " own DN in kmsRecoveryApproval, the DN they are bound as", before);
        refused(superuser.modify(approval(SAMPLE_REQUEST, "add", server.adminDn())), 50,
                "only members of the recovery agents group approve key recoveries", before);
        Staff.giveRole(server, "recovery-agents", ALICE);
        refused(alice.modify(approval(SAMPLE_REQUEST, "add", ALICE)), 50,
                "you asked for this recovery: it must be approved by other recovery agents", before);
        Staff.takeRole(server, "recovery-agents", ALICE);
        for (String[] change : List.of(new String[] {"kmsRecoveryTarget", MALLORY},
                new String[] {"kmsRecoveryRequester", BOB}, new String[] {"kmsRequiredApprovals", "1"})) {
            refused(alice.modify(replace(SAMPLE_REQUEST, change[0], change[1])), 50, change[0]
                    + " of a recovery request is set when it is made and then by the KMS only", before);
        }
        refused(bob.modify(replace(SAMPLE_REQUEST, "kmsRequiredApprovals", "1")), 50, "kmsRequiredApprovals of a"
                + " recovery request is set when it is made and then by the KMS only; a recovery agent adds their own"
                + " DN to kmsRecoveryApproval", before);

        // Bob approves with the sample, bound as himself; once.
        int handled = agent.handledCount();
        bob.modifyFile(sample("60-approve-recovery.ldif")).assertSuccess();
        String approvedOnce = snapshot(SAMPLE_REQUEST);
        refused(bob.modify(approval(SAMPLE_REQUEST, "add", BOB)), 20,
                "you have approved this recovery request already: a recovery needs approvals by distinct agents",
                approvedOnce);
        // One approval of two yields nothing: the agent looked, and wrote no package.
        await(() -> agent.handledCount() > handled, "the agent handles Bob's approval");
        Entry shortOfOne = kms.lookup(SAMPLE_REQUEST, "*");
        assertEquals("pending", shortOfOne.get("kmsRecoveryState").getString());
        assertNull(shortOfOne.get("kmsRecoveryPackage"), "no package short of approvals");
        assertNull(shortOfOne.get("kmsRecoveryToken"));
        assertNull(shortOfOne.get("kmsClaimedBy"));

        // Carol approves with the sample, her own DN in it as its comment says. What the server
        // and the agent log from here to the fetch is kept, to look for the secrets in it.
        logged = StandardErrorCapture.start();
        carol.modify(Files.readString(sample("60-approve-recovery.ldif")).replace(BOB, CAROL)).assertSuccess();
        awaitState(SAMPLE_REQUEST, "approved");

        // Alice reads the package and the token with ldapsearch; nobody else reads them, on any path.
        String asRequester = alice.search(SAMPLE_REQUEST, "(objectClass=*)", "kmsRecoveryPackage", "kmsRecoveryToken",
                "kmsKeyPackageExpires").assertSuccess().stdout();
        byte[] packageBytes = binary(asRequester, "kmsRecoveryPackage");
        String token = new String(binary(asRequester, "kmsRecoveryToken"), StandardCharsets.US_ASCII);
        assertTrue(token.matches("([0-9A-HJKMNP-TV-Z]{4}-){5}[0-9A-HJKMNP-TV-Z]{4}"), "a one-time token");
        assertTrue(asRequester.contains("kmsKeyPackageExpires: "), asRequester);
        onlyTheRequesterReads(SAMPLE_REQUEST, token);

        // Alice fetches with the command, which confirms the fetch by deleting the package.
        Path p12 = work.resolve("jdoe-recovered.p12");
        Path alicePassword = Files.writeString(work.resolve("alice.password"), "alice-sample-password-change-me\n");
        Run fetch = dirkms("recovery", "fetch", "recover-jdoe-2026-11-25", "--out", p12.toString(), "--bind-dn", ALICE,
                "--password-file", alicePassword.toString(), "--url", server.ldapUrl(), "--ca-cert",
                server.tlsCertificateFile().toString(), "--data", data.toString());
        assertEquals(0, fetch.code(), fetch.toString());
        Path tokenFile = work.resolve("jdoe-recovered.p12.token");
        assertTrue(fetch.out().contains("(2 encryption keys of " + JDOE + ") to " + p12), fetch.out());
        assertTrue(fetch.out().contains("open it with:  openssl pkcs12 -in " + p12 + " -passin file:" + tokenFile
                + " -nodes"), fetch.out());
        assertFalse(fetch.out().contains(token) || fetch.err().contains(token), "the command never prints the token");
        assertArrayEquals(packageBytes, Files.readAllBytes(p12), "the package ldapsearch shows");
        assertEquals(token, Files.readString(tokenFile));
        for (Path file : List.of(p12, tokenFile)) {
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)), file.toString());
        }
        awaitState(SAMPLE_REQUEST, "delivered");
        LoggerFactory.getLogger(RecoveryIT.class).info("capture check after the delivery");
        logged.close();
        String log = logged.text();
        assertTrue(log.contains("INFO org.dirkms.it.recovery.RecoveryIT - capture check"), "the capture works: " + log);
        assertTrue(log.contains("Recovered 2 encryption key(s) of " + JDOE + " for " + ALICE), log);
        for (String secret : List.of(token, token.replace("-", ""), Base64.getEncoder().encodeToString(packageBytes)
                .substring(0, 16), java.util.HexFormat.of().formatHex(packageBytes, 0, 12))) {
            assertFalse(log.toLowerCase(java.util.Locale.ROOT).contains(secret.toLowerCase(java.util.Locale.ROOT)),
                    "no trace of the package or the token in what the server and the agent log:\n" + log);
        }
        String delivered = alice.search(SAMPLE_REQUEST, "(objectClass=*)", "*", "kmsRecoveryToken").assertSuccess()
                .stdout();
        assertFalse(delivered.contains("kmsRecoveryToken") || delivered.contains("kmsRecoveryPackage"),
                "the token goes with the package: " + delivered);
        Run again = dirkms("recovery", "fetch", "recover-jdoe-2026-11-25", "--out", work.resolve("again.p12").toString(),
                "--bind-dn", ALICE, "--password-file", alicePassword.toString(), "--url", server.ldapUrl(), "--ca-cert",
                server.tlsCertificateFile().toString(), "--data", data.toString());
        assertEquals(1, again.code(), again.toString());
        assertEquals("dirkms recovery: there is no package to fetch on " + SAMPLE_REQUEST
                + ": it was fetched already, and the fetch confirmed\n", again.err());

        // openssl opens it with the token: Jane's two encryption keys, their certificates and the
        // CA, and no signing key; each key reads the message sent to its certificate.
        String keys = openssl("pkcs12", "-in", p12.toString(), "-passin", "file:" + tokenFile, "-nocerts", "-nodes")
                .assertSuccess().stdout();
        List<String> privateKeys = pemBlocks(keys, "PRIVATE KEY");
        assertEquals(2, privateKeys.size(), "two encryption keys");
        assertEquals(2, keys.split("friendlyName: jane.doe@example.com encryption key of ", -1).length - 1, keys
                .replaceAll("(?s)-----BEGIN PRIVATE KEY-----.*?-----END PRIVATE KEY-----", "(key)"));
        String certificates = openssl("pkcs12", "-in", p12.toString(), "-passin", "file:" + tokenFile, "-nokeys")
                .assertSuccess().stdout();
        assertEquals(3, pemBlocks(certificates, "CERTIFICATE").size(), "both certificates and the CA's");
        assertTrue(certificates.contains("subject=DC = com, DC = example, OU = KMS, OU = Certification Authorities, CN = dirkms Root CA"), certificates);
        int read = 0;
        for (int i = 0; i < ENCRYPTION_CERTIFICATES.size(); i++) {
            Path certificate = ENCRYPTION_CERTIFICATES.get(i);
            Path message = work.resolve("message" + i + ".p7m");
            for (int k = 0; k < privateKeys.size(); k++) {
                Path key = Files.writeString(work.resolve("recovered" + k + ".key"), privateKeys.get(k));
                Path out = work.resolve("read" + i + ".txt");
                if (openssl("cms", "-decrypt", "-in", message.toString(), "-recip", certificate.toString(), "-inkey",
                        key.toString(), "-out", out.toString()).exitCode() == 0) {
                    assertEquals(MESSAGES.get(message), Files.readString(out));
                    read++;
                }
            }
        }
        assertEquals(2, read, "the old and the new message each open with exactly one recovered key");

        // Approvals of a request no longer pending: unwillingToPerform.
        String done = snapshot(SAMPLE_REQUEST);
        refused(dave.modify(approval(SAMPLE_REQUEST, "add", daveDn)), 53, "the recovery request is delivered:"
                + " approvals are given or withdrawn only while it is pending", done);
        refused(bob.modify(approval(SAMPLE_REQUEST, "delete", BOB)), 53, "the recovery request is delivered", done);

        // 'dirkms recovery list' shows it, with its approvals.
        Run list = dirkms("recovery", "list", "--url", server.ldapUrl(), "--data", data.toString(), "--ca-cert",
                server.tlsCertificateFile().toString());
        assertEquals(0, list.code(), list.toString());
        assertTrue(list.out().contains("recover-jdoe-2026-11-25  delivered  " + JDOE + "\n  requested by " + ALICE),
                list.out());
        assertTrue(list.out().contains("  approvals 2 of 2: " + BOB + "; " + CAROL + "\n"), list.out());

        // Every step is in the audit log; no secret is.
        List<AuditRecord> steps = auditOf(SAMPLE_REQUEST);
        assertStep(steps, ALICE, "add", "kmsRecoveryState=pending");
        assertStep(steps, MALLORY, "refused-modify", "result=insufficientAccessRights");
        assertStep(steps, server.adminDn(), "refused-modify", "result=insufficientAccessRights");
        assertStep(steps, BOB, "modify", "kmsRecoveryApproval");
        assertStep(steps, BOB, "refused-modify", "result=attributeOrValueExists");
        assertStep(steps, CAROL, "modify", "kmsRecoveryApproval");
        assertStep(steps, server.kmsAgentDn(), "modify", "kmsRecoveryState=approved");
        assertStep(steps, ALICE, "modify", "kmsRecoveryPackage");
        assertStep(steps, server.kmsAgentDn(), "modify", "kmsRecoveryState=delivered");
        assertStep(steps, daveDn, "refused-modify", "result=unwillingToPerform");
        String audit = Files.readString(DataFolder.of(data).auditLog());
        assertFalse(audit.contains(token), "no token in the audit log");
        assertFalse(audit.contains(Base64.getEncoder().encodeToString(packageBytes).substring(0, 40)), "no package");
    }

    /**
     * Bob, Carol, Jane, Mallory, the directory superuser and anonymous clients read the request
     * but neither the package nor the token: not by search, filter, compare, persistent search
     * or syncrepl; Alice, its requester, does on each path.
     */
    private static void onlyTheRequesterReads(String request, String token) throws Exception {
        for (LdapTools other : List.of(bob, carol, jdoe, mallory, superuser)) {
            String seen = other.search(request, "(objectClass=*)", "*", "kmsRecoveryPackage", "kmsRecoveryToken")
                    .assertSuccess().stdout();
            assertTrue(seen.contains("kmsRecoveryState: approved"), seen);
            assertFalse(seen.contains("kmsRecoveryPackage") || seen.contains("kmsRecoveryToken") || seen.contains(token),
                    seen);
            other.search(layout.recoveryRequests(), "(kmsRecoveryToken=" + token + ")", "cn").assertExitCode(50);
            other.search(layout.recoveryRequests(), "(kmsRecoveryPackage=*)", "cn").assertExitCode(50);
            other.compare(request, "kmsRecoveryToken:" + token).assertExitCode(50);
            String synced = syncreplRefresh(other);
            assertTrue(synced.contains("kmsRecoveryTarget: " + JDOE), synced);
            assertFalse(synced.contains("kmsRecoveryPackage") || synced.contains("kmsRecoveryToken"), synced);
        }
        String anonymous = tools().search(request, "(objectClass=*)", "*", "kmsRecoveryPackage", "kmsRecoveryToken")
                .assertSuccess().stdout();
        assertFalse(anonymous.contains("kmsRecoveryPackage") || anonymous.contains("kmsRecoveryToken")
                || anonymous.contains("kmsRecoveryState"), "anonymous clients read public attributes only: " + anonymous);
        assertEquals(6, alice.compare(request, "kmsRecoveryToken:" + token).exitCode(), "compareTrue for the requester");
        String aliceSyncs = syncreplRefresh(alice);
        assertTrue(aliceSyncs.contains("kmsRecoveryPackage:: ") && aliceSyncs.contains("kmsRecoveryToken"), aliceSyncs);

        // Persistent search: a change of the request (Alice edits its description) notifies each listener.
        try (LdapNetworkConnection bobListens = connection(BOB, "bob-sample-password-change-me");
                LdapNetworkConnection superuserListens = connection(server.adminDn(), server.adminPassword());
                LdapNetworkConnection aliceListens = connection(ALICE, "alice-sample-password-change-me")) {
            SearchFuture forBob = persistentSearch(bobListens);
            SearchFuture forSuperuser = persistentSearch(superuserListens);
            SearchFuture forAlice = persistentSearch(aliceListens);
            Entry bobGets = null;
            Entry superuserGets = null;
            Entry aliceGets = null;
            for (int attempt = 0; attempt < 10 && (bobGets == null || superuserGets == null || aliceGets == null);
                    attempt++) {
                alice.modify(replace(request, "description", "Jane lost her laptop (change " + attempt + ")"))
                        .assertSuccess();
                bobGets = bobGets != null ? bobGets : notification(forBob);
                superuserGets = superuserGets != null ? superuserGets : notification(forSuperuser);
                aliceGets = aliceGets != null ? aliceGets : notification(forAlice);
            }
            assertNotNull(bobGets, "Bob's persistent search was notified");
            assertNotNull(superuserGets, "the superuser's persistent search was notified");
            assertNotNull(aliceGets, "Alice's persistent search was notified");
            for (Entry notified : List.of(bobGets, superuserGets)) {
                assertNotNull(notified.get("kmsRecoveryState"), notified.toString());
                assertNull(notified.get("kmsRecoveryPackage"), notified.toString());
                assertNull(notified.get("kmsRecoveryToken"), notified.toString());
            }
            assertNotNull(aliceGets.get("kmsRecoveryPackage"), "the requester's notification carries the package");
            assertEquals(token, aliceGets.get("kmsRecoveryToken").getString());
        }
    }

    @Test
    void theApprovalsARecoveryNeedsChangeOnlyWhereTheKmsRunsAndAreAudited() throws Exception {
        String server0 = "cn=default," + layout.servers();
        Run shown = dirkms("recovery", "required-approvals", "--url", server.ldapUrl(), "--data", data.toString());
        assertEquals(0, shown.code(), shown.toString());
        assertTrue(shown.out().contains(server0 + ": 2 approvals (run by " + server.kmsAgentDn() + ")"), shown.out());
        // Over LDAP nobody lowers it, administrators included.
        for (LdapTools who : List.of(alice, superuser, bob)) {
            who.modify(replace(server0, "kmsRequiredApprovals", "1")).assertExitCode(50);
        }
        try {
            Run raised = dirkms("recovery", "required-approvals", "3", "--url", server.ldapUrl(), "--data",
                    data.toString());
            assertEquals(0, raised.code(), raised.toString());
            assertEquals(server0 + ": 2 -> 3 approvals\n", raised.out());
            assertEquals("", raised.err(), "bob, carol and dave can approve");
            Run beyond = dirkms("recovery", "required-approvals", "4", "--url", server.ldapUrl(), "--data",
                    data.toString());
            assertEquals(server0 + ": 3 -> 4 approvals\n", beyond.out());
            assertEquals("dirkms recovery: warning: only 3 recovery agents can approve (members of "
                    + layout.recoveryAgentsGroup() + " who are not KMS agents); give the role to more people with"
                    + " 'dirkms roles add recovery-agents DN'\n", beyond.err());
            String request = "cn=needs-four," + layout.recoveryRequests();
            alice.modify("dn: " + request + "\nchangetype: add\nobjectClass: kmsRecoveryRequest\ncn: needs-four\n"
                    + "kmsRecoveryTarget: " + MALLORY + "\n").assertSuccess();
            assertTrue(alice.search(request, "(objectClass=*)", "kmsRequiredApprovals").assertSuccess().stdout()
                    .contains("kmsRequiredApprovals: 4"));
            assertStep(auditOf(server0), server.kmsAgentDn(), "modify", "kmsRequiredApprovals");
            assertEquals(2, dirkms("recovery", "required-approvals", "0", "--url", server.ldapUrl(), "--data",
                    data.toString()).code());
        } finally {
            assertEquals(0, dirkms("recovery", "required-approvals", "2", "--url", server.ldapUrl(), "--data",
                    data.toString()).code());
        }
    }

    @Test
    void aRecoveryThatCannotBeMadeEndsFailedWithAPlainReasonAndNoPackage() throws Exception {
        // Mallory was never enrolled: she has no archived key.
        String request = "cn=recover-mallory," + layout.recoveryRequests();
        alice.modify("dn: " + request + "\nchangetype: add\nobjectClass: kmsRecoveryRequest\ncn: recover-mallory\n"
                + "kmsRecoveryTarget: " + MALLORY + "\n").assertSuccess();
        bob.modify(approval(request, "add", BOB)).assertSuccess();
        dave.modify(approval(request, "add", daveDn)).assertSuccess();
        awaitState(request, "failed");
        String failed = alice.search(request, "(objectClass=*)", "*", "kmsRecoveryPackage").assertSuccess().stdout();
        assertTrue(failed.contains("kmsLastError: " + MALLORY + " has no archived encryption key (kmsArchiveRecord"
                + " lists none and no record under ou=Key Archive names the user as its owner): nothing to recover"),
                failed);
        assertFalse(failed.contains("kmsRecoveryPackage"), failed);
    }

    @Test
    void aRequestShortOfApprovalsAndAnUnfetchedPackageExpireWithAReasonOnTheEntry() throws Exception {
        String shortRequest = "cn=short-of-approvals," + layout.recoveryRequests();
        String unfetched = "cn=never-fetched," + layout.recoveryRequests();
        for (String request : List.of(shortRequest, unfetched)) {
            alice.modify("dn: " + request + "\nchangetype: add\nobjectClass: kmsRecoveryRequest\n"
                    + "cn: " + new Dn(request).getRdn().getValue() + "\nkmsRecoveryTarget: " + JDOE + "\n").assertSuccess();
            bob.modify(approval(request, "add", BOB)).assertSuccess();
        }
        carol.modify(approval(unfetched, "add", CAROL)).assertSuccess();
        awaitState(unfetched, "approved");

        // Today nothing expires; eight days on, as the agent's clock sees it, both do.
        assertEquals(RecoveryResult.Outcome.NOTHING, agentAt(Clock.systemUTC()).advance(shortRequest).outcome());
        assertEquals(RecoveryResult.Outcome.NOTHING, agentAt(Clock.systemUTC()).advance(unfetched).outcome());
        RecoveryService eightDaysOn = agentAt(Clock.offset(Clock.systemUTC(), Duration.ofDays(8)));
        assertEquals(RecoveryResult.Outcome.EXPIRED, eightDaysOn.advance(shortRequest).outcome());
        assertEquals(RecoveryResult.Outcome.EXPIRED, eightDaysOn.advance(unfetched).outcome());

        String expired = alice.search(shortRequest, "(objectClass=*)", "kmsRecoveryState", "kmsLastError").assertSuccess()
                .stdout();
        assertTrue(expired.contains("kmsRecoveryState: expired"), expired);
        assertTrue(Pattern.compile("kmsLastError: not approved in time: 1 of the 2 approvals required had been given"
                + " by \\S+ \\(7 days after the request was made\\); nothing was recovered; add a new request to try"
                + " again").matcher(expired).find(), expired);
        String gone = alice.search(unfetched, "(objectClass=*)", "kmsRecoveryState", "kmsLastError",
                "kmsRecoveryPackage", "kmsRecoveryToken").assertSuccess().stdout();
        assertTrue(gone.contains("kmsRecoveryState: expired"), gone);
        assertTrue(gone.contains("kmsLastError: the recovered package was not fetched by "), gone);
        assertFalse(gone.contains("kmsRecoveryPackage") || gone.contains("kmsRecoveryToken"), gone);
        assertStep(auditOf(unfetched), server.kmsAgentDn(), "modify", "kmsRecoveryState=expired");
    }

    /**
     * An agent that died holding a recovery left its claim, with approvals complete; the running
     * agent takes the recovery over once the lease ran out and delivers once; a second claim on a
     * claimed request is refused by the directory's test-and-set.
     */
    @Test
    void aRecoveryWhoseAgentDiedIsTakenOverAndDeliveredOnce() throws Exception {
        String request = "cn=recover-after-a-crash," + layout.recoveryRequests();
        alice.modify("dn: " + request + "\nchangetype: add\nobjectClass: kmsRecoveryRequest\ncn: recover-after-a-crash\n"
                + "kmsRecoveryTarget: " + JDOE + "\n").assertSuccess();
        // An agent claims it (over LDAP, with the claim's test-and-set) and dies; a second claim is refused.
        String dead = server.kmsAgentDn() + " pid 1 0123456789ab #1";
        assertTrue(serving.kms().recoveryRecords(kms).claim(request, Claim.of(dead, Instant.now().plusSeconds(60))));
        assertFalse(serving.kms().recoveryRecords(kms).claim(request, Claim.of(dead.replace("#1", "#2"),
                Instant.now().plusSeconds(60))), "a second claim is refused while one is held");
        assertEquals(dead, kms.lookup(request, "kmsClaimedBy").get("kmsClaimedBy").getString());
        // The dead agent's lease ran out; the approvals are in; the running agent takes over.
        String expiredLease = java.time.format.DateTimeFormatter.ofPattern("yyyyMMddHHmmss'Z'")
                .withZone(java.time.ZoneOffset.UTC).format(Instant.now().minusSeconds(600).truncatedTo(ChronoUnit.SECONDS));
        agentTools().modify("dn: " + request + "\nchangetype: modify\nreplace: kmsLeaseExpires\nkmsLeaseExpires: "
                + expiredLease + "\n-\nadd: kmsRecoveryApproval\nkmsRecoveryApproval: " + BOB + "\nkmsRecoveryApproval: "
                + CAROL + "\n-\n").assertSuccess();
        awaitState(request, "approved");
        Entry delivered = kms.lookup(request, "*");
        assertNotNull(delivered.get("kmsRecoveryPackage"));
        assertNull(delivered.get("kmsClaimedBy"), "the delivery ends the successor's claim");
        assertNull(delivered.get("kmsReplacedAttempt"));
        assertStep(auditOf(request), server.kmsAgentDn(), "modify", "kmsReplacedAttempt");
        assertEquals(1, auditOf(request).stream().filter(step -> step.attributes().contains("kmsRecoveryPackage"))
                .count(), "one package written");
    }

    // ------------------------------------------------------------------ helpers

    /** The recovery of the KMS agent, as serve wires it, on {@code clock}; it never needs to unwrap here. */
    private static RecoveryService agentAt(Clock clock) {
        return new RecoveryService(serving.kms().recoveryRecords(kms), () -> {
            throw new AssertionError("nothing is unwrapped to expire a request");
        }, serving.kms().recoverySettings(serving.kms().agentSettings()), layout, clock, RANDOM);
    }

    private static LdapTools tools() {
        return LdapTools.against(server.ldapUrl(), server.tlsCertificateFile());
    }

    private static LdapTools agentTools() {
        return tools().asWithPasswordFile(server.kmsAgentDn(), server.kmsAgentPasswordFile());
    }

    private static Path sample(String name) {
        return ProjectFiles.file("ldif/samples/" + name);
    }

    private static String approval(String request, String operation, String approver) {
        return "dn: " + request + "\nchangetype: modify\n" + operation + ": kmsRecoveryApproval\nkmsRecoveryApproval: "
                + approver + "\n-\n";
    }

    private static String replace(String dn, String attribute, String value) {
        return "dn: " + dn + "\nchangetype: modify\nreplace: " + attribute + "\n" + attribute + ": " + value + "\n-\n";
    }

    /** The request's attributes that the refused writes name, as the KMS agent reads them. */
    private static String snapshot(String request) {
        return agentTools().search(request, "(objectClass=*)", "kmsRecoveryTarget", "kmsRecoveryRequester",
                "kmsRecoveryApproval", "kmsRequiredApprovals", "kmsRecoveryState").assertSuccess().stdout();
    }

    /** The client's exit code is the result code, its message the guard's, and the request is as it was. */
    private static void refused(LdapTools.Result result, int code, String message, String before) {
        result.assertExitCode(code);
        assertTrue(result.stderr().contains("additional info: " + message), result.describe(message));
        assertEquals(before, snapshot(beforeDn(before)), "the refused write changed nothing");
    }

    private static String beforeDn(String snapshot) {
        return snapshot.lines().filter(line -> line.startsWith("dn: ")).findFirst()
                .orElseThrow(() -> new AssertionError("no entry in " + snapshot)).substring("dn: ".length());
    }

    /** The encryption certificate of Jane's enrollment number {@code enrollments}, as a PEM file, once published. */
    private static Path awaitEnrollment(int enrollments) throws Exception {
        await(() -> {
            Entry entry = lookup(JDOE, "kmsEnrollmentState", "kmsArchiveRecord", "kmsClaimedBy", "kmsLastError");
            assertNull(entry.get("kmsLastError"), entry.toString());
            return "enrolled".equals(text(entry, "kmsEnrollmentState"))
                    && entry.get("kmsArchiveRecord") != null && entry.get("kmsArchiveRecord").size() == enrollments
                    && entry.get("kmsClaimedBy") == null;
        }, "enrollment " + enrollments + " of " + JDOE);
        byte[] der = null;
        for (org.apache.directory.api.ldap.model.entry.Attribute attribute
                : lookup("cn=encryption," + JDOE, "userCertificate;binary").getAttributes()) {
            if (attribute.getUpId().toLowerCase(java.util.Locale.ROOT).startsWith("usercertificate")) {
                der = attribute.getBytes();
            }
        }
        assertNotNull(der, "the published encryption certificate of " + JDOE);
        X509Certificate certificate = (X509Certificate) CertificateFactory.getInstance("X.509")
                .generateCertificate(new ByteArrayInputStream(der));
        return Files.writeString(work.resolve("encryption" + enrollments + ".pem"), "-----BEGIN CERTIFICATE-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(certificate.getEncoded())
                + "\n-----END CERTIFICATE-----\n");
    }

    private static void awaitState(String request, String state) {
        await(() -> {
            Entry entry = lookup(request, "kmsRecoveryState", "kmsLastError");
            String now = text(entry, "kmsRecoveryState");
            if (!now.equals(state) && !now.equals("pending") && !now.equals("approved")) {
                fail(request + " is " + now + ", not " + state + ": " + entry);
            }
            return now.equals(state);
        }, request + " " + state);
    }

    /** The first value of {@code attribute} as text, or null. */
    private static String text(Entry entry, String attribute) {
        org.apache.directory.api.ldap.model.entry.Attribute values = entry.get(attribute);
        return values == null || values.get() == null ? null : values.get().getString();
    }

    private static Entry lookup(String dn, String... attributes) {
        try {
            return kms.lookup(dn, attributes);
        } catch (Exception e) {
            throw new AssertionError("cannot read " + dn, e);
        }
    }

    /** Polls the agent's progress (not waiting for time to pass) for at most a minute. */
    private static void await(BooleanSupplier done, String what) {
        Instant deadline = Instant.now().plusSeconds(60);
        while (!done.getAsBoolean()) {
            if (Instant.now().isAfter(deadline)) {
                fail("the agent did not finish within a minute: " + what);
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }

    /** The binary value ({@code attr:: base64}) or text value of {@code attribute} in ldapsearch output. */
    private static byte[] binary(String ldif, String attribute) {
        for (String line : ldif.split("\n")) {
            if (line.startsWith(attribute + ":: ")) {
                return Base64.getDecoder().decode(line.substring(attribute.length() + 3).trim());
            }
            if (line.startsWith(attribute + ": ")) {
                return line.substring(attribute.length() + 2).getBytes(StandardCharsets.UTF_8);
            }
        }
        throw new AssertionError("no " + attribute + " in\n" + ldif);
    }

    private static List<String> pemBlocks(String text, String type) {
        List<String> blocks = new ArrayList<>();
        Matcher matcher = Pattern.compile("-----BEGIN " + type + "-----.*?-----END " + type + "-----\\n?", Pattern.DOTALL)
                .matcher(text);
        while (matcher.find()) {
            blocks.add(matcher.group());
        }
        return blocks;
    }

    private static LdapTools.Result openssl(String... arguments) {
        List<String> command = new ArrayList<>(List.of("openssl"));
        command.addAll(List.of(arguments));
        return LdapTools.run(command, Map.of(), null);
    }

    /** {@code ldapsearch -E sync=ro} (RFC 4533 refreshOnly) of the recovery requests, bound as {@code who}. */
    private static String syncreplRefresh(LdapTools who) {
        return who.searchRaw("-LLL", "-o", "ldif-wrap=no", "-E", "sync=ro", "-b", layout.recoveryRequests(),
                "(objectClass=kmsRecoveryRequest)", "*", "kmsRecoveryPackage", "kmsRecoveryToken").assertSuccess()
                .stdout();
    }

    private static LdapNetworkConnection connection(String dn, String password) throws Exception {
        return new AgentConnection(server.ldapUrl(), dn, null, server.tlsCertificateFile())
                .open(Duration.ofSeconds(30).toMillis(), password.toCharArray());
    }

    private static SearchFuture persistentSearch(LdapNetworkConnection connection) throws Exception {
        PersistentSearchImpl control = new PersistentSearchImpl();
        control.setChangesOnly(true);
        control.setReturnECs(true);
        control.setChangeTypes(15);
        SearchRequest request = new SearchRequestImpl().setBase(new Dn(layout.recoveryRequests()))
                .setFilter("(objectClass=kmsRecoveryRequest)").setScope(SearchScope.ONELEVEL)
                .addAttributes("*", "kmsRecoveryPackage", "kmsRecoveryToken").addControl(control);
        return connection.searchAsync(request);
    }

    /** The next notification of a persistent search, or null when none came within three seconds. */
    private static Entry notification(SearchFuture future) throws Exception {
        Response response = future.get(3, TimeUnit.SECONDS);
        if (response instanceof SearchResultEntry entry) {
            return entry.getEntry();
        }
        assertFalse(response instanceof SearchResultDone, "the persistent search ended: " + response);
        return null;
    }

    /** The audit records about {@code dn}. */
    private static List<AuditRecord> auditOf(String dn) throws Exception {
        List<AuditRecord> records = new ArrayList<>();
        for (String line : Files.readAllLines(DataFolder.of(data).auditLog())) {
            AuditRecord record = AuditRecord.parse(line);
            if (record.target().equalsIgnoreCase(dn)) {
                records.add(record);
            }
        }
        return records;
    }

    private static void assertStep(List<AuditRecord> steps, String actor, String operation, String attribute) {
        assertTrue(steps.stream().anyMatch(step -> step.actor().equalsIgnoreCase(actor) && step.operation().equals(operation)
                && step.attributes().contains(attribute)), "an audit record of " + operation + " by " + actor + " with "
                        + attribute + " among:\n" + String.join("\n", steps.stream().map(AuditRecord::toLine).toList()));
    }

    private record Run(int code, String out, String err) {
    }

    private static Run dirkms(String... arguments) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = DirkmsCommand.run(List.of(arguments), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }
}
