package org.dirkms.it.enroll;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.directory.api.ldap.model.entry.Entry;
import org.apache.directory.ldap.client.api.LdapNetworkConnection;
import org.dirkms.agent.archive.ArchiveChecker;
import org.dirkms.agent.archive.KeyRecoverer;
import org.dirkms.agent.directory.EnrollmentRecords;
import org.dirkms.agent.directory.EnrollmentRecords.ArchivedKeyEntry;
import org.dirkms.agent.keys.RecoveryKeyStore;
import org.dirkms.dist.CaServeSetup;
import org.dirkms.ds.server.DirectoryServer;
import org.dirkms.ds.server.ServerSettings;
import org.dirkms.it.support.Pem;
import org.dirkms.it.support.DirkmsRun;
import org.dirkms.it.support.LdapTools;
import org.dirkms.it.support.People;
import org.dirkms.it.support.Staff;
import org.dirkms.it.support.ProjectFiles;
import org.dirkms.schema.KeyAlgorithm;
import org.dirkms.schema.DataFolder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A standalone {@code dirkms agent} as a separate process with no CA: its data folder holds no
 * CA key store, only the key recovery certificate is handed to it ({@code --recovery-cert}).
 * The server runs the CA and serves the request queue exactly as {@code dirkms serve} does
 * ({@link CaServeSetup#scheduleCaWork}), without an agent of its own. A user marked requested
 * with ldapmodify ends enrolled; both certificates verify with {@code openssl verify} against
 * the CA; the archived key unwraps with the recovery key to the key of the published encryption
 * certificate; the two requests the agent queued under {@code ou=Requests} ended issued.
 */
class AgentWithoutCaIT {
    @TempDir
    Path serverData;

    @TempDir
    Path agentData;

    @TempDir
    Path work;

    @Test
    void aStandaloneAgentWithoutCaEnrollsThroughTheServersQueue() throws Exception {
        LdapTools.requireTool("openssl", "openssl");
        SecureRandom random = new SecureRandom();
        CaServeSetup.Serving serving = CaServeSetup.startServing(ServerSettings.forTests(serverData), Clock.systemUTC(),
                random);
        try (DirectoryServer server = serving.server()) {
            ScheduledExecutorService queue = CaServeSetup.scheduleCaWork(serving, Duration.ofMillis(500),
                    Duration.ofMinutes(10));
            // The recovery key lives with the recovery agents, not with the enrollment agent: the
            // agent gets its certificate only.
            Path recoveryFolder = work.resolve("recovery-agents");
            RecoveryKeyStore recovery = RecoveryKeyStore.create(DataFolder.of(recoveryFolder), serving.ca()::certifyRecoveryAgent,
                    "cn=Key Recovery Agent," + server.layout().kms(), KeyAlgorithm.EC_P256, random);
            Path recoveryPem = Pem.write(work.resolve("recovery.pem"), recovery.current().certificate());
            Map<String, String> env = new HashMap<>(Map.of("LDAPTLS_CACERT", server.tlsCertificateFile().toString(),
                    "LDAPTLS_REQCERT", "demand", "LDAPCONF", "/dev/null", "LDAPRC", "dirkms-it-no-ldaprc"));
            LdapTools kmsAdmin = Staff.kmsAdministrator(server);
            kmsAdmin.modify("dn: " + server.layout().defaultAdministrativeGroup() + "\nchangetype: modify\n"
                    + "replace: kmsKeyAlgorithm\nkmsKeyAlgorithm: EC-P256\n-\n").assertSuccess();

            Process agent = new ProcessBuilder(ProjectFiles.file("dirkms").toString(), "agent", "--data",
                    agentData.toString(), "--url", server.ldapUrl(), "--password-file",
                    server.kmsAgentPasswordFile().toString(), "--ca-cert", server.tlsCertificateFile().toString(),
                    "--recovery-cert", recoveryPem.toString(), "--sweep-seconds", "2")
                    .redirectOutput(work.resolve("agent.out").toFile()).redirectError(work.resolve("agent.err").toFile())
                    .start();
            try (LdapNetworkConnection connection = serving.kms().openConnection(60_000)) {
                awaitRunning(agent);
                String out = Files.readString(work.resolve("agent.out"));
                assertTrue(out.contains("certificates are requested through the queue"), out);
                assertFalse(Files.exists(DataFolder.of(agentData).ca()), "the agent's data folder holds no CA");

                String dn = "uid=remote," + server.layout().people();
                People.addAndEnroll(LdapTools.against(server.ldapUrl(), server.tlsCertificateFile())
                        .asWithPasswordFile(server.adminDn(), server.adminPasswordFile()), kmsAdmin,
                        "dn: " + dn + "\nchangetype: add\nobjectClass: inetOrgPerson\nobjectClass: kmsUser\n"
                                + "uid: remote\ncn: Remote User\nsn: User\nmail: remote@example.com\n"
                                + "kmsEnrollmentState: requested\n");
                awaitEnrolled(connection, dn, agent);

                EnrollmentRecords records = serving.kms().enrollmentRecords(connection);
                Entry user = connection.lookup(dn, "*");
                List<X509Certificate> certificates = EnrollmentIT.certificates(user, "userCertificate");
                assertEquals(2, certificates.size(), user.toString());
                Path caPem = Pem.write(work.resolve("ca.pem"), serving.ca().certificate());
                for (int i = 0; i < certificates.size(); i++) {
                    Path leaf = Pem.write(work.resolve("leaf" + i + ".pem"), certificates.get(i));
                    LdapTools.Result verified = LdapTools.run(List.of("openssl", "verify", "-x509_strict", "-CAfile",
                            caPem.toString(), leaf.toString()), Map.of(), null);
                    assertEquals(0, verified.exitCode(), verified.stdout() + verified.stderr());
                }
                List<ArchivedKeyEntry> archived = records.archivedKeys(dn);
                assertEquals(1, archived.size(), "one archived key");
                assertNotNull(archived.get(0).certificate(), "the archive record names its certificate");
                X509Certificate encryption = certificates.stream()
                        .filter(c -> Arrays.equals(encoded(c), archived.get(0).certificate())).findFirst()
                        .orElseThrow(() -> new AssertionError("the archived key's certificate is not published"));
                ArchiveChecker.Verdict verdict = new ArchiveChecker(new KeyRecoverer(recovery.keys()))
                        .check(archived.get(0).wrappedKey(), encryption);
                assertTrue(verdict.matches(), verdict.message());
                List<String> requests = records.findDns(server.layout().requests(),
                        "(&(objectClass=kmsCertificateRequest)(kmsRequestState=issued))");
                assertEquals(2, requests.size(), "both requests were served by the server's queue: " + requests);
            } finally {
                LdapTools.run(List.of("kill", "-TERM", Long.toString(agent.pid())), Map.of(), null);
                agent.waitFor(30, TimeUnit.SECONDS);
                agent.destroyForcibly();
                queue.shutdownNow();
                queue.awaitTermination(10, TimeUnit.SECONDS);
            }
            // The agent's own audit log, anchored in the embedded server beside the server's own
            // (README, "The audit log"), is sound after its SIGTERM, as on OpenLDAP.
            DirkmsRun verified = DirkmsRun.of("audit", "verify", "--data", agentData.toString(), "--url",
                    server.ldapUrl(), "--password-file", server.kmsAgentPasswordFile().toString(), "--ca-cert",
                    server.tlsCertificateFile().toString());
            assertEquals(0, verified.code(), verified.toString());
            assertTrue(verified.out().contains("audit log OK") && verified.out().contains("cn=agent-"),
                    verified.toString());
        }
    }

    private void awaitRunning(Process agent) throws Exception {
        Instant deadline = Instant.now().plusSeconds(240); // the script builds the jar if it is stale
        while (!Files.readString(work.resolve("agent.out")).contains("dirkms agent running")) {
            if (!agent.isAlive() || Instant.now().isAfter(deadline)) {
                fail("the agent did not start:\n" + Files.readString(work.resolve("agent.out"))
                        + Files.readString(work.resolve("agent.err")));
            }
            Thread.sleep(50); // polling the other process's start
        }
    }

    private void awaitEnrolled(LdapNetworkConnection connection, String dn, Process agent) throws Exception {
        Instant deadline = Instant.now().plusSeconds(60);
        while (true) {
            Entry entry = connection.lookup(dn, "kmsEnrollmentState", "kmsLastError");
            if (entry.get("kmsEnrollmentState") != null
                    && "enrolled".equals(entry.get("kmsEnrollmentState").getString())) {
                return;
            }
            if (!agent.isAlive() || Instant.now().isAfter(deadline)) {
                fail(dn + " not enrolled: " + entry + "\nagent log:\n" + Files.readString(work.resolve("agent.err")));
            }
            Thread.sleep(100); // polling the other process's progress
        }
    }

    private static byte[] encoded(X509Certificate certificate) {
        try {
            return certificate.getEncoded();
        } catch (java.security.cert.CertificateEncodingException e) {
            throw new AssertionError(e);
        }
    }
}
