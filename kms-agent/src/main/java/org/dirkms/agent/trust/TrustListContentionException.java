package org.dirkms.agent.trust;

/**
 * Another process republished the trust list each time this one tried: nothing was published
 * by this one; the step may be run again.
 */
public final class TrustListContentionException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** A contention with its plain-language {@code message}. */
    public TrustListContentionException(String message) {
        super(message);
    }
}
