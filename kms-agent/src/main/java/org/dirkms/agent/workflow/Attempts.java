package org.dirkms.agent.workflow;

import java.util.HexFormat;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The identities of the attempts one process makes at claimed work: the process's owner name
 * and a counter, {@code "<owner> #<n>"}. An attempt's identity must never repeat: the archive
 * record and the queued requests of an attempt are named from it, and a take-over finds a dead
 * attempt's leftovers by it. The owner names the agent's identity, the process and a random part,
 * so two processes never share one; within a process the counter grows.
 */
public final class Attempts {

    private final String owner;
    private final AtomicLong counter = new AtomicLong();

    /** Attempts of the process called {@code owner}. */
    public Attempts(String owner) {
        this.owner = Objects.requireNonNull(owner, "owner");
    }

    /**
     * An owner name for this process: the agent's DN, the process id and six random bytes, so
     * that a restarted process (same DN, perhaps the same pid) never repeats a predecessor's.
     */
    public static String ownerFor(String agentDn, java.security.SecureRandom random) {
        byte[] id = new byte[6];
        random.nextBytes(id);
        return agentDn + " pid " + ProcessHandle.current().pid() + " " + HexFormat.of().formatHex(id);
    }

    /** The identity of a new attempt. */
    public String next() {
        return owner + " #" + counter.incrementAndGet();
    }

    /**
     * Continues the counter of {@code previous}, an earlier object of the same process (the
     * agent reopens its connection with a new service): an identity must never repeat.
     */
    public void continueFrom(Attempts previous) {
        counter.accumulateAndGet(previous.counter.get(), Math::max);
    }

    /** The owner part of every identity. */
    public String owner() {
        return owner;
    }
}
