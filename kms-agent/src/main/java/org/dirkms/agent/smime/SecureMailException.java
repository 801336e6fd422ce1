package org.dirkms.agent.smime;

/**
 * An S/MIME operation that cannot be done: the message is one line a person can act on ("the
 * token does not open key package 1", "the signature does not match the content") and never holds
 * a key, a token or message content.
 */
public final class SecureMailException extends Exception {
    private static final long serialVersionUID = 1L;

    /** A failure described by {@code message}. */
    public SecureMailException(String message) {
        super(message);
    }

    /** A failure described by {@code message}, caused by {@code cause} (kept for the log, not shown). */
    public SecureMailException(String message, Throwable cause) {
        super(message, cause);
    }
}
