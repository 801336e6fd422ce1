package org.dirkms.agent.ca;

/**
 * A CRL could not be published because other processes published their own successor of it
 * each time this one tried ({@link CaService}): nothing was published, and running the step again
 * is safe. Unchecked, like the failures of the {@link CaRecords} it works on: the work that
 * needed the CRL stays resumable.
 */
public final class CrlContentionException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** A failure described by {@code message}. */
    public CrlContentionException(String message) {
        super(message);
    }
}
