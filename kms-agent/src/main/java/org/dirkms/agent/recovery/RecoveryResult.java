package org.dirkms.agent.recovery;

import org.dirkms.schema.RecoveryState;

/**
 * What one step of the recovery state machine did to a request. It never holds a key, the
 * package or the token.
 *
 * @param dn the request's DN
 * @param outcome what was done
 * @param state the request's state afterwards, as far as this step knows (null when unknown)
 * @param message a plain-language sentence: why nothing was done, or what was
 */
public record RecoveryResult(String dn, Outcome outcome, RecoveryState state, String message) {

    /** What a step did. */
    public enum Outcome {
        /** Nothing: waiting for approvals, served by another agent, held by another attempt, final. */
        NOTHING,
        /** The package and its token were written for the requester: the request is approved. */
        RECOVERED,
        /** The requester deleted the package: the request is delivered and the token removed. */
        DELIVERED,
        /** The request ended failed, with the reason in {@code kmsLastError}. */
        FAILED,
        /** The request ended expired, with the reason in {@code kmsLastError}. */
        EXPIRED
    }
}
