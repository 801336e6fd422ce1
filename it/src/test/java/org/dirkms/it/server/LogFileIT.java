package org.dirkms.it.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.dirkms.it.support.DirkmsRun;
import org.dirkms.it.support.LdapTools;
import org.dirkms.it.support.ProjectFiles;
import org.dirkms.it.support.ServeProcess;
import org.dirkms.schema.DataFolder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The logs of {@code ./dirkms serve} and of the commands run on its data folder, each a process
 * started with the repository's script as an administrator starts it (README, "Logs"): the first
 * start writes {@code DIR/logback.xml} (0600) and logs to the rotating {@code DIR/logs/dirkms.log}
 * one line per event (time, level, logger, message); {@code dirkms enroll} in a terminal (tmux)
 * shows one progress bar and no log line, the file getting them; without a terminal its counter
 * lines come in order; after an enrollment and a key recovery no token, key package, recovery
 * package or wrapped key shows in the log file; a changed {@code DIR/logback.xml} takes effect
 * at the next start.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LogFileIT {

    private static final String SUFFIX = "dc=example,dc=com";
    private static final String JDOE = "uid=jdoe,ou=People," + SUFFIX;
    private static final String ALICE = "uid=alice,ou=People," + SUFFIX;
    private static final String BOB = "uid=bob,ou=People," + SUFFIX;
    private static final String CAROL = "uid=carol,ou=People," + SUFFIX;
    private static final String AGENT = "uid=kms-agent,ou=KMS," + SUFFIX;
    private static final String REQUEST = "cn=recover-jdoe-2026-11-25,ou=Recovery Requests,ou=KMS," + SUFFIX;
    /** One event a line: ISO 8601 time with its offset, level, logger, message. */
    private static final Pattern EVENT = Pattern.compile(
            "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}(Z|[+-]\\d\\d:\\d\\d) (TRACE|DEBUG|INFO|WARN|ERROR)"
                    + " [\\w.$]+ - .*");
    /** A counter line of a display without a terminal. */
    private static final Pattern COUNTER = Pattern.compile("(\\d+)/(\\d+) users done");
    private static final int USERS = 6;

    @TempDir
    static Path temporary;

    private Path work;
    private DataFolder data;
    private ServeProcess serve;
    private String url;
    private LdapTools superuser;
    private LdapTools alice;
    private String tmuxSocket;
    /** Every report the enrollments wrote: their tokens are looked for in the log. */
    private final List<Path> reports = new ArrayList<>();

    @BeforeAll
    void serveOnAFreshDataFolder() throws Exception {
        work = Files.createDirectories(temporary.resolve("work"));
        data = DataFolder.of(temporary.resolve("data"));
        start();
        superuser = LdapTools.against(url, data.caCertificate()).asWithPasswordFile("uid=admin,ou=system",
                data.adminPassword());
        superuser.modifyFile(sample("20-add-user.ldif")).assertSuccess();
        superuser.modifyFile(sample("25-add-kms-people.ldif")).assertSuccess();
        role("kms-administrators", ALICE);
        role("recovery-agents", BOB);
        role("recovery-agents", CAROL);
        alice = LdapTools.against(url, data.caCertificate()).as(ALICE, "alice-sample-password-change-me");
        // EC keys: the users of the default group enroll in a few seconds on two busy cores.
        alice.modify("dn: cn=Default,ou=Administrative Groups," + SUFFIX + "\nchangetype: modify\n"
                + "replace: kmsKeyAlgorithm\nkmsKeyAlgorithm: EC-P256\n-\n").assertSuccess();
        StringBuilder people = new StringBuilder();
        for (String prefix : List.of("term", "pipe")) {
            for (int i = 0; i < USERS; i++) {
                people.append("dn: uid=").append(prefix).append(i).append(",ou=People,").append(SUFFIX)
                        .append("\nchangetype: add\nobjectClass: inetOrgPerson\nuid: ").append(prefix).append(i)
                        .append("\ncn: ").append(prefix).append(' ').append(i).append("\nsn: ").append(prefix)
                        .append("\nmail: ").append(prefix).append(i).append("@example.com\n\n");
            }
        }
        superuser.modify(people.toString()).assertSuccess();
    }

    private void start() throws Exception {
        serve = ServeProcess.start(temporary, "--data", data.root().toString(), "--ldap-port", "0", "--ldaps-port", "0",
                "--http-port", "0");
        String banner = serve.awaitBanner();
        Matcher matcher = Pattern.compile("LDAP \\(StartTLS\\): (ldap://\\S+)").matcher(banner);
        assertTrue(matcher.find(), banner);
        url = matcher.group(1);
    }

    @AfterAll
    void stop() throws Exception {
        if (tmuxSocket != null) {
            LdapTools.run(List.of("tmux", "-L", tmuxSocket, "kill-server"), Map.of(), null);
        }
        if (serve != null) {
            serve.close();
        }
    }

    @Test
    @Order(1)
    void theFirstStartWritesTheConfigurationAndLogsToTheFile() throws Exception {
        Path configuration = data.logbackConfiguration();
        assertEquals("rw-------", mode(configuration));
        try (InputStream shipped = LogFileIT.class.getResourceAsStream("/org/dirkms/dist/data-folder-logback.xml")) {
            assertNotNull(shipped);
            assertEquals(new String(shipped.readAllBytes(), StandardCharsets.UTF_8), Files.readString(configuration),
                    "the default, as shipped");
        }
        assertEquals("rwx------", mode(data.logs()));
        assertEquals("rw-------", mode(data.logFile()));
        String log = Files.readString(data.logFile());
        assertTrue(log.contains(" INFO org.dirkms.ds.server.DirectoryServer - dirkms directory " + SUFFIX + " serving "),
                log);
        log.lines().forEach(line -> assertTrue(EVENT.matcher(line).matches(), "one event a line: " + line));
        // The console gets the same lines (from INFO up); ApacheDS's own only from WARN up.
        assertTrue(serve.stderr().contains(" INFO org.dirkms.ds.server.DirectoryServer - dirkms directory "),
                serve.stderr());
        assertFalse(log.contains(" INFO org.apache.directory") || log.contains(" DEBUG "), log);
    }

    @Test
    @Order(2)
    void enrollInATerminalShowsOneProgressBarAndNoLogLine() throws Exception {
        LdapTools.requireTool("tmux", "tmux");
        tmuxSocket = "dirkms-it-" + ProcessHandle.current().pid();
        Path report = work.resolve("terminal.tsv");
        reports.add(report);
        String command = "cd " + work + " && JAVA_HOME=" + System.getProperty("java.home") + " "
                + ProjectFiles.file("dirkms") + " enroll --data " + data.root() + " --filter '(uid=term*)' --report "
                + report + " --workers 2; echo \"enroll exited $?\"; sleep 600";
        LdapTools.run(List.of("tmux", "-L", tmuxSocket, "new-session", "-d", "-s", "enroll", "-x", "120", "-y", "30",
                command), Map.of(), null).assertSuccess();
        String pane = "";
        Instant deadline = Instant.now().plus(Duration.ofMinutes(3));
        while (!pane.contains("enroll exited") && Instant.now().isBefore(deadline)) {
            Thread.sleep(500);
            pane = LdapTools.run(List.of("tmux", "-L", tmuxSocket, "capture-pane", "-p", "-t", "enroll"), Map.of(),
                    null).assertSuccess().stdout();
        }
        System.out.println("dirkms enroll in tmux (120x30):\n" + pane);
        assertTrue(pane.contains("enroll exited 0"), pane);
        assertTrue(pane.contains("enrolled " + USERS + ", skipped 0, failed 0"), pane);
        List<String> bars = pane.lines().filter(line -> line.startsWith("enroll") && line.contains("%")).toList();
        assertEquals(1, bars.size(), "one progress bar:\n" + pane);
        assertTrue(bars.get(0).contains("100%") && bars.get(0).contains(USERS + "/" + USERS), bars.get(0));
        assertFalse(pane.contains(" INFO ") || pane.contains(" WARN ") || pane.contains("org.dirkms."),
                "no log line between the bar's redraws:\n" + pane);
        // The file got what the console did not.
        String log = Files.readString(data.logFile());
        for (int i = 0; i < USERS; i++) {
            assertTrue(log.contains(" INFO org.dirkms.agent.enroll.Enrollment - Enrolled uid=term" + i + ",ou=People,"),
                    "term" + i + " in the log file");
        }
    }

    @Test
    @Order(3)
    void enrollWithoutATerminalPrintsItsCounterInOrder() throws Exception {
        Path report = work.resolve("pipe.tsv");
        reports.add(report);
        Path out = work.resolve("pipe.out");
        Path err = work.resolve("pipe.err");
        ProcessBuilder builder = new ProcessBuilder(ProjectFiles.file("dirkms").toString(), "enroll", "--data",
                data.root().toString(), "--filter", "(uid=pipe*)", "--report", report.toString(), "--workers", "4");
        builder.redirectOutput(out.toFile()).redirectError(err.toFile()).redirectInput(ProcessBuilder.Redirect.PIPE);
        Process process = builder.start();
        process.getOutputStream().close();
        assertTrue(process.waitFor(3, TimeUnit.MINUTES), "enroll ended");
        String printed = Files.readString(out);
        assertEquals(0, process.exitValue(), printed + Files.readString(err));
        List<Integer> counts = new ArrayList<>();
        for (String line : printed.lines().toList()) {
            Matcher counter = COUNTER.matcher(line);
            if (counter.matches()) {
                assertEquals(USERS, Integer.parseInt(counter.group(2)), line);
                counts.add(Integer.parseInt(counter.group(1)));
            }
        }
        assertEquals(List.of(1, 2, 3, 4, 5, 6), counts, "the counter lines in order:\n" + printed);
        assertFalse(Files.readString(err).contains(" INFO "), "the console stays quiet: " + Files.readString(err));
    }

    @Test
    @Order(4)
    void noSecretOfAnEnrollmentOrARecoveryIsInTheLogFile() throws Exception {
        // Jane is enrolled by the server's agent (30-enroll-user), then Alice asks for her keys,
        // Bob and Carol approve, and the agent recovers them for Alice.
        alice.modifyFile(sample("10-create-administrative-group.ldif")).assertSuccess();
        alice.modifyFile(sample("30-enroll-user.ldif")).assertSuccess();
        LdapTools agent = LdapTools.against(url, data.caCertificate()).asWithPasswordFile(AGENT, data.kmsAgentPassword());
        await(() -> agent.search(JDOE, "(kmsEnrollmentState=enrolled)", "1.1").stdout().contains("dn: "),
                "Jane enrolled");
        alice.modifyFile(sample("50-request-recovery.ldif")).assertSuccess();
        LdapTools.against(url, data.caCertificate()).as(BOB, "bob-sample-password-change-me")
                .modifyFile(sample("60-approve-recovery.ldif")).assertSuccess();
        LdapTools.against(url, data.caCertificate()).as(CAROL, "carol-sample-password-change-me")
                .modify(Files.readString(sample("60-approve-recovery.ldif")).replace(BOB, CAROL)).assertSuccess();
        await(() -> alice.search(REQUEST, "(objectClass=*)", "kmsRecoveryState").stdout()
                .contains("kmsRecoveryState: approved"), "the recovery package for Alice");

        Map<String, byte[]> secrets = new LinkedHashMap<>();
        for (Path report : reports) {
            for (String row : Files.readAllLines(report)) {
                String[] fields = row.split("\t");
                if (fields.length > 3 && fields[3].length() >= 16) {
                    secrets.put("token of " + fields[0], fields[3].getBytes(StandardCharsets.UTF_8));
                }
            }
        }
        assertEquals(2 * USERS, secrets.size(), "a token for each enrolled user in " + reports);
        String recovery = alice.search(REQUEST, "(objectClass=*)", "kmsRecoveryPackage", "kmsRecoveryToken")
                .assertSuccess().stdout();
        secrets.putAll(values("recovery", recovery, "kmsRecoveryPackage", "kmsRecoveryToken"));
        String packages = agent.search("ou=People," + SUFFIX, "(objectClass=kmsUser)", "kmsKeyPackage", "kmsEnrollmentToken")
                .assertSuccess().stdout();
        secrets.putAll(values("user", packages, "kmsKeyPackage", "kmsEnrollmentToken"));
        String archive = agent.search("ou=Key Archive,ou=KMS," + SUFFIX, "(objectClass=kmsArchivedKey)", "kmsWrappedKey")
                .assertSuccess().stdout();
        Map<String, byte[]> wrapped = values("archive", archive, "kmsWrappedKey");
        assertTrue(wrapped.size() >= 2 * USERS + 1, "an archived key for each enrollment:\n" + archive);
        secrets.putAll(wrapped);
        assertTrue(secrets.keySet().stream().anyMatch(name -> name.contains("kmsKeyPackage")), secrets.keySet()
                .toString());

        String log = Files.readString(data.logFile());
        assertTrue(log.contains("Recovered ") && log.contains(" of " + JDOE + " for " + ALICE),
                "the recovery is in the log:\n" + log);
        for (Map.Entry<String, byte[]> secret : secrets.entrySet()) {
            assertNoTrace(log, secret.getKey(), secret.getValue());
        }
        System.out.println("LogFileIT: " + secrets.size() + " secret values looked for in " + log.lines().count()
                + " log lines");
    }

    @Test
    @Order(5)
    void aChangedConfigurationTakesEffectAtTheNextStart() throws Exception {
        assertEquals(143, serve.terminate());
        String configuration = Files.readString(data.logbackConfiguration());
        String info = "<logger name=\"org.dirkms\" level=\"INFO\"/>";
        assertTrue(configuration.contains(info), configuration);
        Files.writeString(data.logbackConfiguration(), configuration.replace(info,
                "<logger name=\"org.dirkms\" level=\"DEBUG\"/>"));
        // As an editor that keeps no mode might leave it.
        Files.setPosixFilePermissions(data.logbackConfiguration(), PosixFilePermissions.fromString("rw-r--r--"));
        long before = Files.readString(data.logFile()).lines().count();
        start();
        List<String> after = Files.readString(data.logFile()).lines().skip(before).toList();
        assertTrue(after.stream().anyMatch(line -> line.matches(".* DEBUG org\\.dirkms\\.ds\\.server\\."
                + "DataFolderPermissions - Restricted \\d+ files and folders in .*")), String.join("\n", after));
        assertEquals("rw-------", mode(data.logbackConfiguration()), "the start tightens what the editor loosened");
        assertEquals(143, serve.terminate());
    }

    /** Every value of {@code attributes} in ldapsearch's LDIF {@code ldif}, named for the failure message. */
    private static Map<String, byte[]> values(String what, String ldif, String... attributes) {
        Map<String, byte[]> values = new LinkedHashMap<>();
        String dn = "";
        for (String line : ldif.split("\n")) {
            if (line.startsWith("dn: ")) {
                dn = line.substring(4);
            }
            for (String attribute : attributes) {
                if (line.startsWith(attribute + ":: ")) {
                    values.put(what + " " + attribute + " of " + dn + " #" + values.size(),
                            Base64.getDecoder().decode(line.substring(attribute.length() + 3).trim()));
                } else if (line.startsWith(attribute + ": ")) {
                    values.put(what + " " + attribute + " of " + dn + " #" + values.size(),
                            line.substring(attribute.length() + 2).getBytes(StandardCharsets.UTF_8));
                }
            }
        }
        return values;
    }

    /**
     * Fails if {@code log} shows a part of {@code secret}: 12 characters of it as text, 8 bytes
     * of it in hex (plain, or as the LDAP API dumps bytes: {@code 0x4C 0x4F ...}), or 9 bytes of it
     * in Base64 whatever their offset.
     */
    private static void assertNoTrace(String log, String name, byte[] secret) {
        String text = new String(secret, StandardCharsets.ISO_8859_1);
        for (int i = 0; i + 12 <= text.length(); i++) {
            assertFalse(log.contains(text.substring(i, i + 12)), name + " shows as text in the log");
        }
        Set<String> hex = new HashSet<>();
        String allHex = HexFormat.of().formatHex(secret);
        for (int i = 0; i + 16 <= allHex.length(); i += 2) {
            hex.add(allHex.substring(i, i + 16));
        }
        Set<String> base64 = new HashSet<>();
        for (int shift = 0; shift < 3 && shift < secret.length; shift++) {
            String encoded = Base64.getEncoder().encodeToString(Arrays.copyOfRange(secret, shift, secret.length));
            for (int i = 0; i + 12 <= encoded.length(); i += 4) {
                base64.add(encoded.substring(i, i + 12));
            }
        }
        String dumped = log.replaceAll("0x([0-9A-Fa-f]{2}) ?", "$1").toLowerCase(Locale.ROOT);
        Matcher hexRuns = Pattern.compile("[0-9a-f]{16,}").matcher(dumped);
        while (hexRuns.find()) {
            String run = hexRuns.group();
            for (int i = 0; i + 16 <= run.length(); i++) {
                assertFalse(hex.contains(run.substring(i, i + 16)), name + " shows in hex in the log: " + run);
            }
        }
        Matcher base64Runs = Pattern.compile("[A-Za-z0-9+/]{12,}").matcher(log);
        while (base64Runs.find()) {
            String run = base64Runs.group();
            for (int i = 0; i + 12 <= run.length(); i++) {
                assertFalse(base64.contains(run.substring(i, i + 12)), name + " shows in Base64 in the log: " + run);
            }
        }
    }

    private void role(String role, String dn) {
        DirkmsRun run = DirkmsRun.of("roles", "add", role, dn, "--data", data.root().toString(), "--url", url,
                "--ca-cert", data.caCertificate().toString(), "--suffix", SUFFIX);
        assertEquals(0, run.code(), run.toString());
    }

    private static Path sample(String name) {
        return ProjectFiles.file("ldif/samples/" + name);
    }

    private static String mode(Path path) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(path));
    }

    private interface Condition {
        boolean holds() throws Exception;
    }

    private void await(Condition condition, String what) throws Exception {
        Instant deadline = Instant.now().plus(Duration.ofMinutes(2));
        while (!condition.holds()) {
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("no " + what + " within 2 minutes; the log:\n" + Files.readString(data.logFile()));
            }
            Thread.sleep(250);
        }
    }
}
