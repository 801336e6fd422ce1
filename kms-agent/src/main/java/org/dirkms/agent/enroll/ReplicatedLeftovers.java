package org.dirkms.agent.enroll;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

import org.dirkms.agent.directory.EnrollmentRecords;
import org.dirkms.agent.directory.EnrollmentRecords.ArchivedKeyEntry;
import org.dirkms.agent.directory.EnrollmentRecords.UserEntry;
import org.dirkms.agent.names.DistinguishedNames;
import org.dirkms.schema.EnrollmentState;
import org.dirkms.schema.RevocationReason;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What an enrollment attempt that lost under replication left (docs/reliability.md, "Replicated
 * directories"). Two providers of a multi-provider set each accept a claim on their own, and
 * slapd's syncrepl resolves two changes of one entry by keeping the whole entry with the newer
 * {@code entryCSN}: of two attempts that both published in a failover window, the user entry
 * keeps one publication; the other attempt's archive record, named after its attempt, stays
 * beside it unmarked, its certificates unrevoked, and the {@code kmsPublishedCertificate}
 * children, replicated entry by entry, may show its certificates instead of the entry's.
 *
 * <p>Run once the providers have converged, for every user that is {@code enrolled} or
 * {@code failed} with no claim (nothing is under way on it): a record of the user that is not
 * marked abandoned, that the user's {@code kmsArchiveRecord} does not list and whose certificate
 * is not on the entry was never published there, so its certificates are revoked, then the
 * record is marked abandoned (in this order, so that a process killed in between leaves the
 * record to the next run, and revoking twice keeps the first CRL entry); children showing a
 * certificate the entry does not hold are put back to the entry's. It is what a take-over does
 * for a dead attempt ({@link TakeOver}), for an attempt no claim names any more.
 */
final class ReplicatedLeftovers {

    private static final Logger LOG = LoggerFactory.getLogger(ReplicatedLeftovers.class);

    private final EnrollmentContext context;
    private final EnrollmentRecords records;

    ReplicatedLeftovers(EnrollmentContext context) {
        this.context = context;
        this.records = context.records();
    }

    /**
     * Cleans what lost attempts left; an agent without a CA leaves everything to one that has it
     * (their certificates must be revoked before their records are marked).
     *
     * @return how many archive records it marked abandoned
     */
    int cleanUp() {
        if (!context.revocations().available()) {
            return 0;
        }
        // The archive first, the users after: a record listed here whose owner then shows no
        // claim and a final state was written by an attempt that has ended.
        Map<String, List<ArchivedKeyEntry>> byOwner = new LinkedHashMap<>();
        for (ArchivedKeyEntry record : records.allArchivedKeys()) {
            if (!record.abandoned() && !record.owner().isEmpty()) {
                byOwner.computeIfAbsent(DistinguishedNames.normal(record.owner()), o -> new ArrayList<>()).add(record);
            }
        }
        int abandoned = 0;
        for (List<ArchivedKeyEntry> owned : byOwner.values()) {
            abandoned += cleanUp(owned);
        }
        if (abandoned > 0) {
            LOG.info("After replication converged: marked {} archive record(s) of attempts that lost abandoned",
                    abandoned);
        }
        return abandoned;
    }

    private int cleanUp(List<ArchivedKeyEntry> owned) {
        Optional<UserEntry> read = records.readUser(owned.get(0).owner());
        if (read.isEmpty() || !settled(read.get())) {
            return 0;
        }
        UserEntry user = read.get();
        Set<String> history = user.archiveRecords().stream().map(DistinguishedNames::normal)
                .collect(Collectors.toSet());
        List<ArchivedKeyEntry> lost = owned.stream()
                .filter(record -> !history.contains(DistinguishedNames.normal(record.dn())))
                .filter(record -> record.certificate() == null || !onEntry(user, record.certificate()))
                .toList();
        if (lost.isEmpty()) {
            return 0;
        }
        List<byte[]> shownElsewhere = records.publishedCertificates(user.dn()).stream()
                .filter(child -> !onEntry(user, child)).toList();
        List<byte[]> toRevoke = new ArrayList<>(shownElsewhere);
        lost.stream().map(ArchivedKeyEntry::certificate).filter(java.util.Objects::nonNull).forEach(toRevoke::add);
        if (!shownElsewhere.isEmpty()) {
            putChildrenBack(user);
        }
        context.revocations().revoke(user.dn(), SupersededCertificate.parse(toRevoke), RevocationReason.SUPERSEDED);
        for (ArchivedKeyEntry record : lost) {
            records.abandonArchivedKey(record.dn());
            LOG.info("{}: the archive record {} belongs to an attempt whose publication replication did not keep;"
                    + " its certificates are revoked and the record is marked abandoned", user.dn(), record.dn());
        }
        return lost.size();
    }

    /** Enrolled or failed, with no claim: no attempt is under way on the user. */
    private static boolean settled(UserEntry user) {
        return user.claim() == null
                && (user.state() == EnrollmentState.ENROLLED || user.state() == EnrollmentState.FAILED);
    }

    private static boolean onEntry(UserEntry user, byte[] certificate) {
        return user.certificates().stream().anyMatch(c -> Arrays.equals(c, certificate));
    }

    /**
     * Makes the children show the certificates of the entry (none when it holds none), read again
     * just before so that an enrollment begun meanwhile, which writes its own children, is left alone.
     */
    private void putChildrenBack(UserEntry before) {
        Optional<UserEntry> now = records.readUser(before.dn());
        if (now.isEmpty() || !settled(now.get())) {
            return;
        }
        UserEntry user = now.get();
        if (user.certificates().isEmpty()) {
            records.removePublishedCertificates(user.dn());
            return;
        }
        for (byte[] published : user.certificates()) {
            records.putPublishedCertificate(user.dn(),
                    Enrollment.purposeOf(Enrollment.parse(published, user.dn())).ldapValue(), user.mail(), published);
        }
        LOG.info("{}: its children showed certificates of an attempt that lost under replication; they show the"
                + " entry's again", user.dn());
    }
}
