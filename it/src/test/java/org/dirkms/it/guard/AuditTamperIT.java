package org.dirkms.it.guard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.UnaryOperator;

import org.dirkms.schema.audit.AuditHead;
import org.dirkms.schema.audit.AuditRecord;
import org.dirkms.ds.audit.AuditStartCheck;
import org.dirkms.ds.server.ServerStartException;
import org.dirkms.it.support.DirkmsRun;
import org.dirkms.it.support.LdapTools;
import org.dirkms.it.support.StandardErrorCapture;
import org.dirkms.it.support.TestDirectory;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A tampered audit log, each way someone with write access to the data folder (but not to the
 * partition holding the anchor) can tamper with it: {@code dirkms audit verify} fails, naming the
 * problem, with and without {@code --url}, while the server still runs and once it is stopped;
 * the next start is refused, leaving the anchor and the evidence alone; only the operator's
 * explicit {@code --accept-broken-audit-log} starts the server again, with the broken log set
 * aside and a new chain whose first record says why, which verifies as sound from then on.
 */
class AuditTamperIT {

    /** The ways to tamper with the log, and the words of the problem each must be reported with. */
    enum Tamper {
        /** The log is deleted. */
        DELETE("audit/audit.log is missing") {
            @Override
            void apply(Path log, AuditHead anchored) throws Exception {
                Files.delete(log);
            }
        },
        /** The last records, the anchored one among them, are cut at a record boundary. */
        TRUNCATE("(the log was truncated)") {
            @Override
            void apply(Path log, AuditHead anchored) throws Exception {
                List<String> lines = Files.readAllLines(log);
                Files.write(log, lines.subList(0, (int) anchored.sequence() - 3));
            }
        },
        /** An early record is edited and every hash from there on recomputed: a sound chain, another head. */
        REWRITE("the hash anchored in the directory differs from this record's hash") {
            @Override
            void apply(Path log, AuditHead anchored) throws Exception {
                List<AuditRecord> records = new ArrayList<>(Files.readAllLines(log).stream()
                        .map(AuditRecord::parse).toList());
                int edited = (int) anchored.sequence() - 4;
                AuditHead previous = records.get(edited - 1).head();
                for (int i = edited; i < records.size(); i++) {
                    AuditRecord record = records.get(i);
                    String actor = i == edited ? "uid=somebody-else,ou=People,dc=example,dc=com" : record.actor();
                    AuditRecord rewritten = AuditRecord.next(previous, record.time(), actor, record.operation(),
                            record.target(), record.attributes());
                    records.set(i, rewritten);
                    previous = rewritten.head();
                }
                Files.write(log, records.stream().map(AuditRecord::toLine).toList());
            }
        },
        /** Two records change places. */
        REORDER("expected sequence 3 but the line says 4") {
            @Override
            void apply(Path log, AuditHead anchored) throws Exception {
                List<String> lines = new ArrayList<>(Files.readAllLines(log));
                Collections.swap(lines, 2, 3);
                Files.write(log, lines);
            }
        };

        final String problem;

        Tamper(String problem) {
            this.problem = problem;
        }

        abstract void apply(Path log, AuditHead anchored) throws Exception;
    }

    private static DirkmsRun verify(TestDirectory directory, String... flags) {
        List<String> arguments = new ArrayList<>(List.of("audit", "verify", "--data",
                directory.dataDirectory().toString()));
        arguments.addAll(List.of(flags));
        return DirkmsRun.of(arguments);
    }

    /** {@code --url} with StartTLS and with LDAPS, trusting the test server's certificate. */
    private static List<String[]> withUrl(TestDirectory directory, Path passwordFile) {
        String certificate = directory.tlsCertificateFile().toString();
        return List.of(
                new String[] {"--url", directory.ldapUrl(), "--ca-cert", certificate, "--password-file",
                        passwordFile.toString()},
                new String[] {"--url", directory.ldapsUrl(), "--ca-cert", certificate});
    }

    private static void assertBroken(DirkmsRun verified, Tamper tamper) {
        assertEquals(1, verified.code(), verified.toString());
        assertEquals(1, verified.err().lines().count(), "one line names the problem: " + verified);
        assertTrue(verified.err().contains("audit log BROKEN at record") && verified.err().contains(tamper.problem),
                verified.toString());
    }

    private static void assertSound(DirkmsRun verified) {
        assertEquals(0, verified.code(), verified.toString());
        assertTrue(verified.out().contains("audit log OK: "), verified.toString());
    }

    @ParameterizedTest
    @EnumSource(Tamper.class)
    void aTamperedLogFailsVerificationAndTheStartUntilTheOperatorAcceptsIt(Tamper tamper) throws Exception {
        try (TestDirectory directory = new TestDirectory().start()) {
            GuardFixture.addUsers(directory);
            GuardFixture.enrollAlice(directory, "TAMPER-TEST-PACKAGE", "TAMPER-TEST-TOKEN");
            AuditHead anchored = directory.server().kmsInterceptor().anchorNow();
            Path log = directory.dataFolder().auditLog();
            // A password file as ldappasswd-style tools write it: the line end is not the password's.
            Path passwordWithNewline = directory.dataDirectory().resolveSibling(
                    directory.dataDirectory().getFileName() + "-admin.password");
            Files.writeString(passwordWithNewline, directory.adminPassword() + "\n");
            try {
                assertSound(verify(directory));
                for (String[] url : withUrl(directory, passwordWithNewline)) {
                    assertSound(verify(directory, url));
                }

                tamper.apply(log, anchored);

                // Before any restart: the server still runs over the tampered log.
                assertBroken(verify(directory), tamper);
                for (String[] url : withUrl(directory, passwordWithNewline)) {
                    assertBroken(verify(directory, url), tamper);
                }
                directory.stop();
                assertBroken(verify(directory), tamper);

                ServerStartException refused = assertThrows(ServerStartException.class,
                        () -> directory.startAgain(UnaryOperator.identity()));
                String message = refused.getMessage();
                assertTrue(message.contains(tamper.problem) && message.contains(AuditStartCheck.ACCEPT_FLAG)
                        && message.contains("record " + anchored.sequence() + " " + anchored.hash()), message);
                assertFalse(message.contains("\n"), message);
                // After the refused start: nothing was appended or anchored over the evidence.
                assertBroken(verify(directory), tamper);

                String warning;
                try (StandardErrorCapture server = StandardErrorCapture.start()) {
                    directory.startAgain(settings -> settings.withAcceptBrokenAuditLog(true));
                    warning = server.text();
                }
                assertTrue(warning.contains("WARN") && warning.contains("AUDIT LOG BROKEN, accepted by "
                        + AuditStartCheck.ACCEPT_FLAG), warning);
                List<Path> setAside;
                try (var files = Files.list(log.getParent())) {
                    setAside = files.filter(file -> file.getFileName().toString()
                            .startsWith(AuditStartCheck.SET_ASIDE_PREFIX)).toList();
                }
                assertEquals(tamper == Tamper.DELETE ? 0 : 1, setAside.size(), setAside.toString());

                AuditRecord first = AuditRecord.parse(Files.readAllLines(log).get(0));
                assertEquals(AuditStartCheck.CHAIN_RESTART, first.operation());
                assertEquals("brokenAnchor=record " + anchored.sequence() + " " + anchored.hash(),
                        first.attributes().get(0));
                assertTrue(first.attributes().get(2).contains(tamper.problem.replace(',', ';')),
                        first.attributes().toString());
                String anchor = LdapTools.against(directory).asAdmin().search(directory.layout().auditHead(),
                        "(objectClass=*)", "kmsAuditSequence", "kmsAuditHash").assertSuccess().stdout().toLowerCase();
                assertTrue(anchor.contains("kmsauditsequence: 1\n") && anchor.contains("kmsaudithash: " + first.hash()),
                        "the new chain is anchored at once: " + anchor);

                DirkmsRun accepted = verify(directory);
                assertSound(accepted);
                assertTrue(accepted.out().contains("record 1 began this chain after a broken one"), accepted.toString());
                for (Path file : setAside) {
                    assertTrue(accepted.out().contains("set aside: " + file), accepted.toString());
                }
                for (String[] url : withUrl(directory, passwordWithNewline)) {
                    assertSound(verify(directory, url));
                }

                // The flag is for one start: refused over the sound new chain, which continues without it.
                directory.stop();
                ServerStartException needless = assertThrows(ServerStartException.class,
                        () -> directory.startAgain(UnaryOperator.identity()));
                assertTrue(needless.getMessage().contains("there is nothing to accept"), needless.getMessage());
                directory.startAgain(settings -> settings.withAcceptBrokenAuditLog(false));
                assertSound(verify(directory));
            } finally {
                Files.deleteIfExists(passwordWithNewline);
            }
        }
    }
}
