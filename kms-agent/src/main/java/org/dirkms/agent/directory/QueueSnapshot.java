package org.dirkms.agent.directory;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.dirkms.agent.names.DistinguishedNames;
import org.dirkms.schema.RequestState;

/**
 * The certificate request queue as one read found it ({@link LdapQueueReadings}): the request
 * entries under {@code ou=Requests,ou=KMS} and the CA entries that serve them, with what follows
 * from them at the moment of the read — who holds a claimed request, how many requests each CA
 * holds (its load against its {@code kmsCapacity}), whether a CA still beats its heart.
 *
 * <p>A CA claims a request by writing {@code kmsClaimedBy: <CA entry DN> pid <pid> <hex> #<n>}
 * and a {@code kmsLeaseExpires} (docs/reliability.md); the snapshot reads the owner back from
 * that value, comparing DNs as {@link DistinguishedNames} does (RFC 4514 spellings of one DN are
 * one DN). Only names, states and times are kept: never a PKCS#10 request or a certificate.
 *
 * @param readAt when the queue was read: every age and "not serving" is measured from it
 * @param requests the request entries, oldest {@code kmsRequestedTime} first
 * @param authorities the CA entries, lowest {@code kmsPriority} first
 * @param templates the DNs of the template entries under {@code ou=Certificate Templates}
 */
public record QueueSnapshot(Instant readAt, List<Request> requests, List<Authority> authorities,
        List<String> templates) {

    /** How many requests a CA may hold claimed at once when its entry has no {@code kmsCapacity}. */
    public static final int DEFAULT_CAPACITY = 16;

    /**
     * A CA whose last {@code kmsHeartbeat} is older than this is not serving the queue: the
     * serving CA writes it every few seconds, so several missed beats mean the process is gone.
     */
    public static final Duration HEARTBEAT_STALE_AFTER = Duration.ofSeconds(30);

    /** What separates the CA entry DN from the process part in a CA's {@code kmsClaimedBy}. */
    static final String PROCESS_SEPARATOR = " pid ";

    /** Checks the time and copies the lists, requests by age and authorities by priority. */
    public QueueSnapshot {
        Objects.requireNonNull(readAt, "readAt");
        List<Request> sortedRequests = new ArrayList<>(requests);
        sortedRequests.sort(Comparator.comparing((Request request) -> request.requested() == null ? Instant.EPOCH
                : request.requested()).thenComparing(Request::dn, String.CASE_INSENSITIVE_ORDER));
        requests = List.copyOf(sortedRequests);
        List<Authority> sortedAuthorities = new ArrayList<>(authorities);
        sortedAuthorities.sort(Comparator.comparing((Authority ca) -> ca.priority() == null ? Integer.MAX_VALUE
                : ca.priority()).thenComparing(Authority::name, String.CASE_INSENSITIVE_ORDER));
        authorities = List.copyOf(sortedAuthorities);
        templates = List.copyOf(templates);
    }

    /**
     * A request entry ({@code kmsCertificateRequest}).
     *
     * @param dn the entry's DN
     * @param name its {@code cn}
     * @param state {@code kmsRequestState} as stored (null when absent)
     * @param subjectDn {@code kmsRequestSubject}: the entry the certificate is for, or null
     * @param templateDn {@code kmsRequestTemplate}, or null
     * @param requested {@code kmsRequestedTime}, or null
     * @param expires {@code kmsExpiresTime}: after it the request expires unserved; null when it has none
     * @param claimedBy {@code kmsClaimedBy}: the attempt holding it, or null
     * @param leaseExpires {@code kmsLeaseExpires}: until when the attempt holds it, or null
     * @param lastError {@code kmsLastError}: why it failed or expired, or null
     */
    public record Request(String dn, String name, String state, String subjectDn, String templateDn,
            Instant requested, Instant expires, String claimedBy, Instant leaseExpires, String lastError) {

        /** The name of the template ({@code cn} of {@link #templateDn}), the DN itself when it has no cn, or null. */
        public String templateName() {
            if (templateDn == null) {
                return null;
            }
            String leaf = DistinguishedNames.leafValue(templateDn, "cn");
            return leaf != null ? leaf : templateDn;
        }

        /** Whether the request still waits for a CA: pending, or claimed and not yet served. */
        public boolean waiting() {
            return RequestState.PENDING.ldapValue().equals(state) || RequestState.CLAIMED.ldapValue().equals(state);
        }

        /** Whether the request is claimed and its lease has not run out at {@code now}. */
        public boolean heldAt(Instant now) {
            return RequestState.CLAIMED.ldapValue().equals(state) && claimedBy != null && leaseExpires != null
                    && leaseExpires.isAfter(now);
        }

        /**
         * The DN part of {@link #claimedBy} (what precedes {@code " pid "}), or null when the
         * request is unclaimed or the value has no process part.
         */
        public String claimantDn() {
            if (claimedBy == null) {
                return null;
            }
            int separator = claimedBy.indexOf(PROCESS_SEPARATOR);
            return separator <= 0 ? null : claimedBy.substring(0, separator);
        }

        /**
         * The process and attempt part of {@link #claimedBy} ({@code pid 4242 0a1b2c3d4e5f #3}),
         * or the whole value when it has no DN part, or null when unclaimed.
         */
        public String attempt() {
            if (claimedBy == null) {
                return null;
            }
            int separator = claimedBy.indexOf(PROCESS_SEPARATOR);
            return separator <= 0 ? claimedBy : claimedBy.substring(separator + 1);
        }
    }

    /**
     * A CA entry ({@code kmsCertificationAuthority}) as the queue sees it.
     *
     * @param dn the entry's DN
     * @param name its {@code cn}, what {@code dirkms ca --name} takes
     * @param state {@code kmsCAState} as stored, or null
     * @param priority {@code kmsPriority}, or null when absent or not a number
     * @param installedTemplates {@code kmsInstalledTemplate}: DNs of the templates it issues
     * @param capacity {@code kmsCapacity}, or null when absent (then {@link QueueSnapshot#DEFAULT_CAPACITY})
     * @param heartbeat {@code kmsHeartbeat}: the last sign of life of the process serving it, or null
     */
    public record Authority(String dn, String name, String state, Integer priority, List<String> installedTemplates,
            Integer capacity, Instant heartbeat) {

        /** Copies the list. */
        public Authority {
            installedTemplates = List.copyOf(installedTemplates);
        }

        /** How many requests the CA may hold claimed at once: {@link #capacity}, else the default. */
        public int effectiveCapacity() {
            return capacity != null ? capacity : DEFAULT_CAPACITY;
        }

        /** The names ({@code cn}) of the installed templates, in the entry's order; a DN without cn as is. */
        public List<String> templateNames() {
            List<String> names = new ArrayList<>();
            for (String template : installedTemplates) {
                String leaf = DistinguishedNames.leafValue(template, "cn");
                names.add(leaf != null ? leaf : template);
            }
            return names;
        }

        /** The installed template named {@code templateName} (its {@code cn}, any case), if any. */
        public Optional<String> installed(String templateName) {
            return installedTemplates.stream().filter(template -> templateName.equalsIgnoreCase(
                    Objects.requireNonNullElse(DistinguishedNames.leafValue(template, "cn"), template))).findFirst();
        }

        /** How long ago the last heartbeat was at {@code now}, or null without one. */
        public Duration heartbeatAge(Instant now) {
            return heartbeat == null ? null : Duration.between(heartbeat, now);
        }

        /**
         * Whether the CA is serving at {@code now}: it has beaten its heart within
         * {@link QueueSnapshot#HEARTBEAT_STALE_AFTER} (a heartbeat ahead of this clock counts as fresh).
         */
        public boolean servingAt(Instant now) {
            return heartbeat != null && !heartbeat.isBefore(now.minus(HEARTBEAT_STALE_AFTER));
        }
    }

    /** The requests still waiting (pending or claimed), or every request when {@code all}, oldest first. */
    public List<Request> shown(boolean all) {
        return all ? requests : requests.stream().filter(Request::waiting).toList();
    }

    /**
     * The CA that holds {@code request}: the authority whose DN is the DN part of its
     * {@code kmsClaimedBy}; empty when the request is unclaimed or its claimant is no CA here
     * (a KMS agent, or a CA entry since removed).
     */
    public Optional<Authority> claimant(Request request) {
        String owner = request.claimantDn();
        if (owner == null) {
            return Optional.empty();
        }
        return authorities.stream().filter(ca -> sameDn(ca.dn(), owner)).findFirst();
    }

    /**
     * The load of {@code ca} at {@link #readAt}: the requests in state claimed whose
     * {@code kmsClaimedBy} names the CA's entry and whose lease has not run out. A claim whose
     * lease ran out is one any CA may take over, so it no longer counts against the capacity.
     */
    public int load(Authority ca) {
        int load = 0;
        for (Request request : requests) {
            if (request.heldAt(readAt) && request.claimantDn() != null && sameDn(ca.dn(), request.claimantDn())) {
                load++;
            }
        }
        return load;
    }

    /** The DN of the template entry named {@code templateName} (its {@code cn}, any case), if any. */
    public Optional<String> template(String templateName) {
        return templates.stream().filter(template -> templateName.equalsIgnoreCase(
                DistinguishedNames.leafValue(template, "cn"))).findFirst();
    }

    /** The names ({@code cn}) of every template entry, sorted without regard to case. */
    public List<String> templateNames() {
        List<String> names = new ArrayList<>();
        for (String template : templates) {
            String leaf = DistinguishedNames.leafValue(template, "cn");
            if (leaf != null) {
                names.add(leaf);
            }
        }
        names.sort(String.CASE_INSENSITIVE_ORDER);
        return names;
    }

    /** The CA entry whose {@code cn} is {@code name} (any case), if any. */
    public Optional<Authority> authority(String name) {
        return authorities.stream().filter(ca -> ca.name().equalsIgnoreCase(name)).findFirst();
    }

    private static boolean sameDn(String a, String b) {
        try {
            return DistinguishedNames.same(a, b);
        } catch (IllegalArgumentException e) {
            return a.equalsIgnoreCase(b);
        }
    }
}
