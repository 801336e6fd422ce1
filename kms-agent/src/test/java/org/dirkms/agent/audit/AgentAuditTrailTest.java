package org.dirkms.agent.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;

import org.dirkms.schema.DirectoryLayout;
import org.dirkms.schema.audit.AuditLog;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The names of the agents' anchors: one per agent and folder, always the same for the same
 * folder (so a deleted log is missed), directly under {@code ou=Audit} and never the server's
 * {@code cn=head}; and the anchor a log names in its first record.
 */
class AgentAuditTrailTest {

    private static final DirectoryLayout LAYOUT = new DirectoryLayout(DirectoryLayout.DEFAULT_SUFFIX);
    private static final String AGENT = LAYOUT.kmsAgentIdentity();
    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-12-07T07:00:00Z"), ZoneOffset.UTC);

    @TempDir
    Path folder;

    @Test
    void oneAnchorPerAgentAndFolderAlwaysTheSame() {
        String anchor = AgentAuditTrail.anchorFor(AGENT, "kms1:/var/lib/dirkms-agent", LAYOUT);
        assertEquals(anchor, AgentAuditTrail.anchorFor(AGENT, "kms1:/var/lib/dirkms-agent", LAYOUT));
        assertTrue(anchor.matches("cn=agent-[0-9a-f]{16},ou=Audit,ou=KMS,dc=example,dc=com"), anchor);
        assertTrue(AgentAuditTrail.isAgentAnchor(anchor, LAYOUT));
        assertNotEquals(anchor, AgentAuditTrail.anchorFor(AGENT, "kms2:/var/lib/dirkms-agent", LAYOUT), "another host");
        assertNotEquals(anchor, AgentAuditTrail.anchorFor(AGENT, "kms1:/srv/agent", LAYOUT), "another folder");
        assertNotEquals(anchor, AgentAuditTrail.anchorFor("uid=other,ou=KMS,dc=example,dc=com",
                "kms1:/var/lib/dirkms-agent", LAYOUT), "another agent");
    }

    @Test
    void onlyAnAgentEntryDirectlyUnderAuditIsAnAgentsAnchor() {
        assertFalse(AgentAuditTrail.isAgentAnchor(LAYOUT.auditHead(), LAYOUT), "the server's cn=head");
        assertFalse(AgentAuditTrail.isAgentAnchor("cn=agent-00,cn=agent-01," + LAYOUT.audit(), LAYOUT), "deeper");
        assertFalse(AgentAuditTrail.isAgentAnchor("cn=agent-00," + LAYOUT.kms(), LAYOUT), "elsewhere");
        assertFalse(AgentAuditTrail.isAgentAnchor("not a DN", LAYOUT));
    }

    @Test
    void theAnchorOfALogIsTheOneItsFirstRecordNames() throws IOException {
        Path file = folder.resolve("agent.log");
        assertEquals(Optional.empty(), AgentAuditTrail.anchorOf(file, LAYOUT), "no log, no anchor");
        String anchor = AgentAuditTrail.anchorFor(AGENT, "kms1:" + folder, LAYOUT);
        try (AuditLog log = AuditLog.openFile(file, CLOCK)) {
            log.append(AGENT, AgentAuditTrail.CHAIN_START, anchor, List.of());
            log.append(AGENT, "modify", "uid=jdoe,ou=People,dc=example,dc=com", List.of("kmsEnrollmentState"));
        }
        assertEquals(Optional.of(anchor), AgentAuditTrail.anchorOf(file, LAYOUT));

        // A log that begins otherwise (a server's, or a rewritten beginning) names none.
        Files.delete(file);
        try (AuditLog log = AuditLog.openFile(file, CLOCK)) {
            log.append("dirkms-server", "add", LAYOUT.suffix(), List.of("objectClass"));
        }
        assertEquals(Optional.empty(), AgentAuditTrail.anchorOf(file, LAYOUT));
    }
}
