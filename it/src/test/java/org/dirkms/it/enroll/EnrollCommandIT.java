package org.dirkms.it.enroll;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.directory.api.ldap.model.entry.Entry;
import org.apache.directory.ldap.client.api.LdapNetworkConnection;
import org.dirkms.agent.enroll.KmsAgent;
import org.dirkms.dist.AgentServeSetup;
import org.dirkms.dist.CaCommand;
import org.dirkms.dist.CaServeSetup;
import org.dirkms.dist.DirkmsCommand;
import org.dirkms.ds.server.DirectoryServer;
import org.dirkms.ds.server.ServerSettings;
import org.dirkms.it.support.LdapTools;
import org.dirkms.it.support.Staff;
import org.dirkms.it.support.ProjectFiles;
import org.dirkms.schema.PasswordFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The two agent commands of the README ("What the KMS answers") against {@code dirkms serve}'s server: {@code dirkms enroll}
 * enrolls a group's users in bulk while the in-process agent runs (no race: bulk claims without
 * passing through requested), writes a 0600 report whose tokens open the packages, keeps that
 * report (enrolling nobody) when run again with it, and replaces it with {@code --force} on a
 * second run that skips everyone already enrolled, and skips a user revoked for keyCompromise,
 * counted and explained, unless {@code --include-revoked}; {@code dirkms agent}, as a separate process started with the
 * {@code dirkms} script, enrolls a user an administrator marks with ldapmodify, and warns once in
 * its log about a group whose package format is for gpgsm 2.2 while its keys are EC.
 */
class EnrollCommandIT {
    private static final int USERS = 12;

    @TempDir
    Path data;

    @TempDir
    Path work;

    @Test
    void bulkEnrollmentReportsTokensInA0600FileAndIsIdempotent() throws Exception {
        SecureRandom random = new SecureRandom();
        CaServeSetup.Serving serving = CaServeSetup.startServing(ServerSettings.forTests(data), Clock.systemUTC(), random);
        try (DirectoryServer server = serving.server();
                KmsAgent agent = AgentServeSetup.start(serving)) {
            Map<String, String> env = env(server);
            String group = server.layout().defaultAdministrativeGroup();
            LdapTools kmsAdmin = Staff.kmsAdministrator(server);
            kmsAdmin.modify("dn: " + group + "\nchangetype: modify\nreplace: kmsKeyAlgorithm\n"
                    + "kmsKeyAlgorithm: EC-P256\n-\n").assertSuccess();
            StringBuilder ldif = new StringBuilder();
            for (int i = 0; i < USERS; i++) {
                ldif.append("dn: uid=bulk").append(i).append(',').append(server.layout().people())
                        .append("\nchangetype: add\nobjectClass: inetOrgPerson\nuid: bulk").append(i)
                        .append("\ncn: Bulk ").append(i).append("\nsn: Bulk\nmail: bulk").append(i)
                        .append("@example.com\n\n");
            }
            LdapTools.run(List.of(LdapTools.executable("ldapmodify"), "-H", server.ldapUrl(), "-ZZ", "-x", "-D",
                    server.adminDn(), "-y", server.adminPasswordFile().toString()), env, ldif.toString()).assertSuccess();

            Path report = work.resolve("report.tsv");
            List<String> command = List.of("enroll", "--data", data.toString(), "--url", server.ldapUrl(), "--group",
                    group, "--report", report.toString(), "--workers", "2");
            Instant start = Instant.now();
            Run first = run(command);
            Duration took = Duration.between(start, Instant.now());
            assertEquals(0, first.code, first.toString());
            assertTrue(first.out.contains("enrolled " + USERS + ", skipped 0, failed 0"), first.toString());
            System.out.printf("dirkms enroll: %d EC-P256 users in %d ms (%.1f users/s, 2 workers)%n", USERS,
                    took.toMillis(), USERS * 1000.0 / Math.max(1, took.toMillis()));
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(report)));
            List<String[]> rows = rows(report);
            assertEquals(USERS, rows.size());
            try (LdapNetworkConnection connection = serving.kms().openConnection(30_000)) {
                // Declares the KMS's binary attributes to this connection's codec, as the agent does.
                serving.kms().enrollmentRecords(connection);
                for (String[] row : rows) {
                    assertEquals("enrolled", row[2], String.join(" | ", row[0], row[2], row[4]));
                    Entry user = connection.lookup(row[0], "kmsEnrollmentState", "kmsKeyPackage");
                    assertEquals("enrolled", user.get("kmsEnrollmentState").getString());
                    KeyStore p12 = KeyStore.getInstance("PKCS12");
                    p12.load(new ByteArrayInputStream(user.get("kmsKeyPackage").getBytes()), row[3].toCharArray());
                    assertEquals(4, p12.size() + 2, "two keys in the package of " + row[0]);
                }
            }

            // The report holds tokens not yet handed out: run again with it, the command refuses
            // before enrolling anyone (a person added meanwhile stays unenrolled) and keeps it.
            String tokens = Files.readString(report);
            String waiting = "uid=waiting," + server.layout().people();
            LdapTools.run(List.of(LdapTools.executable("ldapmodify"), "-H", server.ldapUrl(), "-ZZ", "-x", "-D",
                    server.adminDn(), "-y", server.adminPasswordFile().toString()), env, "dn: " + waiting
                    + "\nchangetype: add\nobjectClass: inetOrgPerson\nuid: waiting\ncn: Waiting\nsn: Waiting\n"
                    + "mail: waiting@example.com\n").assertSuccess();
            Run kept = run(command);
            assertEquals(2, kept.code, kept.toString());
            assertEquals("dirkms enroll: the report " + report + " exists and may hold tokens not yet handed out:"
                    + " give --report NEW-FILE, or --force to replace it", kept.err.lines().findFirst().orElseThrow(),
                    kept.toString());
            assertEquals(tokens, Files.readString(report), "the earlier report is kept");
            try (LdapNetworkConnection connection = serving.kms().openConnection(30_000)) {
                assertEquals(null, connection.lookup(waiting, "kmsEnrollmentState").get("kmsEnrollmentState"),
                        "nobody is enrolled when the report cannot be written");
            }

            List<String> forced = new ArrayList<>(command);
            forced.add("--force");
            Run second = run(forced);
            assertEquals(0, second.code, second.toString());
            assertTrue(second.out.contains("enrolled 1, skipped " + USERS + ", failed 0"), second.toString());
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(report)));
            for (String[] row : rows(report)) {
                if (row[0].equals(waiting)) {
                    assertEquals("enrolled", row[2], String.join(" | ", row));
                    assertTrue(!row[3].isEmpty(), "--force replaced the report: the new user's token");
                } else {
                    assertEquals("", row[3], "no token for a user enrolled before");
                    assertTrue(row[4].contains("already enrolled"), row[4]);
                }
            }
            assertEquals(USERS + 1, rows(report).size());

            // --file: the DNs of an LDIF file (here change records, as an administrator keeps them);
            // --filter: an LDAP filter. A new user is enrolled, the enrolled one skipped.
            LdapTools.run(List.of(LdapTools.executable("ldapmodify"), "-H", server.ldapUrl(), "-ZZ", "-x", "-D",
                    server.adminDn(), "-y", server.adminPasswordFile().toString()), env, "dn: uid=late,"
                    + server.layout().people() + "\nchangetype: add\nobjectClass: inetOrgPerson\nuid: late\ncn: Late\n"
                    + "sn: Late\nmail: late@example.com\n\ndn: uid=later," + server.layout().people()
                    + "\nchangetype: add\nobjectClass: inetOrgPerson\nuid: later\ncn: Later\nsn: Later\n"
                    + "mail: later@example.com\n").assertSuccess();
            Path users = Files.writeString(work.resolve("users.ldif"), "dn: uid=late," + server.layout().people()
                    + "\nchangetype: modify\nreplace: description\ndescription: enroll me\n-\n\ndn: " + rows.get(0)[0]
                    + "\nchangetype: modify\nreplace: description\ndescription: enroll me\n-\n");
            Run byFile = run(List.of("enroll", "--data", data.toString(), "--url", server.ldapUrl(), "--file",
                    users.toString(), "--report", work.resolve("file.tsv").toString()));
            assertTrue(byFile.out.contains("enrolled 1, skipped 1, failed 0"), byFile.toString());
            Run byFilter = run(List.of("enroll", "--data", data.toString(), "--url", server.ldapUrl(), "--filter",
                    "(|(uid=later)(uid=late))", "--report", work.resolve("filter.tsv").toString()));
            assertTrue(byFilter.out.contains("enrolled 1, skipped 1, failed 0"), byFilter.toString());

            Run bad = run(List.of("enroll", "--data", data.toString(), "--url", server.ldapUrl(), "--filter",
                    "(uid=x)", "--group", group));
            assertEquals(2, bad.code, "two selections are a usage error: " + bad);

            // A user revoked for keyCompromise is not enrolled again by a run over the group: it
            // is skipped, counted and explained, until the run is asked for revoked users too.
            String compromised = rows.get(1)[0];
            kmsAdmin.modify("dn: " + compromised + "\nchangetype: modify\n"
                    + "replace: kmsEnrollmentState\nkmsEnrollmentState: revoke-requested\n-\n"
                    + "replace: kmsRevocationReason\nkmsRevocationReason: keyCompromise\n-\n").assertSuccess();
            int everyone = USERS + 3; // the bulk users, waiting, late and later
            try (LdapNetworkConnection connection = serving.kms().openConnection(30_000)) {
                awaitState(connection, compromised, "revoked");
                Path afterRevocation = work.resolve("after-revocation.tsv");
                Run skips = run(List.of("enroll", "--data", data.toString(), "--url", server.ldapUrl(), "--group",
                        group, "--report", afterRevocation.toString()));
                assertEquals(0, skips.code, skips.toString());
                assertTrue(skips.out.contains("enrolled 0, skipped " + everyone
                        + " (1 revoked: --include-revoked enrolls them again), failed 0"), skips.toString());
                String[] row = rows(afterRevocation).stream().filter(r -> r[0].equals(compromised)).findFirst()
                        .orElseThrow();
                assertEquals(List.of("revoked", "", "revoked (keyCompromise), not enrolled again unless asked"),
                        List.of(row[2], row[3], row[4]));
                assertEquals("revoked", connection.lookup(compromised, "kmsEnrollmentState")
                        .get("kmsEnrollmentState").getString(), "the revocation stands");

                Path including = work.resolve("including-revoked.tsv");
                Run again = run(List.of("enroll", "--data", data.toString(), "--url", server.ldapUrl(), "--group",
                        group, "--include-revoked", "--report", including.toString()));
                assertEquals(0, again.code, again.toString());
                assertTrue(again.out.contains("enrolled 1, skipped " + (everyone - 1) + ", failed 0"), again.toString());
                assertEquals("enrolled", connection.lookup(compromised, "kmsEnrollmentState")
                        .get("kmsEnrollmentState").getString());
                row = rows(including).stream().filter(r -> r[0].equals(compromised)).findFirst().orElseThrow();
                assertTrue(row[2].equals("enrolled") && !row[3].isEmpty(), String.join(" | ", row));
            }
        }
    }

    @Test
    void standaloneAgentProcessEnrollsWhatAnAdministratorMarks() throws Exception {
        SecureRandom random = new SecureRandom();
        CaServeSetup.Serving serving = CaServeSetup.startServing(ServerSettings.forTests(data), Clock.systemUTC(), random);
        try (DirectoryServer server = serving.server()) {
            Map<String, String> env = env(server);
            Path script = ProjectFiles.file("dirkms");
            ProcessBuilder builder = new ProcessBuilder(script.toString(), "agent", "--data", data.toString(), "--url",
                    server.ldapUrl(), "--bind-dn", server.kmsAgentDn(), "--password-file",
                    server.kmsAgentPasswordFile().toString());
            builder.redirectOutput(work.resolve("agent.out").toFile());
            builder.redirectError(work.resolve("agent.err").toFile());
            Process process = builder.start();
            try {
                // The superuser adds the person; a KMS administrator makes the group and enrolls.
                LdapTools superuser = LdapTools.against(server.ldapUrl(), server.tlsCertificateFile())
                        .asWithPasswordFile(server.adminDn(), server.adminPasswordFile());
                LdapTools kmsAdmin = Staff.kmsAdministrator(server);
                // The sample group (EC-P256) with the package format for gpgsm 2.2, which cannot use EC
                // keys: the agent enrolls as configured and warns in its log.
                String sample = Files.readString(ProjectFiles.file("ldif/samples/10-create-administrative-group.ldif"));
                String legacy = sample.replace("kmsPackageFormat: pbes2-aes-256", "kmsPackageFormat: legacy-pbe-sha1-3des");
                assertTrue(!legacy.equals(sample) && legacy.contains("kmsKeyAlgorithm: EC-P256"), sample);
                kmsAdmin.modify(legacy).assertSuccess();
                superuser.modifyFile(ProjectFiles.file("ldif/samples/20-add-user.ldif")).assertSuccess();
                kmsAdmin.modifyFile(ProjectFiles.file("ldif/samples/30-enroll-user.ldif")).assertSuccess();
                String dn = "uid=jdoe,ou=People," + server.layout().suffix();
                try (LdapNetworkConnection connection = serving.kms().openConnection(30_000)) {
                    Instant deadline = Instant.now().plusSeconds(180); // the script may build the jar first
                    while (true) {
                        Entry user = connection.lookup(dn, "kmsEnrollmentState", "kmsLastError");
                        if ("enrolled".equals(user.get("kmsEnrollmentState").getString())) {
                            break;
                        }
                        if (!process.isAlive() || Instant.now().isAfter(deadline)) {
                            fail("the agent process did not enroll " + dn + ": " + user + "\nstdout:\n"
                                    + Files.readString(work.resolve("agent.out")) + "\nstderr:\n"
                                    + Files.readString(work.resolve("agent.err")));
                        }
                        Thread.sleep(200); // polling the other process's progress
                    }
                }
                String log = Files.readString(work.resolve("agent.err"));
                assertEquals(1, log.lines().filter(line -> line.contains("WARN") && line.contains(
                        "administrative group cn=Sales") && line.contains("gpgsm 2.2")
                        && line.contains("RSA-2048 or RSA-3072")).count(), "one warning about the group:\n" + log);
                LdapTools.run(List.of("kill", "-TERM", Long.toString(process.pid())), Map.of(), null).assertSuccess();
                assertTrue(process.waitFor(60, TimeUnit.SECONDS), "the agent did not stop within 60 s of SIGTERM");
                assertTrue(Files.readString(work.resolve("agent.out")).contains("dirkms agent stopped"));
            } finally {
                if (process.isAlive()) {
                    process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
                }
            }
        }
    }

    @Test
    void aWrongAgentPasswordIsOneLineNamingTheDnAndThePasswordFile() throws Exception {
        CaServeSetup.Serving serving = CaServeSetup.startServing(ServerSettings.forTests(data), Clock.systemUTC(),
                new SecureRandom());
        try (DirectoryServer server = serving.server()) {
            Path wrong = Files.writeString(work.resolve("wrong.password"), "not-the-password\n");
            Run refused = run(List.of("agent", "--data", data.toString(), "--url", server.ldapUrl(), "--bind-dn",
                    server.kmsAgentDn(), "--password-file", wrong.toString()));
            assertEquals(1, refused.code, refused.toString());
            assertEquals("dirkms agent: the directory at " + server.ldapUrl() + " refused the bind as "
                    + server.kmsAgentDn() + ": invalid credentials (LDAP result code 49); check the DN (--bind-dn)"
                    + " and the password file " + wrong + "\n", refused.err, refused.toString());
        }
    }

    @Test
    void everyCommandReadsAPasswordFileByItsFirstLineAndRefusesAnEmptyOne() throws Exception {
        CaServeSetup.Serving serving = CaServeSetup.startServing(ServerSettings.forTests(data), Clock.systemUTC(),
                new SecureRandom());
        try (DirectoryServer server = serving.server()) {
            // As an ldappasswd-style tool or an editor on another system leaves them: CR LF at the end.
            Path agentPassword = Files.writeString(work.resolve("agent.password"),
                    PasswordFile.readString(server.kmsAgentPasswordFile()) + "\r\n");
            Path caPassphrase = Files.writeString(work.resolve("ca.pass"),
                    PasswordFile.readString(server.dataFolder().caPassphrase(CaCommand.DEFAULT_NAME)) + "\r\n");
            Run enroll = run(List.of("enroll", "--data", data.toString(), "--url", server.ldapUrl(), "--password-file",
                    agentPassword.toString(), "--passphrase-file", caPassphrase.toString(), "--filter", "(uid=nobody)",
                    "--report", work.resolve("nobody.tsv").toString()));
            assertEquals(0, enroll.code, enroll.toString());
            Run crl = run(List.of("ca", "crl", "--data", data.toString(), "--url", server.ldapUrl(),
                    "--passphrase-file", caPassphrase.toString()));
            assertEquals(0, crl.code, crl.toString());

            // An empty first line: the agent's password (which bound unauthenticated) and the CA's
            // passphrase are refused alike, in the same words.
            Path empty = Files.writeString(work.resolve("empty"), "\nthe-secret-on-line-two\n");
            String refusal = "the first line of " + empty + " is empty: write the password or passphrase on the"
                    + " file's first line\n";
            Run enrollEmpty = run(List.of("enroll", "--data", data.toString(), "--url", server.ldapUrl(),
                    "--password-file", empty.toString(), "--filter", "(uid=nobody)", "--report",
                    work.resolve("empty.tsv").toString()));
            assertEquals(1, enrollEmpty.code, enrollEmpty.toString());
            assertEquals("dirkms enroll: " + refusal, enrollEmpty.err, enrollEmpty.toString());
            Run crlEmpty = run(List.of("ca", "crl", "--data", data.toString(), "--url", server.ldapUrl(),
                    "--passphrase-file", empty.toString()));
            assertEquals(1, crlEmpty.code, crlEmpty.toString());
            assertEquals("dirkms ca crl: " + refusal, crlEmpty.err, crlEmpty.toString());
        }
    }

    private static void awaitState(LdapNetworkConnection connection, String dn, String state) throws Exception {
        Instant deadline = Instant.now().plusSeconds(60);
        while (!state.equals(connection.lookup(dn, "kmsEnrollmentState").get("kmsEnrollmentState").getString())) {
            if (Instant.now().isAfter(deadline)) {
                fail(dn + " did not reach " + state + ": " + connection.lookup(dn, "kmsEnrollmentState"));
            }
            Thread.sleep(100); // polling the in-process agent's progress
        }
    }

    private static Map<String, String> env(DirectoryServer server) {
        return new HashMap<>(Map.of("LDAPTLS_CACERT", server.tlsCertificateFile().toString(), "LDAPTLS_REQCERT",
                "demand", "LDAPCONF", "/dev/null", "LDAPRC", "dirkms-it-no-ldaprc"));
    }

    private static List<String[]> rows(Path report) throws Exception {
        List<String[]> rows = new ArrayList<>();
        for (String line : Files.readAllLines(report)) {
            if (!line.startsWith("#")) {
                rows.add(line.split("\t", -1));
            }
        }
        return rows;
    }

    private record Run(int code, String out, String err) {
    }

    private static Run run(List<String> arguments) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = DirkmsCommand.run(arguments, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }
}
