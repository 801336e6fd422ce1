package org.dirkms.agent.queue;

import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import org.dirkms.agent.ca.CaRecords;
import org.dirkms.agent.ca.CaRecords.RequestEntry;
import org.dirkms.agent.ca.CaRecords.ServingState;
import org.dirkms.agent.ca.CaService;
import org.dirkms.agent.ca.CaService.QueuedIssue;
import org.dirkms.agent.ca.CertificateTemplate;
import org.dirkms.agent.ca.CertificationAuthority;
import org.dirkms.agent.names.DistinguishedNames;
import org.dirkms.agent.workflow.Attempts;
import org.dirkms.agent.workflow.Lease;
import org.dirkms.schema.CaState;
import org.dirkms.schema.RequestState;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One certification authority serving the request queue under {@code ou=Requests}, beside any
 * number of others (docs/state-machines.md, "The certificate request queue"). Each round it
 * writes its heartbeat, reads its own entry (state, installed templates, capacity), claims the
 * requests it may take — pending, or claimed by a CA whose lease ran out — for a template
 * installed on it, before their deadline, never more than its capacity at once, and issues them,
 * recording each certificate with a test-and-set on its own claim, so that of two CAs that ever
 * held one request only one records a certificate for it.
 *
 * <p>The capacity counts the requests this CA holds claimed in the directory (by any process
 * serving it) and the certificates an enrollment in this process is having it issue at once
 * ({@link #reserve}); beyond it the CA is busy and leaves the rest to another CA, or to wait.
 */
public final class QueueServer {

    private static final Logger LOG = LoggerFactory.getLogger(QueueServer.class);

    /** Requests a CA holds at once when its entry names no {@code kmsCapacity}. */
    public static final int DEFAULT_CAPACITY = 16;

    /** What separates the CA's DN from the process in its claims ({@link Attempts#ownerFor}). */
    private static final String PROCESS_SEPARATOR = " pid ";

    private final Lease lease;
    private final Attempts attempts;
    /** The CA with the templates its entry last listed. */
    private final AtomicReference<CertificationAuthority> ca;
    /** Its entry as last read: state, templates, capacity. */
    private final AtomicReference<ServingState> serving = new AtomicReference<>();
    /** Certificates being issued in this process outside the queue (an enrollment's own CA). */
    private final AtomicInteger reserved = new AtomicInteger();
    /** Requests this CA holds claimed in the directory, as last counted. */
    private final AtomicInteger held = new AtomicInteger();

    /**
     * A server of the queue for {@code ca}. Its rounds take the records (and the service over
     * them) of the connection the caller opened for the round, so that a server outlives any
     * one connection.
     *
     * @param ca the CA, with its key
     * @param lease how long a claim on a request lasts, on the injected clock
     * @param attempts the identities of this process's claims; their owner must start with the
     *        CA's DN ({@link Attempts#ownerFor}), so that a CA's load is counted from the directory
     */
    public QueueServer(CertificationAuthority ca, Lease lease, Attempts attempts) {
        this.ca = new AtomicReference<>(ca);
        this.lease = lease;
        this.attempts = attempts;
        if (!attempts.owner().startsWith(ca.dn() + PROCESS_SEPARATOR)) {
            throw new IllegalArgumentException("the claims of CA " + ca.dn() + " must be named after it, not "
                    + attempts.owner());
        }
    }

    /** The CA this server issues with, with the templates its entry listed at the last round. */
    public CertificationAuthority ca() {
        return ca.get();
    }

    /**
     * What one round did.
     *
     * @param issued requests issued
     * @param refused requests ended failed with their reason
     * @param lost requests whose claim another CA took over before this one recorded its outcome
     * @param busy whether the CA had no capacity left for requests it could have taken
     */
    public record Round(int issued, int refused, int lost, boolean busy) {
    }

    /**
     * One round: heartbeat, read the entry, claim what this CA may take ({@link #claim}), issue
     * and record each ({@link #serve(CaRecords, CaService, Claimed)}).
     */
    public Round serve(CaRecords records, CaService service) {
        heartbeat(records);
        Claims claims = claim(records, service);
        int issued = 0;
        int refused = 0;
        int lost = 0;
        for (Claimed claimed : claims.claimed()) {
            switch (serve(records, service, claimed)) {
                case ISSUED -> issued++;
                case REFUSED -> refused++;
                case LOST -> lost++;
            }
        }
        return new Round(issued, refused, lost, claims.busy());
    }

    /** Writes the heartbeat on the CA entry. */
    public void heartbeat(CaRecords records) {
        records.heartbeat(ca.get().dn(), lease.clock().instant());
    }

    /** A request this CA holds: the entry as read, and the claim it holds it with. */
    public record Claimed(RequestEntry request, String attempt) {
    }

    /** The requests claimed in one round, and whether capacity ran out before the requests did. */
    public record Claims(List<Claimed> claimed, boolean busy) {
    }

    /**
     * Reads the CA's entry and claims, oldest deadline first, the open requests it may serve: a
     * template installed on it, the deadline not passed, pending or held by a claim whose lease
     * ran out; as many as its capacity leaves free. A disabled CA (or one whose entry is gone)
     * claims nothing.
     */
    public Claims claim(CaRecords records, CaService service) {
        ServingState state = refresh(records, service);
        if (state == null || state.state() != CaState.ACTIVE) {
            return new Claims(List.of(), false);
        }
        Instant now = lease.clock().instant();
        List<RequestEntry> open = new ArrayList<>(records.openRequests());
        int holding = 0;
        for (RequestEntry request : open) {
            if (request.state() == RequestState.CLAIMED && heldByThisCa(request.claimedBy()) && live(request, now)) {
                holding++;
            }
        }
        held.set(holding);
        int free = capacity(state) - holding - reserved.get();
        open.sort(Comparator.comparing(RequestEntry::expires, Comparator.nullsLast(Comparator.naturalOrder())));
        List<Claimed> claimed = new ArrayList<>();
        boolean busy = false;
        for (RequestEntry request : open) {
            if (!takeable(request, state, now)) {
                continue;
            }
            if (claimed.size() >= free) {
                busy = true;
                break;
            }
            String attempt = attempts.next();
            Instant until = lease.fromNow();
            boolean won = request.state() == RequestState.PENDING
                    ? records.claimRequest(request.dn(), attempt, until)
                    : records.takeOverRequest(request.dn(), request.leaseExpires(), attempt, until);
            if (won) {
                if (request.state() == RequestState.CLAIMED) {
                    LOG.info("{}: took over {} from {}, whose lease ran out at {}", ca.get().dn(), request.dn(),
                            request.claimedBy(), request.leaseExpires());
                }
                claimed.add(new Claimed(request, attempt));
            }
        }
        held.addAndGet(claimed.size());
        return new Claims(List.copyOf(claimed), busy);
    }

    /** What became of one claimed request. */
    public enum Outcome {
        /** The certificate is on the request. */
        ISSUED,
        /** The request ended failed with the reason. */
        REFUSED,
        /** Another CA took the request over first: nothing of this attempt was recorded. */
        LOST
    }

    /**
     * Issues the request {@code claimed} holds, or refuses it, and records the outcome with a
     * test-and-set on the claim. A CA whose claim was taken over meanwhile records nothing: the
     * certificate it signed never leaves this process.
     */
    public Outcome serve(CaRecords records, CaService service, Claimed claimed) {
        RequestEntry request = claimed.request();
        try {
            QueuedIssue outcome = service.issueQueued(ca.get(), request);
            if (outcome.certificate() != null) {
                if (records.completeRequest(request.dn(), claimed.attempt(), der(outcome.certificate()))) {
                    return Outcome.ISSUED;
                }
                LOG.warn("{}: signed serial {} for {} but its claim {} was taken over before it was recorded; the"
                        + " certificate was never recorded nor delivered", ca.get().dn(),
                        outcome.certificate().getSerialNumber().toString(16), request.dn(), claimed.attempt());
                return Outcome.LOST;
            }
            LOG.info("{}: refused {}: {}", ca.get().dn(), request.dn(), outcome.refusal());
            return records.failRequest(request.dn(), claimed.attempt(), outcome.forTheUser() ? request.subjectDn() : null,
                    outcome.refusal()) ? Outcome.REFUSED : Outcome.LOST;
        } finally {
            held.decrementAndGet();
        }
    }

    /**
     * A share of the CA's capacity for issuing in this process outside the queue (an enrollment
     * whose agent has this CA): present when the CA is active, has every one of
     * {@code templateNames} installed and is not busy, as its entry said at the last round (before
     * the first: the templates the CA was opened with, and the default capacity). Close it when
     * the certificates are issued.
     */
    public Optional<Reservation> reserve(Collection<String> templateNames) {
        ServingState state = serving.get();
        if (state != null && state.state() != CaState.ACTIVE) {
            return Optional.empty();
        }
        for (String name : templateNames) {
            if (!ca.get().templates().containsKey(name)) {
                return Optional.empty();
            }
        }
        int capacity = state == null ? DEFAULT_CAPACITY : capacity(state);
        while (true) {
            int now = reserved.get();
            if (now + held.get() >= capacity) {
                return Optional.empty();
            }
            if (reserved.compareAndSet(now, now + 1)) {
                return Optional.of(new Reservation(ca.get()));
            }
        }
    }

    /** A unit of capacity held while an enrollment in this process issues with the CA. */
    public final class Reservation implements AutoCloseable {
        private final CertificationAuthority reservedCa;
        private boolean closed;

        private Reservation(CertificationAuthority reservedCa) {
            this.reservedCa = reservedCa;
        }

        /** The CA to issue with: its templates as its entry listed them. */
        public CertificationAuthority ca() {
            return reservedCa;
        }

        @Override
        public void close() {
            if (!closed) {
                closed = true;
                reserved.decrementAndGet();
            }
        }
    }

    /** Reads the CA's entry, and installs on the CA the templates it lists when they changed. */
    private ServingState refresh(CaRecords records, CaService service) {
        CertificationAuthority current = ca.get();
        Optional<ServingState> read = records.readServingState(current.dn());
        if (read.isEmpty()) {
            serving.set(null);
            return null;
        }
        ServingState state = read.get();
        List<String> names = new ArrayList<>();
        for (String dn : state.installedTemplates()) {
            String name = DistinguishedNames.leafValue(dn, "cn");
            names.add(name == null ? dn : name);
        }
        if (!sameNames(names, current.templates().keySet())) {
            List<CertificateTemplate> templates = service.templates(current.dn(), state.installedTemplates());
            ca.set(current.withTemplates(templates));
            LOG.info("{}: templates installed now: {}", current.dn(), names);
        }
        serving.set(state);
        return state;
    }

    private static boolean sameNames(List<String> names, Collection<String> known) {
        return names.size() == known.size() && names.stream().allMatch(known::contains);
    }

    /** Whether this CA may claim {@code request} now. */
    private boolean takeable(RequestEntry request, ServingState state, Instant now) {
        if (request.expires() != null && !now.isBefore(request.expires())) {
            return false; // past its deadline: the enrollment that queued it expires it
        }
        if (request.state() == RequestState.CLAIMED && (request.leaseExpires() == null || live(request, now))) {
            return false;
        }
        if (request.state() != RequestState.PENDING && request.state() != RequestState.CLAIMED) {
            return false;
        }
        return request.templateDn() != null
                && state.installedTemplates().stream().anyMatch(dn -> DistinguishedNames.same(dn, request.templateDn()));
    }

    /**
     * Whether {@code claimedBy} is a claim of this CA, by any process serving it: its DN part
     * (before {@code " pid "}) is the CA's DN, however it is spelled.
     */
    private boolean heldByThisCa(String claimedBy) {
        int end = claimedBy == null ? -1 : claimedBy.indexOf(PROCESS_SEPARATOR);
        return end > 0 && DistinguishedNames.same(claimedBy.substring(0, end), ca.get().dn());
    }

    private static boolean live(RequestEntry request, Instant now) {
        return request.leaseExpires() != null && now.isBefore(request.leaseExpires());
    }

    private static int capacity(ServingState state) {
        return state.capacity() > 0 ? state.capacity() : DEFAULT_CAPACITY;
    }

    private static byte[] der(X509Certificate certificate) {
        try {
            return certificate.getEncoded();
        } catch (CertificateEncodingException e) {
            throw new IllegalStateException("a certificate cannot be encoded", e);
        }
    }
}
