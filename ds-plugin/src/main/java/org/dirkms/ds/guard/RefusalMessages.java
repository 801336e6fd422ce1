package org.dirkms.ds.guard;

import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * The messages the guard itself gave with recent refusals. ApacheDS wraps a refusal's message
 * in a diagnostic that echoes the whole request ("... failed for MessageType : ADD_REQUEST ...:
 * message"); the {@link WireGuard} uses this record to send the guard's own message alone. A
 * guard message never contains a secret value (the guard writes messages from attribute names,
 * non-secret values and DNs only), so it is always safe to send.
 *
 * <p>Bounded (the newest {@value #CAPACITY} distinct messages) and thread-safe.
 */
public final class RefusalMessages {

    /** How many distinct messages are remembered. */
    public static final int CAPACITY = 4096;

    private final Set<String> messages = new LinkedHashSet<>();

    /** Remembers {@code message} as one the guard gave and returns it. */
    public synchronized String remember(String message) {
        messages.remove(message);
        messages.add(message);
        if (messages.size() > CAPACITY) {
            Iterator<String> oldest = messages.iterator();
            oldest.next();
            oldest.remove();
        }
        return message;
    }

    /**
     * The longest guard message contained in {@code diagnostic}, or {@code null} when the
     * diagnostic contains none.
     */
    public synchronized String find(String diagnostic) {
        if (diagnostic == null || diagnostic.isEmpty()) {
            return null;
        }
        String best = null;
        for (String message : messages) {
            if (diagnostic.contains(message) && (best == null || message.length() > best.length())) {
                best = message;
            }
        }
        return best;
    }
}
