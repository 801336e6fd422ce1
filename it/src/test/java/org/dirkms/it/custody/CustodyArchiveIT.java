package org.dirkms.it.custody;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.directory.api.ldap.model.cursor.EntryCursor;
import org.apache.directory.api.ldap.model.entry.Entry;
import org.apache.directory.api.ldap.model.message.SearchScope;
import org.apache.directory.ldap.client.api.LdapNetworkConnection;
import org.dirkms.agent.custody.RequestKey;
import org.dirkms.agent.custody.SealedContent;
import org.dirkms.agent.custody.SealedRecoveryKeys;
import org.dirkms.agent.custody.ShamirShares;
import org.dirkms.agent.custody.ShareContent;
import org.dirkms.agent.directory.CustodyRecords.CustodyEntry;
import org.dirkms.agent.directory.CustodyRecords.SessionEntry;
import org.dirkms.agent.directory.CustodyRecords.ShareEntry;
import org.dirkms.agent.directory.LdapCustodyRecords;
import org.dirkms.agent.keys.RecoveryKey;
import org.dirkms.agent.keys.RecoveryKeyStore;
import org.dirkms.agent.enroll.KmsAgent;
import org.dirkms.dist.AgentServeSetup;
import org.dirkms.dist.CaServeSetup;
import org.dirkms.dist.KmsContext;
import org.dirkms.ds.server.DirectoryServer;
import org.dirkms.ds.server.ServerSettings;
import org.dirkms.it.support.AgentProgress;
import org.dirkms.it.support.DirkmsRun;
import org.dirkms.it.support.LdapTools;
import org.dirkms.it.support.ProjectFiles;
import org.dirkms.it.support.Staff;
import org.dirkms.schema.DataFolder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The archive operations under threshold custody as an administrator and the recovery agents run
 * them (docs/custody.md, "Archive operations under custody"), on the embedded server with 150 EC
 * users and four enrolled recovery agents, each with their key package:
 * <ol>
 * <li>{@code dirkms archive custody} splits the keys 2-of-3 among A, B and C and empties the data
 * folder's {@code recovery/};</li>
 * <li>{@code archive check} opens a custody session, the agents approve it with {@code dirkms
 * recovery approve --key-package} while it waits, and it passes;</li>
 * <li>{@code archive rekey} adds a key under the same shares, which the running KMS agent archives
 * the next enrollment to (of two rekeys run at once, exactly one adds its key); {@code archive rewrap}, a process of
 * its own, is SIGKILLed while it waits for the agents (its session stays behind, and the next
 * command removes it), and another in the middle of its work (its session is gone already: it
 * lives only until the keys are rebuilt); the next rewrap (a new session, approved again)
 * completes, and {@code retire} takes the old key out of the custody; the check passes and every
 * record is wrapped to the new key;</li>
 * <li>{@code dirkms export} unwraps the exported users' archived keys with the keys rebuilt from
 * a session;</li>
 * <li>a re-split that waited while a rekey added a key stops once approved, changing nothing;</li>
 * <li>a re-split (C leaves, D joins, 3 of 3) is approved with the old shares; after it the old
 * shares do not rebuild anything that opens the current sealed keys, C's old share given to a
 * session is refused, and A, B and D pass a check.</li>
 * </ol>
 */
class CustodyArchiveIT {
    private static final int USERS = 150;
    private static final String PASSWORD = "agent-test-password";

    @TempDir
    Path data;

    @TempDir
    Path work;

    private DirectoryServer server;
    private KmsContext kms;
    private String url;
    private KmsAgent agent;

    /** A recovery agent with their password and key package files. */
    private record Agent(String dn, Path password, Path keyPackage, Path keyPackagePassword) {
    }

    @Test
    void archiveOperationsUnderCustodyWithAgentsApproving() throws Exception {
        long started = System.nanoTime();
        SecureRandom random = new SecureRandom();
        CaServeSetup.Serving serving = CaServeSetup.startServing(ServerSettings.forTests(data), Clock.systemUTC(),
                random);
        try (DirectoryServer running = serving.server();
                LdapNetworkConnection directory = serving.kms().openConnection(60_000);
                AutoCloseable stopAgent = () -> {
                    if (agent != null) {
                        agent.close(); // first: the agent stops before the server
                    }
                }) {
            server = running;
            kms = serving.kms();
            url = server.ldapUrl();
            LdapTools admin = LdapTools.against(url, server.tlsCertificateFile())
                    .asWithPasswordFile(server.adminDn(), server.adminPasswordFile()).withArguments("-ZZ");
            LdapTools kmsAdmin = Staff.kmsAdministrator(server);
            String people = server.layout().people();
            String archive = server.layout().keyArchive();
            kmsAdmin.modify("dn: " + server.layout().defaultAdministrativeGroup()
                    + "\nchangetype: modify\nreplace: kmsKeyAlgorithm\nkmsKeyAlgorithm: EC-P256\n-\n").assertSuccess();
            StringBuilder ldif = new StringBuilder();
            for (int i = 0; i < USERS; i++) {
                ldif.append("dn: uid=cu").append(i).append(',').append(people).append("\nchangetype: add\n")
                        .append("objectClass: inetOrgPerson\nuid: cu").append(i).append("\ncn: Custody ").append(i)
                        .append("\nsn: Custody\nmail: cu").append(i).append("@example.com\n\n");
            }
            for (String name : List.of("a", "b", "c", "d")) {
                ldif.append("dn: uid=agent-").append(name).append(',').append(people).append("\nchangetype: add\n")
                        .append("objectClass: inetOrgPerson\nuid: agent-").append(name).append("\ncn: Agent ")
                        .append(name).append("\nsn: Agent\nmail: agent-").append(name)
                        .append("@example.com\nuserPassword: ").append(PASSWORD).append("\n\n");
            }
            admin.modify(ldif.toString()).assertSuccess();
            DirkmsRun enroll = dirkms("enroll", "--filter", "(|(uid=cu*)(uid=agent-*))", "--report",
                    work.resolve("report.tsv").toString());
            assertEquals(0, enroll.code(), enroll.toString());
            Agent a = agent(directory, "a");
            Agent b = agent(directory, "b");
            Agent c = agent(directory, "c");
            Agent d = agent(directory, "d");
            int records = USERS + 4;
            String firstKey = RecoveryKeyStore.open(DataFolder.of(data)).current().keyId();
            // The KMS agent runs throughout, as in 'dirkms serve': custody sessions are not recovery requests to it.
            agent = AgentServeSetup.start(serving);
            assertTrue(agent.awaitLive(Duration.ofSeconds(60)));

            // 1. Custody 2 of 3: the data folder keeps no recovery private key.
            DirkmsRun custody = dirkms("archive", "custody", "--threshold", "2", "--agents", a.dn(), b.dn(), c.dn());
            assertEquals(0, custody.code(), custody.toString());
            DataFolder folder = DataFolder.of(data);
            assertFalse(Files.exists(folder.recoveryKeyStore()), custody.toString());
            assertFalse(Files.exists(folder.recoveryPassphrase()));
            assertTrue(Files.exists(folder.recoveryCustody()));
            LdapCustodyRecords custodyRecords = kms.custodyRecords(directory);
            CustodyEntry first = custodyRecords.custody().orElseThrow();
            assertEquals(2, first.threshold());
            assertEquals(3, first.shares().size());

            // 2. archive check, approved by A and B while it waits.
            Set<String> seen = new HashSet<>();
            DirkmsRun check = whileApproving(seen, List.of(a, b), "archive", "check");
            assertEquals(0, check.code(), check.toString());
            assertTrue(check.out().contains("checked " + records + " users and " + records + " archive records,"
                    + " unwrapped " + records + " keys: no problems"), check.toString());
            assertTrue(check.out().contains("2 of 2 shares"), check.toString());
            assertTrue(custodyRecords.sessions().isEmpty(), "the session is deleted after use");

            // 3. rekey under custody: a new key under the same shares, nothing written to the data folder. Two
            // rekeys at once, both approved: the sealed keys are replaced by test-and-set, so exactly one adds its key.
            CompletableFuture<DirkmsRun> one = CompletableFuture.supplyAsync(() -> dirkms("archive", "rekey"));
            CompletableFuture<DirkmsRun> two = CompletableFuture.supplyAsync(() -> dirkms("archive", "rekey"));
            List<String> both = List.of(awaitSession(seen, null), awaitSession(seen, null));
            for (String each : both) {
                approve(b, each);
                approve(c, each);
            }
            List<DirkmsRun> rekeys = List.of(one.get(150, TimeUnit.SECONDS), two.get(150, TimeUnit.SECONDS));
            List<DirkmsRun> won = rekeys.stream().filter(r -> r.code() == 0).toList();
            assertEquals(1, won.size(), "exactly one of two concurrent rekeys adds its key: " + rekeys);
            DirkmsRun lost = rekeys.stream().filter(r -> r.code() != 0).findFirst().orElseThrow();
            assertEquals(1, lost.code(), lost.toString());
            assertTrue(lost.err().contains("changed while this"), lost.toString());
            DirkmsRun rekey = won.get(0);
            assertFalse(Files.exists(folder.recoveryKeyStore()), "the new key is not written to the data folder");
            CustodyEntry rekeyed = custodyRecords.custody().orElseThrow();
            assertEquals(first.id(), rekeyed.id(), "the same custody: the shares stay valid");
            assertFalse(java.util.Arrays.equals(first.sealedKeys(), rekeyed.sealedKeys()));
            String newKey = rekey.out().lines().filter(l -> l.startsWith("recovery key ")).findFirst().orElseThrow()
                    .split(" ")[2];
            assertNotEquals(firstKey, newKey);
            assertTrue(rekey.out().contains(records + " archive records are wrapped to earlier keys"), rekey.toString());
            assertArrayEqualsPublished(directory, newKey);
            // The running agent, not restarted, archives the next enrollment to the new key.
            String late = "uid=cu-late," + people;
            admin.modify("dn: " + late + "\nchangetype: add\nobjectClass: inetOrgPerson\nuid: cu-late\n"
                    + "cn: Custody Late\nsn: Custody\nmail: cu-late@example.com\n").assertSuccess();
            kmsAdmin.modify("dn: " + late + "\nchangetype: modify\nadd: objectClass\nobjectClass: kmsUser\n-\n"
                    + "add: kmsEnrollmentState\nkmsEnrollmentState: requested\n-\n").assertSuccess();
            AgentProgress.awaitEnrolled(directory, late);
            assertEquals(1, wrappedTo(directory, archive, newKey), "the running agent archived to the new key");
            records++;

            // rewrap, a process of its own, SIGKILLed while it waits for the agents: its session stays behind.
            Process waiting = startRewrap("waiting");
            String deadSession = awaitSession(seen, waiting);
            kill(waiting);
            assertTrue(custodyRecords.readSession(deadSession).isPresent(), "the dead process's session stays behind");
            assertEquals(1, wrappedTo(directory, archive, newKey), "nothing re-wrapped by it (the late record only)");

            // rewrap again, SIGKILLed in the middle of its work: the session was deleted once the keys were rebuilt.
            Process killed = startRewrap("killed");
            String session = awaitSession(seen, killed);
            approve(a, session);
            approve(c, session);
            Instant deadline = Instant.now().plusSeconds(120);
            while (wrappedTo(directory, archive, newKey) < 10) {
                if (!killed.isAlive() || Instant.now().isAfter(deadline)) {
                    fail("the rewrap did not get going: " + log("killed"));
                }
                Thread.sleep(5); // polling the other process's progress
            }
            assertTrue(killed.isAlive(), "still at work when killed: " + log("killed"));
            kill(killed);
            int partial = wrappedTo(directory, archive, newKey);
            assertTrue(partial < records, "the kill left work to do: " + partial);
            assertTrue(custodyRecords.readSession(session).isEmpty(), "deleted as soon as the keys were rebuilt");
            assertTrue(custodyRecords.readSession(deadSession).isEmpty(), "removed by the next command");
            assertTrue(Files.readString(work.resolve("killed.out")).contains("removed the custody session " + deadSession
                    + ": the dirkms process " + waiting.pid() + " that opened it is no longer running"), log("killed"));

            DirkmsRun rewrap = whileApproving(seen, List.of(b, a), "archive", "rewrap", "--workers", "2");
            assertEquals(0, rewrap.code(), rewrap.toString());
            assertTrue(rewrap.out().contains("re-wrapping " + (records - partial) + " of " + records), rewrap.toString());
            assertTrue(rewrap.out().contains("dirkms archive retire --key " + firstKey), rewrap.toString());
            assertEquals(records, wrappedTo(directory, archive, newKey), "every record on the new key");
            assertTrue(custodyRecords.sessions().isEmpty(), "no session left: " + custodyRecords.sessions());

            DirkmsRun retire = whileApproving(seen, List.of(c, a), "archive", "retire", "--key", firstKey);
            assertEquals(0, retire.code(), retire.toString());
            assertTrue(retire.out().contains("holds 1 key: " + newKey), retire.toString());
            assertEquals(first.id(), custodyRecords.custody().orElseThrow().id());
            // With --json, standard output is the report alone; the session's lines go to standard error.
            DirkmsRun after = whileApproving(seen, List.of(a, c), "archive", "check", "--json");
            assertEquals(0, after.code(), after.toString());
            com.fasterxml.jackson.databind.JsonNode report = new com.fasterxml.jackson.databind.ObjectMapper()
                    .readTree(after.out());
            assertTrue(report.get("clean").asBoolean(), after.toString());
            assertEquals(records, report.get("keysUnwrapped").asInt(), after.toString());
            assertTrue(after.err().contains("2 of 2 shares"), after.toString());

            // export unwraps archived keys: under custody too, with the keys rebuilt in its memory.
            kms.transferIdentity(serving.ca()); // what 'dirkms serve' makes at start
            Path transport = work.resolve("transport.pem");
            DirkmsRun certificate = dirkms("transfer", "certificate", "--out", transport.toString());
            assertEquals(0, certificate.code(), certificate.toString());
            Path exported = work.resolve("export.p7m");
            DirkmsRun export = whileApproving(seen, List.of(b, c), "export", "--to", transport.toString(), "--filter",
                    "(uid=cu1*)", "--out", exported.toString());
            assertEquals(0, export.code(), export.toString());
            assertTrue(export.out().contains("exported 61 users (") && export.out().contains(", 61 archived keys)"),
                    export.toString());
            assertTrue(Files.size(exported) > 0);
            assertFalse(Files.exists(folder.recoveryKeyStore()));

            // A re-split waiting for its agents while a rekey under custody adds a key: once approved, it sees
            // the sealed keys changed since it asked and stops, changing nothing, so the rekey's key is not lost.
            CompletableFuture<DirkmsRun> stale = CompletableFuture.supplyAsync(() -> dirkms("archive", "custody",
                    "--threshold", "3", "--agents", a.dn(), b.dn(), d.dn()));
            String staleSession = awaitSession(seen, null);
            DirkmsRun meanwhile = whileApproving(seen, List.of(a, b), "archive", "rekey");
            assertEquals(0, meanwhile.code(), meanwhile.toString());
            String thirdKey = meanwhile.out().lines().filter(l -> l.startsWith("recovery key ")).findFirst()
                    .orElseThrow().split(" ")[2];
            approve(a, staleSession);
            approve(c, staleSession);
            DirkmsRun refusedSplit = stale.get(150, TimeUnit.SECONDS);
            assertEquals(1, refusedSplit.code(), refusedSplit.toString());
            assertTrue(refusedSplit.err().contains("changed while this waited"), refusedSplit.toString());
            assertEquals(first.id(), custodyRecords.custody().orElseThrow().id(), "the custody is as the rekey left it");

            // 4. Re-split: C leaves, D joins; the old shares (A and C) approve it.
            CustodyEntry old = custodyRecords.custody().orElseThrow();
            byte[] oldA = openShare(a, shareOf(old, a));
            byte[] oldB = openShare(b, shareOf(old, b));
            byte[] oldC = openShare(c, shareOf(old, c));
            DirkmsRun resplit = whileApproving(seen, List.of(a, c), "archive", "custody", "--threshold", "3", "--agents",
                    a.dn(), b.dn(), d.dn());
            assertEquals(0, resplit.code(), resplit.toString());
            assertTrue(resplit.out().contains("the shares of custody " + old.id() + " open nothing from now on"),
                    resplit.toString());
            CustodyEntry current = custodyRecords.custody().orElseThrow();
            assertNotEquals(old.id(), current.id());
            assertEquals(3, current.threshold());
            assertEquals(List.of(a.dn(), b.dn(), d.dn()), current.shares().stream().map(ShareEntry::holder).toList());

            // The old shares rebuild the old secret, which opens the old sealed keys and not the current ones.
            byte[] oldSecret = ShamirShares.combine(List.of(ShareContent.decode(oldA).share(),
                    ShareContent.decode(oldB).share()));
            List<RecoveryKey> opened = SealedRecoveryKeys.open(old.sealedKeys(), oldSecret);
            assertEquals(List.of(thirdKey, newKey), opened.stream().map(RecoveryKey::keyId).toList(),
                    "the control: the old shares did open the old custody, with every key");
            assertThrows(IllegalArgumentException.class, () -> SealedRecoveryKeys.open(current.sealedKeys(), oldSecret),
                    "the old shares open nothing of the current custody");

            // C, who left, holds no share: the CLI refuses; C's old share given by hand is refused by the session.
            CompletableFuture<DirkmsRun> checking = CompletableFuture.supplyAsync(() -> dirkms("archive", "check",
                    "--wait-minutes", "2"));
            String last = awaitSession(seen, null);
            DirkmsRun refused = approveRun(c, last);
            assertEquals(1, refused.code(), refused.toString());
            assertTrue(refused.err().contains("you hold no share of the current custody"), refused.toString());
            byte[] requestKey = custodyRecords.readSession(last).orElseThrow().requestKey();
            byte[] sealedOld = RequestKey.sealTo(RequestKey.parse(requestKey), oldC, random);
            LdapTools.against(url, server.tlsCertificateFile()).as(c.dn(), PASSWORD).withArguments("-ZZ")
                    .modify("dn: " + last + "\nchangetype: modify\nadd: kmsRecoveryApproval\nkmsRecoveryApproval: "
                            + c.dn() + "\n-\nadd: kmsRecoveryShare\nkmsRecoveryShare:: "
                            + Base64.getEncoder().encodeToString(sealedOld) + "\n-\n").assertSuccess();
            awaitLastError(custodyRecords, directory, last, "agent-c");
            approve(a, last);
            approve(b, last);
            approve(d, last);
            DirkmsRun resplitCheck = checking.get(150, TimeUnit.SECONDS);
            assertEquals(0, resplitCheck.code(), resplitCheck.toString());
            assertTrue(resplitCheck.out().contains("unwrapped " + records + " keys: no problems"),
                    resplitCheck.toString());
            assertTrue(resplitCheck.out().lines().anyMatch(l -> l.contains("0 of 3 shares") && l.contains("agent-c")),
                    "the old share is reported refused: " + resplitCheck);
            assertTrue(resplitCheck.out().contains("3 of 3 shares"), resplitCheck.toString());
            // ldapsearch agrees: no record on the retired key, no session left, the old custody's shares gone.
            LdapTools asAgent = LdapTools.against(url, server.tlsCertificateFile())
                    .asWithPasswordFile(server.kmsAgentDn(), server.kmsAgentPasswordFile()).withArguments("-ZZ");
            assertEquals(0, dns(asAgent.search(archive, "(kmsWrappingKeyId=" + firstKey + ")", "1.1")));
            assertEquals(0, dns(asAgent.search(server.layout().recoveryRequests(), "(objectClass=kmsCustodySession)",
                    "1.1")));
            assertEquals(0, dns(asAgent.search(server.layout().keyRecoveryAgent(), "(kmsCustodyId=" + old.id() + ")",
                    "1.1")));
            assertEquals(4, dns(asAgent.search(server.layout().keyRecoveryAgent(), "(kmsCustodyId=" + current.id()
                    + ")", "1.1")), "the agent entry and the three shares of the current custody");
            try (var left = Files.list(folder.recovery())) {
                assertEquals(List.of("custody"), left.map(f -> f.getFileName().toString()).toList(),
                        "no recovery key was ever written to the data folder");
            }
            System.out.printf("custody archive operations: %d records, check, rekey, killed and resumed rewrap,"
                    + " retire, re-split in %.1f s%n", records, (System.nanoTime() - started) / 1e9);
        }
    }

    /** Runs {@code dirkms arguments...} here while {@code approvers} approve the session it opens. */
    private DirkmsRun whileApproving(Set<String> seen, List<Agent> approvers, String... arguments) throws Exception {
        CompletableFuture<DirkmsRun> running = CompletableFuture.supplyAsync(() -> dirkms(arguments));
        String session = awaitSession(seen, null, running);
        for (Agent agent : approvers) {
            approve(agent, session);
        }
        return running.get(150, TimeUnit.SECONDS);
    }

    private String awaitSession(Set<String> seen, Process process) throws Exception {
        return awaitSession(seen, process, null);
    }

    /** The DN of the next custody session not {@code seen} (added to it), while the command runs. */
    private String awaitSession(Set<String> seen, Process process, CompletableFuture<DirkmsRun> running)
            throws Exception {
        Instant deadline = Instant.now().plusSeconds(90);
        try (LdapNetworkConnection directory = kms.openConnection(30_000)) {
            LdapCustodyRecords records = kms.custodyRecords(directory);
            while (Instant.now().isBefore(deadline)) {
                for (SessionEntry session : records.sessions()) {
                    if (seen.add(session.dn())) {
                        return session.dn();
                    }
                }
                if (process != null && !process.isAlive()) {
                    fail("the process ended before it opened a session");
                }
                if (running != null && running.isDone()) {
                    fail("the command ended before it opened a session: " + running.get());
                }
                Thread.sleep(100); // polling for the other command's session
            }
        }
        throw new AssertionError("no custody session within 90 s");
    }

    private void awaitLastError(LdapCustodyRecords records, LdapNetworkConnection directory, String session,
            String part) throws Exception {
        Instant deadline = Instant.now().plusSeconds(30);
        while (Instant.now().isBefore(deadline)) {
            Entry entry = directory.lookup(session, "kmsLastError");
            if (entry != null && entry.get("kmsLastError") != null && entry.get("kmsLastError").getString()
                    .contains(part)) {
                return;
            }
            Thread.sleep(100); // polling for the command's verdict
        }
        throw new AssertionError("no kmsLastError naming " + part + " on " + session);
    }

    private void approve(Agent agent, String session) {
        DirkmsRun run = approveRun(agent, session);
        assertEquals(0, run.code(), agent.dn() + " approves " + session + ": " + run);
    }

    private DirkmsRun approveRun(Agent agent, String session) {
        return DirkmsRun.of("recovery", "approve", session, "--data", data.toString(), "--url", url, "--bind-dn",
                agent.dn(), "--password-file", agent.password().toString(), "--key-package",
                agent.keyPackage().toString(), "--key-package-password-file", agent.keyPackagePassword().toString());
    }

    /** Agent {@code name}: a recovery agent with the key package of their enrollment, fetched as they would. */
    private Agent agent(LdapNetworkConnection directory, String name) throws Exception {
        String dn = "uid=agent-" + name + "," + server.layout().people();
        Staff.giveRole(server, "recovery-agents", dn);
        Path password = Files.writeString(work.resolve(name + ".password"), PASSWORD + "\n");
        LdapTools.Result fetched = LdapTools.against(url, server.tlsCertificateFile()).as(dn, PASSWORD)
                .withArguments("-ZZ").searchRaw("-LLL", "-o", "ldif-wrap=no", "-b", dn, "-s", "base",
                        "(objectClass=*)", "kmsKeyPackage");
        fetched.assertSuccess();
        String value = fetched.stdout().lines().filter(l -> l.startsWith("kmsKeyPackage:: ")).findFirst()
                .orElseThrow(() -> new AssertionError("no key package for " + dn + ": " + fetched.stdout()))
                .substring("kmsKeyPackage:: ".length()).trim();
        Path keyPackage = Files.write(work.resolve(name + ".p12"), Base64.getDecoder().decode(value));
        char[] token = kms.enrollmentRecords(directory).readEnrollmentToken(dn);
        Path tokenFile = Files.writeString(work.resolve(name + ".p12.password"), new String(token) + "\n");
        return new Agent(dn, password, keyPackage, tokenFile);
    }

    /** The share content of {@code agent} in {@code custody}, opened with their key package. */
    private static byte[] openShare(Agent agent, ShareEntry share) throws Exception {
        char[] password = Files.readString(agent.keyPackagePassword()).trim().toCharArray();
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(agent.keyPackage())) {
            store.load(in, password);
        }
        for (String alias : Collections.list(store.aliases())) {
            if (store.isKeyEntry(alias)) {
                try {
                    return SealedContent.open(share.sealedShare(), (PrivateKey) store.getKey(alias, password));
                } catch (IllegalArgumentException e) {
                    // another key of the package
                }
            }
        }
        throw new AssertionError("no key of " + agent.keyPackage() + " opens " + share);
    }

    private static ShareEntry shareOf(CustodyEntry custody, Agent agent) {
        return custody.shares().stream().filter(s -> s.holder().equalsIgnoreCase(agent.dn())).findFirst()
                .orElseThrow(() -> new AssertionError(agent.dn() + " holds no share of " + custody));
    }

    private void assertArrayEqualsPublished(LdapNetworkConnection directory, String keyId) throws Exception {
        byte[] published = kms.recoveryKeyRecords(directory).currentRecoveryCertificate().orElseThrow();
        java.security.cert.X509Certificate certificate = (java.security.cert.X509Certificate)
                java.security.cert.CertificateFactory.getInstance("X.509")
                        .generateCertificate(new java.io.ByteArrayInputStream(published));
        assertEquals(keyId, RecoveryKey.keyIdOf(certificate), "the new key is published as current");
    }

    private Process startRewrap(String name) throws Exception {
        // One worker and one record per search: slow enough that the kill lands in the middle of the work.
        ProcessBuilder builder = new ProcessBuilder(ProjectFiles.file("dirkms").toString(), "archive", "rewrap",
                "--data", data.toString(), "--url", url, "--workers", "1", "--batch-size", "1");
        builder.redirectOutput(work.resolve(name + ".out").toFile());
        builder.redirectError(work.resolve(name + ".err").toFile());
        return builder.start();
    }

    private static void kill(Process process) throws Exception {
        LdapTools.run(List.of("kill", "-KILL", Long.toString(process.pid())), Map.of(), null).assertSuccess();
        assertTrue(process.waitFor(30, TimeUnit.SECONDS));
    }

    private String log(String name) {
        try {
            return "\nstdout:\n" + Files.readString(work.resolve(name + ".out")) + "\nstderr:\n"
                    + Files.readString(work.resolve(name + ".err"));
        } catch (java.io.IOException e) {
            return e.toString();
        }
    }

    private DirkmsRun dirkms(String... arguments) {
        List<String> all = new ArrayList<>(List.of(arguments));
        all.addAll(List.of("--data", data.toString(), "--url", url));
        return DirkmsRun.of(all);
    }

    private static int dns(LdapTools.Result result) {
        result.assertSuccess();
        return (int) result.stdout().lines().filter(l -> l.startsWith("dn:")).count();
    }

    private static int wrappedTo(LdapNetworkConnection directory, String archive, String keyId) throws Exception {
        int count = 0;
        try (EntryCursor cursor = directory.search(archive, "(kmsWrappingKeyId=" + keyId + ")", SearchScope.ONELEVEL,
                "1.1")) {
            for (Entry ignored : cursor) {
                count++;
            }
        }
        return count;
    }
}
