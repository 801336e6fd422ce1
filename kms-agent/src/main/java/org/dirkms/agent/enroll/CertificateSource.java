package org.dirkms.agent.enroll;

import java.util.List;

import org.dirkms.agent.directory.Claim;
import org.dirkms.agent.directory.EnrollmentRecords.UserEntry;

/**
 * Where an enrollment's certificates come from (docs/state-machines.md): a CA in this process,
 * which issues them at once ({@link InProcessCa}), or the request queue under
 * {@code ou=Requests}, served by a CA elsewhere while the enrollment waits under its claim
 * ({@link RequestQueue}). Either way the encryption key is archived before any certificate for
 * it can be published.
 */
interface CertificateSource {

    /**
     * Makes the keys of a claimed attempt whose checks passed and gets their certificates:
     * issued and published now, or queued (the attempt then waits, see {@link #advance}).
     *
     * @throws EnrollmentFailure for a reason the administrator can fix (the CA refused)
     */
    EnrollmentResult certify(Enrollment.Attempt attempt) throws EnrollmentFailure;

    /** Whether this source holds the keys of an attempt that waits for certificates under {@code claim}. */
    boolean holds(Claim claim);

    /** Goes on with the waiting attempt of {@code user} (one {@link #holds} said yes to). */
    EnrollmentResult advance(UserEntry user);

    /**
     * Forgets the waiting attempts of {@code user} whose claim is no longer on the entry (taken
     * over after its lease, or reset by an administrator): they can never be published, so what
     * they queued and archived is withdrawn.
     */
    void forgetLost(UserEntry user);

    /** The DNs of the users whose attempts wait here. */
    List<String> waitingUsers();

    /**
     * The DN of the user whose waiting attempt queued the request at {@code requestDn}, if one
     * waits here: what a change of that request (the CA served it) wakes.
     */
    default java.util.Optional<String> waiterOf(String requestDn) {
        return java.util.Optional.empty();
    }

    /** Takes over the waiting attempts of {@code previous}, the source the agent used before it reconnected. */
    void adoptFrom(CertificateSource previous);
}
