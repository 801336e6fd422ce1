package org.dirkms.it.enroll;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayInputStream;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.directory.api.ldap.model.entry.Entry;
import org.apache.directory.ldap.client.api.LdapNetworkConnection;
import org.dirkms.agent.archive.KeyRecoverer;
import org.dirkms.agent.directory.EnrollmentRecords;
import org.dirkms.agent.directory.EnrollmentRecords.ArchivedKeyEntry;
import org.dirkms.agent.escrow.ArchiveAudit;
import org.dirkms.dist.CaServeSetup;
import org.dirkms.ds.server.DirectoryServer;
import org.dirkms.ds.server.ServerSettings;
import org.dirkms.it.support.LdapTools;
import org.dirkms.it.support.People;
import org.dirkms.it.support.Staff;
import org.dirkms.it.support.ProjectFiles;
import org.dirkms.dist.KmsContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Crash safety (docs/reliability.md): users marked in one LDIF through ldapmodify are
 * enrolled by the agent as a separate process ({@code dirkms agent}), which is killed with
 * SIGKILL at random moments several times and restarted. In the end every user is enrolled
 * exactly once: two certificates on the entry and two children, every published encryption
 * certificate has its archived key, every archived key unwraps with the recovery key to the
 * private key of its certificate, no archive record is an orphan, and no certificate appears
 * twice (the archive checker, {@link ArchiveAudit}, plus one archive record per user and the
 * count of records by ldapsearch): the 200 users, four kills.
 *
 * <p>The kill moments come from a {@link Random} seeded from system property
 * {@value #SEED_PROPERTY} when set, else from a fresh {@link SecureRandom}; the seed is printed
 * first, so a failing run's kill schedule is replayed with {@code -Ddirkms.crash.seed=...}
 * (the agent's own timing still varies: the kills land at the same counts and delays, not at the
 * same instruction).
 */
class AgentCrashSafetyIT {
    private static final int USERS = 200;
    private static final int KILLS = 4;
    private static final String SEED_PROPERTY = "dirkms.crash.seed";

    @TempDir
    Path data;

    @TempDir
    Path work;

    @Test
    void everyUserEndsEnrolledExactlyOnceAfterRepeatedSigkill() throws Exception {
        SecureRandom random = new SecureRandom();
        String replay = System.getProperty(SEED_PROPERTY);
        long seed = replay == null || replay.isBlank() ? random.nextLong() : Long.parseLong(replay.trim());
        Random moments = new Random(seed);
        long started = System.nanoTime();
        System.out.printf("crash safety: seed %d (replay the kill schedule with -D%s=%d)%n", seed, SEED_PROPERTY,
                seed);
        CaServeSetup.Serving serving = CaServeSetup.startServing(ServerSettings.forTests(data), Clock.systemUTC(), random);
        try (DirectoryServer server = serving.server()) {
            Map<String, String> env = new HashMap<>(Map.of("LDAPTLS_CACERT", server.tlsCertificateFile().toString(),
                    "LDAPTLS_REQCERT", "demand", "LDAPCONF", "/dev/null", "LDAPRC", "dirkms-it-no-ldaprc"));
            LdapTools kmsAdmin = Staff.kmsAdministrator(server);
            kmsAdmin.modify("dn: " + server.layout().defaultAdministrativeGroup()
                    + "\nchangetype: modify\nreplace: kmsKeyAlgorithm\nkmsKeyAlgorithm: EC-P256\n-\n").assertSuccess();
            StringBuilder ldif = new StringBuilder();
            List<String> dns = new ArrayList<>();
            for (int i = 0; i < USERS; i++) {
                String dn = "uid=crash" + i + "," + server.layout().people();
                dns.add(dn);
                ldif.append("dn: ").append(dn).append("\nchangetype: add\nobjectClass: inetOrgPerson\n")
                        .append("objectClass: kmsUser\nuid: crash").append(i).append("\ncn: Crash ").append(i)
                        .append("\nsn: Crash\nmail: crash").append(i).append("@example.com\n")
                        .append("kmsEnrollmentState: requested\n\n");
            }
            People.addAndEnroll(LdapTools.against(server.ldapUrl(), server.tlsCertificateFile())
                    .asWithPasswordFile(server.adminDn(), server.adminPasswordFile()), kmsAdmin, ldif.toString());

            KmsContext kms = serving.kms();
            try (LdapNetworkConnection watcher = kms.openConnection(60_000)) {
                EnrollmentRecords observed = kms.enrollmentRecords(watcher);
                for (int round = 0; round < KILLS; round++) {
                    int before = observed.usersInState(org.dirkms.schema.EnrollmentState.ENROLLED).size();
                    int target = Math.min(USERS - 1, before + 1 + moments.nextInt(USERS / (2 * KILLS)));
                    Process agent = startAgent(server, round);
                    try {
                        awaitRunning(agent, round);
                        // Kill while the agent is in the middle of the work: once it has enrolled a
                        // random number of users, at a random moment after that.
                        Instant deadline = Instant.now().plusSeconds(120);
                        while (observed.usersInState(org.dirkms.schema.EnrollmentState.ENROLLED).size() < target) {
                            if (!agent.isAlive() || Instant.now().isAfter(deadline)) {
                                fail("agent " + round + " did not reach " + target + " enrolled users");
                            }
                            Thread.sleep(10); // polling the other process's progress
                        }
                        long delay = moments.nextInt(150);
                        Thread.sleep(delay); // a random moment to kill at: the point of the test
                        LdapTools.run(List.of("kill", "-KILL", Long.toString(agent.pid())), Map.of(), null)
                                .assertSuccess();
                        assertTrue(agent.waitFor(30, TimeUnit.SECONDS));
                        System.out.printf("crash safety (seed %d): agent %d killed %d ms after %d users were"
                                + " enrolled%n", seed, round, delay, target);
                    } finally {
                        agent.destroyForcibly();
                    }
                }
            }
            Process last = startAgent(server, KILLS);
            try (LdapNetworkConnection connection = kms.openConnection(60_000)) {
                EnrollmentRecords records = kms.enrollmentRecords(connection);
                awaitAllEnrolled(records, last);
                checkInvariants(records, connection, dns, server, env);
                System.out.printf("crash safety (seed %d): %d users, %d kills, %.1f s; the last agent took over %d"
                        + " interrupted enrollments and removed %d uncommitted archive records%n", seed, USERS, KILLS,
                        (System.nanoTime() - started) / 1e9, logged(KILLS, "Took over the enrollment"),
                        logged(KILLS, "Removed the archive record"));
            } finally {
                LdapTools.run(List.of("kill", "-TERM", Long.toString(last.pid())), Map.of(), null);
                last.waitFor(30, TimeUnit.SECONDS);
                last.destroyForcibly();
            }
        }
    }

    private long logged(int round, String what) throws Exception {
        long count = 0;
        for (String suffix : List.of(".out", ".err")) {
            count += Files.readAllLines(work.resolve("agent" + round + suffix)).stream().filter(l -> l.contains(what))
                    .count();
        }
        return count;
    }

    private Process startAgent(DirectoryServer server, int round) throws Exception {
        // The lease is short so that take-overs happen within the test, and long enough that a live
        // agent never loses its lease mid-enrollment to a take-over: that agent would keep the
        // archive record of a certificate it already showed in a child entry (on purpose, its key
        // must stay recoverable), which this test could not tell from an orphan.
        ProcessBuilder builder = new ProcessBuilder(ProjectFiles.file("dirkms").toString(), "agent", "--data",
                data.toString(), "--url", server.ldapUrl(), "--lease-seconds", "8", "--sweep-seconds", "2",
                "--workers", "4");
        builder.redirectOutput(work.resolve("agent" + round + ".out").toFile());
        builder.redirectError(work.resolve("agent" + round + ".err").toFile());
        return builder.start();
    }

    private void awaitRunning(Process agent, int round) throws Exception {
        Instant deadline = Instant.now().plusSeconds(240); // the script builds the jar if it is stale
        Path out = work.resolve("agent" + round + ".out");
        while (!Files.readString(out).contains("dirkms agent running")) {
            if (!agent.isAlive() || Instant.now().isAfter(deadline)) {
                fail("agent " + round + " did not start:\n" + Files.readString(work.resolve("agent" + round + ".err")));
            }
            Thread.sleep(50); // polling the other process's start
        }
    }

    private void awaitAllEnrolled(EnrollmentRecords records, Process agent) throws Exception {
        Instant deadline = Instant.now().plusSeconds(300);
        while (true) {
            int waiting = records.usersInState(org.dirkms.schema.EnrollmentState.REQUESTED,
                    org.dirkms.schema.EnrollmentState.IN_PROGRESS, org.dirkms.schema.EnrollmentState.FAILED).size();
            if (waiting == 0) {
                return;
            }
            if (!agent.isAlive() || Instant.now().isAfter(deadline)) {
                fail(waiting + " users not enrolled; last agent's log:\n"
                        + Files.readString(work.resolve("agent" + KILLS + ".err")));
            }
            Thread.sleep(200); // polling the other process's progress
        }
    }

    private void checkInvariants(EnrollmentRecords records, LdapNetworkConnection connection, List<String> dns,
            DirectoryServer server, Map<String, String> env) throws Exception {
        Set<BigInteger> serials = new HashSet<>();
        for (String dn : dns) {
            Entry user = connection.lookup(dn, "kmsEnrollmentState", "userCertificate");
            assertEquals("enrolled", user.get("kmsEnrollmentState").getString(), dn);
            List<X509Certificate> certificates = EnrollmentIT.certificates(user, "userCertificate");
            assertEquals(2, certificates.size(), dn + ": exactly two certificates");
            List<byte[]> children = records.publishedCertificates(dn);
            assertEquals(2, children.size(), dn + ": exactly two children");
            for (X509Certificate certificate : certificates) {
                assertTrue(serials.add(certificate.getSerialNumber()), "no certificate twice: " + dn);
                assertTrue(children.stream().anyMatch(c -> Arrays.equals(c, encoded(certificate))),
                        dn + ": the children carry the entry's certificates");
            }
            X509Certificate encryption = certificates.stream().filter(c -> !c.getKeyUsage()[0]).findFirst()
                    .orElseThrow();
            List<ArchivedKeyEntry> archived = RecordingRecords.live(records.archivedKeys(dn));
            assertEquals(1, archived.size(), () -> dn + ": one live archived key, no orphan; archive records "
                    + archived.stream().map(ArchivedKeyEntry::dn).toList() + "; what the agents logged about it:\n"
                    + history(dn));
            assertTrue(Arrays.equals(encryption.getEncoded(), archived.get(0).certificate()), dn);
        }
        // The archive checker (as 'dirkms archive check' runs it): every key unwraps with the recovery
        // key to the private key of its published encryption certificate; no published certificate
        // lacks its record; no orphan; no certificate twice.
        KmsContext kms = KmsContext.of(server, Clock.systemUTC(), new java.security.SecureRandom());
        ArchiveAudit.Report report = kms.archiveAudit(connection, new KeyRecoverer(kms.openRecoveryKeyStore().keys()))
                .run();
        assertTrue(report.clean(), () -> report.summary() + "\n" + report.findings().stream()
                .map(f -> f + "\nwhat the agents logged about it:\n" + history(f.dns().get(f.dns().size() - 1)))
                .collect(java.util.stream.Collectors.joining("\n")));
        assertEquals(USERS, report.usersChecked(), report.summary());
        assertEquals(report.recordsChecked(), report.keysUnwrapped(), "every record unwraps, the abandoned ones too: "
                + report.summary());
        System.out.println("crash safety: archive check: " + report.summary());
        // Counted by ldapsearch as the administrator: the agent's own searches stop at the
        // server's size limit for non-administrators (100 entries), which would hide orphans.
        LdapTools.Result archive = LdapTools.run(List.of(LdapTools.executable("ldapsearch"), "-LLL", "-H",
                server.ldapUrl(), "-ZZ", "-x", "-D", server.adminDn(), "-y", server.adminPasswordFile().toString(),
                "-b", server.layout().keyArchive(), "(&(objectClass=kmsArchivedKey)(!(kmsArchiveState=abandoned)))", "cn"),
                env, null);
        archive.assertSuccess();
        assertEquals(USERS, archive.stdout().lines().filter(l -> l.startsWith("dn:")).count(),
                "no live archive record without its user (those of killed attempts are marked abandoned)");
    }

    /** Every line the agents logged about {@code dn}, in order of the agents: to diagnose a broken invariant. */
    private String history(String dn) {
        StringBuilder lines = new StringBuilder();
        for (int round = 0; round <= KILLS; round++) {
            try {
                for (String line : Files.readAllLines(work.resolve("agent" + round + ".err"))) {
                    if (line.contains(dn)) {
                        lines.append("agent ").append(round).append(": ").append(line).append('\n');
                    }
                }
            } catch (java.io.IOException e) {
                lines.append("agent ").append(round).append(": log unreadable: ").append(e.getMessage()).append('\n');
            }
        }
        return lines.toString();
    }

    private static byte[] encoded(X509Certificate certificate) {
        try {
            return certificate.getEncoded();
        } catch (java.security.cert.CertificateEncodingException e) {
            throw new AssertionError(e);
        }
    }

    static X509Certificate parse(byte[] der) throws Exception {
        return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(der));
    }
}
