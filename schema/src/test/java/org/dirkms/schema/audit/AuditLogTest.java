package org.dirkms.schema.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AuditLogTest {

    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-25T08:00:00Z"), ZoneOffset.UTC);

    @TempDir
    Path directory;

    private AuditHead appendThree() throws IOException {
        try (AuditLog log = AuditLog.open(directory, CLOCK)) {
            log.append("cn=admin", "modify", "uid=alice,ou=People,dc=example,dc=com", List.of("kmsEnrollmentState"));
            log.append("", "add", "cn=weird\ttab\\,dc=example,dc=com", List.of("cn", "objectClass"));
            return log.append("uid=kms-agent,ou=KMS,dc=example,dc=com", "modify", "uid=alice", List.of()).head();
        }
    }

    @Test
    void theChainResumesFromTheLastRecordAfterReopening() throws IOException {
        AuditHead head = appendThree();
        assertEquals(3, head.sequence());
        try (AuditLog log = AuditLog.open(directory, CLOCK)) {
            assertEquals(head, log.head());
            AuditRecord fourth = log.append("x", "delete", "y", List.of());
            assertEquals(4, fourth.sequence());
            assertEquals(head.hash(), fourth.previousHash());
        }
        AuditVerifier.Report report = AuditVerifier.verify(directory, Optional.of(head));
        assertTrue(report.valid(), report.summary());
        assertEquals(4, report.records());
    }

    @Test
    void aLogOfAnotherNameChainsAndVerifiesTheSameWay() throws IOException {
        Path file = directory.resolve("agent.log");
        AuditHead head;
        try (AuditLog log = AuditLog.openFile(file, CLOCK)) {
            log.append("uid=kms-agent,ou=KMS,dc=example,dc=com", "agent-chain-start",
                    "cn=agent-00,ou=Audit,ou=KMS,dc=example,dc=com", List.of());
            head = log.append("uid=kms-agent,ou=KMS,dc=example,dc=com", "modify", "uid=jdoe,ou=People,dc=example,dc=com",
                    List.of("kmsEnrollmentState", "kmsEnrollmentState=enrolled")).head();
        }
        assertFalse(Files.exists(directory.resolve(AuditLog.FILE_NAME)), "only the named file is written");
        try (AuditLog reopened = AuditLog.openFile(file, CLOCK)) {
            assertEquals(head, reopened.head());
        }
        AuditVerifier.Report report = AuditVerifier.verifyFile(file, Optional.of(head));
        assertTrue(report.valid(), report.summary());
        assertEquals(2, report.records());

        Files.write(file, Files.readAllLines(file).subList(0, 1));
        AuditVerifier.Report truncated = AuditVerifier.verifyFile(file, Optional.of(head));
        assertFalse(truncated.valid());
        assertTrue(truncated.problem().contains("truncated"), truncated.problem());
    }

    @Test
    void anEmptyOrMissingLogIsNeverSoundWhateverTheAnchor() throws IOException {
        Path file = directory.resolve("agent.log");
        AuditVerifier.Report missing = AuditVerifier.verifyFile(file, Optional.empty());
        assertFalse(missing.valid());
        assertTrue(missing.problem().contains("missing"), missing.problem());
        Files.createFile(file);
        for (Optional<AuditHead> anchor : List.of(Optional.<AuditHead>empty(), Optional.of(AuditHead.EMPTY))) {
            AuditVerifier.Report empty = AuditVerifier.verifyFile(file, anchor);
            assertFalse(empty.valid(), "an empty log against " + anchor);
            assertTrue(empty.problem().contains("holds no record"), empty.problem());
        }
    }

    @Test
    void anEditedRecordIsReportedWithItsSequence() throws IOException {
        appendThree();
        Path file = directory.resolve(AuditLog.FILE_NAME);
        List<String> lines = Files.readAllLines(file);
        lines.set(1, lines.get(1).replace("\tadd\t", "\tmodify\t"));
        Files.write(file, lines);
        AuditVerifier.Report report = AuditVerifier.verify(directory, Optional.empty());
        assertFalse(report.valid());
        assertEquals(2, report.badSequence());
        assertTrue(report.summary().contains("record 2"), report.summary());
    }

    @Test
    void aRemovedRecordAndATruncationBelowTheAnchorAreDetected() throws IOException {
        AuditHead head = appendThree();
        Path file = directory.resolve(AuditLog.FILE_NAME);
        List<String> lines = Files.readAllLines(file);
        Files.write(file, List.of(lines.get(0), lines.get(2)));
        AuditVerifier.Report removed = AuditVerifier.verify(directory, Optional.empty());
        assertEquals(2, removed.badSequence());

        Files.write(file, lines.subList(0, 2));
        AuditVerifier.Report truncated = AuditVerifier.verify(directory, Optional.of(head));
        assertFalse(truncated.valid());
        assertTrue(truncated.problem().contains("truncated"), truncated.problem());

        Files.write(file, lines);
        AuditVerifier.Report wrongAnchor = AuditVerifier.verify(directory,
                Optional.of(new AuditHead(2, head.hash())));
        assertEquals(2, wrongAnchor.badSequence());
    }

    @Test
    void anUnfinishedLastLineIsCutOnOpen() throws IOException {
        AuditHead head = appendThree();
        Files.writeString(directory.resolve(AuditLog.FILE_NAME), "4\t2026-11", StandardCharsets.UTF_8,
                StandardOpenOption.APPEND);
        try (AuditLog log = AuditLog.open(directory, CLOCK)) {
            assertNotNull(log.repairNote());
            assertEquals(head, log.head());
        }
        assertTrue(AuditVerifier.verify(directory, Optional.of(head)).valid());
    }

    @Test
    void recordsRoundTripThroughTheirLine() {
        AuditRecord record = AuditRecord.next(AuditHead.EMPTY, CLOCK.instant(), "a\tb", "modify", "c\nd",
                List.of("kmsKeyPackage"));
        AuditRecord parsed = AuditRecord.parse(record.toLine());
        assertEquals(record, parsed);
        assertEquals(record.hash(), parsed.computedHash());
        assertFalse(record.toLine().contains("\n"));
    }

    @Test
    void aMissingLogIsNeverSound() throws IOException {
        for (Optional<AuditHead> anchor : List.of(Optional.<AuditHead>empty(), Optional.of(AuditHead.EMPTY))) {
            AuditVerifier.Report report = AuditVerifier.verify(directory, anchor);
            assertFalse(report.valid(), report.summary());
            assertTrue(report.problem().contains("is missing"), report.problem());
        }
        AuditVerifier.Report gone = AuditVerifier.verify(directory, Optional.of(new AuditHead(5, "ab")));
        assertFalse(gone.valid());
        assertTrue(gone.problem().contains("missing but the directory anchors record 5"), gone.problem());
    }
}
