package org.dirkms.agent.audit;

/**
 * The agent's audit trail cannot be trusted or kept: its log disagrees with its anchor in the
 * directory, or the anchor cannot be read or written. The message is one line a person can act
 * on, and never holds a secret.
 */
public final class AuditTrailException extends Exception {
    private static final long serialVersionUID = 1L;

    /** With the one-line message. */
    public AuditTrailException(String message) {
        super(message);
    }

    /** With the one-line message and its cause (for the log). */
    public AuditTrailException(String message, Throwable cause) {
        super(message, cause);
    }
}
