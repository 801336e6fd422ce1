package org.dirkms.agent.enroll;

import java.util.List;

/**
 * Where a connection of the agent reports each write the directory accepted: who wrote, what
 * kind of write, to which entry, touching which attributes (never their values). The standalone
 * agent's audit trail is one ({@code org.dirkms.agent.audit.AgentAuditTrail}).
 */
@FunctionalInterface
public interface WriteJournal {

    /** The journal of a connection whose writes nobody records. */
    WriteJournal NONE = (actor, operation, target, attributes) -> { };

    /**
     * Records one write the directory answered with success (RFC 4511 section 4.1.9).
     *
     * @param actor      the DN the connection is bound as
     * @param operation  {@code add}, {@code modify}, {@code delete} or {@code rename}
     * @param target     the DN of the entry written (for a rename, the entry's old DN)
     * @param attributes the names of the attributes written, in the order sent; for a rename the
     *                   entry's new DN
     * @throws RuntimeException when the write cannot be recorded: the caller must not take the
     *         action as audited
     */
    void written(String actor, String operation, String target, List<String> attributes);
}
