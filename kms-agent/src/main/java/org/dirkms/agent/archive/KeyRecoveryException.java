package org.dirkms.agent.archive;

/**
 * An archived key could not be unwrapped. The message says why in plain language (not
 * EnvelopedData, wrapped to a recovery key this store does not hold, damaged, not a private
 * key) and never contains key material.
 */
public final class KeyRecoveryException extends Exception {
    private static final long serialVersionUID = 1L;

    /** A failure with a plain-language {@code message} and its {@code cause}, which may be null. */
    public KeyRecoveryException(String message, Throwable cause) {
        super(message, cause);
    }
}
