package org.dirkms.agent.ca;

/**
 * The CA refused to revoke a serial ({@link CaService#revokeIssued}): it never issued it, or it
 * is on the CRL already. The message is one line a person can act on; the CRL is unchanged.
 */
public final class RevocationRefusedException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    /** The refusal, in one line. */
    public RevocationRefusedException(String message) {
        super(message);
    }
}
