package org.dirkms.agent.enroll;

import java.util.List;

import org.dirkms.agent.directory.Claim;
import org.dirkms.agent.directory.EnrollmentRecords.UserEntry;
import org.dirkms.agent.enroll.EnrollmentResult.Outcome;
import org.dirkms.schema.RevocationReason;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The certificates a re-enrollment supersedes (docs/state-machines.md, "Supersession"). The
 * claim names them from before anything is published; the publication keeps the claim, with its
 * lease, while they are not revoked; then they are revoked with reason superseded (RFC 5280
 * section 5.3.1), the CRL on the CA entry republished, and the claim ends. A process killed in
 * between leaves the claim on an enrolled (or failed) user: once its lease expired, an agent that
 * has the CA takes it over and finishes ({@link #finish}); a serial already on the CRL is not
 * listed twice, so repeating the work is harmless.
 */
final class Supersession {

    private static final Logger LOG = LoggerFactory.getLogger(Supersession.class);

    private final EnrollmentContext context;

    Supersession(EnrollmentContext context) {
        this.context = context;
    }

    /**
     * Right after a publication that left {@code remaining} on the entry, naming
     * {@code superseded}: revokes them and ends the claim, or, without a CA here, leaves both to
     * an agent that has one.
     *
     * @return how many certificates were revoked
     */
    int revokeAfterPublication(UserEntry user, Claim remaining, List<SupersededCertificate> superseded) {
        if (!context.revocations().available()) {
            LOG.info("{}: the {} superseded certificate(s) wait for an agent with the CA to revoke them", user.dn(),
                    superseded.size());
            return 0;
        }
        context.revocations().revoke(user.dn(), superseded, RevocationReason.SUPERSEDED);
        if (!context.records().endClaim(user.dn(), remaining)) {
            LOG.info("{}: another process took the revocation of the superseded certificates over", user.dn());
        }
        return superseded.size();
    }

    /**
     * An enrolled (or failed) user whose entry still holds a claim naming certificates to revoke:
     * the process that published died before revoking them (or has no CA), or an attempt
     * without the CA failed while its claim named certificates nobody publishes. Once the lease
     * expired, an agent with the CA takes the claim over with the same test-and-set on the stored
     * lease as any take-over, revokes them and ends the claim.
     */
    EnrollmentResult finish(UserEntry user) {
        Claim expired = user.claim();
        List<SupersededCertificate> superseded = SupersededCertificate.parse(expired.superseded());
        if (!context.revocations().available()) {
            return Enrollment.nothing(user, "the revocation of " + superseded.size()
                    + " superseded certificate(s) waits for an agent that has the CA in its process");
        }
        if (!context.lease().expired(expired)) {
            return Enrollment.nothing(user, "the superseded certificates are being revoked under a valid lease");
        }
        Claim successor = expired.successor(context.attempts().next(), context.lease().fromNow());
        if (!context.records().takeOver(user.dn(), expired, successor)) {
            return Enrollment.nothing(user, "another process took the revocation of the superseded certificates over first");
        }
        LOG.info("Took over the revocation of the certificates {} superseded (lease of {} expired at {})", user.dn(),
                expired.attempt(), expired.leaseExpires());
        int revoked = revokeAfterPublication(user, successor, superseded);
        return new EnrollmentResult(user.dn(), user.mail(), Outcome.REVOKED, user.state(),
                "revoked " + revoked + " superseded certificate(s)", null);
    }
}
