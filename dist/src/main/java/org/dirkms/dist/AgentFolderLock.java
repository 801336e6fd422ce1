package org.dirkms.dist;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import org.dirkms.schema.DataFolder;

/**
 * The exclusive lock a {@code dirkms agent} holds on its data folder ({@link DataFolder#AGENT_LOCK})
 * while it runs: the agent's audit log in the folder is the hash chain of one process's writes,
 * and two agents appending to it would break it (docs/reliability.md, "Several agents"). Several
 * agents run with a folder each. The operating system drops the lock when the process dies, so a
 * killed agent never leaves a stale lock behind. It is not the server's {@link DataFolder#LOCK}:
 * an agent may run on the folder of the {@code dirkms serve} beside it.
 */
final class AgentFolderLock implements AutoCloseable {

    private final FileChannel channel;
    private final FileLock lock;

    private AgentFolderLock(FileChannel channel, FileLock lock) {
        this.channel = channel;
        this.lock = lock;
    }

    /**
     * Locks {@code data} for this agent.
     *
     * @return the lock, or empty when another agent (in this or another process) holds it
     * @throws IOException when the lock file cannot be made or opened
     */
    static Optional<AgentFolderLock> acquire(DataFolder data) throws IOException {
        Files.createDirectories(data.root());
        FileChannel channel = FileChannel.open(data.agentLock(), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock lock;
        try {
            lock = channel.tryLock();
        } catch (OverlappingFileLockException e) {
            lock = null; // this JVM holds it already (an agent run in-process by a test)
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
        if (lock == null) {
            channel.close();
            return Optional.empty();
        }
        return Optional.of(new AgentFolderLock(channel, lock));
    }

    /** The one-line refusal when another agent holds {@code data}. */
    static String inUse(DataFolder data) {
        return "another dirkms agent runs on the data folder " + data.root() + " (it holds " + data.agentLock()
                + "): give each agent a folder of its own (README, \"Running several agents\")";
    }

    /** Releases the lock. */
    @Override
    public void close() throws IOException {
        try {
            lock.release();
        } finally {
            channel.close();
        }
    }
}
