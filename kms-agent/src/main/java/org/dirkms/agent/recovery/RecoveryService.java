package org.dirkms.agent.recovery;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;

import org.apache.directory.ldap.client.api.LdapNetworkConnection;
import org.dirkms.agent.archive.KeyRecoverer;
import org.dirkms.agent.custody.Custody;
import org.dirkms.agent.custody.RequestKey;
import org.dirkms.agent.custody.ShareJudge;
import org.dirkms.agent.directory.CustodyRecords.CustodyEntry;
import org.dirkms.agent.directory.Claim;
import org.dirkms.agent.directory.DirectoryAccessException;
import org.dirkms.agent.directory.LdapRecoveryRecords;
import org.dirkms.agent.directory.RecoveryRecords;
import org.dirkms.agent.directory.RecoveryRecords.Delivery;
import org.dirkms.agent.directory.RecoveryRecords.RequestEntry;
import org.dirkms.agent.directory.RecoveryRecords.TargetUser;
import org.dirkms.agent.names.DistinguishedNames;
import org.dirkms.agent.recovery.RecoveryResult.Outcome;
import org.dirkms.agent.smime.KeyPackage;
import org.dirkms.agent.smime.OneTimeToken;
import org.dirkms.agent.workflow.Attempts;
import org.dirkms.agent.workflow.Lease;
import org.dirkms.agent.workflow.Workflow;
import org.dirkms.schema.AttributeNames;
import org.dirkms.schema.DirectoryLayout;
import org.dirkms.schema.ObjectClassNames;
import org.dirkms.schema.PackageFormat;
import org.dirkms.schema.RecoveryState;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The recovery state machine of a {@code kmsRecoveryRequest} (docs/state-machines.md,
 * "Recovery"): {@link #advance(String)} reads the request and does what its
 * {@code kmsRecoveryState} asks, if this agent serves the request's user ({@link RecoveryScope}).
 * <ul>
 * <li>{@code pending}, approvals complete ({@link Approvals}): claims the request with a lease
 * (the state stays {@code pending}; the claim is {@code kmsClaimedBy} and {@code kmsLeaseExpires}),
 * recovers the user's keys ({@link KeyHistory}), builds one PKCS#12 of them in the group's package
 * format protected by a fresh one-time token, and writes package, token and expiry with state
 * {@code approved} in one modify that tests the claim, the state and every approval counted;
 * a recovery that cannot be made ends {@code failed} with the reason;</li>
 * <li>{@code pending} under a claim whose lease expired (its holder died): takes it over and
 * recovers again from the start: nothing was written before the one modify, so nothing is
 * written twice;</li>
 * <li>{@code pending}, short of approvals, older than the pending lifetime: {@code expired};</li>
 * <li>{@code approved}, the package deleted by the requester: {@code delivered}, the token and the
 * expiry removed; the package unfetched past its expiry: {@code expired}, package and token
 * removed;</li>
 * <li>{@code delivered}, {@code failed}, {@code expired}: final, nothing to do.</li>
 * </ul>
 * Before it counts approvals, and again under its claim, it refuses a request that no guarded
 * directory would have stored ({@link #refusal}): one whose {@code kmsRecoveryRequester} is missing
 * or is not a member of {@code cn=KMS Administrators} now, or that its own requester approved.
 * The embedded server's guard records the requester and refuses such approvals itself; slapd's
 * access rules cannot check everything (SECURITY.md, "On OpenLDAP"), so the KMS checks again
 * where the keys are: such a request ends {@code failed} with the reason in {@code kmsLastError}
 * and nothing is recovered.
 * Thread-safe: several workers may handle different requests at once; the directory's
 * test-and-set keeps two workers (or two agents) off the same request.
 */
public final class RecoveryService implements Workflow {
    /** How long a claim on a recovery lasts before another process may take it over. */
    public static final Duration DEFAULT_LEASE = Duration.ofMinutes(5);
    /** How long a request may wait for its approvals (docs/administrator-contract.md, 5). */
    public static final Duration DEFAULT_PENDING_LIFETIME = Duration.ofDays(7);
    /** How long a recovered package waits for its requester. */
    public static final Duration DEFAULT_PACKAGE_LIFETIME = Duration.ofDays(7);

    private static final Logger LOG = LoggerFactory.getLogger(RecoveryService.class);

    /**
     * Settings of the agent's recovery.
     *
     * @param agentDn the DN the agent binds as: it recovers the users of the groups whose KMS
     *        server names it
     * @param owner the identity of this process; each attempt is it and a counter ({@link Attempts})
     * @param lease how long a claim lasts
     * @param pendingLifetime how long a request may wait for its approvals
     * @param packageLifetime how long a recovered package waits for its requester
     */
    public record Settings(String agentDn, String owner, Duration lease, Duration pendingLifetime,
            Duration packageLifetime) {
        /** Validates the durations. */
        public Settings {
            Objects.requireNonNull(agentDn, "agentDn");
            Objects.requireNonNull(owner, "owner");
            for (Duration duration : List.of(lease, pendingLifetime, packageLifetime)) {
                if (duration.isNegative() || duration.isZero()) {
                    throw new IllegalArgumentException("the lease and the lifetimes of a recovery must be positive");
                }
            }
        }

        /** The defaults for the agent bound as {@code agentDn} whose process is {@code owner}. */
        public static Settings defaults(String agentDn, String owner) {
            return new Settings(agentDn, owner, DEFAULT_LEASE, DEFAULT_PENDING_LIFETIME, DEFAULT_PACKAGE_LIFETIME);
        }
    }

    private final RecoveryRecords records;
    private final Supplier<KeyRecoverer> recoveryKeys;
    private final RequestKeys requestKeys;
    private final Settings settings;
    private final DirectoryLayout layout;
    private final Clock clock;
    private final SecureRandom random;
    private final Lease lease;
    private final Attempts attempts;
    private final RecoveryScope scope;
    private final KeyHistory history;

    /**
     * A recovery service over {@code records}.
     *
     * @param recoveryKeys the key recovery agent's keys, every one the store holds (current and
     *        earlier), asked for at each recovery so that a key added to the store is used without a
     *        restart
     */
    public RecoveryService(RecoveryRecords records, Supplier<KeyRecoverer> recoveryKeys, Settings settings,
            DirectoryLayout layout, Clock clock, SecureRandom random) {
        this(records, recoveryKeys, new RequestKeys(), settings, layout, clock, random);
    }

    /**
     * A recovery service over {@code records} that keeps the request keys of recoveries under
     * custody in {@code requestKeys}: one holder shared by every service of one agent process, so
     * that whichever of its connections handles a request next finds the key.
     */
    public RecoveryService(RecoveryRecords records, Supplier<KeyRecoverer> recoveryKeys, RequestKeys requestKeys,
            Settings settings, DirectoryLayout layout, Clock clock, SecureRandom random) {
        this.requestKeys = Objects.requireNonNull(requestKeys, "requestKeys");
        this.records = Objects.requireNonNull(records, "records");
        this.recoveryKeys = Objects.requireNonNull(recoveryKeys, "recoveryKeys");
        this.settings = Objects.requireNonNull(settings, "settings");
        this.layout = Objects.requireNonNull(layout, "layout");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.random = Objects.requireNonNull(random, "random");
        this.lease = new Lease(clock, settings.lease());
        this.attempts = Attempts.of(settings.owner());
        this.scope = new RecoveryScope(records, settings.agentDn());
        this.history = new KeyHistory(records);
    }

    /**
     * The recovery service over one LDAP connection ({@link LdapRecoveryRecords}), bound as a KMS
     * agent: what the running agent makes for each connection it opens.
     */
    public static RecoveryService overLdap(LdapNetworkConnection connection, DirectoryLayout layout,
            Supplier<KeyRecoverer> recoveryKeys, Settings settings, Clock clock, SecureRandom random) {
        return new RecoveryService(new LdapRecoveryRecords(connection, layout), recoveryKeys, settings, layout, clock,
                random);
    }

    /**
     * As {@link #overLdap(LdapNetworkConnection, DirectoryLayout, Supplier, Settings, Clock, SecureRandom)},
     * keeping request keys in the agent's {@code requestKeys}.
     */
    public static RecoveryService overLdap(LdapNetworkConnection connection, DirectoryLayout layout,
            Supplier<KeyRecoverer> recoveryKeys, RequestKeys requestKeys, Settings settings, Clock clock,
            SecureRandom random) {
        return new RecoveryService(new LdapRecoveryRecords(connection, layout), recoveryKeys, requestKeys, settings,
                layout, clock, random);
    }

    @Override
    public String followedEntries() {
        return "(" + AttributeNames.OBJECT_CLASS + "=" + ObjectClassNames.RECOVERY_REQUEST + ")";
    }

    @Override
    public boolean owns(String dn) {
        try {
            return DistinguishedNames.within(dn, layout.recoveryRequests())
                    && !DistinguishedNames.same(dn, layout.recoveryRequests());
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /** The requests that may need the agent: pending (approvals, expiry, a dead claim) and approved (fetch, expiry). */
    @Override
    public List<String> waiting() {
        return records.requestsIn(RecoveryState.PENDING, RecoveryState.APPROVED).stream().map(RequestEntry::dn).toList();
    }

    @Override
    public void handle(String dn) {
        advance(dn);
    }

    /** Every request that may need the agent, handled now (at start; the running agent reconciles so too). */
    public List<RecoveryResult> reconcile() {
        List<RecoveryResult> results = new ArrayList<>();
        for (String dn : waiting()) {
            results.add(advance(dn));
        }
        return results;
    }

    /**
     * Does what the state of the request at {@code dn} asks for, if this agent serves its user.
     *
     * @throws DirectoryAccessException if the directory cannot be read or written; the request is
     *         then left as it was, or claimed under a lease that runs out and is taken over
     */
    public RecoveryResult advance(String dn) {
        Optional<RequestEntry> found = records.readRequest(dn);
        if (found.isEmpty()) {
            return new RecoveryResult(dn, Outcome.NOTHING, null, "there is no recovery request " + dn);
        }
        RequestEntry request = found.get();
        if (request.state() == null) {
            return nothing(request, AttributeNames.RECOVERY_STATE + " '" + request.rawState()
                    + "' is not a state the KMS acts on");
        }
        return switch (request.state()) {
            case PENDING -> pending(request);
            case APPROVED -> approved(request);
            default -> nothing(request, "the request is " + request.state().ldapValue() + ": nothing more to do");
        };
    }

    private RecoveryResult pending(RequestEntry request) {
        Optional<TargetUser> target = records.readTarget(request.target());
        RecoveryScope.Serving serving = scope.of(target, request.target());
        if (!serving.mine()) {
            return nothing(request, "served by another KMS server");
        }
        Optional<CustodyEntry> custody = records.custody();
        if (custody.isPresent()) {
            return pendingUnderCustody(request, target, serving, custody.get());
        }
        Claim held = request.claim();
        if (held != null) {
            if (!lease.expired(held)) {
                return nothing(request, "being recovered under a valid lease");
            }
            Claim successor = held.successor(attempts.next(), lease.fromNow());
            if (!records.takeOver(request.dn(), held, successor)) {
                return nothing(request, "another process took the expired recovery over first");
            }
            LOG.info("Took over the recovery {} (lease of {} expired at {})", request.dn(), held.attempt(),
                    held.leaseExpires());
            return recover(request, target, serving, successor);
        }
        String refused = refusal(request);
        if (refused != null) {
            Claim claim = Claim.of(attempts.next(), lease.fromNow());
            if (!records.claim(request.dn(), claim)) {
                return nothing(request, "another process claimed the request first");
            }
            return fail(request, claim, refused);
        }
        Approvals approvals = approvals(request, serving);
        if (approvals.complete()) {
            Claim claim = Claim.of(attempts.next(), lease.fromNow());
            if (!records.claim(request.dn(), claim)) {
                return nothing(request, "another process claimed the recovery first");
            }
            return recover(request, target, serving, claim);
        }
        Instant now = clock.instant();
        if (request.created() != null && !request.created().plus(settings.pendingLifetime()).isAfter(now)) {
            Instant deadline = request.created().plus(settings.pendingLifetime());
            String reason = "not approved in time: " + approvals.summary() + " had been given by " + deadline + " ("
                    + days(settings.pendingLifetime()) + " after the request was made); nothing was recovered; add a"
                    + " new request to try again";
            if (!records.expire(request.dn(), RecoveryState.PENDING, reason)) {
                return nothing(request, "the request changed while it expired: judged again at the next change");
            }
            LOG.info("The recovery request {} expired: {}", request.dn(), reason);
            return new RecoveryResult(request.dn(), Outcome.EXPIRED, RecoveryState.EXPIRED, reason);
        }
        return nothing(request, "waiting for approvals: " + approvals.summary() + " given");
    }

    /**
     * The recovery under {@code claim}: the approvals are counted again (a take-over finds them as
     * they are now), the keys recovered and checked, the package built and written in the one
     * modify that tests the claim, the state and the counted approvals.
     */
    private RecoveryResult recover(RequestEntry request, Optional<TargetUser> target, RecoveryScope.Serving serving,
            Claim claim) {
        return recover(request, target, serving, claim, recoveryKeys);
    }

    private RecoveryResult recover(RequestEntry request, Optional<TargetUser> target, RecoveryScope.Serving serving,
            Claim claim, Supplier<KeyRecoverer> recoverer) {
        Approvals approvals = approvals(request, serving);
        if (!approvals.complete()) {
            // An approval was withdrawn, or its agent lost the role, before this attempt: back to waiting.
            records.releaseClaim(request.dn(), claim);
            return nothing(request, "short of approvals under the claim (" + approvals.summary() + "): released");
        }
        Delivery delivery = null;
        List<KeyPackage.Item> keys = List.of();
        try {
            String refused = refusal(request);
            if (refused != null) {
                throw new RecoveryFailure(refused);
            }
            if (serving.unresolved() != null) {
                throw new RecoveryFailure(serving.unresolved() + "; nothing was recovered");
            }
            keys = history.recover(target.orElseThrow(), request.certificate(), recoverer.get());
            PackageFormat format = serving.group() == null ? PackageFormat.PBES2_AES_256
                    : serving.group().packageFormat();
            char[] token = OneTimeToken.generate(random);
            List<byte[]> recovered = KeyPackage.buildValues(keys, token, format, random);
            delivery = new Delivery(recovered, token, clock.instant().plus(settings.packageLifetime()));
            if (!records.deliver(request.dn(), claim, approvals.counted(), delivery)) {
                // Nothing was written: the request was withdrawn or taken over, or an approval
                // was withdrawn meanwhile. A claim still ours goes, so the request is judged again.
                boolean released = records.releaseClaim(request.dn(), claim);
                return nothing(request, released ? "an approval changed during the recovery: released, judged again"
                        : "the claim was lost to another process, or the request withdrawn, before the delivery");
            }
            LOG.info("Recovered {} encryption key(s) of {} for {} ({}, approved by {}): package on {} until {}",
                    keys.size(), request.target(), request.requester(), approvals.summary(), approvals.counted(),
                    request.dn(), delivery.expires());
            return new RecoveryResult(request.dn(), Outcome.RECOVERED, RecoveryState.APPROVED, "recovered "
                    + keys.size() + " encryption key(s) for " + request.requester());
        } catch (RecoveryFailure e) {
            return fail(request, claim, e.getMessage());
        } catch (DirectoryAccessException e) {
            // The claim's lease runs out and another attempt recovers again; nothing was delivered.
            LOG.warn("Recovery {} interrupted: {}", request.dn(), e.getMessage());
            throw e;
        } catch (RuntimeException e) {
            // Not the administrators' doing (a broken key store, a bug): the cause goes to the log,
            // the request a reason without internals.
            LOG.error("Recovery {} failed", request.dn(), e);
            return fail(request, claim, "the KMS could not complete the recovery (" + e.getClass().getSimpleName()
                    + "); the agent's log has the details; nothing was delivered; add a new request to retry");
        } finally {
            if (delivery != null) {
                delivery.clear();
            }
            keys.forEach(RecoveryService::destroy);
        }
    }

    /**
     * A pending request in an archive under custody (docs/custody.md): claimed at once with a
     * fresh request key, the claim renewed while it waits; each share given back judged
     * ({@link ShareJudge}); once the approvals and the good shares are complete, the keys rebuilt
     * in memory, the recovery made as without custody, and the rebuilt keys and the request key
     * destroyed. A claim whose holder died (its lease ran out) took its request key along: it is
     * taken over with a new key, and the shares sealed to the lost one are removed.
     */
    private RecoveryResult pendingUnderCustody(RequestEntry request, Optional<TargetUser> target,
            RecoveryScope.Serving serving, CustodyEntry custody) {
        Claim held = request.claim();
        Optional<RequestKeys.Held> mine = held == null ? Optional.empty() : requestKeys.held(request.dn(), held.attempt());
        Instant now = clock.instant();
        boolean overdue = request.created() != null && !request.created().plus(settings.pendingLifetime()).isAfter(now);
        if (held != null && mine.isEmpty() && !lease.expired(held)) {
            return nothing(request, "held under a valid lease by " + held.attempt() + ", which holds its request key");
        }
        if (mine.isEmpty() || overdue) {
            String refused = refusal(request);
            if (overdue) {
                requestKeys.forget(request.dn());
                Approvals approvals = approvals(request, serving);
                String reason = "not approved in time: " + approvals.summary() + " had been given by "
                        + request.created().plus(settings.pendingLifetime()) + "; nothing was recovered; add a new"
                        + " request to try again";
                if (!records.expire(request.dn(), RecoveryState.PENDING, reason)) {
                    return nothing(request, "the request changed while it expired: judged again at the next change");
                }
                LOG.info("The recovery request {} expired: {}", request.dn(), reason);
                return new RecoveryResult(request.dn(), Outcome.EXPIRED, RecoveryState.EXPIRED, reason);
            }
            Claim claim = held == null ? Claim.of(attempts.next(), lease.fromNow())
                    : held.successor(attempts.next(), lease.fromNow());
            if (refused != null) {
                boolean claimed = held == null ? records.claim(request.dn(), claim)
                        : records.takeOver(request.dn(), held, claim);
                return claimed ? fail(request, claim, refused) : nothing(request, "another process claimed it first");
            }
            RequestKey key = RequestKey.generate(request.dn(), settings.pendingLifetime(), now, random);
            String note = request.approvals().isEmpty() && request.shares().isEmpty() ? null
                    : (held == null ? "the request had no request key when it was approved"
                            : "the KMS process that held this request's key (" + held.attempt() + ") stopped and took"
                                    + " the key along")
                    + ": the " + request.approvals().size() + " approval(s) and " + request.shares().size()
                    + " share(s) given were removed, since no share sealed before this key opens; each recovery agent"
                    + " approves again ('dirkms recovery approve')";
            if (!records.claimWithRequestKey(request.dn(), held, claim, key.certificateDer(), request.shares(),
                    request.approvals(), note)) {
                key.close();
                return nothing(request, "another process claimed the request first");
            }
            requestKeys.keep(request.dn(), claim.attempt(), key);
            LOG.info("Published a request key on {} (custody {}, {} of {} shares needed){}", request.dn(), custody.id(),
                    custody.threshold(), custody.shares().size(), held == null ? "" : ", taking it over from "
                    + held.attempt());
            return nothing(request, "request key published: waiting for " + custody.threshold() + " recovery agents'"
                    + " shares");
        }
        String refused = refusal(request);
        if (refused != null) {
            requestKeys.forget(request.dn());
            return fail(request, held, refused);
        }
        Approvals approvals = approvals(request, serving);
        ShareJudge.Verdict verdict = ShareJudge.judge(custody, mine.get().key(), request.shares(), approvals.counted());
        try {
            if (approvals.complete() && verdict.good().size() >= custody.threshold()) {
                try (Custody.Rebuilt rebuilt = Custody.rebuild(custody, verdict.good())) {
                    KeyRecoverer recoverer = new KeyRecoverer(rebuilt.keys());
                    // Delivered, failed, or the claim released: the request key has served either way.
                    requestKeys.forget(request.dn());
                    return recover(request, target, serving, held, () -> recoverer);
                } catch (IllegalArgumentException e) {
                    // The good shares rebuild a secret that does not open the sealed keys: the
                    // custody changed under the judge, or the directory's copy is damaged.
                    LOG.warn("Recovery {}: {}", request.dn(), e.getMessage());
                    records.note(request.dn(), held, "the shares given rebuild no key of custody " + custody.id()
                            + ": " + e.getMessage() + "; nothing was recovered");
                    return nothing(request, e.getMessage());
                }
            }
            String refusals = verdict.refusalText();
            // A take-over's note (the agents approve again) stays until a good share or a
            // refusal replaces it; a refusal no longer true goes.
            boolean keepNote = refusals == null && verdict.good().isEmpty() && request.lastError() != null
                    && !request.lastError().contains(": refused");
            if (!keepNote && !java.util.Objects.equals(refusals, request.lastError())) {
                records.note(request.dn(), held, refusals);
                if (refusals != null) {
                    LOG.warn("Recovery {}: {}", request.dn(), refusals);
                }
            }
            if (lease.renewalDue(held)) {
                records.renewClaim(request.dn(), held, lease.fromNow());
            }
            return nothing(request, "waiting for shares: " + verdict.good().size() + " of " + custody.threshold()
                    + " good, " + approvals.summary() + (refusals == null ? "" : "; " + refusals));
        } finally {
            verdict.clear();
        }
    }

    private RecoveryResult fail(RequestEntry request, Claim claim, String reason) {
        if (!records.fail(request.dn(), claim, reason)) {
            return nothing(request, "the claim was lost before the failure could be recorded");
        }
        LOG.info("The recovery request {} failed: {}", request.dn(), reason);
        return new RecoveryResult(request.dn(), Outcome.FAILED, RecoveryState.FAILED, reason);
    }

    private RecoveryResult approved(RequestEntry request) {
        RecoveryScope.Serving serving = scope.of(records.readTarget(request.target()), request.target());
        if (!serving.mine()) {
            return nothing(request, "served by another KMS server");
        }
        if (!request.hasPackage()) {
            if (!records.confirmDelivery(request.dn())) {
                return nothing(request, "the request changed meanwhile");
            }
            LOG.info("{} fetched the recovered package of {}: delivered, token removed", request.requester(),
                    request.dn());
            return new RecoveryResult(request.dn(), Outcome.DELIVERED, RecoveryState.DELIVERED,
                    "the requester fetched the package: token removed");
        }
        if (request.packageExpires() != null && !request.packageExpires().isAfter(clock.instant())) {
            String reason = "the recovered package was not fetched by " + request.packageExpires() + " ("
                    + days(settings.packageLifetime()) + " after the recovery): package and token were removed; add"
                    + " a new request to recover the keys again";
            if (!records.expire(request.dn(), RecoveryState.APPROVED, reason)) {
                return nothing(request, "the request changed meanwhile");
            }
            LOG.info("The recovered package of {} expired unfetched; package and token removed", request.dn());
            return new RecoveryResult(request.dn(), Outcome.EXPIRED, RecoveryState.EXPIRED, reason);
        }
        return nothing(request, "package waiting for the requester until " + request.packageExpires());
    }

    /**
     * Why the KMS refuses to act on {@code request} whatever its approvals, or null: it names no
     * requester (a package written for nobody would serve no one), its requester is not a KMS
     * administrator now (only they ask for recoveries, docs/security.md), or its requester
     * approved it (a recovery takes people other than the one who asked).
     */
    String refusal(RequestEntry request) {
        String requester = request.requester();
        if (requester == null) {
            return "the request names no " + AttributeNames.RECOVERY_REQUESTER + " (the KMS administrator who asks for"
                    + " a recovery is recorded on it): nothing was recovered; a KMS administrator adds a new request";
        }
        String normal;
        try {
            normal = DistinguishedNames.normal(requester);
        } catch (IllegalArgumentException e) {
            return AttributeNames.RECOVERY_REQUESTER + " '" + requester + "' is not a DN: nothing was recovered";
        }
        boolean administrator = false;
        for (String member : records.groupMembers(layout.kmsAdministratorsGroup())) {
            try {
                administrator |= DistinguishedNames.normal(member).equals(normal);
            } catch (IllegalArgumentException e) {
                // a member that is not a DN names nobody
            }
        }
        if (!administrator) {
            return "the requester " + requester + " is not a member of " + layout.kmsAdministratorsGroup()
                    + ": only KMS administrators ask for recoveries; nothing was recovered";
        }
        for (String approval : request.approvals()) {
            try {
                if (DistinguishedNames.normal(approval).equals(normal)) {
                    return "the requester " + requester + " approved their own request: a recovery needs approvals"
                            + " by recovery agents other than the one who asked; nothing was recovered; a KMS"
                            + " administrator adds a new request";
                }
            } catch (IllegalArgumentException e) {
                // an approval that is not a DN counts for nobody (Approvals)
            }
        }
        return null;
    }

    private Approvals approvals(RequestEntry request, RecoveryScope.Serving serving) {
        return Approvals.of(request, serving.requiredApprovals(), records.groupMembers(layout.recoveryAgentsGroup()),
                records.groupMembers(layout.kmsAgentsGroup()));
    }

    private static RecoveryResult nothing(RequestEntry request, String why) {
        return new RecoveryResult(request.dn(), Outcome.NOTHING, request.state(), why);
    }

    private static String days(Duration duration) {
        long days = duration.toDays();
        return days >= 1 && duration.equals(Duration.ofDays(days)) ? days + (days == 1 ? " day" : " days")
                : duration.toString();
    }

    /** Drops a recovered private key as far as the JDK lets it. */
    private static void destroy(KeyPackage.Item item) {
        try {
            item.privateKey().destroy();
        } catch (javax.security.auth.DestroyFailedException | RuntimeException e) {
            // Most providers' keys cannot be destroyed; the reference goes with the list.
        }
    }
}
