package org.dirkms.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.dirkms.schema.DataFolder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One {@code dirkms agent} a data folder (docs/reliability.md, "Several agents"): a second agent
 * on a folder another agent holds stops at once with one line saying so, exit code 1, before it
 * opens the audit log or reaches the directory; the lock is free again once released.
 */
class AgentFolderLockTest {

    @TempDir
    Path work;

    private record Run(int code, String out, String err) {
    }

    private static Run run(String... arguments) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = DirkmsCommand.run(List.of(arguments), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void aSecondAgentOnAFolderAnotherHoldsStopsWithOneLine() throws Exception {
        DataFolder data = DataFolder.of(work.resolve("agent"));
        Optional<AgentFolderLock> first = AgentFolderLock.acquire(data);
        assertTrue(first.isPresent(), "a free folder locks");
        try {
            assertTrue(AgentFolderLock.acquire(data).isEmpty(), "a held folder does not lock twice");
            // Port 1 on loopback: nothing listens; the refusal must come before any connection.
            Run second = run("agent", "--data", data.root().toString(), "--url", "ldap://127.0.0.1:1");
            assertEquals(ExitCode.FAILED.code(), second.code(), second.toString());
            assertEquals(1, second.err().lines().count(), second.err());
            assertTrue(second.err().contains("another dirkms agent runs on the data folder " + data.root()),
                    second.err());
            assertTrue(second.err().contains("give each agent a folder of its own"), second.err());
            assertFalse(Files.exists(data.agentAuditLog()), "the second agent opened no audit log");
        } finally {
            first.get().close();
        }
        Optional<AgentFolderLock> again = AgentFolderLock.acquire(data);
        assertTrue(again.isPresent(), "released, the folder locks again");
        again.get().close();
    }
}
