package org.dirkms.agent.workflow;

import java.util.List;

/**
 * A claimed state machine the running agent drives beside enrollment (docs/reliability.md,
 * "Finding work"): the agent follows the entries it names with its syncrepl search, hands each
 * changed one to {@link #handle}, and at start and on every sweep reconciles the entries
 * {@link #waiting()} returns, so that a change made while no agent ran, or a notification lost,
 * is acted on, and a lease or a lifetime that ran out is noticed. The recovery of keys is one.
 *
 * <p>Implementations keep all their state in the directory and are safe for concurrent use on
 * different entries; the agent never hands one entry to two workers at once.
 */
public interface Workflow {

    /**
     * The entries of this workflow, as an LDAP filter (RFC 4515) the agent's syncrepl search
     * adds to what it follows, e.g. {@code (objectClass=kmsRecoveryRequest)}.
     */
    String followedEntries();

    /** Whether the entry at {@code dn} (as the directory spells it) is one of this workflow's. */
    boolean owns(String dn);

    /** The DNs of the entries whose state may ask for work now: what a reconciliation hands to {@link #handle}. */
    List<String> waiting();

    /**
     * Does what the entry's state asks for, if anything. A failure of the directory (an
     * unchecked exception of the directory package) leaves the entry as it was or resumable: a
     * claim's lease runs out and the work is taken over.
     */
    void handle(String dn);

    /**
     * Whether the deletion of one of this workflow's entries asks for work (the trust list
     * loses a partner): the agent then hands the deleted entry's DN to {@link #handle}, which
     * finds it gone. False by default: a deleted entry needs nothing.
     */
    default boolean followsDeletions() {
        return false;
    }
}
