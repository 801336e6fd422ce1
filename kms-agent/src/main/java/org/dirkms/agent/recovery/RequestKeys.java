package org.dirkms.agent.recovery;

import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.dirkms.agent.custody.RequestKey;
import org.dirkms.agent.names.DistinguishedNames;

/**
 * The request keys one agent process holds for the recoveries under custody it has claimed
 * (docs/custody.md), in memory only: a key lives as long as the claim of the attempt that made it,
 * and dies with the process. Thread-safe; shared by every recovery service of the process.
 */
public final class RequestKeys {
    /**
     * A request key and the attempt whose claim it belongs to.
     *
     * @param attempt the claim's attempt
     * @param key the request key
     */
    public record Held(String attempt, RequestKey key) {
    }

    private final ConcurrentMap<String, Held> keys = new ConcurrentHashMap<>();

    /** The key this process holds for the request at {@code dn} under the claim of {@code attempt}. */
    Optional<Held> held(String dn, String attempt) {
        Held held = keys.get(key(dn));
        return held != null && held.attempt().equals(attempt) ? Optional.of(held) : Optional.empty();
    }

    /** Keeps {@code key} for the request at {@code dn}, claimed by {@code attempt}; any earlier key is destroyed. */
    void keep(String dn, String attempt, RequestKey key) {
        Held before = keys.put(key(dn), new Held(attempt, key));
        if (before != null && before.key() != key) {
            before.key().close();
        }
    }

    /** Destroys the key of the request at {@code dn}, if this process holds one. */
    void forget(String dn) {
        Held held = keys.remove(key(dn));
        if (held != null) {
            held.key().close();
        }
    }

    /** How many request keys are held. */
    public int size() {
        return keys.size();
    }

    private static String key(String dn) {
        try {
            return DistinguishedNames.normal(dn);
        } catch (IllegalArgumentException e) {
            return dn;
        }
    }
}
