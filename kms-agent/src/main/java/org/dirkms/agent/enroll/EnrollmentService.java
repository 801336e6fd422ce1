package org.dirkms.agent.enroll;

import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import org.apache.directory.ldap.client.api.LdapNetworkConnection;
import org.dirkms.agent.ca.CaService;
import org.dirkms.agent.ca.CertificationAuthority;
import org.dirkms.agent.queue.QueueServer;
import org.dirkms.agent.directory.Claim;
import org.dirkms.agent.directory.DirectoryAccessException;
import org.dirkms.agent.directory.EnrollmentRecords;
import org.dirkms.agent.directory.EnrollmentRecords.GroupEntry;
import org.dirkms.agent.directory.EnrollmentRecords.UserEntry;
import org.dirkms.agent.directory.LdapCaRecords;
import org.dirkms.agent.directory.LdapEnrollmentRecords;
import org.dirkms.agent.directory.LdapRecoveryKeyRecords;
import org.dirkms.agent.workflow.Attempts;
import org.dirkms.agent.workflow.Lease;
import org.dirkms.schema.AttributeNames;
import org.dirkms.schema.DirectoryLayout;
import org.dirkms.schema.EnrollmentState;

/**
 * The enrollment state machine of a user, persisted in the user's entry (docs/state-machines.md,
 * "Enrollment"): {@link #handle(String)} reads the entry and does what its
 * {@code kmsEnrollmentState} asks.
 * <ul>
 * <li>{@code requested}: claims it with the atomic test-and-set and a lease, and runs an
 * {@link Enrollment} attempt, whose certificates come from the {@link CertificateSource}: the CA
 * in this process ({@link InProcessCa}) or the request queue ({@link RequestQueue});</li>
 * <li>{@code in-progress}: goes on with an attempt that waits in this process for the queue's
 * CA, or takes over one whose lease expired ({@link TakeOver}) and enrolls again;</li>
 * <li>{@code revoke-requested}: revokes ({@link Revocation});</li>
 * <li>{@code enrolled} or {@code failed} with a claim left naming certificates to revoke:
 * finishes their revocation ({@link Supersession});</li>
 * <li>any state: removes a package the user deleted, or one that expired unfetched
 * ({@link PackageMaintenance}).</li>
 * </ul>
 * A failure the administrator can fix ends in {@code failed} with {@code kmsLastError} in plain
 * language, nothing half-done: a new {@code requested} retries. Thread-safe: several workers
 * may handle different users at once; the directory's test-and-set keeps two workers (or two
 * agents) off the same user.
 */
public final class EnrollmentService {
    /** How long a claim lasts before another process may take the work over. */
    public static final Duration DEFAULT_LEASE = Duration.ofMinutes(5);
    /** How long an unfetched key package stays (docs/administrator-contract.md, 3). */
    public static final Duration DEFAULT_PACKAGE_LIFETIME = Duration.ofDays(7);

    private final EnrollmentRecords records;
    private final EnrollmentContext context;
    private final CertificateSource source;
    private final Enrollment enrollment;
    private final TakeOver takeOver;
    private final Supersession supersession;
    private final Revocation revocation;
    private final PackageMaintenance packages;

    /**
     * Settings of an agent.
     *
     * @param agentDn the DN the agent binds as; it serves the groups whose KMS server names it
     * @param owner the identity of this process (unique per process): each attempt's identity is
     *        it and a counter ({@link Attempts})
     * @param lease how long a claim lasts
     * @param packageLifetime how long an unfetched package stays
     */
    public record Settings(String agentDn, String owner, Duration lease, Duration packageLifetime) {
        /** Validates the durations. */
        public Settings {
            if (lease.isNegative() || lease.isZero() || packageLifetime.isNegative() || packageLifetime.isZero()) {
                throw new IllegalArgumentException("the lease and the package lifetime must be positive");
            }
        }

        /** The defaults for the agent bound as {@code agentDn}, with a process-unique owner. */
        public static Settings defaults(String agentDn, SecureRandom random) {
            return new Settings(agentDn, Attempts.ownerFor(agentDn, random), DEFAULT_LEASE, DEFAULT_PACKAGE_LIFETIME);
        }
    }

    /**
     * An enrollment service over {@code records} that issues with {@code ca}, in this process
     * ({@link InProcessCa}), revokes through {@code caService} and archives to
     * {@code recoveryCertificate}.
     */
    public static EnrollmentService issuing(EnrollmentRecords records, CaService caService, CertificationAuthority ca,
            X509Certificate recoveryCertificate, Settings settings, Clock clock, SecureRandom random) {
        return new EnrollmentService(records, new KeysCryptography(recoveryCertificate, random), settings, clock,
                Revocations.byCa(caService, ca), (context, enrollment) -> new InProcessCa(context, enrollment, ca));
    }

    /**
     * An enrollment service over {@code records} without the CA's key: its certificates come
     * through the request queue ({@link RequestQueue}), served by a CA elsewhere, and what it
     * supersedes is revoked by an agent that has the CA. It archives to {@code recoveryCertificate}.
     */
    public static EnrollmentService queueing(EnrollmentRecords records, X509Certificate recoveryCertificate,
            Settings settings, Clock clock, SecureRandom random) {
        return new EnrollmentService(records, new KeysCryptography(recoveryCertificate, random), settings, clock,
                Revocations.NONE, RequestQueue::new);
    }

    /**
     * The enrollment service over one LDAP connection: its records ({@link LdapEnrollmentRecords})
     * and the CA's ({@link LdapCaRecords}) on {@code connection}; {@link #issuing} with {@code ca}
     * when this process has one, {@link #queueing} otherwise. The one place an enrollment service
     * is wired to the directory: the running agent makes one for each connection it opens, and
     * the command line's composition root ({@code org.dirkms.dist.KmsContext}) delegates here.
     * It archives to the key recovery certificate the directory publishes as current
     * ({@code cn=Key Recovery Agent,ou=KMS}), read for every archive so that {@code dirkms archive
     * rekey} reaches it at once; {@code recoveryCertificate} only while none is published.
     */
    public static EnrollmentService overLdap(LdapNetworkConnection connection, DirectoryLayout layout,
            Optional<CertificationAuthority> ca, X509Certificate recoveryCertificate, Settings settings, Clock clock,
            SecureRandom random) {
        return overLdap(connection, layout, ca, Optional.empty(), recoveryCertificate, settings, clock, random);
    }

    /**
     * As {@link #overLdap(LdapNetworkConnection, DirectoryLayout, Optional, X509Certificate,
     * Settings, Clock, SecureRandom)}; when {@code localQueue} is present (the CA in this process
     * also serves the request queue), certificates come from that CA while it is active, has the
     * templates and is not busy, else through the queue ({@link LocalCaOrQueue}).
     */
    public static EnrollmentService overLdap(LdapNetworkConnection connection, DirectoryLayout layout,
            Optional<CertificationAuthority> ca, Optional<QueueServer> localQueue, X509Certificate recoveryCertificate,
            Settings settings, Clock clock, SecureRandom random) {
        LdapEnrollmentRecords records = new LdapEnrollmentRecords(connection, layout, clock);
        // The recovery certificate published in the directory wins over the one the agent started
        // with, read for each archive: a rekey reaches every running agent at once.
        KeysCryptography crypto = new KeysCryptography(new PublishedRecoveryCertificate(
                new LdapRecoveryKeyRecords(connection, layout), recoveryCertificate), random);
        if (localQueue.isPresent()) {
            QueueServer local = localQueue.get();
            return new EnrollmentService(records, crypto, settings, clock,
                    Revocations.byCa(new CaService(new LdapCaRecords(connection, layout, clock), layout, clock, random),
                            local.ca()), (context, enrollment) -> new LocalCaOrQueue(context, enrollment, local));
        }
        return ca.map(authority -> new EnrollmentService(records, crypto, settings, clock,
                Revocations.byCa(new CaService(new LdapCaRecords(connection, layout, clock), layout, clock, random),
                        authority), (context, enrollment) -> new InProcessCa(context, enrollment, authority)))
                .orElseGet(() -> new EnrollmentService(records, crypto, settings, clock, Revocations.NONE,
                        RequestQueue::new));
    }

    /** Makes the {@link CertificateSource} of a service from its context and its attempt steps. */
    interface SourceFactory {
        CertificateSource make(EnrollmentContext context, Enrollment enrollment);
    }

    EnrollmentService(EnrollmentRecords records, EnrollmentCryptography crypto, Settings settings, Clock clock,
            Revocations revocations, SourceFactory sources) {
        this.records = records;
        this.context = new EnrollmentContext(records, crypto, revocations, new Lease(clock, settings.lease()),
                Attempts.of(settings.owner()), new AgentScope(records, settings.agentDn(), clock, Duration.ofSeconds(30)),
                settings.packageLifetime());
        this.supersession = new Supersession(context);
        this.enrollment = new Enrollment(context, supersession);
        this.source = sources.make(context, enrollment);
        this.takeOver = new TakeOver(context);
        this.revocation = new Revocation(context);
        this.packages = new PackageMaintenance(context);
    }

    /** The records this service works on (the running agent also writes its heartbeat through them). */
    EnrollmentRecords records() {
        return records;
    }

    /**
     * Forgets the administrative groups and KMS server entries read so far, because one of them
     * changed: the next user is handled as they are now.
     */
    public void configurationChanged() {
        context.scope().forget();
    }

    /** The DNs of the KMS server entries naming this agent (where it writes its heartbeat). */
    public List<String> servedServers() {
        return context.scope().myServers();
    }

    /**
     * Does what the state of the user at {@code dn} asks for, if this agent serves the user.
     *
     * @throws DirectoryAccessException if the directory cannot be read or written; the state is
     *         then left resumable (a claim's lease expires and another attempt takes over)
     */
    public EnrollmentResult handle(String dn) {
        Optional<UserEntry> found = records.readUser(dn);
        if (found.isEmpty()) {
            return nobody(dn);
        }
        UserEntry user = found.get();
        source.forgetLost(user);
        if (user.state() == null) {
            return packages.maintain(user);
        }
        return switch (user.state()) {
            case REQUESTED -> claimAndEnroll(user);
            case IN_PROGRESS -> source.holds(user.claim()) ? source.advance(user) : takeOverIfExpired(user);
            case REVOKE_REQUESTED -> revocation.revoke(user);
            case ENROLLED, FAILED -> user.claim() == null || user.claim().superseded().isEmpty()
                    ? packages.maintain(user) : supersession.finish(user);
            default -> packages.maintain(user);
        };
    }

    /**
     * Queue mode: looks at the requests of every enrollment this service queued and publishes
     * those whose certificates the CA has issued, or fails those the CA refused. Cheap when
     * nothing waits; the agent calls it on a short period.
     *
     * @throws DirectoryAccessException as {@link #handle}
     */
    public List<EnrollmentResult> advanceQueued() {
        List<EnrollmentResult> results = new ArrayList<>();
        for (String dn : source.waitingUsers()) {
            results.add(handle(dn));
        }
        return results;
    }

    /**
     * After the providers of a replicated directory converged (docs/reliability.md, "Replicated
     * directories"): revokes the certificates of the enrollment attempts whose publication
     * replication did not keep, marks their archive records abandoned and puts the children of
     * their users back to the certificates the entries hold. Needs the CA in this process; without
     * it nothing is done.
     *
     * @return how many archive records it marked abandoned
     * @throws DirectoryAccessException as {@link #handle}
     */
    public int cleanUpAfterReplication() {
        return new ReplicatedLeftovers(context).cleanUp();
    }

    /** The DNs of the users whose enrollment by this service waits for the CA (queue mode). */
    public List<String> queuedUsers() {
        return source.waitingUsers();
    }

    /**
     * The user whose enrollment, waiting in this service, queued the request at {@code requestDn}:
     * whom a change of that request (the CA served or refused it) concerns.
     */
    public Optional<String> waitingUserOf(String requestDn) {
        return source.waiterOf(requestDn);
    }

    /** How many enrollments of this service wait for the CA to serve their requests. */
    public int queuedCount() {
        return source.waitingUsers().size();
    }

    /**
     * Takes over the waiting enrollments of {@code previous}, the service this agent used before
     * its connection was reopened: the keys of a waiting enrollment live only in memory. (The
     * attempt counter needs no hand-over: it is one per owner, {@link Attempts#of}.)
     */
    void adoptFrom(EnrollmentService previous) {
        source.adoptFrom(previous.source);
    }

    /** Whether {@link #enrollDirectly} enrolls a user whose certificates were revoked. */
    public enum RevokedUsers {
        /** A revoked user is left revoked: the revocation (for keyCompromise, say) is not undone unasked. */
        SKIP,
        /** A revoked user is enrolled again, with new keys: the administrator asked for it. */
        ENROLL_AGAIN
    }

    /**
     * Enrolls the user at {@code dn} now, as bulk enrollment does: a user already enrolled is
     * skipped (re-running a bulk enrollment is harmless), and so is a revoked user unless
     * {@code revoked} is {@link RevokedUsers#ENROLL_AGAIN} (the result then says {@code revoked},
     * with the revocation reason); otherwise the user is claimed in one test-and-set from whatever
     * state it has (adding {@code kmsUser} when missing), so that an agent watching the directory
     * never sees a {@code requested} to race for.
     *
     * @throws DirectoryAccessException as {@link #handle}
     */
    public EnrollmentResult enrollDirectly(String dn, RevokedUsers revoked) {
        Optional<UserEntry> found = records.readUser(dn);
        if (found.isEmpty()) {
            return nobody(dn);
        }
        UserEntry user = found.get();
        if (user.state() == null && user.rawState() != null) {
            return Enrollment.nothing(user, AttributeNames.ENROLLMENT_STATE + " '" + user.rawState()
                    + "' is not a known state");
        }
        if (user.state() == EnrollmentState.ENROLLED) {
            return Enrollment.nothing(user, "already enrolled");
        }
        if (user.state() == EnrollmentState.IN_PROGRESS) {
            return takeOverIfExpired(user);
        }
        if (user.state() == EnrollmentState.REVOKE_REQUESTED) {
            return Enrollment.nothing(user, "a revocation is pending");
        }
        if (user.state() == EnrollmentState.REVOKED && revoked != RevokedUsers.ENROLL_AGAIN) {
            // docs/state-machines.md: only an administrator takes a revoked user back to
            // requested; a bulk run over a group must not undo a revocation it was not asked to.
            return Enrollment.nothing(user, "revoked" + (user.revocationReason() == null ? ""
                    : " (" + user.revocationReason().ldapValue() + ")") + ", not enrolled again unless asked");
        }
        Optional<GroupResolution> group = resolveGroup(user);
        if (group.isEmpty()) {
            return Enrollment.nothing(user, "served by another KMS server");
        }
        Claim claim = newClaim(user);
        if (!records.claimFrom(user.dn(), user.state(), !user.kmsUser(), claim)) {
            return Enrollment.nothing(user, "another process claimed the enrollment first");
        }
        return enrollResolved(user, group.get(), claim);
    }

    /**
     * Everything that waits at start (docs/reliability.md: reconcile the whole tree, so that a
     * change made while the agent was down is acted on): requested, revoke-requested, in-progress
     * with an expired lease, enrolled or failed with certificates left to revoke, and packages to
     * remove.
     */
    public List<EnrollmentResult> reconcile() {
        Set<String> dns = new LinkedHashSet<>();
        for (UserEntry user : records.usersInState(EnrollmentState.REQUESTED, EnrollmentState.REVOKE_REQUESTED,
                EnrollmentState.IN_PROGRESS)) {
            dns.add(user.dn());
        }
        for (UserEntry user : records.claimedUsersIn(EnrollmentState.ENROLLED, EnrollmentState.FAILED)) {
            dns.add(user.dn()); // certificates to revoke that a crash, or an agent without the CA, left
        }
        for (UserEntry user : records.usersWithPackage()) {
            dns.add(user.dn());
        }
        List<EnrollmentResult> results = new ArrayList<>();
        for (String dn : dns) {
            results.add(handle(dn));
        }
        return results;
    }

    private EnrollmentResult claimAndEnroll(UserEntry user) {
        Optional<GroupResolution> group = resolveGroup(user);
        if (group.isEmpty()) {
            return Enrollment.nothing(user, "served by another KMS server");
        }
        Claim claim = newClaim(user);
        if (!records.claim(user.dn(), EnrollmentState.REQUESTED, claim)) {
            return Enrollment.nothing(user, "another process claimed the enrollment first");
        }
        return enrollResolved(user, group.get(), claim);
    }

    private EnrollmentResult takeOverIfExpired(UserEntry user) {
        if (user.claim() == null || !context.lease().expired(user.claim())) {
            return Enrollment.nothing(user, "in progress under a valid lease");
        }
        Optional<GroupResolution> group = resolveGroup(user);
        if (group.isEmpty()) {
            return Enrollment.nothing(user, "served by another KMS server");
        }
        Optional<Claim> held = takeOver.takeOver(user, superseding(user));
        if (held.isEmpty()) {
            return Enrollment.nothing(user, "another process took the expired enrollment over first");
        }
        return enrollResolved(user, group.get(), held.get());
    }

    /** A user's group, or the plain-language reason it could not be resolved. */
    private record GroupResolution(GroupEntry group, String unresolved) {
    }

    /**
     * The group serving {@code user}, or why it cannot be resolved (an unknown group: the
     * enrollment is still claimed, then fails with the reason, so the administrator sees it);
     * empty when another KMS server serves the user.
     */
    private Optional<GroupResolution> resolveGroup(UserEntry user) {
        try {
            return context.scope().groupOf(user).map(group -> new GroupResolution(group, null));
        } catch (EnrollmentFailure e) {
            return Optional.of(new GroupResolution(null, e.getMessage()));
        }
    }

    /** Goes on with a claimed enrollment: fails it when its group could not be resolved. */
    private EnrollmentResult enrollResolved(UserEntry user, GroupResolution group, Claim claim) {
        if (group.unresolved() != null) {
            return enrollment.fail(user, group.unresolved(), null, claim);
        }
        return enrollment.enroll(user, group.group(), claim, source);
    }

    /** A new claim of this process on {@code user}, naming what enrolling the user supersedes. */
    private Claim newClaim(UserEntry user) {
        return Claim.of(context.attempts().next(), context.lease().fromNow())
                .superseding(SupersededCertificate.der(superseding(user)));
    }

    /**
     * What an enrollment claimed now supersedes: the certificates the user has published, and
     * those a claim left on the entry still names (a publication whose revocations were not
     * finished when the user was requested again). The claim carries them from before anything
     * is published until they are revoked.
     */
    private static List<SupersededCertificate> superseding(UserEntry user) {
        List<SupersededCertificate> left = user.claim() == null ? List.of()
                : SupersededCertificate.parse(user.claim().superseded());
        return SupersededCertificate.union(left, SupersededCertificate.parse(user.certificates()));
    }

    private static EnrollmentResult nobody(String dn) {
        return new EnrollmentResult(dn, List.of(), EnrollmentResult.Outcome.NOTHING, null, "there is no entry " + dn,
                null);
    }
}
