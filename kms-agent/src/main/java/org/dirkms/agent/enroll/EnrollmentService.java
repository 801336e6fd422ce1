package org.dirkms.agent.enroll;

import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.io.ByteArrayInputStream;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import org.dirkms.agent.ca.CaService;
import org.dirkms.agent.ca.CertificationAuthority;
import org.dirkms.agent.ca.IssuanceRefusedException;
import org.dirkms.agent.ca.IssuanceRequest;
import org.dirkms.agent.ca.StandardTemplates;
import org.dirkms.agent.directory.DirectoryAccessException;
import org.dirkms.agent.directory.EnrollmentRecords;
import org.dirkms.agent.directory.EnrollmentRecords.ArchivedKeyEntry;
import org.dirkms.agent.directory.EnrollmentRecords.GroupEntry;
import org.dirkms.agent.directory.EnrollmentRecords.Publication;
import org.dirkms.agent.directory.EnrollmentRecords.UserEntry;
import org.dirkms.agent.directory.LdapCaRecords;
import org.dirkms.agent.directory.LdapEnrollmentRecords;
import org.dirkms.agent.enroll.EnrollmentCryptography.PackageItem;
import org.dirkms.agent.enroll.EnrollmentCryptography.Wrapped;
import org.dirkms.agent.enroll.EnrollmentResult.Outcome;
import org.dirkms.schema.AttributeNames;
import org.dirkms.schema.CertificatePurpose;
import org.dirkms.schema.DirectoryLayout;
import org.dirkms.schema.EnrollmentState;
import org.dirkms.schema.RevocationReason;
import org.apache.directory.ldap.client.api.LdapNetworkConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The enrollment state machine of one user, persisted in the user's entry (DESIGN.md, reliability
 * model). {@link #handle(String)} reads the entry and does what its {@code kmsEnrollmentState}
 * asks:
 * <ul>
 * <li>{@code requested}: claims it with the atomic test-and-set and a lease, refuses it (failed)
 * when another entry of the directory holds one of its addresses, makes the encryption key, has both certificates issued by the CA in this process (same subject: the
 * user's DN), <b>archives the encryption key before any certificate is published</b>, then
 * publishes the two {@code kmsPublishedCertificate} children and, in one modify of the user
 * entry that is the commit point, the certificates, the S/MIME bundle, the key package, its
 * token and expiry, the archive record's DN in {@code kmsArchiveRecord}, and {@code enrolled}.
 * When the user's client wrote a {@code kmsDeliveryKey}, the package is sealed to it (CMS
 * EnvelopedData of a PKCS#12 with an empty password) and no token is written. The signing key comes from the user's
 * {@code kmsSigningRequest} when present (it never leaves the user's client), else it is made
 * here, delivered in the package only and never archived. Six directory writes at most: claim,
 * archive, two children, publication (five), plus nothing else.</li>
 * <li>{@code requested} when no CA is in this process: the same, except that the encryption key
 * is archived first (without its certificate), both requests are queued under
 * {@code ou=Requests} at DNs derived from the claim, and the enrollment waits in-progress until
 * a CA has served them ({@link #advanceQueued}), renewing its lease while it waits (a slow CA
 * must not let another agent take a live enrollment over); then the archive record gets its
 * certificate and the publication follows. A refused request ends in {@code failed} with the CA's reason.</li>
 * <li>re-enrollment of an enrolled user: the claim names the certificates it supersedes (written
 * before anything is published); the publication keeps that claim and its lease on the entry;
 * then the old certificates are revoked with reason superseded, the CRL republished, and the
 * claim ends (one write more than a first enrollment). A process killed in between leaves the
 * claim: once its lease expired, an agent with the CA takes it over and finishes the revocation
 * (revoking a serial twice lists it once).</li>
 * <li>{@code in-progress} with an expired lease: takes the work over with a test-and-set on the
 * stored lease, removes the archive record of the dead attempt (found by its DN, derived from
 * the dead claim) abandoned when that attempt never committed, deletes its queued requests not yet
 * issued, has the certificates the CA already issued to it revoked (at once with the CA in this
 * process, else through the claim, as superseded certificates are), and enrolls again.</li>
 * <li>{@code revoke-requested}: revokes both certificates (the CRL is republished on the CA
 * entry), removes them from the entry and its children; {@code revoked}. The archive stays.</li>
 * <li>any state: removes a package the user deleted (confirmation: the token goes) or one that
 * expired unfetched.</li>
 * </ul>
 * A failure the administrator can fix ends in {@code failed} with {@code kmsLastError} in plain
 * language, nothing half-done: a new {@code requested} retries. Thread-safe: several workers
 * may handle different users at once; the directory's test-and-set keeps two workers (or two
 * agents) off the same user.
 */
public final class EnrollmentService {
    /** How long a claim lasts before another process may take the work over. */
    public static final Duration DEFAULT_LEASE = Duration.ofMinutes(5);
    /** How long an unfetched key package stays (DESIGN.md: an unfetched package expires). */
    public static final Duration DEFAULT_PACKAGE_LIFETIME = Duration.ofDays(7);

    private static final Logger LOG = LoggerFactory.getLogger(EnrollmentService.class);

    private final EnrollmentRecords records;
    private final CaService caService;
    private final CertificationAuthority ca;
    private final EnrollmentCryptography crypto;
    private final AgentScope scope;
    private final Clock clock;
    private final String owner;
    private final Duration lease;
    private final Duration packageLifetime;
    private final java.util.concurrent.atomic.AtomicLong claims = new java.util.concurrent.atomic.AtomicLong();
    /** Enrollments whose certificates wait in the request queue, by claim (queue mode only). */
    private final java.util.concurrent.ConcurrentMap<String, Queued> queued = new java.util.concurrent.ConcurrentHashMap<>();

    /**
     * An enrollment waiting for the CA to serve its two queued requests: the keys exist only in
     * this process's memory (the encryption key is also in the archive, wrapped), so only the
     * holder of the claim can finish it; a process that dies leaves it to a take-over after the
     * lease, which removes the archive record and the requests of the dead attempt.
     */
    private record Queued(UserEntry user, GroupEntry group, String claim, Instant leaseExpires, KeyPair encryption,
            PrivateKey signingKey, String archiveDn, String signingRequestDn, String encryptionRequestDn) {
        /** The same enrollment under a renewed lease. */
        Queued renewed(Instant until) {
            return new Queued(user, group, claim, until, encryption, signingKey, archiveDn, signingRequestDn,
                    encryptionRequestDn);
        }
    }

    /**
     * Settings of an agent.
     *
     * @param agentDn the DN the agent binds as; it serves the groups whose KMS server names it
     * @param owner the identity of this process (unique per process); each claim writes it with a counter to {@code kmsClaimedBy}
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
        public static Settings defaults(String agentDn, java.security.SecureRandom random) {
            byte[] id = new byte[6];
            random.nextBytes(id);
            return new Settings(agentDn, agentDn + " pid " + ProcessHandle.current().pid() + " "
                    + HexFormat.of().formatHex(id), DEFAULT_LEASE, DEFAULT_PACKAGE_LIFETIME);
        }
    }

    /**
     * An enrollment service over {@code records}, issuing with {@code ca} (its revocations go
     * through {@code caService}), archiving to {@code recoveryCertificate}.
     *
     * <p>With {@code ca} null (no CA in this process: a standalone agent without the CA's key)
     * the certificates come through the request queue: the service archives the encryption key,
     * queues both requests under {@code ou=Requests} and publishes once a CA has issued them
     * ({@link #advanceQueued}); revocations then wait for an agent that has the CA.
     */
    public EnrollmentService(EnrollmentRecords records, CaService caService, CertificationAuthority ca,
            X509Certificate recoveryCertificate, Settings settings, Clock clock, java.security.SecureRandom random) {
        this(records, caService, ca, new KeysCryptography(recoveryCertificate, random), settings, clock);
    }

    /**
     * The enrollment service over one LDAP connection: its records ({@link LdapEnrollmentRecords})
     * and the CA's ({@link LdapCaRecords}) on {@code connection}, otherwise as
     * {@link #EnrollmentService(EnrollmentRecords, CaService, CertificationAuthority, X509Certificate,
     * Settings, Clock, java.security.SecureRandom)}. The one place an enrollment service is wired
     * to the directory: the running agent makes one for each connection it opens, and the
     * command line's composition root ({@code org.dirkms.dist.KmsContext}) delegates here.
     */
    public static EnrollmentService overLdap(LdapNetworkConnection connection, DirectoryLayout layout,
            CertificationAuthority ca, X509Certificate recoveryCertificate, Settings settings, Clock clock,
            java.security.SecureRandom random) {
        return new EnrollmentService(new LdapEnrollmentRecords(connection, layout, clock),
                new CaService(new LdapCaRecords(connection, layout, clock), layout, clock, random), ca,
                recoveryCertificate, settings, clock, random);
    }

    /** The records this service works on (the running agent also writes its heartbeat through them). */
    EnrollmentRecords records() {
        return records;
    }

    EnrollmentService(EnrollmentRecords records, CaService caService, CertificationAuthority ca,
            EnrollmentCryptography crypto, Settings settings, Clock clock) {
        this.records = records;
        this.caService = caService;
        this.ca = ca;
        this.crypto = crypto;
        this.clock = clock;
        this.owner = settings.owner();
        this.lease = settings.lease();
        this.packageLifetime = settings.packageLifetime();
        this.scope = new AgentScope(records, settings.agentDn(), clock, Duration.ofSeconds(30));
    }

    /** The DNs of the KMS server entries naming this agent (where it saves its cookie and heartbeat). */
    public List<String> servedServers() {
        return scope.myServers();
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
            return nothing(dn, List.of(), null, "there is no entry " + dn);
        }
        UserEntry user = found.get();
        if (!queued.isEmpty()) {
            // A waiting enrollment of this user whose claim is no longer on the entry (taken over
            // after its lease, or reset by an administrator) can never be published: forget it.
            String normal = AgentScope.normal(user.dn());
            queued.values().removeIf(q -> AgentScope.normal(q.user().dn()).equals(normal)
                    && (user.state() != EnrollmentState.IN_PROGRESS || !q.claim().equals(user.claimedBy())));
        }
        if (user.state() == null) {
            return packageMaintenance(user);
        }
        return switch (user.state()) {
            case REQUESTED -> claimAndEnroll(user);
            case IN_PROGRESS -> {
                Queued mine = user.claimedBy() == null ? null : queued.get(user.claimedBy());
                yield mine != null ? advance(mine) : takeOverIfExpired(user);
            }
            case REVOKE_REQUESTED -> revokeIfServed(user);
            case ENROLLED, FAILED -> ClaimLineage.superseded(user.claimedBy()).isEmpty() ? packageMaintenance(user)
                    : finishSupersession(user);
            default -> packageMaintenance(user);
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
        for (Queued waiting : List.copyOf(queued.values())) {
            results.add(handle(waiting.user().dn()));
        }
        return results;
    }

    /** The DNs of the users whose enrollment by this service waits for the CA (queue mode). */
    public List<String> queuedUsers() {
        List<String> dns = new ArrayList<>();
        for (Queued waiting : queued.values()) {
            dns.add(waiting.user().dn());
        }
        return dns;
    }

    /**
     * Takes over the waiting enrollments and the claim counter of {@code previous}, the service
     * this agent used before its connection was reopened: the keys of a waiting enrollment live
     * only in memory, and a claim identity must never repeat within one owner.
     */
    void adoptFrom(EnrollmentService previous) {
        claims.accumulateAndGet(previous.claims.get(), Math::max);
        queued.putAll(previous.queued);
    }

    /** How many enrollments of this service wait for the CA to serve their requests. */
    public int queuedCount() {
        return queued.size();
    }

    /**
     * Enrolls the user at {@code dn} now, as bulk enrollment does: a user already enrolled is
     * skipped (re-running a bulk enrollment is harmless); otherwise the user is claimed in one
     * test-and-set from whatever state it has (adding {@code kmsUser} when missing), so that an
     * agent watching the directory never sees a {@code requested} to race for.
     *
     * @throws DirectoryAccessException as {@link #handle}
     */
    public EnrollmentResult enrollDirectly(String dn) {
        Optional<UserEntry> found = records.readUser(dn);
        if (found.isEmpty()) {
            return nothing(dn, List.of(), null, "there is no entry " + dn);
        }
        UserEntry user = found.get();
        if (user.state() == null && user.rawState() != null) {
            return nothing(user, AttributeNames.ENROLLMENT_STATE + " '" + user.rawState() + "' is not a known state");
        }
        if (user.state() != null) {
            switch (user.state()) {
                case ENROLLED:
                    return nothing(user, "already enrolled");
                case IN_PROGRESS:
                    return takeOverIfExpired(user);
                case REVOKE_REQUESTED:
                    return nothing(user, "a revocation is pending");
                default:
                    break;
            }
        }
        Optional<GroupResolution> group = resolveGroup(user);
        if (group.isEmpty()) {
            return nothing(user, "served by another KMS server");
        }
        Instant leaseExpires = leaseFromNow();
        String claim = nextClaim() + ClaimLineage.supersedesSuffix(superseding(user));
        if (!records.claimFrom(user.dn(), user.state(), !user.kmsUser(), claim, leaseExpires)) {
            return nothing(user, "another process claimed the enrollment first");
        }
        return enrollResolved(user, group.get(), claim, leaseExpires);
    }

    /**
     * Everything that waits at start (DESIGN.md: reconcile the whole tree, so that a change made
     * while the agent was down is acted on): requested, revoke-requested, in-progress with an
     * expired lease, enrolled with superseded certificates left to revoke, and packages to remove.
     */
    public List<EnrollmentResult> reconcile() {
        List<EnrollmentResult> results = new ArrayList<>();
        List<String> dns = new ArrayList<>();
        for (UserEntry user : records.usersInState(EnrollmentState.REQUESTED, EnrollmentState.REVOKE_REQUESTED,
                EnrollmentState.IN_PROGRESS)) {
            dns.add(user.dn());
        }
        for (UserEntry user : records.claimedUsersIn(EnrollmentState.ENROLLED, EnrollmentState.FAILED)) {
            dns.add(user.dn()); // certificates to revoke that a crash, or an agent without the CA, left
        }
        for (UserEntry user : records.usersWithPackage()) {
            if (!dns.contains(user.dn())) {
                dns.add(user.dn());
            }
        }
        for (String dn : dns) {
            results.add(handle(dn));
        }
        return results;
    }

    private EnrollmentResult claimAndEnroll(UserEntry user) {
        Optional<GroupResolution> group = resolveGroup(user);
        if (group.isEmpty()) {
            return nothing(user, "served by another KMS server");
        }
        Instant leaseExpires = leaseFromNow();
        String claim = nextClaim() + ClaimLineage.supersedesSuffix(superseding(user));
        if (!records.claim(user.dn(), EnrollmentState.REQUESTED, claim, leaseExpires)) {
            return nothing(user, "another process claimed the enrollment first");
        }
        return enrollResolved(user, group.get(), claim, leaseExpires);
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
            return scope.groupOf(user).map(group -> new GroupResolution(group, null));
        } catch (EnrollmentFailure e) {
            return Optional.of(new GroupResolution(null, e.getMessage()));
        }
    }

    /** Goes on with a claimed enrollment: fails it when its group could not be resolved. */
    private EnrollmentResult enrollResolved(UserEntry user, GroupResolution group, String claim,
            Instant leaseExpires) {
        if (group.unresolved() != null) {
            return fail(user, group.unresolved(), null, claim);
        }
        return enrollClaimed(user, group.group(), claim, leaseExpires);
    }

    private EnrollmentResult takeOverIfExpired(UserEntry user) {
        Instant now = clock.instant();
        if (user.rawLeaseExpires() == null || user.leaseExpires().isAfter(now)) {
            return nothing(user, "in progress under a valid lease");
        }
        Optional<GroupResolution> group = resolveGroup(user);
        if (group.isEmpty()) {
            return nothing(user, "served by another KMS server");
        }
        Instant leaseExpires = leaseFromNow();
        String claim = nextClaim() + ClaimLineage.supersedesSuffix(superseding(user))
                + ClaimLineage.successorSuffix(user.claimedBy(), user.leaseExpires());
        if (!records.takeOver(user.dn(), user.rawLeaseExpires(), claim, leaseExpires)) {
            return nothing(user, "another process took the expired enrollment over first");
        }
        LOG.info("Took over the enrollment of {} (lease of {} expired at {})", user.dn(), user.claimedBy(),
                user.leaseExpires());
        claim = removeOrphan(user, claim);
        if (claim == null) {
            return nothing(user, "another process took the expired enrollment over first");
        }
        return enrollResolved(user, group.get(), claim, leaseExpires);
    }

    /**
     * The archive record of the attempt that died (its DN derives from the dead claim, read from
     * the user entry before the take-over): when its certificate never reached
     * {@code userCertificate}, the attempt never committed, so the record is marked abandoned (the
     * archive is append-only: it is never deleted). The children that attempt may have published go first, so that no visible certificate ever
     * lacks its archived key; the new attempt publishes new ones.
     *
     * <p>The request entries the dead attempts queued (queue mode, found by the DNs derived from
     * their identities) are withdrawn: one not yet issued is deleted, so that no CA issues it
     * for a key nobody holds any more. One the CA already issued holds a certificate for such a
     * key, never published: it must be revoked. An agent with the CA revokes it at once (reason
     * superseded: the successor's certificate replaces it). An agent without the CA cannot sign
     * a CRL, so it does what a re-enrollment does with the certificates it supersedes: it adds
     * the certificate to its own claim (one test-and-set on the claim it just took), which the
     * publication keeps on the entry, under its lease, until an agent with the CA takes it over
     * and revokes it ({@link #finishSupersession}). Only once the serial is on the CRL or in the
     * claim is the issued request deleted; a crash before that leaves it for the next take-over,
     * whose lineage names the same dead attempts.
     *
     * @return the claim this attempt now holds ({@code claim}, or it extended with the
     *         certificates to revoke), or null if another process took the claim over meanwhile
     */
    private String removeOrphan(UserEntry user, String claim) {
        if (user.claimedBy() == null || user.leaseExpires() == null) {
            return claim;
        }
        // Every attempt that died on this enrollment since it was last claimed from requested: the
        // one whose lease just expired, and those it had itself replaced but perhaps not yet
        // cleaned up when it died (a process killed between its take-over and this clean-up).
        List<ClaimLineage.Attempt> deadAttempts = ClaimLineage.deadAttempts(user.claimedBy(), user.leaseExpires());
        List<EnrollmentRecords.QueuedRequest> issued = new ArrayList<>();
        for (ClaimLineage.Attempt dead : deadAttempts) {
            issued.addAll(withdrawRequests(user, dead));
        }
        String held = claim;
        if (!issued.isEmpty()) {
            held = revokeUnpublished(user, claim, issued);
            if (held == null) {
                return null;
            }
            for (EnrollmentRecords.QueuedRequest request : issued) {
                records.deleteRequest(request.dn());
            }
        }
        for (ClaimLineage.Attempt dead : deadAttempts) {
            removeOrphan(user, dead);
        }
        return held;
    }

    /** Deletes the requests of {@code dead} not yet issued; returns those the CA issued. */
    private List<EnrollmentRecords.QueuedRequest> withdrawRequests(UserEntry user, ClaimLineage.Attempt dead) {
        List<EnrollmentRecords.QueuedRequest> issued = new ArrayList<>();
        for (CertificatePurpose purpose : List.of(CertificatePurpose.SIGNING, CertificatePurpose.ENCRYPTION)) {
            String requestDn = records.requestDn(user.dn(), dead.claim(), purpose.ldapValue());
            Optional<EnrollmentRecords.QueuedRequest> request = records.readRequest(requestDn);
            if (issued(request)) {
                issued.add(request.get());
            } else if (request.isPresent()) {
                records.deleteRequest(requestDn);
                LOG.info("Removed the {} request {} of an interrupted enrollment of {}", purpose.ldapValue(),
                        requestDn, user.dn());
            }
        }
        return issued;
    }

    /**
     * The certificates the CA issued to dead attempts (never published, their keys lost with the
     * process): revoked now with the CA in this process, else added to {@code claim}.
     *
     * @return the claim now held, or null if it was lost to another process
     */
    private String revokeUnpublished(UserEntry user, String claim, List<EnrollmentRecords.QueuedRequest> issued) {
        List<ClaimLineage.Superseded> unpublished = new ArrayList<>();
        for (EnrollmentRecords.QueuedRequest request : issued) {
            unpublished.add(ClaimLineage.Superseded.of(parse(request.certificate(), request.dn())));
        }
        if (ca != null) {
            List<ClaimLineage.Superseded> others = new ArrayList<>();
            for (ClaimLineage.Superseded certificate : unpublished) {
                if (certificate.issuedBy(ca.certificate())) {
                    caService.revoke(ca, certificate.serial(), RevocationReason.SUPERSEDED);
                } else {
                    others.add(certificate);
                }
            }
            LOG.info("{}: revoked the {} certificate(s) issued to an interrupted enrollment", user.dn(),
                    unpublished.size() - others.size());
            if (others.isEmpty()) {
                return claim;
            }
            unpublished = others; // another CA's: left in the claim for an agent that has that CA
        }
        java.util.LinkedHashSet<ClaimLineage.Superseded> all = new java.util.LinkedHashSet<>(
                ClaimLineage.superseded(claim));
        all.addAll(unpublished);
        String extended = ClaimLineage.withSuperseded(claim, List.copyOf(all));
        if (!records.replaceClaim(user.dn(), claim, extended)) {
            return null;
        }
        LOG.info("{}: the {} certificate(s) issued to an interrupted enrollment wait in the claim for an agent with"
                + " the CA to revoke them", user.dn(), unpublished.size());
        return extended;
    }

    private void removeOrphan(UserEntry user, ClaimLineage.Attempt dead) {
        String deadDn = records.archivedKeyDn(user.dn(), dead.claim());
        for (ArchivedKeyEntry archived : records.archivedKeys(user.dn())) {
            if (!AgentScope.normal(archived.dn()).equals(AgentScope.normal(deadDn))) {
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

    /**
     * A claim's identity for {@code kmsClaimedBy}: this process's owner and a counter, unique
     * per attempt, so that the archive record DN derived from it never collides, even for two
     * attempts on one user within one second.
     */
    private String nextClaim() {
        return owner + " #" + claims.incrementAndGet();
    }

    /**
     * What an enrollment claimed now supersedes: the certificates the user has published, and
     * those a claim left on the entry still lists (a publication whose revocations were not
     * finished when the user was requested again). The claim carries them from before anything
     * is published until they are revoked.
     */
    private static List<ClaimLineage.Superseded> superseding(UserEntry user) {
        java.util.LinkedHashSet<ClaimLineage.Superseded> superseded = new java.util.LinkedHashSet<>(
                ClaimLineage.superseded(user.claimedBy()));
        superseded.addAll(published(user));
        return List.copyOf(superseded);
    }

    /** The certificates in the user's {@code userCertificate}, as entries of a claim. */
    private static List<ClaimLineage.Superseded> published(UserEntry user) {
        List<ClaimLineage.Superseded> published = new ArrayList<>();
        for (byte[] der : user.certificates()) {
            try {
                published.add(ClaimLineage.Superseded.of(parse(der, user.dn())));
            } catch (IllegalStateException e) {
                // Not a certificate (written by hand): nothing to revoke; a publication replaces it.
                LOG.warn("{}: a userCertificate value is not a certificate; it is not revoked", user.dn());
            }
        }
        return published;
    }

    /** The end of a new lease, to the second: the directory stores GeneralizedTime to the second. */
    private Instant leaseFromNow() {
        return clock.instant().plus(lease).truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
    }

    private EnrollmentResult enrollClaimed(UserEntry user, GroupEntry group, String claim, Instant leaseExpires) {
        Attempt attempt = new Attempt();
        attempt.claim = claim;
        return guarded(user, attempt, () -> {
            if (user.mail().isEmpty()) {
                throw new EnrollmentFailure("the entry has no mail address: add mail (mail clients look certificates up"
                        + " by it), then set " + AttributeNames.ENROLLMENT_STATE + ": requested again");
            }
            refuseSharedAddresses(user);
            if (user.deliveryKey() != null) {
                try {
                    crypto.checkDeliveryKey(user.deliveryKey());
                } catch (IllegalArgumentException e) {
                    throw new EnrollmentFailure(AttributeNames.DELIVERY_KEY + " cannot be used: " + e.getMessage()
                            + "; the user's client writes a new self-signed PKCS#10 of an RSA (2048 bits or more) or"
                            + " EC key there (or the user removes it to get a package protected by a token), then set "
                            + AttributeNames.ENROLLMENT_STATE + ": requested again");
                }
            }
            if (ca == null) {
                return enqueue(user, group, claim, leaseExpires, attempt);
            }
            X509Certificate signing;
            PrivateKey signingKey = null;
            if (user.signingRequest() != null) {
                signing = issue(StandardTemplates.SMIME_SIGNATURE, user.signingRequest(), user, true);
            } else {
                KeyPair pair = crypto.newKeyPair(group.keyAlgorithm());
                signing = issue(StandardTemplates.SMIME_SIGNATURE, crypto.certificationRequest(pair), user, false);
                signingKey = pair.getPrivate();
            }
            KeyPair encryption = crypto.newKeyPair(group.keyAlgorithm());
            X509Certificate encryptionCertificate = issue(StandardTemplates.SMIME_ENCRYPTION,
                    crypto.certificationRequest(encryption), user, false);

            // The invariant (DESIGN.md, reliability model): the encryption key is durably archived
            // before any certificate for it is published. An add that fails stops here.
            Wrapped wrapped = crypto.wrap(encryption.getPrivate(), encryptionCertificate);
            String archiveDn = records.archivedKeyDn(user.dn(), ClaimLineage.attemptOf(claim));
            records.addArchivedKey(new ArchivedKeyEntry(archiveDn, user.dn(), wrapped.envelopedData(),
                    der(encryptionCertificate), wrapped.algorithm(), wrapped.keyId()));
            attempt.archived = archiveDn;
            return publishEnrolled(user, group, claim, signing, signingKey, encryptionCertificate,
                    encryption.getPrivate(), ca.chain(), attempt);
        });
    }

    /**
     * An address is certified for one person only (docs/security.md, "The KMS itself checks what
     * it certifies"): the directory administrator sets {@code mail}, so one person holding that
     * role could otherwise give their own entry someone else's address and have a KMS
     * administrator enroll it. Any entry of the directory other than the user and the
     * certificates published for the user that holds one of the user's addresses stops the
     * enrollment before anything is issued, archived or published.
     */
    private void refuseSharedAddresses(UserEntry user) throws EnrollmentFailure {
        String self = AgentScope.normal(user.dn());
        java.util.Map<String, java.util.Set<String>> others = new java.util.LinkedHashMap<>();
        for (EnrollmentRecords.AddressHolder holder : records.entriesWithMail(user.mail())) {
            if (AgentScope.normal(holder.holderDn()).equals(self) || AgentScope.normal(holder.dn()).equals(self)) {
                continue;
            }
            for (String address : holder.mail()) {
                others.computeIfAbsent(address.toLowerCase(java.util.Locale.ROOT), a -> new java.util.LinkedHashSet<>())
                        .add(holder.holderDn());
            }
        }
        if (others.isEmpty()) {
            return;
        }
        List<String> clashes = new ArrayList<>();
        others.forEach((address, holders) -> {
            // A handful of DNs names the problem; a directory full of copies need not fill kmsLastError.
            List<String> named = holders.stream().limit(3).toList();
            clashes.add("the address " + address + " is also the mail of " + String.join(" and ", named)
                    + (holders.size() > named.size() ? " and " + (holders.size() - named.size()) + " more entries" : ""));
        });
        throw new EnrollmentFailure(String.join("; ", clashes) + ": an address is certified for one person only, so"
                + " nothing was issued; remove it from the entry that must not have it (the directory administrator"
                + " sets mail), then set " + AttributeNames.ENROLLMENT_STATE + ": requested again");
    }

    /**
     * Queue mode, first half: makes the keys, archives the encryption key (without its
     * certificate, which does not exist yet: the record is written before the request is
     * queued, so whatever the CA later issues for that key has its key archived), then queues
     * both requests at DNs derived from the claim. The enrollment stays in-progress under the
     * claim; {@link #advance} finishes it.
     */
    private EnrollmentResult enqueue(UserEntry user, GroupEntry group, String claim, Instant leaseExpires,
            Attempt attempt) {
        byte[] signingRequest;
        PrivateKey signingKey = null;
        if (user.signingRequest() != null) {
            signingRequest = user.signingRequest();
        } else {
            KeyPair pair = crypto.newKeyPair(group.keyAlgorithm());
            signingRequest = crypto.certificationRequest(pair);
            signingKey = pair.getPrivate();
        }
        KeyPair encryption = crypto.newKeyPair(group.keyAlgorithm());
        Wrapped wrapped = crypto.wrap(encryption.getPrivate(), null);
        String archiveDn = records.archivedKeyDn(user.dn(), ClaimLineage.attemptOf(claim));
        records.addArchivedKey(new ArchivedKeyEntry(archiveDn, user.dn(), wrapped.envelopedData(), null,
                wrapped.algorithm(), wrapped.keyId()));
        attempt.archived = archiveDn;
        String signingDn = records.requestDn(user.dn(), ClaimLineage.attemptOf(claim),
                CertificatePurpose.SIGNING.ldapValue());
        String encryptionDn = records.requestDn(user.dn(), ClaimLineage.attemptOf(claim),
                CertificatePurpose.ENCRYPTION.ldapValue());
        Queued waiting = new Queued(user, group, claim, leaseExpires, encryption, signingKey, archiveDn, signingDn,
                encryptionDn);
        // Registered before the adds: a CA that serves them at once finds the enrollment known.
        queued.put(claim, waiting);
        try {
            records.queueRequest(signingDn, StandardTemplates.SMIME_SIGNATURE, user.dn(), signingRequest);
            records.queueRequest(encryptionDn, StandardTemplates.SMIME_ENCRYPTION, user.dn(),
                    crypto.certificationRequest(encryption));
        } catch (DirectoryAccessException e) {
            queued.remove(claim);
            throw e;
        }
        LOG.info("Queued the certificate requests of {} ({}); encryption key archived at {}", user.dn(), group.dn(),
                archiveDn);
        return new EnrollmentResult(user.dn(), user.mail(), Outcome.QUEUED, EnrollmentState.IN_PROGRESS,
                "waiting for the CA to serve " + signingDn + " and " + encryptionDn, null);
    }

    /**
     * Queue mode, second half: when both requests are issued, checks that each certificate is
     * for the key this enrollment holds, adds the encryption certificate to the archive record
     * and publishes; when the CA refused one, ends the enrollment as failed with the CA's reason
     * (nothing was published, so the archive record goes).
     */
    private EnrollmentResult advance(Queued held) {
        Queued waiting = renewIfDue(held);
        if (waiting == null) {
            queued.remove(held.claim());
            return nothing(held.user(), "the claim was lost to another process while the requests waited for the CA");
        }
        Optional<EnrollmentRecords.QueuedRequest> signing = records.readRequest(waiting.signingRequestDn());
        Optional<EnrollmentRecords.QueuedRequest> encryption = records.readRequest(waiting.encryptionRequestDn());
        Attempt attempt = new Attempt();
        attempt.claim = waiting.claim();
        attempt.archived = waiting.archiveDn();
        UserEntry user = waiting.user();
        boolean clientSigning = user.signingRequest() != null;
        EnrollmentResult result = guarded(user, attempt, () -> {
            String refused = refusal(signing, waiting.signingRequestDn(), "signature", clientSigning);
            if (refused == null) {
                refused = refusal(encryption, waiting.encryptionRequestDn(), "encryption", false);
            }
            if (refused != null) {
                // The other request must not be issued any more for a key nobody will publish.
                for (Optional<EnrollmentRecords.QueuedRequest> other : List.of(signing, encryption)) {
                    other.filter(r -> r.state() == org.dirkms.schema.RequestState.PENDING)
                            .ifPresent(r -> records.deleteRequest(r.dn()));
                }
                throw new EnrollmentFailure(refused);
            }
            if (!issued(signing) || !issued(encryption)) {
                return new EnrollmentResult(user.dn(), user.mail(), Outcome.QUEUED, EnrollmentState.IN_PROGRESS,
                        "waiting for the CA to serve the certificate requests", null);
            }
            X509Certificate signingCertificate = parse(signing.get().certificate(), user.dn());
            X509Certificate encryptionCertificate = parse(encryption.get().certificate(), user.dn());
            if (!org.dirkms.agent.keys.KeyPairFactory.matches(waiting.encryption().getPrivate(),
                    encryptionCertificate.getPublicKey())
                    || (waiting.signingKey() != null && !org.dirkms.agent.keys.KeyPairFactory.matches(
                            waiting.signingKey(), signingCertificate.getPublicKey()))) {
                throw new IllegalStateException("a certificate issued through the queue is not for the key requested");
            }
            List<X509Certificate> caChain = caChain(encryptionCertificate);
            records.attachArchivedCertificate(waiting.archiveDn(), der(encryptionCertificate));
            return publishEnrolled(user, waiting.group(), waiting.claim(), signingCertificate, waiting.signingKey(),
                    encryptionCertificate, waiting.encryption().getPrivate(), caChain, attempt);
        });
        if (result.outcome() != Outcome.QUEUED) {
            queued.remove(waiting.claim());
        }
        return result;
    }

    /**
     * Queue mode: a CA may take long to serve the requests (it serves the queue on a period, and
     * may be down), but the keys of a waiting enrollment live only in this process, so a take-over
     * of a live enrollment would throw them away and queue again. While it waits, the holder
     * renews its lease once half of it has passed, with a test-and-set on the claim and the
     * stored lease; a holder that dies stops renewing, and the lease expires as before.
     *
     * @return the enrollment under its (possibly renewed) lease, or null if another process took
     *         the claim over (this attempt must then publish nothing)
     */
    private Queued renewIfDue(Queued waiting) {
        if (waiting.leaseExpires().minus(lease.dividedBy(2)).isAfter(clock.instant())) {
            return waiting;
        }
        Instant until = leaseFromNow();
        if (!records.renewLease(waiting.user().dn(), waiting.claim(), waiting.leaseExpires(), until)) {
            LOG.info("{}: the claim {} was taken over while its requests waited for the CA", waiting.user().dn(),
                    ClaimLineage.attemptOf(waiting.claim()));
            return null;
        }
        Queued renewed = waiting.renewed(until);
        queued.replace(waiting.claim(), renewed);
        LOG.debug("{}: lease renewed until {} while the requests wait for the CA", waiting.user().dn(), until);
        return renewed;
    }

    private static boolean issued(Optional<EnrollmentRecords.QueuedRequest> request) {
        return request.isPresent() && request.get().state() == org.dirkms.schema.RequestState.ISSUED
                && request.get().certificate() != null;
    }

    /** The plain-language reason when {@code request} ended without a certificate, else null. */
    private static String refusal(Optional<EnrollmentRecords.QueuedRequest> request, String dn, String kind,
            boolean fromClient) {
        if (request.isEmpty()) {
            return "the " + kind + " certificate request " + dn + " was removed before a CA served it; set "
                    + AttributeNames.ENROLLMENT_STATE + ": requested to retry";
        }
        org.dirkms.schema.RequestState state = request.get().state();
        if (state != org.dirkms.schema.RequestState.FAILED && state != org.dirkms.schema.RequestState.EXPIRED) {
            return null;
        }
        String reason = request.get().lastError() == null ? "no reason given" : request.get().lastError();
        if (fromClient) {
            return AttributeNames.SIGNING_REQUEST + " cannot be certified: " + reason + "; replace it with a valid"
                    + " PKCS#10 request made by the user's client (or remove it to let the KMS make the signing key),"
                    + " then set " + AttributeNames.ENROLLMENT_STATE + ": requested again";
        }
        return "the CA " + (state == org.dirkms.schema.RequestState.EXPIRED ? "did not serve" : "refused") + " the "
                + kind + " certificate request: " + reason + "; set " + AttributeNames.ENROLLMENT_STATE
                + ": requested to retry";
    }

    /** The issuer's chain, read from its CA entry (it sits at the issuer's subject DN). */
    private List<X509Certificate> caChain(X509Certificate leaf) {
        String issuer = leaf.getIssuerX500Principal().getName(javax.security.auth.x500.X500Principal.RFC2253);
        List<X509Certificate> chain = new ArrayList<>();
        for (byte[] der : records.caCertificates(issuer)) {
            chain.add(parse(der, issuer));
        }
        if (chain.isEmpty()) {
            throw new IllegalStateException("there is no CA entry at the issuer's DN " + issuer);
        }
        return chain;
    }

    /**
     * The commit of an enrollment whose encryption key is archived: builds the package and the
     * bundle, publishes the children and, in one modify under the claim, the user entry; then
     * revokes what the new certificates supersede.
     */
    private EnrollmentResult publishEnrolled(UserEntry user, GroupEntry group, String claim, X509Certificate signing,
            PrivateKey signingKey, X509Certificate encryptionCertificate, PrivateKey encryptionKey,
            List<X509Certificate> caChain, Attempt attempt) {
        String name = user.mail().get(0);
        List<PackageItem> items = new ArrayList<>();
        items.add(new PackageItem(encryptionKey, chain(encryptionCertificate, caChain), name + " encryption"));
        if (signingKey != null) {
            items.add(new PackageItem(signingKey, chain(signing, caChain), name + " signing"));
        }
        byte[] keyPackage;
        if (user.deliveryKey() != null) {
            // Sealed delivery (docs/security.md, "Key delivery"): only the holder of the key the
            // user's client made opens the package; no token exists for anybody to hand over.
            keyPackage = crypto.sealedKeyPackage(items, user.deliveryKey(), group.packageFormat());
        } else {
            attempt.token = crypto.newToken();
            keyPackage = crypto.keyPackage(items, attempt.token, group.packageFormat());
        }
        char[] token = attempt.token;
        byte[] bundle = crypto.smimeBundle(signing, signingKey, encryptionCertificate, caChain,
                group.contentEncryption(), group.messageFormat());

        // What this enrollment supersedes was written with the claim, before anything is
        // published; the publication keeps it on the entry, under the claim and its lease, until it
        // is revoked, so a crash right after publishing leaves it to a take-over.
        List<ClaimLineage.Superseded> superseded = new ArrayList<>(ClaimLineage.superseded(claim));
        superseded.remove(ClaimLineage.Superseded.of(signing));
        superseded.remove(ClaimLineage.Superseded.of(encryptionCertificate));
        String remainingClaim = superseded.isEmpty() ? null
                : ClaimLineage.attemptOf(claim) + ClaimLineage.supersedesSuffix(superseded);

        attempt.visible = true;
        records.putPublishedCertificate(user.dn(), CertificatePurpose.SIGNING.ldapValue(), user.mail(), der(signing));
        records.putPublishedCertificate(user.dn(), CertificatePurpose.ENCRYPTION.ldapValue(), user.mail(),
                der(encryptionCertificate));
        Instant expires = clock.instant().plus(packageLifetime);
        if (!records.publish(user.dn(), claim, new Publication(List.of(der(signing), der(encryptionCertificate)),
                bundle, keyPackage, token, expires, remainingClaim, attempt.archived))) {
            // Our lease expired and another process took over: it replaces the children and
            // publishes its own keys; our archived key stays, its certificate was visible.
            clear(token);
            return nothing(user, "the claim was lost to another process before publication");
        }
        LOG.info("Enrolled {} ({}): signing {} encryption {}, key archived at {}", user.dn(), group.dn(),
                signing.getSerialNumber().toString(16), encryptionCertificate.getSerialNumber().toString(16),
                attempt.archived);
        if (remainingClaim != null) {
            supersede(user, remainingClaim, superseded);
        }
        return new EnrollmentResult(user.dn(), user.mail(), Outcome.ENROLLED, EnrollmentState.ENROLLED, null, token);
    }

    /** What one attempt has done so far, for the clean-up of a failure. */
    private static final class Attempt {
        String claim;
        String archived;
        boolean visible;
        char[] token;
    }

    /** One step of an attempt; it may end the enrollment with a failure the administrator can fix. */
    private interface Step {
        EnrollmentResult run() throws EnrollmentFailure;
    }

    /**
     * Runs {@code step} with the failure handling every attempt shares: a failure the
     * administrator can fix ends in failed (the archive record goes when nothing was
     * published); a directory failure leaves the claim to expire and be taken over; anything
     * else is logged and ends in failed without internals.
     */
    private EnrollmentResult guarded(UserEntry user, Attempt attempt, Step step) {
        try {
            return step.run();
        } catch (EnrollmentFailure e) {
            clear(attempt.token);
            return fail(user, e.getMessage(), attempt.visible ? null : attempt.archived, attempt.claim);
        } catch (DirectoryAccessException e) {
            clear(attempt.token);
            // The directory failed mid-way: the claim's lease expires and the work is taken over;
            // nothing is lost (the archive record of this attempt is found by its DN).
            LOG.warn("Enrollment of {} interrupted: {}", user.dn(), e.getMessage());
            throw e;
        } catch (RuntimeException e) {
            clear(attempt.token);
            // Not the administrator's doing (e.g. a broken key store): the cause goes to the log,
            // the entry gets a reason without internals, and a new 'requested' retries.
            LOG.error("Enrollment of {} failed", user.dn(), e);
            return fail(user, "the KMS could not complete the enrollment (" + e.getClass().getSimpleName()
                    + "); the agent's log has the details; set " + AttributeNames.ENROLLMENT_STATE
                    + ": requested to retry", attempt.visible ? null : attempt.archived, attempt.claim);
        }
    }

    private X509Certificate issue(String template, byte[] pkcs10, UserEntry user, boolean fromClient)
            throws EnrollmentFailure {
        try {
            return ca.issue(IssuanceRequest.forPerson(template, pkcs10, user.dn(), user.mail()));
        } catch (IssuanceRefusedException e) {
            if (fromClient) {
                throw new EnrollmentFailure(AttributeNames.SIGNING_REQUEST + " cannot be certified: " + e.getMessage()
                        + "; replace it with a valid PKCS#10 request made by the user's client (or remove it to let"
                        + " the KMS make the signing key), then set " + AttributeNames.ENROLLMENT_STATE
                        + ": requested again");
            }
            throw new EnrollmentFailure("the CA refused the " + template + " certificate: " + e.getMessage());
        }
    }

    /**
     * Re-enrollment, after the publication: the certificates the new ones supersede (listed by
     * {@code claim}, which the publication left on the entry with its lease) are revoked with
     * reason superseded (RFC 5280 section 5.3.1) and the CRL on the CA entry is republished with
     * them; then the claim ends. Certificates of another CA are left alone (this agent cannot
     * revoke them); a serial already on the CRL is not listed twice, so a take-over that repeats
     * the work after a crash is harmless. Without a CA in this process the claim stays, for an
     * agent that has the CA to take over once its lease expires ({@link #finishSupersession}).
     */
    private int supersede(UserEntry user, String claim, List<ClaimLineage.Superseded> superseded) {
        if (ca == null) {
            LOG.info("{}: the {} superseded certificate(s) wait for an agent with the CA to revoke them", user.dn(),
                    superseded.size());
            return 0;
        }
        List<String> revoked = new ArrayList<>();
        for (ClaimLineage.Superseded old : superseded) {
            if (!old.issuedBy(ca.certificate())) {
                LOG.warn("{}: superseded certificate {} was issued by another CA than this agent's; not revoked",
                        user.dn(), old.serial().toString(16));
                continue;
            }
            caService.revoke(ca, old.serial(), RevocationReason.SUPERSEDED);
            revoked.add(old.serial().toString(16));
        }
        if (!revoked.isEmpty()) {
            LOG.info("Re-enrolled {}: revoked the superseded certificates {}", user.dn(), revoked);
        }
        if (!records.endClaim(user.dn(), claim)) {
            LOG.info("{}: another process took the revocation of the superseded certificates over", user.dn());
        }
        return revoked.size();
    }

    /**
     * An enrolled (or failed) user whose entry still holds a claim naming certificates to revoke:
     * the process that published died before revoking what it superseded (or has no CA), or an
     * attempt without the CA failed while its claim named certificates nobody publishes. Once the lease expired, an agent with the CA takes the claim over with the same
     * test-and-set on the stored lease as any take-over, revokes them and ends the claim.
     */
    private EnrollmentResult finishSupersession(UserEntry user) {
        List<ClaimLineage.Superseded> superseded = ClaimLineage.superseded(user.claimedBy());
        if (ca == null) {
            return nothing(user, "the revocation of " + superseded.size()
                    + " superseded certificate(s) waits for an agent that has the CA in its process");
        }
        if (user.rawLeaseExpires() == null || user.leaseExpires().isAfter(clock.instant())) {
            return nothing(user, "the superseded certificates are being revoked under a valid lease");
        }
        String claim = nextClaim() + ClaimLineage.supersedesSuffix(superseded);
        if (!records.takeOver(user.dn(), user.rawLeaseExpires(), claim, leaseFromNow())) {
            return nothing(user, "another process took the revocation of the superseded certificates over first");
        }
        LOG.info("Took over the revocation of the certificates {} superseded (lease of {} expired at {})", user.dn(),
                ClaimLineage.attemptOf(user.claimedBy()), user.leaseExpires());
        int revoked = supersede(user, claim, superseded);
        return new EnrollmentResult(user.dn(), user.mail(), Outcome.REVOKED, user.state(),
                "revoked " + revoked + " superseded certificate(s)", null);
    }

    private EnrollmentResult revokeIfServed(UserEntry user) {
        if (ca == null) {
            // Revocation signs a CRL: only an agent with the CA in its process can do it.
            return nothing(user, "the revocation waits for an agent that has the CA in its process");
        }
        try {
            if (scope.groupOf(user).isEmpty()) {
                return nothing(user, "served by another KMS server");
            }
        } catch (EnrollmentFailure e) {
            // The user's group is gone; this agent (the default group's) still revokes what its CA issued.
            LOG.info("Revoking {} whose group cannot be resolved: {}", user.dn(), e.getMessage());
        }
        RevocationReason reason = user.revocationReason() == null ? RevocationReason.UNSPECIFIED : user.revocationReason();
        List<byte[]> certificates = new ArrayList<>(user.certificates());
        for (byte[] child : records.publishedCertificates(user.dn())) {
            if (certificates.stream().noneMatch(c -> Arrays.equals(c, child))) {
                certificates.add(child);
            }
        }
        List<String> revoked = new ArrayList<>();
        // Certificates a re-enrollment superseded but did not revoke yet (its claim is still on the
        // entry): revoked too, with reason superseded, before the claim goes with markRevoked.
        for (ClaimLineage.Superseded old : ClaimLineage.superseded(user.claimedBy())) {
            if (old.issuedBy(ca.certificate())) {
                caService.revoke(ca, old.serial(), RevocationReason.SUPERSEDED);
                revoked.add(old.serial().toString(16));
            }
        }
        for (byte[] der : certificates) {
            X509Certificate certificate = parse(der, user.dn());
            if (!certificate.getIssuerX500Principal().equals(ca.certificate().getSubjectX500Principal())) {
                LOG.warn("{}: certificate {} was issued by {}, not by this agent's CA; it is unpublished but not revoked",
                        user.dn(), certificate.getSerialNumber().toString(16), certificate.getIssuerX500Principal());
                continue;
            }
            // Idempotent: a serial already on the CRL is not listed twice (a retry after a crash).
            caService.revoke(ca, certificate.getSerialNumber(), reason);
            revoked.add(certificate.getSerialNumber().toString(16));
        }
        records.removePublishedCertificates(user.dn());
        records.markRevoked(user.dn());
        LOG.info("Revoked {} ({}): {}", user.dn(), reason.ldapValue(), revoked);
        return new EnrollmentResult(user.dn(), user.mail(), Outcome.REVOKED, EnrollmentState.REVOKED,
                "revoked " + revoked.size() + " certificate(s)", null);
    }

    private EnrollmentResult packageMaintenance(UserEntry user) {
        if (user.packageExpires() == null) {
            return nothing(user, "nothing to do in state " + user.rawState());
        }
        try {
            if (scope.groupOf(user).isEmpty()) {
                return nothing(user, "served by another KMS server");
            }
        } catch (EnrollmentFailure e) {
            // An unresolvable group does not keep an expired secret in the directory.
            LOG.debug("{}: {}", user.dn(), e.getMessage());
        }
        if (!user.hasKeyPackage()) {
            records.removeKeyPackage(user.dn());
            LOG.info("{} confirmed the key package by deleting it; its token is removed", user.dn());
            return new EnrollmentResult(user.dn(), user.mail(), Outcome.PACKAGE_REMOVED, user.state(),
                    "the user deleted the package: token removed", null);
        }
        if (!user.packageExpires().isAfter(clock.instant())) {
            records.removeKeyPackage(user.dn());
            LOG.info("The key package of {} expired unfetched at {}; package and token removed", user.dn(),
                    user.packageExpires());
            return new EnrollmentResult(user.dn(), user.mail(), Outcome.PACKAGE_REMOVED, user.state(),
                    "the package expired unfetched: package and token removed", null);
        }
        return nothing(user, "package waiting until " + user.packageExpires());
    }

    /**
     * Ends the attempt holding {@code claim} as failed. The certificates the claim names that are
     * not published on the entry (superseded by an earlier publication whose revocations were not
     * finished, or issued to a dead attempt) still must be revoked: at once with the CA in this
     * process, else the failed entry keeps a claim naming them, with its lease, for an agent with
     * the CA ({@link #finishSupersession}). The published ones stay valid: nothing replaced them.
     */
    private EnrollmentResult fail(UserEntry user, String reason, String orphanArchive, String claim) {
        if (orphanArchive != null) {
            // Nothing of this attempt was published: its archive record is marked, never deleted.
            records.abandonArchivedKey(orphanArchive);
        }
        List<ClaimLineage.Superseded> unrevoked = new ArrayList<>(ClaimLineage.superseded(claim));
        unrevoked.removeAll(published(user));
        if (ca != null) {
            for (ClaimLineage.Superseded old : List.copyOf(unrevoked)) {
                if (old.issuedBy(ca.certificate())) {
                    caService.revoke(ca, old.serial(), RevocationReason.SUPERSEDED);
                    unrevoked.remove(old);
                }
            }
        }
        if (unrevoked.isEmpty()) {
            records.fail(user.dn(), reason);
        } else {
            records.failKeepingClaim(user.dn(), reason,
                    ClaimLineage.attemptOf(claim) + ClaimLineage.supersedesSuffix(unrevoked));
        }
        LOG.info("Enrollment of {} failed: {}", user.dn(), reason);
        return new EnrollmentResult(user.dn(), user.mail(), Outcome.FAILED, EnrollmentState.FAILED, reason, null);
    }

    private static EnrollmentResult nothing(UserEntry user, String why) {
        return nothing(user.dn(), user.mail(), user.state(), why);
    }

    private static EnrollmentResult nothing(String dn, List<String> mail, EnrollmentState state, String why) {
        return new EnrollmentResult(dn, mail, Outcome.NOTHING, state, why, null);
    }

    private static List<X509Certificate> chain(X509Certificate leaf, List<X509Certificate> caChain) {
        List<X509Certificate> chain = new ArrayList<>();
        chain.add(leaf);
        chain.addAll(caChain);
        return chain;
    }

    private static byte[] der(X509Certificate certificate) {
        try {
            return certificate.getEncoded();
        } catch (CertificateEncodingException e) {
            throw new IllegalStateException("a certificate cannot be encoded", e);
        }
    }

    private static X509Certificate parse(byte[] der, String dn) {
        try {
            return (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(new ByteArrayInputStream(der));
        } catch (CertificateException e) {
            throw new IllegalStateException(dn + " holds a userCertificate value that is not a certificate", e);
        }
    }

    private static void clear(char[] token) {
        if (token != null) {
            Arrays.fill(token, '\0');
        }
    }
}
