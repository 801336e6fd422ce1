package org.dirkms.agent.workflow;

import java.util.HexFormat;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The identities of the attempts one process makes at claimed work: the process's owner name
 * and a counter, {@code "<owner> #<n>"}. An attempt's identity must never repeat: the archive
 * record and the queued requests of an attempt are named from it, and a take-over finds a dead
 * attempt's leftovers by it. The owner names the agent's identity, the process and a random part,
 * so two processes never share one; within a process there is one counter per owner
 * ({@link #of}), however many services are made with it (the agent makes a new one each time it
 * reopens its connection, a command or a test may make several).
 */
public final class Attempts {

    private static final ConcurrentMap<String, Attempts> BY_OWNER = new ConcurrentHashMap<>();

    private final String owner;
    private final AtomicLong counter = new AtomicLong();

    private Attempts(String owner) {
        this.owner = owner;
    }

    /** The attempts of the process called {@code owner}: the same counter for every caller in this JVM. */
    public static Attempts of(String owner) {
        return BY_OWNER.computeIfAbsent(Objects.requireNonNull(owner, "owner"), Attempts::new);
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

    /** The owner part of every identity. */
    public String owner() {
        return owner;
    }
}
