package org.dirkms.agent.enroll;

import java.util.Arrays;
import java.util.List;
import org.dirkms.schema.EnrollmentState;

/**
 * What handling one user came to.
 *
 * @param dn the user's DN
 * @param mail the user's mail values
 * @param outcome what this call did
 * @param state the user's state afterwards, as far as this call knows (null if unknown)
 * @param detail a plain-language detail: the failure reason, or why nothing was done
 * @param token the one-time token of a package this call delivered, else null; the caller
 *        hands it to the user out of band and then {@link #clearToken() clears} it
 */
public record EnrollmentResult(String dn, List<String> mail, Outcome outcome, EnrollmentState state, String detail,
        char[] token) {

    /** What a call did. */
    public enum Outcome {
        /** This call enrolled the user. */
        ENROLLED,
        /** This call revoked the user's certificates. */
        REVOKED,
        /** This call ended the work as failed ({@link #detail()} says why). */
        FAILED,
        /** This call removed an expired or confirmed package. */
        PACKAGE_REMOVED,
        /** The certificate requests wait in the queue for a CA; the enrollment stays in-progress under its claim. */
        QUEUED,
        /** Nothing to do: not this agent's user, the state asks for nothing, or another process holds the work. */
        NOTHING
    }

    /** Copies the list. */
    public EnrollmentResult {
        mail = List.copyOf(mail);
    }

    /** Overwrites the token. */
    public void clearToken() {
        if (token != null) {
            Arrays.fill(token, '\0');
        }
    }

    /** Never shows the token. */
    @Override
    public String toString() {
        return "EnrollmentResult[" + dn + ", " + outcome + ", " + (state == null ? "?" : state.ldapValue())
                + (detail == null ? "" : ", " + detail) + "]";
    }
}
