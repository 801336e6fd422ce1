package org.dirkms.agent.enroll;

import java.util.List;
import java.util.Optional;

import org.dirkms.agent.directory.Claim;
import org.dirkms.agent.directory.EnrollmentRecords.UserEntry;
import org.dirkms.agent.queue.QueueServer;

/**
 * Certificates from the CA in this process when it can issue them now, else through the request
 * queue (docs/state-machines.md, "Enrollment"): an agent whose CA is busy (its capacity taken by
 * the queue it also serves), disabled, or lacks one of the templates the user's group asks for
 * queues the attempt, for any CA that has them, instead of failing it.
 */
final class LocalCaOrQueue implements CertificateSource {

    private final EnrollmentContext context;
    private final Enrollment enrollment;
    private final QueueServer local;
    private final RequestQueue queue;

    LocalCaOrQueue(EnrollmentContext context, Enrollment enrollment, QueueServer local) {
        this.context = context;
        this.enrollment = enrollment;
        this.local = local;
        this.queue = new RequestQueue(context, enrollment);
    }

    @Override
    public EnrollmentResult certify(Enrollment.Attempt attempt) throws EnrollmentFailure {
        Optional<QueueServer.Reservation> reserved = local.reserve(List.of(Enrollment.signingTemplate(attempt.group),
                Enrollment.encryptionTemplate(attempt.group)));
        if (reserved.isEmpty()) {
            return queue.certify(attempt);
        }
        try (QueueServer.Reservation reservation = reserved.get()) {
            return new InProcessCa(context, enrollment, reservation.ca()).certify(attempt);
        }
    }

    @Override
    public boolean holds(Claim claim) {
        return queue.holds(claim);
    }

    @Override
    public EnrollmentResult advance(UserEntry user) {
        return queue.advance(user);
    }

    @Override
    public void forgetLost(UserEntry user) {
        queue.forgetLost(user);
    }

    @Override
    public List<String> waitingUsers() {
        return queue.waitingUsers();
    }

    @Override
    public Optional<String> waiterOf(String requestDn) {
        return queue.waiterOf(requestDn);
    }

    @Override
    public void adoptFrom(CertificateSource previous) {
        queue.adoptFrom(previous instanceof LocalCaOrQueue other ? other.queue : previous);
    }
}
