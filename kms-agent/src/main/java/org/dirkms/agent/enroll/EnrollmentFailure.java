package org.dirkms.agent.enroll;

/**
 * An enrollment cannot proceed for a reason the administrator can fix; the message is the
 * plain-language {@code kmsLastError}, never containing key material or a token.
 */
final class EnrollmentFailure extends Exception {
    EnrollmentFailure(String reason) {
        super(reason);
    }
}
