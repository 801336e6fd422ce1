package org.dirkms.it.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.dirkms.it.support.LdapTools;
import org.dirkms.it.support.ServeProcess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The distribution as an administrator installs it (README, "Installing from the tarball"): the
 * tarball that {@code mvn package} built ({@code dist/target/dirkms-<version>.tar.gz}, named by
 * the system property {@code dirkms.tarball} that it/pom.xml sets) unpacked into an empty folder
 * and run with only a JDK: a PATH of the JDK's {@code bin} and the few POSIX tools the launcher
 * uses (no Maven reachable), HOME an empty folder (no {@code ~/.m2}). {@code bin/dirkms serve}
 * starts, the README's samples add people through {@code ldapmodify}, {@code bin/dirkms roles}
 * gives alice her role, she enrolls jdoe, and {@code ldapsearch} sees
 * {@code kmsEnrollmentState: enrolled}; {@code --version}, {@code --json}, a man page, the
 * completion script and the systemd unit ({@code systemd-analyze verify}) are checked from the
 * unpacked folder too, and the {@code --json} output of roles list, recovery list, archive check
 * and audit verify is read by a JSON parser.
 */
class TarballIT {

    private static final Pattern LDAP_URL = Pattern.compile("LDAP \\(StartTLS\\): (ldap://\\S+)");
    /** The tools bin/dirkms runs besides java (POSIX sh and utilities). */
    private static final List<String> LAUNCHER_TOOLS = List.of("sh", "dirname", "readlink", "sed", "head");
    private static final String ALICE = "uid=alice,ou=People,dc=example,dc=com";
    private static final String JDOE = "uid=jdoe,ou=People,dc=example,dc=com";

    @TempDir
    Path work;

    @Test
    void theTarballUnpackedIntoAnEmptyFolderServesAndEnrollsAUserWithOnlyAJdk() throws Exception {
        Path tarball = Path.of(System.getProperty("dirkms.tarball", "dist/target/dirkms.tar.gz"));
        assertTrue(Files.isRegularFile(tarball), tarball + " is built by the package phase of dist, before this"
                + " module's integration tests");
        Path opt = Files.createDirectories(work.resolve("opt"));
        LdapTools.run(List.of("tar", "xzf", tarball.toString(), "-C", opt.toString()), Map.of(), null)
                .assertSuccess();
        List<Path> unpacked;
        try (Stream<Path> children = Files.list(opt)) {
            unpacked = children.toList();
        }
        assertEquals(1, unpacked.size(), "one folder dirkms-<version>: " + unpacked);
        Path home = unpacked.get(0);
        String version = home.getFileName().toString().substring("dirkms-".length());
        assertEquals("dirkms-" + version + ".tar.gz", tarball.getFileName().toString());
        for (String file : List.of("lib/dirkms.jar", "ldif/samples/20-add-user.ldif", "ldif/schema/dirkms-rfc4512.ldif",
                "man/man1/dirkms.1", "man/man1/dirkms-serve.1", "completion/dirkms.bash", "systemd/dirkms.service",
                "README.md", "SECURITY.md")) {
            assertTrue(Files.isRegularFile(home.resolve(file)), "the tarball holds " + file);
        }
        assertTrue(Files.isExecutable(home.resolve("bin/dirkms")), "bin/dirkms is executable");

        Map<String, String> environment = jdkOnlyEnvironment();
        Path dirkms = home.resolve("bin/dirkms");
        Result version1 = launch(environment, dirkms.toString(), "--version");
        assertEquals(0, version1.code(), version1.toString());
        assertEquals("dirkms " + version + "\n", version1.out());

        Path data = work.resolve("data");
        try (ServeProcess serve = ServeProcess.startWith(List.of(dirkms.toString(), "serve", "--data", data.toString(),
                "--ldap-port", "0", "--ldaps-port", "0", "--http-port", "0"), environment, work)) {
            String banner = serve.awaitBanner();
            Matcher url = LDAP_URL.matcher(banner);
            assertTrue(url.find(), banner);
            Path caCertificate = data.resolve("tls/ca.crt");
            LdapTools anonymous = LdapTools.against(url.group(1), caCertificate);

            // As the README: the superuser adds people, 'dirkms roles' makes alice a KMS
            // administrator, and she creates the group and enrolls jdoe, with the shipped samples.
            LdapTools superuser = anonymous.asWithPasswordFile("uid=admin,ou=system", data.resolve("admin.password"));
            for (String sample : List.of("25-add-kms-people.ldif", "20-add-user.ldif")) {
                superuser.modifyFile(home.resolve("ldif/samples/" + sample)).assertSuccess();
            }
            Result role = launch(environment, dirkms.toString(), "roles", "add", "kms-administrators", ALICE, "--data",
                    data.toString());
            assertEquals(0, role.code(), role.toString());
            LdapTools alice = anonymous.as(ALICE, "alice-sample-password-change-me");
            for (String sample : List.of("10-create-administrative-group.ldif", "30-enroll-user.ldif")) {
                alice.modifyFile(home.resolve("ldif/samples/" + sample)).assertSuccess();
            }
            awaitEnrolled(alice);

            // --json: one document a JSON parser reads, naming alice in her role.
            Result roles = launch(environment, dirkms.toString(), "roles", "list", "--json", "--data", data.toString());
            assertEquals(0, roles.code(), roles.toString());
            JsonNode parsed = new ObjectMapper().readTree(roles.out());
            List<String> administrators = new ArrayList<>();
            for (JsonNode each : parsed) {
                if (each.get("role").asText().equals("kms-administrators")) {
                    each.get("members").forEach(member -> administrators.add(member.asText()));
                }
            }
            assertEquals(List.of(ALICE, "uid=kms-agent,ou=KMS,dc=example,dc=com"), administrators,
                    "alice, and the KMS agent that stays in every role: " + roles.out());
            Result recoveries = launch(environment, dirkms.toString(), "recovery", "list", "--json", "--data",
                    data.toString());
            assertEquals(0, recoveries.code(), recoveries.toString());
            JsonNode requests = new ObjectMapper().readTree(recoveries.out());
            assertTrue(requests.isArray() && requests.isEmpty(), "no recovery requested yet: " + recoveries.out());
            Result archive = launch(environment, dirkms.toString(), "archive", "check", "--json", "--data",
                    data.toString());
            assertEquals(0, archive.code(), archive.toString());
            JsonNode report = new ObjectMapper().readTree(archive.out());
            assertTrue(report.get("clean").asBoolean() && report.get("findings").isEmpty(), archive.out());
            assertTrue(report.get("keysUnwrapped").asInt() >= 1, "jdoe's archived key unwraps: " + archive.out());
            Result audit = launch(environment, dirkms.toString(), "audit", "verify", "--json", "--data",
                    data.toString());
            assertEquals(0, audit.code(), audit.toString());
            JsonNode verified = new ObjectMapper().readTree(audit.out());
            assertTrue(verified.get("valid").asBoolean() && verified.get("anchored").asBoolean(), audit.out());
            assertTrue(verified.get("records").asLong() >= verified.get("anchorSequence").asLong(), audit.out());

            assertEquals(143, serve.terminate(), "exit status of a JVM ended by SIGTERM");
        }

        manPageReads(home.resolve("man/man1/dirkms-serve.1"));
        completionLoads(home.resolve("completion/dirkms.bash"));
        systemdUnitVerifies(home);
    }

    @Test
    void theLauncherRefusesAJavaOlderThan17InOneLine() throws Exception {
        Path tarball = Path.of(System.getProperty("dirkms.tarball", "dist/target/dirkms.tar.gz"));
        Path opt = Files.createDirectories(work.resolve("opt"));
        LdapTools.run(List.of("tar", "xzf", tarball.toString(), "-C", opt.toString()), Map.of(), null)
                .assertSuccess();
        Path dirkms;
        try (Stream<Path> children = Files.list(opt)) {
            dirkms = children.findFirst().orElseThrow().resolve("bin/dirkms");
        }
        // A JAVA_HOME whose java says it is Java 11, as 'java -version' prints it.
        Path oldJava = Files.createDirectories(work.resolve("jdk-11/bin")).resolve("java");
        Files.writeString(oldJava, "#!/bin/sh\necho 'openjdk version \"11.0.20\" 2023-07-18' >&2\n");
        assertTrue(oldJava.toFile().setExecutable(true));
        Map<String, String> environment = new LinkedHashMap<>(jdkOnlyEnvironment());
        environment.put("JAVA_HOME", oldJava.getParent().getParent().toString());
        Result refused = launch(environment, dirkms.toString(), "--version");
        assertEquals(1, refused.code(), refused.toString());
        assertEquals("", refused.out());
        assertEquals(1, refused.err().lines().count(), "one line: " + refused.err());
        assertTrue(refused.err().startsWith("dirkms: Java 17 or later is needed; " + oldJava + " is 11.0.20"),
                refused.err());

        // Through a symbolic link, as /usr/local/bin/dirkms, with the JDK on the PATH.
        Path link = Files.createSymbolicLink(Files.createDirectories(work.resolve("usr-local-bin")).resolve("dirkms"),
                dirkms);
        Result linked = launch(jdkOnlyEnvironment(), link.toString(), "--version");
        assertEquals(0, linked.code(), linked.toString());
        assertTrue(linked.out().startsWith("dirkms "), linked.out());
    }

    /**
     * PATH: the running JDK's {@code bin} and a folder of copies of the POSIX tools the launcher
     * uses; HOME: an empty folder. Fails if {@code mvn} is reachable on that PATH.
     */
    private Map<String, String> jdkOnlyEnvironment() throws IOException {
        Path tools = work.resolve("tools");
        if (!Files.isDirectory(tools)) {
            Files.createDirectories(tools);
            for (String tool : LAUNCHER_TOOLS) {
                // Copies, not links: the folder holds these programs and nothing else.
                Files.copy(Path.of(LdapTools.requireTool(tool, "coreutils")).toRealPath(), tools.resolve(tool),
                        java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
            }
        }
        Path javaBin = Path.of(System.getProperty("java.home"), "bin");
        String path = javaBin + File.pathSeparator + tools;
        for (String folder : path.split(File.pathSeparator)) {
            assertFalse(Files.exists(Path.of(folder, "mvn")), "Maven must not be reachable: " + folder + "/mvn");
        }
        Path emptyHome = Files.createDirectories(work.resolve("home"));
        try (Stream<Path> inHome = Files.list(emptyHome)) {
            assertTrue(inHome.noneMatch(file -> file.getFileName().toString().equals(".m2")), "no ~/.m2");
        }
        return Map.of("PATH", path, "HOME", emptyHome.toString(), "LANG", "C.UTF-8");
    }

    /** Polls with ldapsearch, as alice, until jdoe is enrolled; fails on failed or after 2 minutes. */
    private static void awaitEnrolled(LdapTools alice) throws InterruptedException {
        Instant deadline = Instant.now().plusSeconds(120);
        while (true) {
            String entry = alice.searchRaw("-LLL", "-o", "ldif-wrap=no", "-s", "base", "-b", JDOE, "(objectClass=*)",
                    "kmsEnrollmentState", "kmsLastError").assertSuccess().stdout();
            if (entry.contains("\nkmsEnrollmentState: enrolled\n")) {
                return;
            }
            if (entry.contains("kmsEnrollmentState: failed") || Instant.now().isAfter(deadline)) {
                fail(JDOE + " was not enrolled by the unpacked distribution's agent: " + entry);
            }
            Thread.sleep(200); // polling the agent's progress, not waiting for time to pass
        }
    }

    /** man(1) renders the page when man is installed; else the page starts as a man(7) page does. */
    private static void manPageReads(Path page) throws IOException {
        String text = Files.readString(page, StandardCharsets.US_ASCII);
        assertTrue(text.lines().anyMatch(line -> line.startsWith(".TH \"DIRKMS-SERVE\" 1 ")), "the title line");
        if (commandExists("man")) {
            LdapTools.Result rendered = LdapTools.run(List.of("man", "-l", page.toString()), Map.of("MANWIDTH", "100",
                    "MANPAGER", "cat", "PAGER", "cat"), null).assertSuccess();
            assertTrue(rendered.stdout().contains("dirkms-serve - "), rendered.stdout());
            assertTrue(rendered.stdout().contains("--data DIR"), rendered.stdout());
            assertFalse(rendered.stderr().contains("warning"), rendered.stderr());
        }
    }

    /** bash registers the completion of dirkms from the shipped script. */
    private static void completionLoads(Path script) {
        if (commandExists("bash")) {
            LdapTools.Result complete = LdapTools.run(List.of("bash", "-c", "source \"$0\" && complete -p dirkms",
                    script.toString()), Map.of(), null).assertSuccess();
            assertTrue(complete.stdout().contains("_complete_dirkms"), complete.stdout());
        }
    }

    /**
     * {@code systemd-analyze verify} reads the shipped unit without a warning, its ExecStart
     * pointed at the unpacked launcher (as /opt/dirkms is a link to it in the README); skipped
     * where systemd is not installed (SystemdUnitTest still parses the unit).
     */
    private void systemdUnitVerifies(Path home) throws IOException {
        if (!commandExists("systemd-analyze")) {
            return;
        }
        String unit = Files.readString(home.resolve("systemd/dirkms.service"));
        assertTrue(unit.contains("ExecStart=/opt/dirkms/bin/dirkms serve --data /var/lib/dirkms"), unit);
        Path units = Files.createDirectories(work.resolve("units"));
        Path copy = Files.writeString(units.resolve("dirkms.service"), unit.replace("/opt/dirkms/", home + "/"));
        LdapTools.Result verified = LdapTools.run(List.of("systemd-analyze", "verify", "--man=no", copy.toString()),
                Map.of(), null);
        assertEquals(0, verified.exitCode(), verified.describe("systemd-analyze verify"));
        assertEquals("", verified.stdout() + verified.stderr(), "no warning of systemd about the unit");
        // The check is real: a misspelt key is reported.
        Path misspelt = Files.writeString(units.resolve("misspelt.service"), Files.readString(copy)
                .replace("NoNewPrivileges=", "NoNewPrivilege="));
        LdapTools.Result warned = LdapTools.run(List.of("systemd-analyze", "verify", "--man=no", misspelt.toString()),
                Map.of(), null);
        assertTrue(warned.stderr().contains("NoNewPrivilege"), warned.describe("the misspelt key is reported"));
    }

    private static boolean commandExists(String name) {
        try {
            LdapTools.requireTool(name, name);
            return true;
        } catch (AssertionError e) {
            return false;
        }
    }

    /** One run of the unpacked launcher. */
    private record Result(int code, String out, String err) {
        @Override
        public String toString() {
            return "exit " + code + "\n--- stdout:\n" + out + "--- stderr:\n" + err;
        }
    }

    /** Runs {@code command} with exactly {@code environment}, in the test's folder, for at most two minutes. */
    private Result launch(Map<String, String> environment, String... command) throws Exception {
        ProcessBuilder builder = new ProcessBuilder(command).directory(work.toFile());
        builder.environment().clear();
        builder.environment().putAll(environment);
        Process process = builder.start();
        process.getOutputStream().close();
        CompletableFuture<byte[]> out = CompletableFuture.supplyAsync(() -> readAll(process.getInputStream()));
        CompletableFuture<byte[]> err = CompletableFuture.supplyAsync(() -> readAll(process.getErrorStream()));
        if (!process.waitFor(120, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            fail(String.join(" ", command) + " did not finish within 120 s");
        }
        return new Result(process.exitValue(), new String(out.get(), StandardCharsets.UTF_8),
                new String(err.get(), StandardCharsets.UTF_8));
    }

    private static byte[] readAll(java.io.InputStream stream) {
        try (stream) {
            return stream.readAllBytes();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
