package org.dirkms.it.archive;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.directory.api.ldap.model.cursor.EntryCursor;
import org.apache.directory.api.ldap.model.entry.Entry;
import org.apache.directory.api.ldap.model.message.SearchScope;
import org.apache.directory.ldap.client.api.LdapNetworkConnection;
import org.dirkms.agent.enroll.KmsAgent;
import org.dirkms.agent.keys.RecoveryKeyStore;
import org.dirkms.dist.AgentServeSetup;
import org.dirkms.dist.CaServeSetup;
import org.dirkms.dist.DirkmsCommand;
import org.dirkms.ds.server.DirectoryServer;
import org.dirkms.ds.server.ServerSettings;
import org.dirkms.it.support.AgentProgress;
import org.dirkms.it.support.LdapTools;
import org.dirkms.it.support.ProjectFiles;
import org.dirkms.it.support.Staff;
import org.dirkms.schema.DataFolder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Rotation of the key recovery key as an administrator runs it (README, "Rotating the key
 * recovery key"), on {@code dirkms serve}'s server and data folder with its agent running and a
 * 200-user directory (EC P-256, enrolled with {@code dirkms enroll}):
 * <ol>
 * <li>{@code dirkms archive rekey} makes a new key current: the running agent, not restarted,
 * wraps the next user it enrolls to it;</li>
 * <li>{@code dirkms archive rewrap}, run as its own process, is SIGKILLed at random moments three
 * times and restarted; {@code retire} refuses while records still need the old key; the last run
 * completes;</li>
 * <li>{@code dirkms archive retire} takes the old key out of the store, and {@code dirkms archive
 * check} passes with the new key alone: no key lost. The audit log shows each record's wrapped
 * key replaced exactly once, by the KMS agent: none wrapped twice;</li>
 * <li>checked with other tools too: {@code ldapsearch} finds no record wrapped to the old key,
 * {@code openssl pkcs12} and {@code openssl cms -decrypt} open a re-wrapped record with the new key
 * to the private key of its certificate, and {@code ldapmodify} shows that neither the directory
 * superuser nor a KMS administrator may rewrite a wrapped key, and not even the KMS may take one
 * away or change its owner.</li>
 * </ol>
 * The kill moments come from a {@link Random} seeded from {@value #SEED_PROPERTY} when set, else
 * at random; the seed is printed first, to replay the schedule.
 */
class RecoveryKeyRotationIT {
    private static final int USERS = 200;
    private static final int KILLS = 3;
    private static final String SEED_PROPERTY = "dirkms.rewrap.seed";

    @TempDir
    Path data;

    @TempDir
    Path work;

    @Test
    void rekeyRewrapKilledThreeTimesRetireAndEveryKeyStillRecovers() throws Exception {
        SecureRandom random = new SecureRandom();
        String replay = System.getProperty(SEED_PROPERTY);
        long seed = replay == null || replay.isBlank() ? random.nextLong() : Long.parseLong(replay.trim());
        Random moments = new Random(seed);
        long started = System.nanoTime();
        System.out.printf("recovery key rotation: seed %d (replay with -D%s=%d)%n", seed, SEED_PROPERTY, seed);
        CaServeSetup.Serving serving = CaServeSetup.startServing(ServerSettings.forTests(data), Clock.systemUTC(),
                random);
        try (DirectoryServer server = serving.server()) {
            LdapTools admin = LdapTools.against(server.ldapUrl(), server.tlsCertificateFile())
                    .asWithPasswordFile(server.adminDn(), server.adminPasswordFile()).withArguments("-ZZ");
            LdapTools asAgent = LdapTools.against(server.ldapUrl(), server.tlsCertificateFile())
                    .asWithPasswordFile(server.kmsAgentDn(), server.kmsAgentPasswordFile()).withArguments("-ZZ");
            LdapTools kmsAdmin = Staff.kmsAdministrator(server);
            String people = server.layout().people();
            String archive = server.layout().keyArchive();
            kmsAdmin.modify("dn: " + server.layout().defaultAdministrativeGroup()
                    + "\nchangetype: modify\nreplace: kmsKeyAlgorithm\nkmsKeyAlgorithm: EC-P256\n-\n").assertSuccess();
            StringBuilder ldif = new StringBuilder();
            for (int i = 0; i < USERS; i++) {
                ldif.append("dn: uid=rot").append(i).append(',').append(people).append("\nchangetype: add\n")
                        .append("objectClass: inetOrgPerson\nuid: rot").append(i).append("\ncn: Rotation ").append(i)
                        .append("\nsn: Rotation\nmail: rot").append(i).append("@example.com\n\n");
            }
            admin.modify(ldif.toString()).assertSuccess();
            Run enroll = run("enroll", "--data", data.toString(), "--url", server.ldapUrl(), "--filter", "(uid=rot*)",
                    "--report", work.resolve("report.tsv").toString());
            assertEquals(0, enroll.code, enroll.toString());
            String oldKey = RecoveryKeyStore.open(DataFolder.of(data)).current().keyId();

            try (KmsAgent agent = AgentServeSetup.start(serving);
                    LdapNetworkConnection directory = serving.kms().openConnection(60_000)) {
                assertTrue(agent.awaitLive(java.time.Duration.ofSeconds(60)));
                assertEquals(USERS, wrappedTo(directory, archive, oldKey), "every record on the first key");

                // 1. rekey, while the agent runs: its next enrollment is wrapped to the new key.
                Run rekey = run("archive", "rekey", "--data", data.toString(), "--url", server.ldapUrl());
                assertEquals(0, rekey.code, rekey.toString());
                String newKey = RecoveryKeyStore.open(DataFolder.of(data)).current().keyId();
                assertFalse(newKey.equals(oldKey));
                assertTrue(rekey.out.startsWith("recovery key " + newKey + " (EC-P384"), rekey.toString());
                assertTrue(rekey.out.contains(USERS + " archive records are wrapped to earlier keys: run 'dirkms"
                        + " archive rewrap'"), rekey.toString());
                String late = "uid=rot-late," + people;
                admin.modify("dn: " + late + "\nchangetype: add\nobjectClass: inetOrgPerson\nuid: rot-late\n"
                        + "cn: Rotation Late\nsn: Rotation\nmail: rot-late@example.com\n").assertSuccess();
                kmsAdmin.modify("dn: " + late + "\nchangetype: modify\nadd: objectClass\nobjectClass: kmsUser\n-\n"
                        + "add: kmsEnrollmentState\nkmsEnrollmentState: requested\n-\n").assertSuccess();
                AgentProgress.awaitEnrolled(directory, late);
                assertEquals(1, wrappedTo(directory, archive, newKey), "the running agent archived to the new key");

                // 2. rewrap as its own process, killed three times at random moments.
                for (int round = 0; round < KILLS; round++) {
                    int before = wrappedTo(directory, archive, newKey);
                    int target = before + 1 + moments.nextInt(40);
                    Process rewrap = startRewrap(server, round);
                    try {
                        Instant deadline = Instant.now().plusSeconds(120);
                        while (wrappedTo(directory, archive, newKey) < target) {
                            if (!rewrap.isAlive() || Instant.now().isAfter(deadline)) {
                                fail("rewrap " + round + " did not reach " + target + " records: " + log(round));
                            }
                            Thread.sleep(5); // polling the other process's progress
                        }
                        long delay = moments.nextInt(30);
                        Thread.sleep(delay); // a random moment to kill at: the point of the test
                        assertTrue(rewrap.isAlive(), "rewrap " + round + " was still at work when killed: " + log(round));
                        LdapTools.run(List.of("kill", "-KILL", Long.toString(rewrap.pid())), Map.of(), null)
                                .assertSuccess();
                        assertTrue(rewrap.waitFor(30, TimeUnit.SECONDS));
                        System.out.printf("recovery key rotation (seed %d): rewrap %d killed %d ms after %d records"
                                + " were on the new key%n", seed, round, delay, target);
                    } finally {
                        rewrap.destroyForcibly();
                    }
                }
                int partial = wrappedTo(directory, archive, newKey);
                assertTrue(partial < USERS + 1, "the kills left work to do: " + partial);
                Run tooEarly = run("archive", "retire", "--data", data.toString(), "--url", server.ldapUrl(), "--key",
                        oldKey.substring(0, 20));
                assertEquals(1, tooEarly.code, tooEarly.toString());
                assertTrue(tooEarly.err.contains("stays: " + (USERS + 1 - partial) + " of " + (USERS + 1)
                        + " archive records are wrapped to it"), tooEarly.toString());
                assertTrue(tooEarly.err.contains("run 'dirkms archive rewrap' first"), tooEarly.toString());

                Process last = startRewrap(server, KILLS);
                assertTrue(last.waitFor(120, TimeUnit.SECONDS), "the last rewrap finishes");
                String output = Files.readString(work.resolve("rewrap" + KILLS + ".out"));
                assertEquals(0, last.exitValue(), log(KILLS));
                assertTrue(output.startsWith("re-wrapping " + (USERS + 1 - partial) + " of " + (USERS + 1)
                        + " archive records to recovery key " + newKey), output);
                assertTrue(output.contains("every record is wrapped to the current key"), output);
                assertTrue(output.contains("dirkms archive retire --key " + oldKey), output);
                assertFalse(output.contains("\r"), "plain lines, no bar, when not on a terminal");
                assertEquals(USERS + 1, wrappedTo(directory, archive, newKey));

                // 3. retire the old key; the archive check passes with the new key alone.
                Run retire = run("archive", "retire", "--data", data.toString(), "--url", server.ldapUrl(), "--key",
                        oldKey);
                assertEquals(0, retire.code, retire.toString());
                assertTrue(retire.out.contains("holds 1 key: " + newKey), retire.toString());
                assertEquals(List.of(newKey), RecoveryKeyStore.open(DataFolder.of(data)).keys().stream()
                        .map(k -> k.keyId()).toList());
                Run check = run("archive", "check", "--data", data.toString(), "--url", server.ldapUrl());
                assertEquals(0, check.code, check.toString());
                assertEquals(List.of("checked " + (USERS + 1) + " users and " + (USERS + 1) + " archive records,"
                        + " unwrapped " + (USERS + 1) + " keys: no problems"), check.out.lines().toList(),
                        check.toString());
                assertEachRecordReWrappedOnce(directory, archive, server);

                // 4. Other tools.
                LdapTools.Result old = asAgent.search(archive, "(kmsWrappingKeyId=" + oldKey + ")", "1.1");
                old.assertSuccess();
                assertEquals(0, old.stdout().lines().filter(l -> l.startsWith("dn:")).count(), old.stdout());
                openWithOpenssl(asAgent, archive, people);
                guardRefusals(admin, kmsAdmin, asAgent, archive, server);
            }
            System.out.printf("recovery key rotation (seed %d): %d records re-wrapped through %d kills in %.1f s%n",
                    seed, USERS, KILLS, (System.nanoTime() - started) / 1e9);
        }
    }

    /** The audit log: each record's wrapped key replaced exactly once, by the KMS agent, the late record's never. */
    private void assertEachRecordReWrappedOnce(LdapNetworkConnection directory, String archive, DirectoryServer server)
            throws Exception {
        Map<String, Integer> rewraps = new HashMap<>();
        for (String line : Files.readAllLines(DataFolder.of(data).auditLog())) {
            String[] fields = line.split("\t", -1);
            if (fields.length >= 6 && fields[3].equals("modify") && Set.of(fields[5].toLowerCase(Locale.ROOT)
                    .split(",")).contains("kmswrappedkey")) {
                assertEquals(server.kmsAgentDn().toLowerCase(Locale.ROOT), fields[2].toLowerCase(Locale.ROOT), line);
                rewraps.merge(fields[4].toLowerCase(Locale.ROOT), 1, Integer::sum);
            }
        }
        List<String> records = names(directory, archive, "(objectClass=kmsArchivedKey)");
        assertEquals(USERS + 1, records.size());
        assertEquals(USERS, rewraps.size(), "every record of the first key re-wrapped, the late one never: " + rewraps);
        for (String record : records) {
            Integer count = rewraps.get(record.toLowerCase(Locale.ROOT));
            if (count != null) {
                assertEquals(1, count, record + " re-wrapped exactly once");
            }
        }
        assertTrue(rewraps.keySet().stream().allMatch(dn -> records.stream()
                .anyMatch(r -> r.toLowerCase(Locale.ROOT).equals(dn))), "the audit names the records: " + rewraps);
    }

    /** openssl opens a re-wrapped record with the new key from the store to the key of the record's certificate. */
    private void openWithOpenssl(LdapTools asAgent, String archive, String people) throws Exception {
        LdapTools.Result record = asAgent.searchRaw("-LLL", "-o", "ldif-wrap=no", "-b", archive, "-s", "one",
                "(kmsKeyOwner=uid=rot7," + people + ")", "kmsWrappedKey", "userCertificate;binary");
        record.assertSuccess();
        Files.write(work.resolve("record.der"), Base64.getDecoder().decode(value(record.stdout(), "kmsWrappedKey")));
        Files.write(work.resolve("user.der"), Base64.getDecoder().decode(value(record.stdout(),
                "userCertificate;binary")));
        Map<String, String> env = Map.of();
        DataFolder folder = DataFolder.of(data);
        openssl(env, "pkcs12", "-in", folder.recoveryKeyStore().toString(), "-passin", "file:"
                + folder.recoveryPassphrase(), "-nodes", "-out", work.resolve("recovery.pem").toString());
        openssl(env, "cms", "-decrypt", "-inform", "DER", "-in", work.resolve("record.der").toString(), "-inkey",
                work.resolve("recovery.pem").toString(), "-out", work.resolve("key.der").toString());
        String recovered = openssl(env, "pkey", "-inform", "DER", "-in", work.resolve("key.der").toString(), "-pubout");
        String certified = openssl(env, "x509", "-inform", "DER", "-in", work.resolve("user.der").toString(), "-noout",
                "-pubkey");
        assertEquals(certified, recovered, "the re-wrapped key is the private key of the record's certificate");
    }

    /** Who may rewrite an archive record: only the KMS, and only its wrapped key, never taking it away. */
    private static void guardRefusals(LdapTools admin, LdapTools kmsAdmin, LdapTools asAgent, String archive,
            DirectoryServer server) {
        LdapTools.Result found = asAgent.searchRaw("-LLL", "-o", "ldif-wrap=no", "-b", archive, "-s", "one",
                "(kmsKeyOwner=uid=rot9," + server.layout().people() + ")", "kmsWrappedKey");
        found.assertSuccess();
        String dn = found.stdout().lines().filter(l -> l.startsWith("dn: ")).findFirst().orElseThrow().substring(4);
        String wrapped = value(found.stdout(), "kmsWrappedKey");
        String rewrap = "dn: " + dn + "\nchangetype: modify\ndelete: kmsWrappedKey\nkmsWrappedKey:: " + wrapped
                + "\n-\nadd: kmsWrappedKey\nkmsWrappedKey:: MAA=\n-\n";
        admin.modify(rewrap).assertExitCode(50);
        kmsAdmin.modify(rewrap).assertExitCode(50);
        LdapTools.Result dropped = asAgent.modify("dn: " + dn + "\nchangetype: modify\ndelete: kmsWrappedKey\n"
                + "kmsWrappedKey:: " + wrapped + "\n-\n");
        dropped.assertExitCode(53);
        assertTrue(dropped.stderr().contains("never loses its key"), dropped.stderr());
        LdapTools.Result owner = asAgent.modify("dn: " + dn + "\nchangetype: modify\nreplace: kmsKeyOwner\n"
                + "kmsKeyOwner: uid=rot8," + server.layout().people() + "\n-\n");
        owner.assertExitCode(53);
        assertTrue(owner.stderr().contains("fixed when the key is archived"), owner.stderr());
        LdapTools.Result after = asAgent.searchRaw("-LLL", "-o", "ldif-wrap=no", "-b", dn, "-s", "base",
                "(objectClass=*)", "kmsWrappedKey", "kmsKeyOwner");
        assertEquals(wrapped, value(after.stdout(), "kmsWrappedKey"), "unchanged");
        assertTrue(after.stdout().contains("kmsKeyOwner: uid=rot9,"), after.stdout());
    }

    private String openssl(Map<String, String> env, String... arguments) {
        List<String> command = new ArrayList<>();
        command.add(LdapTools.requireTool("openssl", "openssl"));
        command.addAll(List.of(arguments));
        LdapTools.Result result = LdapTools.run(command, env, null);
        result.assertSuccess();
        return result.stdout();
    }

    private static String value(String ldif, String attribute) {
        String prefix = attribute + ":: ";
        return ldif.lines().filter(l -> l.startsWith(prefix)).findFirst().orElseThrow(() -> new AssertionError(
                attribute + " missing in:\n" + ldif)).substring(prefix.length()).trim();
    }

    private Process startRewrap(DirectoryServer server, int round) throws Exception {
        // One worker and small batches: slow enough that the kills land in the middle of the work.
        ProcessBuilder builder = new ProcessBuilder(ProjectFiles.file("dirkms").toString(), "archive", "rewrap",
                "--data", data.toString(), "--url", server.ldapUrl(), "--workers", "1", "--batch-size", "10");
        builder.redirectOutput(work.resolve("rewrap" + round + ".out").toFile());
        builder.redirectError(work.resolve("rewrap" + round + ".err").toFile());
        return builder.start();
    }

    private String log(int round) {
        try {
            return "\nstdout:\n" + Files.readString(work.resolve("rewrap" + round + ".out")) + "\nstderr:\n"
                    + Files.readString(work.resolve("rewrap" + round + ".err"));
        } catch (java.io.IOException e) {
            return e.toString();
        }
    }

    private static int wrappedTo(LdapNetworkConnection directory, String archive, String keyId) throws Exception {
        return names(directory, archive, "(kmsWrappingKeyId=" + keyId + ")").size();
    }

    private static List<String> names(LdapNetworkConnection directory, String archive, String filter) throws Exception {
        List<String> names = new ArrayList<>();
        try (EntryCursor cursor = directory.search(archive, filter, SearchScope.ONELEVEL, "objectClass")) {
            for (Entry entry : cursor) {
                names.add(entry.getDn().getName());
            }
        }
        return names;
    }

    private static Run run(String... arguments) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = DirkmsCommand.run(List.of(arguments), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private record Run(int code, String out, String err) {
        @Override
        public String toString() {
            return "exit " + code + "\nstdout:\n" + out + "\nstderr:\n" + err;
        }
    }
}
