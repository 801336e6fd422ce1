package org.dirkms.agent.trust;

import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

import org.apache.directory.ldap.client.api.LdapNetworkConnection;
import org.dirkms.agent.ca.SoftwareSigner;
import org.dirkms.agent.directory.LdapTrustRecords;
import org.dirkms.agent.names.DistinguishedNames;
import org.dirkms.agent.trust.TrustRecords.PartnerEntry;
import org.dirkms.agent.trust.TrustRecords.TrustListEntry;
import org.dirkms.agent.workflow.Workflow;
import org.dirkms.schema.AttributeNames;
import org.dirkms.schema.DirectoryLayout;
import org.dirkms.schema.ObjectClassNames;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the signed trust list on {@code cn=Trust List,ou=Trust} what the partner entries say
 * (docs/state-machines.md, "Trust list"): a {@link Workflow} of the agent that runs with the
 * enterprise CA, following every entry under {@code ou=Trust} and reconciling at each sweep.
 * {@link #republish()} checks every partner entry ({@link #check}: a valid partner root, not a
 * duplicate), records on each what it found ({@code kmsPartnerSubject}, and {@code kmsLastError}
 * for one it refuses), and publishes a new list, its sequence one higher, when the trusted roots
 * differ from the published list's, or the published list comes within {@link #RENEW_BEFORE} of
 * its next update. The publication is a test-and-set on the stored sequence, as the CRL's is on
 * the stored CRL: of two processes that republish at once one wins, the other reads the list
 * again and finds nothing to do.
 *
 * <p>Thread-safe; the republications of this process take turns.
 */
public final class TrustService implements Workflow {
    /** How long a trust list is current (its next update after it is made). */
    public static final Duration LIST_VALIDITY = Duration.ofDays(7);
    /** How long before its next update a list is republished. */
    public static final Duration RENEW_BEFORE = Duration.ofDays(2);
    /** How often a republication that lost the test-and-set reads the list again before giving up. */
    static final int PUBLISH_ATTEMPTS = 5;

    private static final Logger LOG = LoggerFactory.getLogger(TrustService.class);
    /** The republications of this JVM take turns, so they never make each other retry. */
    private static final ReentrantLock REPUBLISHING = new ReentrantLock();

    private final TrustRecords records;
    private final Supplier<SoftwareSigner> signer;
    private final DirectoryLayout layout;
    private final Clock clock;

    /**
     * @param signer the trust-list-signing key and chain, asked for at each publication (so a
     *        renewed key serves without a restart)
     */
    public TrustService(TrustRecords records, Supplier<SoftwareSigner> signer, DirectoryLayout layout, Clock clock) {
        this.records = Objects.requireNonNull(records, "records");
        this.signer = Objects.requireNonNull(signer, "signer");
        this.layout = Objects.requireNonNull(layout, "layout");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** The trust service over one LDAP connection bound as a KMS agent ({@link LdapTrustRecords}). */
    public static TrustService overLdap(LdapNetworkConnection connection, DirectoryLayout layout,
            Supplier<SoftwareSigner> signer, Clock clock) {
        return new TrustService(new LdapTrustRecords(connection, layout), signer, layout, clock);
    }

    /** The records this service reads and writes. */
    public TrustRecords records() {
        return records;
    }

    @Override
    public String followedEntries() {
        return "(|(objectClass=" + ObjectClassNames.TRUSTED_PARTNER + ")(objectClass=" + ObjectClassNames.TRUST_LIST
                + "))";
    }

    @Override
    public boolean owns(String dn) {
        return DistinguishedNames.within(dn, layout.trust()) && !DistinguishedNames.same(dn, layout.trust());
    }

    @Override
    public List<String> waiting() {
        // The list is due for republication by time alone, so every sweep looks at it.
        return List.of(layout.trustList());
    }

    @Override
    public boolean followsDeletions() {
        return true;
    }

    @Override
    public void handle(String dn) {
        republish();
    }

    /**
     * What {@link #check} found: the partner roots to list, by entry DN, and why each other
     * entry is refused.
     *
     * @param trusted the partner roots to list, by the DN of their entry, in DN order
     * @param refused why each refused entry is refused, by DN
     */
    public record Checked(Map<String, PartnerRoot> trusted, Map<String, String> refused) {
        /** Copies the maps. */
        public Checked {
            trusted = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(trusted));
            refused = Map.copyOf(refused);
        }
    }

    /**
     * Checks every partner entry at {@code now}: one {@code cACertificate} that is a valid partner
     * root ({@link PartnerRoot#check}) and not the root of an entry before it in DN order.
     */
    public static Checked check(List<PartnerEntry> partners, Instant now) {
        Map<String, PartnerRoot> trusted = new LinkedHashMap<>();
        Map<String, String> refused = new HashMap<>();
        Map<String, String> byFingerprint = new HashMap<>();
        List<PartnerEntry> sorted = new ArrayList<>(partners);
        sorted.sort(java.util.Comparator.comparing(p -> DistinguishedNames.normal(p.dn())));
        for (PartnerEntry partner : sorted) {
            if (partner.caCertificates().size() != 1) {
                refused.put(partner.dn(), partner.caCertificates().isEmpty()
                        ? "it has no " + AttributeNames.CA_CERTIFICATE + ": add the partner's root certificate"
                        : "it has " + partner.caCertificates().size() + " " + AttributeNames.CA_CERTIFICATE
                                + " values: a partner entry holds its one root certificate");
                continue;
            }
            try {
                PartnerRoot root = PartnerRoot.check(partner.caCertificates().get(0), now);
                String earlier = byFingerprint.putIfAbsent(root.fingerprint(), partner.name());
                if (earlier != null) {
                    refused.put(partner.dn(), "the same root certificate is trusted already as partner '" + earlier
                            + "': remove this entry");
                    continue;
                }
                trusted.put(partner.dn(), root);
            } catch (PartnerRefusedException e) {
                refused.put(partner.dn(), e.getMessage());
            }
        }
        return new Checked(trusted, refused);
    }

    /**
     * What {@link #republish()} left published.
     *
     * @param list the list published now, or null when no partner is trusted
     * @param sequence the stored sequence (0 while there is no trust list entry)
     * @param changed whether this call published it
     * @param refused why each refused partner entry is refused, by DN
     */
    public record Outcome(SignedTrustList list, long sequence, boolean changed, Map<String, String> refused) {
    }

    /**
     * Checks the partner entries, records what it found on them, and publishes a new list if the
     * trusted roots changed or the list is due.
     *
     * @throws TrustListContentionException if another process published each time this one tried
     */
    public Outcome republish() {
        REPUBLISHING.lock();
        try {
            for (int attempt = 1; attempt <= PUBLISH_ATTEMPTS; attempt++) {
                Instant now = clock.instant().truncatedTo(ChronoUnit.SECONDS);
                List<PartnerEntry> partners = records.partners();
                Checked checked = check(partners, now);
                recordChecks(partners, checked);
                Optional<TrustListEntry> current = records.trustList();
                SignedTrustList published = current.map(TrustListEntry::signedList).map(TrustService::readable)
                        .orElse(null);
                List<X509Certificate> anchors = checked.trusted().values().stream().map(PartnerRoot::certificate)
                        .toList();
                List<String> wanted = checked.trusted().values().stream().map(PartnerRoot::fingerprint).toList();
                boolean due;
                if (current.isEmpty()) {
                    due = !anchors.isEmpty(); // the entry is made with the first trusted partner
                } else if (anchors.isEmpty()) {
                    due = current.get().signedList() != null;
                } else {
                    due = published == null || !published.fingerprints().equals(wanted)
                            || !now.plus(RENEW_BEFORE).isBefore(published.nextUpdate());
                }
                Long expected = current.map(TrustListEntry::sequence).orElse(null);
                long sequence = expected == null ? 1 : expected + 1;
                if (!due) {
                    return new Outcome(published, expected == null ? 0 : expected, false, checked.refused());
                }
                SignedTrustList list = anchors.isEmpty() ? null
                        : SignedTrustList.sign(sequence, now, now.plus(LIST_VALIDITY), anchors, signer.get());
                if (records.publishTrustList(expected, sequence, list == null ? null : list.der(),
                        list == null ? null : list.nextUpdate())) {
                    LOG.info("Published trust list {} on {}: {} partner roots{}", sequence, layout.trustList(),
                            anchors.size(), list == null ? "" : ", next update " + list.nextUpdate());
                    return new Outcome(list, sequence, true, checked.refused());
                }
            }
            throw new TrustListContentionException("cannot publish the trust list on " + layout.trustList()
                    + ": another process republished it each of " + PUBLISH_ATTEMPTS + " times this one tried; run the"
                    + " step again");
        } finally {
            REPUBLISHING.unlock();
        }
    }

    /** Writes {@code kmsPartnerSubject} and {@code kmsLastError} where they differ from what the check found. */
    private void recordChecks(List<PartnerEntry> partners, Checked checked) {
        for (PartnerEntry partner : partners) {
            PartnerRoot root = checked.trusted().get(partner.dn());
            String refusal = checked.refused().get(partner.dn());
            String subject = root != null ? root.subject() : null;
            boolean subjectChanged = subject != null && !subject.equals(partner.subject());
            if (subjectChanged || !Objects.equals(refusal, partner.lastError())) {
                if (refusal != null) {
                    LOG.warn("The partner entry {} is not trusted: {}", partner.dn(), refusal);
                }
                records.recordPartnerCheck(partner.dn(), subject, refusal);
            }
        }
    }

    /** The published list, or null when it cannot be read (then it is replaced). */
    private static SignedTrustList readable(byte[] der) {
        try {
            return SignedTrustList.parse(der);
        } catch (IllegalArgumentException e) {
            LOG.warn("The published trust list cannot be read ({}); it is replaced", e.getMessage());
            return null;
        }
    }
}
