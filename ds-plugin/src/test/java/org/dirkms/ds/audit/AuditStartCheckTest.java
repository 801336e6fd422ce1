package org.dirkms.ds.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
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

import org.dirkms.schema.audit.AuditHead;
import org.dirkms.schema.audit.AuditLog;
import org.dirkms.schema.audit.AuditRecord;
import org.dirkms.schema.audit.AuditVerifier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The start-time rules of {@link AuditStartCheck}: what is sound, what is refused, what acceptance does. */
class AuditStartCheckTest {

    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-25T08:00:00Z"), ZoneOffset.UTC);
    private static final String SERVER = "uid=admin,ou=system";
    private static final String ANCHOR_DN = "cn=head,ou=Audit,ou=KMS,dc=example,dc=com";

    @TempDir
    Path directory;

    private AuditHead appendThree() throws IOException {
        try (AuditLog log = AuditLog.open(directory, CLOCK)) {
            log.append("cn=a", "add", "uid=alice", List.of("objectClass"));
            log.append("cn=a", "modify", "uid=alice", List.of("kmsEnrollmentState"));
            return log.append("cn=b", "modify", "uid=bob", List.of()).head();
        }
    }

    private AuditStartCheck.Opened open(Optional<AuditHead> anchor, boolean firstStart, boolean accept)
            throws Exception {
        return AuditStartCheck.open(directory, anchor, firstStart, accept, SERVER, ANCHOR_DN, CLOCK);
    }

    private Path log() {
        return directory.resolve(AuditLog.FILE_NAME);
    }

    @Test
    void aFirstStartOpensANewLogAndASoundLogResumes() throws Exception {
        try (AuditLog log = open(Optional.empty(), true, false).log()) {
            assertEquals(AuditHead.EMPTY, log.head());
        }
        Files.delete(log());
        AuditHead head = appendThree();
        AuditStartCheck.Opened opened = open(Optional.of(new AuditHead(2, Files.readAllLines(log()).get(1)
                .split("\t")[7])), false, false);
        try (AuditLog log = opened.log()) {
            assertEquals(head, log.head(), "records after the anchor are the chain's too");
            assertTrue(opened.restart().isEmpty());
        }
    }

    @Test
    void aMissingLogIsRefusedOnceTheFolderWasStartedOrAnchored() {
        AuditChainException anchored = assertThrows(AuditChainException.class,
                () -> open(Optional.of(new AuditHead(20, "ab")), false, false));
        assertTrue(anchored.getMessage().contains("is missing but the directory anchors record 20"),
                anchored.getMessage());
        assertTrue(anchored.getMessage().contains(AuditStartCheck.ACCEPT_FLAG), anchored.getMessage());
        assertFalse(anchored.getMessage().contains("\n"));
        assertThrows(AuditChainException.class, () -> open(Optional.empty(), false, false));
        assertFalse(Files.exists(log()), "a refused start creates no log");
    }

    @Test
    void aTruncatedLogIsRefusedAndAcceptanceSetsItAsideAndRestartsTheChain() throws Exception {
        AuditHead head = appendThree();
        List<String> lines = Files.readAllLines(log());
        Files.write(log(), lines.subList(0, 2));
        AuditChainException refused = assertThrows(AuditChainException.class,
                () -> open(Optional.of(head), false, false));
        assertTrue(refused.getMessage().contains("broken at record 3") && refused.getMessage().contains("truncated"),
                refused.getMessage());
        assertEquals(lines.subList(0, 2), Files.readAllLines(log()), "a refusal changes nothing");

        AuditStartCheck.Opened opened = open(Optional.of(head), false, true);
        Path setAside = directory.resolve(AuditStartCheck.SET_ASIDE_PREFIX + "20261125T080000Z");
        assertEquals(Optional.of(setAside), opened.setAside());
        assertEquals(lines.subList(0, 2), Files.readAllLines(setAside), "the broken log is kept as it was");
        AuditRecord first = opened.restart().orElseThrow();
        opened.log().close();
        assertEquals(1, first.sequence());
        assertEquals(AuditRecord.GENESIS_HASH, first.previousHash());
        assertEquals(AuditStartCheck.CHAIN_RESTART, first.operation());
        assertEquals(SERVER, first.actor());
        assertEquals(ANCHOR_DN, first.target());
        assertEquals("brokenAnchor=record 3 " + head.hash(), first.attributes().get(0));
        assertEquals("setAside=" + setAside.getFileName(), first.attributes().get(1));
        assertTrue(first.attributes().get(2).startsWith("reason=broken at record 3: "), first.attributes().get(2));
        assertEquals(List.of(first.toLine()), Files.readAllLines(log()));
        assertTrue(AuditVerifier.verify(directory, Optional.of(first.head())).valid());
    }

    @Test
    void acceptingASoundLogIsRefused() throws Exception {
        AuditHead head = appendThree();
        AuditChainException refused = assertThrows(AuditChainException.class,
                () -> open(Optional.of(head), false, true));
        assertTrue(refused.getMessage().contains("there is nothing to accept"), refused.getMessage());
        assertThrows(AuditChainException.class, () -> open(Optional.empty(), true, true), "nor on a new folder");
    }

    @Test
    void anUnfinishedLastLineIsCutBeforeTheCheck() throws Exception {
        AuditHead head = appendThree();
        Files.writeString(log(), "4\t2026-11", StandardCharsets.UTF_8, StandardOpenOption.APPEND);
        AuditStartCheck.Opened opened = open(Optional.of(head), false, false);
        try (AuditLog log = opened.log()) {
            assertNotNull(opened.repairNote());
            assertEquals(head, log.head());
        }
    }
}
