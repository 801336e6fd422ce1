package org.dirkms.agent.recovery;

/**
 * A recovery that cannot be made (no archived key, a record that does not unwrap or is not its
 * certificate's key, a target that is gone): the message is the plain-language reason the request
 * ends {@code failed} with, in {@code kmsLastError}. It never contains key material.
 */
final class RecoveryFailure extends Exception {
    private static final long serialVersionUID = 1L;

    RecoveryFailure(String reason) {
        super(reason);
    }
}
