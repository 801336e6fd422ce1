package org.dirkms.it.enroll;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import org.apache.directory.ldap.client.api.LdapNetworkConnection;
import org.dirkms.agent.directory.EnrollmentRecords;
import org.dirkms.agent.directory.EnrollmentRecords.ArchivedKeyEntry;
import org.dirkms.agent.directory.EnrollmentRecords.UserEntry;
import org.dirkms.agent.enroll.KmsAgent;
import org.dirkms.agent.keys.RecoveryKeyStore;
import org.dirkms.dist.AgentServeSetup;
import org.dirkms.dist.CaServeSetup;
import org.dirkms.dist.DirkmsCommand;
import org.dirkms.ds.server.DirectoryServer;
import org.dirkms.ds.server.ServerSettings;
import org.dirkms.it.support.LdapTools;
import org.dirkms.it.support.Staff;
import org.dirkms.schema.EnrollmentState;
import org.dirkms.schema.KeyAlgorithm;
import org.dirkms.schema.DataFolder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code dirkms archive check} against {@code dirkms serve}'s server and data folder, with its
 * in-process agent running: users enrolled with {@code dirkms enroll} (EC P-256), one of them
 * re-enrolled and one revoked (their older records are history, not orphans), one more after
 * the recovery key was rotated (its record wrapped to the new key, the others to the old), check
 * clean and exit 0; then the directory is damaged with ldapmodify as an operator might by mistake
 * (and, where LDAP allows no such change, below it), and each damage is reported on its own line
 * naming the right DN, with exit 1 — the loss of a superseded record too, through the history
 * each publication lists in the user's {@code kmsArchiveRecord}. A recovery key
 * store that does not hold the recovery key makes every record unrecoverable. Nothing the
 * command prints contains a wrapped key.
 */
class ArchiveCheckCommandIT {
    private static final int USERS = 8;

    @TempDir
    Path data;

    @TempDir
    Path other;

    @Test
    void reportsEachDamageWithItsDnAndExitsOneCleanOtherwise() throws Exception {
        SecureRandom random = new SecureRandom();
        CaServeSetup.Serving serving = CaServeSetup.startServing(ServerSettings.forTests(data), Clock.systemUTC(), random);
        try (DirectoryServer server = serving.server();
                KmsAgent agent = AgentServeSetup.start(serving)) {
            LdapTools admin = LdapTools.against(server.ldapUrl(), server.tlsCertificateFile())
                    .asWithPasswordFile(server.adminDn(), server.adminPasswordFile()).withArguments("-ZZ");
            // The archive is written by KMS agents only (the guard): damage there needs the agent's identity.
            LdapTools asAgent = LdapTools.against(server.ldapUrl(), server.tlsCertificateFile())
                    .asWithPasswordFile(server.kmsAgentDn(), server.kmsAgentPasswordFile()).withArguments("-ZZ");
            String people = server.layout().people();
            LdapTools kmsAdmin = Staff.kmsAdministrator(server);
            kmsAdmin.modify("dn: " + server.layout().defaultAdministrativeGroup()
                    + "\nchangetype: modify\nreplace: kmsKeyAlgorithm\nkmsKeyAlgorithm: EC-P256\n-\n").assertSuccess();
            StringBuilder ldif = new StringBuilder();
            List<String> dns = new ArrayList<>();
            for (int i = 0; i < USERS; i++) {
                dns.add("uid=arc" + i + "," + people);
                ldif.append("dn: uid=arc").append(i).append(',').append(people).append("\nchangetype: add\n")
                        .append("objectClass: inetOrgPerson\nuid: arc").append(i).append("\ncn: Archive ").append(i)
                        .append("\nsn: Archive\nmail: arc").append(i).append("@example.com\n\n");
            }
            admin.modify(ldif.toString()).assertSuccess();
            Run enroll = run("enroll", "--data", data.toString(), "--url", server.ldapUrl(), "--filter", "(uid=arc*)",
                    "--report", other.resolve("report.tsv").toString());
            assertEquals(0, enroll.code, enroll.toString());

            try (LdapNetworkConnection connection = serving.kms().openConnection(30_000)) {
                EnrollmentRecords records = serving.kms().enrollmentRecords(connection);
                // History the check must not report: arc4 revoked (its record stays), arc5 re-enrolled
                // (its first record stays, its certificate superseded and revoked).
                byte[] firstOfArc5 = encryptionCertificate(records, dns.get(5));
                kmsAdmin.modify("dn: " + dns.get(4) + "\nchangetype: modify\nreplace: kmsEnrollmentState\n"
                        + "kmsEnrollmentState: revoke-requested\n-\n\ndn: " + dns.get(5) + "\nchangetype: modify\n"
                        + "replace: kmsEnrollmentState\nkmsEnrollmentState: requested\n-\n").assertSuccess();
                awaitState(records, dns.get(4), EnrollmentState.REVOKED);
                awaitState(records, dns.get(5), EnrollmentState.ENROLLED);
                assertFalse(java.util.Arrays.equals(firstOfArc5, encryptionCertificate(records, dns.get(5))),
                        "arc5 has a new encryption certificate");
                assertEquals(2, records.archivedKeys(dns.get(5)).size(), "arc5 keeps the record of its first key");
                // A new recovery key (stored and published, as 'dirkms archive rekey' makes it): a user
                // enrolled after it is wrapped to it, the others stay wrapped to the first; the check
                // unwraps both with the store's keys.
                RecoveryKeyStore rotated = serving.kms().rekey(connection, serving.ca(), KeyAlgorithm.EC_P384);
                String late = "uid=arc-late," + people;
                admin.modify("dn: " + late + "\nchangetype: add\nobjectClass: inetOrgPerson\nuid: arc-late\n"
                        + "cn: Archive Late\nsn: Archive\nmail: arc-late@example.com\n").assertSuccess();
                Run lateEnroll = run("enroll", "--data", data.toString(), "--url", server.ldapUrl(), "--filter",
                        "(uid=arc-late)", "--report", other.resolve("late.tsv").toString());
                assertEquals(0, lateEnroll.code, lateEnroll.toString());
                assertEquals(rotated.current().keyId(), records.archivedKeys(late).get(0).wrappingKeyId());
                assertEquals(rotated.keys().get(1).keyId(), records.archivedKeys(dns.get(0)).get(0).wrappingKeyId());
                int users = USERS + 1;
                int archived = USERS + 2; // arc5's two records and arc-late's

                Run clean = run("archive", "check", "--data", data.toString(), "--url", server.ldapUrl());
                assertEquals(0, clean.code, clean.toString());
                assertEquals(List.of("checked " + users + " users and " + archived + " archive records, unwrapped "
                        + archived + " keys: no problems"), clean.out.lines().toList(), clean.toString());

                // The damage, each as one ldapmodify.
                ArchivedKeyEntry arc0 = records.archivedKeys(dns.get(0)).get(0);
                ArchivedKeyEntry arc1 = records.archivedKeys(dns.get(1)).get(0);
                ArchivedKeyEntry arc2 = records.archivedKeys(dns.get(2)).get(0);
                byte[] arc2Certificate = encryptionCertificate(records, dns.get(2));
                byte[] arc3Certificate = encryptionCertificate(records, dns.get(3));
                byte[] arc7Certificate = encryptionCertificate(records, dns.get(7));
                String archive = server.layout().keyArchive();
                String gone = "uid=gone," + people;
                // 1. an archive record deleted. Nobody may delete one over LDAP (the archive is
                // append-only): this stands for damage below LDAP, by the server's own session.
                asAgent.modify("dn: " + arc0.dn() + "\nchangetype: delete\n").assertExitCode(53);
                server.directoryService().getAdminSession().delete(new org.apache.directory.api.ldap.model.name.Dn(
                        arc0.dn()));
                // 2. arc1's wrapped key replaced by arc2's
                asAgent.modify("dn: " + arc1.dn() + "\nchangetype: modify\nreplace: kmsWrappedKey\nkmsWrappedKey:: "
                        + base64(arc2.wrappedKey()) + "\n-\n").assertSuccess();
                // 3. a stray record whose owner does not exist, and one for arc3 holding a certificate
                // pasted where the wrapped key goes
                asAgent.modify("dn: cn=stray-gone," + archive + "\nchangetype: add\nobjectClass: top\n"
                        + "objectClass: kmsArchivedKey\ncn: stray-gone\nkmsKeyOwner: " + gone + "\nkmsWrappedKey:: "
                        + base64(arc2.wrappedKey()) + "\n\ndn: cn=stray-pasted," + archive + "\nchangetype: add\n"
                        + "objectClass: top\nobjectClass: kmsArchivedKey\ncn: stray-pasted\nkmsKeyOwner: " + dns.get(3)
                        + "\nkmsWrappedKey:: " + base64(arc3Certificate) + "\n").assertSuccess();
                // 4. a second copy published: arc2's encryption certificate on arc6 too, and arc7's in a
                // second child of arc7 (only the KMS publishes on a KMS user: a KMS in error)
                asAgent.modify("dn: " + dns.get(6) + "\nchangetype: modify\nadd: userCertificate;binary\n"
                        + "userCertificate;binary:: " + base64(arc2Certificate) + "\n-\n\ndn: cn=copy," + dns.get(7)
                        + "\nchangetype: add\nobjectClass: top\nobjectClass: kmsPublishedCertificate\ncn: copy\n"
                        + "mail: arc7@example.com\nuserCertificate;binary:: " + base64(arc7Certificate) + "\n")
                        .assertSuccess();

                // 5. the record of arc5's first, superseded key deleted (below LDAP, as 1.): its
                // certificate is on no entry any more, so only the history arc5's publications
                // wrote to its kmsArchiveRecord shows the loss.
                String firstRecordOfArc5 = records.archivedKeys(dns.get(5)).stream()
                        .filter(r -> java.util.Arrays.equals(r.certificate(), firstOfArc5)).findFirst().orElseThrow()
                        .dn();
                assertEquals(2, records.readUser(dns.get(5)).orElseThrow().archiveRecords().size(),
                        "both publications of arc5 listed their record");
                server.directoryService().getAdminSession().delete(new org.apache.directory.api.ldap.model.name.Dn(
                        firstRecordOfArc5));

                Run damaged = run("archive", "check", "--data", data.toString(), "--url", server.ldapUrl());
                assertEquals(1, damaged.code, damaged.toString());
                List<String> lines = damaged.out.lines().toList();
                // Two records deleted, two strays added, of which one does not unwrap.
                assertEquals("checked " + users + " users and " + archived + " archive records, unwrapped "
                        + (archived - 1) + " keys: 10 problems", lines.get(lines.size() - 1), damaged.toString());
                List<String> findings = lines.subList(0, lines.size() - 1);
                assertEquals(10, findings.size(), damaged.toString());
                assertFinding(findings, "missing-archive: " + dns.get(0) + ":", "published on the entry and in a child");
                assertFinding(findings, "missing-history: " + dns.get(0) + ": the archive record " + arc0.dn(),
                        "no longer exists");
                assertFinding(findings, "missing-history: " + dns.get(5) + ": the archive record " + firstRecordOfArc5,
                        "no longer exists: the key of an encryption certificate once published for the user cannot be"
                                + " recovered");
                assertFinding(findings, "key-mismatch: " + arc1.dn() + " (owner " + dns.get(1) + ")",
                        "the archived key is not the private key of certificate");
                assertFinding(findings, "orphan: cn=stray-gone," + archive + ":", "its owner " + gone + " does not exist");
                assertFinding(findings, "unrecoverable: cn=stray-pasted," + archive + " (owner " + dns.get(3) + ")",
                        "not CMS EnvelopedData");
                assertFinding(findings, "orphan: cn=stray-pasted," + archive + " (owner " + dns.get(3)
                        + ", state enrolled)", "holds no certificate, so none was ever published");
                assertFinding(findings, "duplicate: certificate serial", "published on 2 users: " + dns.get(2) + "; "
                        + dns.get(6));
                assertFinding(findings, "duplicate: " + dns.get(6) + ":", "enrolled with 2 different encryption");
                assertFinding(findings, "duplicate: " + dns.get(7) + ":", "published twice among its"
                        + " kmsPublishedCertificate children");
                for (ArchivedKeyEntry record : List.of(arc0, arc1, arc2)) {
                    assertFalse(damaged.out.contains(base64(record.wrappedKey()).substring(0, 40)),
                            "no wrapped key in the output");
                }

                // A key store without the KMS's recovery key: nothing unwraps, and the command says why.
                RecoveryKeyStore stranger = RecoveryKeyStore.create(DataFolder.of(other), serving.ca()::certifyRecoveryAgent,
                        "cn=Another Recovery Agent," + server.layout().kms(), KeyAlgorithm.EC_P256, random);
                Run wrongKey = run("archive", "check", "--data", data.toString(), "--url", server.ldapUrl(),
                        "--recovery-key", stranger.file().toString(), "--recovery-passphrase-file",
                        DataFolder.of(other).recoveryPassphrase().toString());
                assertEquals(1, wrongKey.code, wrongKey.toString());
                assertEquals(archived, wrongKey.out.lines().filter(l -> l.startsWith("unrecoverable: ")).count(),
                        wrongKey.toString());
                assertTrue(wrongKey.out.contains("wrapped to a recovery key this key store does not hold"),
                        wrongKey.toString());
                assertTrue(wrongKey.out.contains("unwrapped 0 keys"), wrongKey.toString());
            }

            Run help = run("archive", "--help");
            assertEquals(0, help.code);
            assertTrue(help.out.contains("missing-archive") && help.out.contains("missing-history"), help.out);
            assertEquals(2, run("archive").code, "no action");
            assertEquals(2, run("archive", "verify").code, "unknown action");
            assertEquals(2, run("archive", "check", "--data", data.toString(), "--workers", "2").code,
                    "a flag of the agent");
            assertEquals(2, run("archive", "check", "--data", data.toString(), "--recovery-key",
                    DataFolder.of(other).recoveryKeyStore().toString()).code, "key store without passphrase");
            assertEquals(2, run("archive", "check", "--data", other.resolve("nothing").toString()).code,
                    "a data folder without a recovery key store");
            Run unreachable = run("archive", "check", "--data", data.toString(), "--url", "ldap://127.0.0.1:1");
            assertEquals(3, unreachable.code, "no directory: nothing checked, not 'problems found'\n" + unreachable);
            assertTrue(unreachable.err.contains("cannot check the archive at ldap://127.0.0.1:1"), unreachable.toString());
        }
    }

    private static void assertFinding(List<String> findings, String start, String part) {
        String lowerStart = start.toLowerCase(Locale.ROOT);
        assertTrue(findings.stream().anyMatch(l -> l.toLowerCase(Locale.ROOT).startsWith(lowerStart)
                && l.contains(part)), "a finding starting '" + start + "' saying '" + part + "' in:\n"
                        + String.join("\n", findings));
    }

    private static byte[] encryptionCertificate(EnrollmentRecords records, String dn) throws Exception {
        UserEntry user = records.readUser(dn).orElseThrow();
        for (byte[] der : user.certificates()) {
            X509Certificate certificate = AgentCrashSafetyIT.parse(der);
            if (!certificate.getKeyUsage()[0]) {
                return der;
            }
        }
        throw new AssertionError(dn + " has no encryption certificate");
    }

    private static void awaitState(EnrollmentRecords records, String dn, EnrollmentState state) throws Exception {
        Instant deadline = Instant.now().plusSeconds(60);
        while (records.readUser(dn).orElseThrow().state() != state) {
            if (Instant.now().isAfter(deadline)) {
                fail(dn + " did not reach " + state.ldapValue() + ": " + records.readUser(dn).orElseThrow());
            }
            Thread.sleep(100); // polling the in-process agent's progress
        }
    }

    private static String base64(byte[] bytes) {
        return Base64.getEncoder().encodeToString(bytes);
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
