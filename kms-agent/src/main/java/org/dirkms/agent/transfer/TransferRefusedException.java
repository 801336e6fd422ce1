package org.dirkms.agent.transfer;

/**
 * A transfer file refused, whole, before anything was written: the message says why in one line a
 * person can act on and never contains key material.
 */
public final class TransferRefusedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** A refusal saying {@code message}. */
    public TransferRefusedException(String message) {
        super(message);
    }

    /** A refusal saying {@code message}, caused by {@code cause} (kept for the log, never shown as the reason). */
    public TransferRefusedException(String message, Throwable cause) {
        super(message, cause);
    }
}
