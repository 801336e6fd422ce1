package org.dirkms.agent.enroll;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

import org.dirkms.agent.directory.Claim;
import org.dirkms.agent.names.DistinguishedNames;
import org.dirkms.agent.directory.EnrollmentRecords;
import org.dirkms.agent.directory.EnrollmentRecords.ArchivedKeyEntry;
import org.dirkms.agent.directory.EnrollmentRecords.QueuedRequest;
import org.dirkms.agent.directory.EnrollmentRecords.UserEntry;
import org.dirkms.schema.CertificatePurpose;
import org.dirkms.schema.RequestState;
import org.dirkms.schema.RevocationReason;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Taking over an enrollment whose holder died (docs/state-machines.md, "Take-over"): once the
 * lease expired, one process wins the test-and-set on the stored lease and writes its own claim,
 * which names every attempt that died on this enrollment ({@code kmsReplacedAttempt}); then it
 * cleans up what they left. Their leftovers are found by name, from the user entry alone: the
 * archive record and the queued requests of an attempt derive from its identity. The claim
 * keeps naming the dead attempts until the enrollment is published or failed, so that a process
 * killed during the clean-up leaves it to the next take-over.
 */
final class TakeOver {

    private static final Logger LOG = LoggerFactory.getLogger(TakeOver.class);

    private final EnrollmentContext context;
    private final EnrollmentRecords records;

    TakeOver(EnrollmentContext context) {
        this.context = context;
        this.records = context.records();
    }

    /**
     * Takes over the enrollment of {@code user}, whose claim's lease expired, superseding
     * {@code superseding}, and cleans up after the dead attempts.
     *
     * @return the claim this process now holds, or empty when another process took the work
     *         over first (or during the clean-up)
     */
    Optional<Claim> takeOver(UserEntry user, List<SupersededCertificate> superseding) {
        Claim expired = user.claim();
        Claim successor = expired.successor(context.attempts().next(), context.lease().fromNow())
                .superseding(SupersededCertificate.der(superseding));
        if (!records.takeOver(user.dn(), expired, successor)) {
            return Optional.empty();
        }
        LOG.info("Took over the enrollment of {} (lease of {} expired at {})", user.dn(), expired.attempt(),
                expired.leaseExpires());
        return cleanUp(user, successor);
    }

    /**
     * What the dead attempts left: the requests they queued (not yet issued: withdrawn, so that
     * no CA issues a certificate for a key nobody holds; issued: their certificates are revoked
     * at once with the CA here, else added to this claim for an agent with the CA, and only then
     * the requests go), and their archive records, marked abandoned when their certificate never
     * reached the entry (the archive is append-only). The children a dead attempt published go
     * first, so that no visible certificate ever lacks its archived key.
     */
    private Optional<Claim> cleanUp(UserEntry user, Claim held) {
        List<QueuedRequest> issued = new ArrayList<>();
        for (String dead : held.replaced()) {
            issued.addAll(withdrawRequests(user, dead));
        }
        Claim current = held;
        if (!issued.isEmpty()) {
            List<SupersededCertificate> unpublished = new ArrayList<>();
            for (QueuedRequest request : issued) {
                unpublished.add(SupersededCertificate.of(Enrollment.parse(request.certificate(), request.dn())));
            }
            List<SupersededCertificate> left = context.revocations().revoke(user.dn(), unpublished,
                    RevocationReason.SUPERSEDED);
            if (!left.isEmpty()) {
                List<SupersededCertificate> all = SupersededCertificate.union(
                        SupersededCertificate.parse(current.superseded()), left);
                if (!records.amendClaim(user.dn(), current, SupersededCertificate.der(all))) {
                    return Optional.empty();
                }
                current = current.superseding(SupersededCertificate.der(all));
                LOG.info("{}: the {} certificate(s) issued to an interrupted enrollment wait in the claim for an agent"
                        + " with the CA to revoke them", user.dn(), left.size());
            } else {
                LOG.info("{}: revoked the {} certificate(s) issued to an interrupted enrollment", user.dn(),
                        unpublished.size());
            }
            for (QueuedRequest request : issued) {
                records.deleteRequest(request.dn());
            }
        }
        for (String dead : held.replaced()) {
            abandonArchive(user, dead);
        }
        return Optional.of(current);
    }

    /** Deletes the requests of {@code dead} not yet issued; returns those the CA issued. */
    private List<QueuedRequest> withdrawRequests(UserEntry user, String dead) {
        List<QueuedRequest> issued = new ArrayList<>();
        for (CertificatePurpose purpose : List.of(CertificatePurpose.SIGNING, CertificatePurpose.ENCRYPTION)) {
            String requestDn = records.requestDn(user.dn(), dead, purpose.ldapValue());
            Optional<QueuedRequest> request = records.readRequest(requestDn);
            if (request.isPresent() && request.get().state() == RequestState.ISSUED
                    && request.get().certificate() != null) {
                issued.add(request.get());
            } else if (request.isPresent()) {
                records.deleteRequest(requestDn);
                LOG.info("Removed the {} request {} of an interrupted enrollment of {}", purpose.ldapValue(),
                        requestDn, user.dn());
            }
        }
        return issued;
    }

    private void abandonArchive(UserEntry user, String dead) {
        String deadDn = DistinguishedNames.normal(records.archivedKeyDn(user.dn(), dead));
        for (ArchivedKeyEntry archived : records.archivedKeys(user.dn())) {
            if (!DistinguishedNames.normal(archived.dn()).equals(deadDn)) {
                continue;
            }
            boolean committed = archived.certificate() != null
                    && user.certificates().stream().anyMatch(c -> Arrays.equals(c, archived.certificate()));
            if (!committed && !archived.abandoned()) {
                boolean shown = records.publishedCertificates(user.dn()).stream()
                        .anyMatch(c -> Arrays.equals(c, archived.certificate()));
                if (shown) {
                    records.removePublishedCertificates(user.dn());
                }
                records.abandonArchivedKey(archived.dn());
                LOG.info("Marked the archive record {} of an interrupted enrollment of {} abandoned", archived.dn(),
                        user.dn());
            }
        }
    }
}
