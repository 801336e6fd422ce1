package org.dirkms.agent.ca;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import org.dirkms.agent.names.DistinguishedNames;

/**
 * The locks that serialise CRL updates of each CA within one process, keyed by the CA's
 * normalised DN. Every {@link CaService} made with the plain constructor shares
 * {@link #jvmWide()}, because one JVM may hold several services over the same CA ({@code dirkms
 * serve} runs the agent's enrollment workers and the scheduled CRL renewal with services of
 * their own). Updates from other processes are caught by the directory's compare-and-swap
 * instead; a set made with {@link #CrlUpdateLocks()} stands for such another process.
 */
public final class CrlUpdateLocks {
    private static final CrlUpdateLocks JVM_WIDE = new CrlUpdateLocks();

    private final ConcurrentHashMap<String, ReentrantLock> locks = new ConcurrentHashMap<>();

    /** A set of locks of its own, shared with nobody: what another process would hold. */
    public CrlUpdateLocks() {
    }

    /** The one set every {@link CaService} of this JVM uses unless given another. */
    public static CrlUpdateLocks jvmWide() {
        return JVM_WIDE;
    }

    /** The lock of the CA at {@code caDn}: the same lock for every spelling of the same DN. */
    ReentrantLock forCa(String caDn) {
        return locks.computeIfAbsent(key(caDn), key -> new ReentrantLock());
    }

    /** The key of the CA at {@code caDn}: its normal form ({@link DistinguishedNames}). */
    static String key(String caDn) {
        return DistinguishedNames.normal(caDn);
    }
}
