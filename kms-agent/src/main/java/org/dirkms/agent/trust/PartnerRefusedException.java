package org.dirkms.agent.trust;

/**
 * A partner root certificate the KMS does not trust, with one line saying why and what to do:
 * what {@code dirkms trust add} prints and what the agent writes to the partner entry's
 * {@code kmsLastError}. Nothing was published for it.
 */
public final class PartnerRefusedException extends Exception {
    private static final long serialVersionUID = 1L;

    /** A refusal with the plain-language {@code reason}. */
    public PartnerRefusedException(String reason) {
        super(reason);
    }
}
