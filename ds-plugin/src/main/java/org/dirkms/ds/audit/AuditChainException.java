package org.dirkms.ds.audit;

/**
 * The audit log cannot be continued as it is: its chain does not match the head anchored in the
 * directory, or the operator's acceptance of a broken chain was given for a sound one. The
 * message is one line saying what is wrong and what to do; it names records, hashes and files,
 * never an attribute value (the log holds none).
 */
public final class AuditChainException extends Exception {

    /** @param message what is wrong and what to do, on one line */
    public AuditChainException(String message) {
        super(message);
    }
}
