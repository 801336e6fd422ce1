package org.dirkms.ds.server;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.mina.core.session.IoSession;

/**
 * The message IDs of the requests a filter follows on one connection (RFC 4511 section 4.1.1.1),
 * kept as a session attribute under a name of the filter's own: added when the request passes,
 * removed with its last response.
 */
final class SessionMessageIds {
    private final String attribute;

    /** The set kept under {@code attribute} on each session. */
    SessionMessageIds(String attribute) {
        this.attribute = attribute;
    }

    /** The session's set, or null when the filter follows no request on it yet. */
    @SuppressWarnings("unchecked")
    Set<Integer> existing(IoSession session) {
        return (Set<Integer>) session.getAttribute(attribute);
    }

    /** The session's set, made when there is none (by one of two racing threads only). */
    @SuppressWarnings("unchecked")
    Set<Integer> of(IoSession session) {
        Set<Integer> ids = existing(session);
        if (ids == null) {
            Set<Integer> created = ConcurrentHashMap.newKeySet();
            ids = (Set<Integer>) session.setAttributeIfAbsent(attribute, created);
            if (ids == null) {
                ids = created;
            }
        }
        return ids;
    }

    /** Forgets the session's set. */
    void forget(IoSession session) {
        session.removeAttribute(attribute);
    }
}
