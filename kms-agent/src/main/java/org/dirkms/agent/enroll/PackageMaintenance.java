package org.dirkms.agent.enroll;

import org.dirkms.agent.directory.EnrollmentRecords.UserEntry;
import org.dirkms.agent.enroll.EnrollmentResult.Outcome;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The life of a delivered key package (docs/administrator-contract.md, 3): the user confirms
 * the fetch by deleting {@code kmsKeyPackage}, and its token goes too; a package left unfetched
 * expires (7 days by default) and goes with its token.
 */
final class PackageMaintenance {

    private static final Logger LOG = LoggerFactory.getLogger(PackageMaintenance.class);

    private final EnrollmentContext context;

    PackageMaintenance(EnrollmentContext context) {
        this.context = context;
    }

    /** Removes a package the user deleted (its token) or one that expired, if {@code user} has one. */
    EnrollmentResult maintain(UserEntry user) {
        if (user.packageExpires() == null) {
            return Enrollment.nothing(user, "nothing to do in state " + user.rawState());
        }
        try {
            if (context.scope().groupOf(user).isEmpty()) {
                return Enrollment.nothing(user, "served by another KMS server");
            }
        } catch (EnrollmentFailure e) {
            // An unresolvable group does not keep an expired secret in the directory.
            LOG.debug("{}: {}", user.dn(), e.getMessage());
        }
        if (!user.hasKeyPackage()) {
            context.records().removeKeyPackage(user.dn());
            LOG.info("{} confirmed the key package by deleting it; its token is removed", user.dn());
            return new EnrollmentResult(user.dn(), user.mail(), Outcome.PACKAGE_REMOVED, user.state(),
                    "the user deleted the package: token removed", null);
        }
        if (!user.packageExpires().isAfter(context.clock().instant())) {
            context.records().removeKeyPackage(user.dn());
            LOG.info("The key package of {} expired unfetched at {}; package and token removed", user.dn(),
                    user.packageExpires());
            return new EnrollmentResult(user.dn(), user.mail(), Outcome.PACKAGE_REMOVED, user.state(),
                    "the package expired unfetched: package and token removed", null);
        }
        return Enrollment.nothing(user, "package waiting until " + user.packageExpires());
    }
}
