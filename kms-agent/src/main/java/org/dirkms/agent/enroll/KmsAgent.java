package org.dirkms.agent.enroll;

import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.apache.directory.api.ldap.extras.controls.SynchronizationModeEnum;
import org.apache.directory.api.ldap.extras.controls.syncrepl.syncRequest.SyncRequestValue;
import org.apache.directory.api.ldap.extras.controls.syncrepl.syncRequest.SyncRequestValueImpl;
import org.apache.directory.api.ldap.extras.controls.syncrepl.syncState.SyncStateTypeEnum;
import org.apache.directory.api.ldap.extras.controls.syncrepl.syncState.SyncStateValue;
import org.apache.directory.api.ldap.extras.intermediate.syncrepl.SyncInfoValue;
import org.apache.directory.api.ldap.model.cursor.CursorException;
import org.apache.directory.api.ldap.model.cursor.SearchCursor;
import org.apache.directory.api.ldap.model.exception.LdapException;
import org.apache.directory.api.ldap.model.message.AliasDerefMode;
import org.apache.directory.api.ldap.model.message.Response;
import org.apache.directory.api.ldap.model.message.SearchRequest;
import org.apache.directory.api.ldap.model.message.SearchRequestImpl;
import org.apache.directory.api.ldap.model.message.SearchResultEntry;
import org.apache.directory.api.ldap.model.message.SearchScope;
import org.apache.directory.api.ldap.model.name.Dn;
import org.apache.directory.ldap.client.api.LdapNetworkConnection;
import org.dirkms.agent.ca.CertificationAuthority;
import org.dirkms.agent.queue.QueueServer;
import org.dirkms.agent.directory.DirectoryAccessException;
import org.dirkms.agent.names.DistinguishedNames;
import org.dirkms.agent.workflow.Workflow;
import org.dirkms.agent.directory.EnrollmentRecords;
import org.dirkms.agent.replication.ContextCsn;
import org.dirkms.agent.replication.HomeProvider;
import org.dirkms.agent.replication.LdapContextCsn;
import org.dirkms.schema.AttributeNames;
import org.dirkms.schema.DirectoryLayout;
import org.dirkms.schema.ObjectClassNames;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running KMS agent: it reconciles the whole tree at start (so that a change made while it
 * was down is acted on), brings what an earlier version published to the current layout
 * ({@code PublishedLayoutUpgrade}, docs/directory-layout.md), then follows the directory with syncrepl in refreshAndPersist mode
 * (RFC 4533 section 3.3.2), resuming after a lost connection from the last cookie its own search
 * received, and hands every changed {@code kmsUser} to a pool of workers running the
 * {@link EnrollmentService} state machine. A periodic sweep writes {@code kmsHeartbeat} on the
 * server entries and reconciles again, which expires unfetched packages and takes over work
 * whose lease expired. A lost connection is reopened,
 * followed by a reconcile; nothing depends on a notification arriving.
 *
 * <p>Several agents may serve the same KMS server entry, in as many processes (docs/reliability.md,
 * "Several agents"): the claims decide which one works on an entry. A syncrepl cookie belongs to
 * the search that received it: RFC 4533 section 2.1.2 makes it opaque to the client, and
 * ApacheDS names the consumer in it (its replica log), handing that log's notifications to
 * whichever search presents the cookie. So an agent resumes only from a cookie it received itself,
 * never from one another process received or saved: that would take the other agent's
 * notifications away. A new process starts with a full refresh, which its start-up reconcile
 * makes redundant work but never lost work.
 *
 * <p>Other workflows ({@link Workflow}: the recovery of keys) run on the same agent: their
 * entries are followed by the same syncrepl search, reconciled with the tree, and handed to them
 * by the same workers.
 *
 * <p>The syncrepl notifications carry only the DN: the agent re-reads each user over its own
 * protected connection, so the notification path needs no secret (the directory strips them
 * from persistent searches and syncrepl anyway).
 */
public final class KmsAgent implements AutoCloseable {
    /** How often the sweep reconciles the tree. */
    public static final Duration DEFAULT_SWEEP = Duration.ofMinutes(1);

    /** How long one operation of the work connection may wait for the directory's answer. */
    static final Duration OPERATION_TIMEOUT = Duration.ofMinutes(2);

    /**
     * The same on a replicated directory. A provider killed while it held operations of the work
     * connection never answers them, and the LDAP API does not end them when the connection
     * drops: each worker waits out the timeout, and with every worker waiting the agent did
     * nothing for two minutes after its home died (docs/reliability.md, "Replicated
     * directories"). Another provider can do the work, so an operation is given up sooner there;
     * what it was doing is resumable and is retried on the new home.
     */
    static final Duration REPLICATED_OPERATION_TIMEOUT = Duration.ofSeconds(15);
    /**
     * How often an agent looks at every request it queued and still waits for: a request a CA
     * served wakes its enrollment at once through the syncrepl search ({@link #SYNC_FILTER});
     * this poll catches a notification lost, renews the leases of long waits and expires requests
     * at their deadline.
     */
    public static final Duration QUEUE_POLL = Duration.ofSeconds(10);
    /** How often an agent on a replicated directory looks where its home provider is (at most; the sweep if shorter). */
    static final Duration HOME_CHECK = Duration.ofSeconds(5);
    /** How long reading a provider's contextCSN may take before it counts as not answering. */
    static final Duration PROVIDER_READ_TIMEOUT = Duration.ofSeconds(10);

    /**
     * What the agent follows: {@code kmsUser} entries, and persons, because an administrator
     * enrolls a person by adding {@code objectClass: kmsUser} in a modify, and ApacheDS judges
     * whether a modified entry matches a sync filter by the entry as it was before the modify
     * (measured: with {@code (objectClass=kmsUser)} alone such an enrollment was seen only by
     * the sweep). And the queue's requests: when a CA serves one, the enrollment waiting for it
     * goes on at once instead of at the next poll. And the administrative groups: when one changes
     * (its key algorithm, its package format, its server), the agent reads the groups again before
     * the next user, instead of enrolling with what it read up to a refresh period ago.
     */
    static final String SYNC_FILTER = "(|(" + AttributeNames.OBJECT_CLASS + "=" + ObjectClassNames.KMS_USER + ")("
            + AttributeNames.OBJECT_CLASS + "=person)(" + AttributeNames.OBJECT_CLASS + "=inetOrgPerson)("
            + AttributeNames.OBJECT_CLASS + "=" + ObjectClassNames.CERTIFICATE_REQUEST + ")("
            + AttributeNames.OBJECT_CLASS + "=" + ObjectClassNames.ADMIN_GROUP + "))";

    private static final Logger LOG = LoggerFactory.getLogger(KmsAgent.class);

    private final AgentConnection directory;
    private final DirectoryLayout layout;
    private final Optional<CertificationAuthority> ca;
    /**
     * The providers of a replicated directory, when the agent works on one (docs/reliability.md,
     * "Replicated directories"): its claims and every other write go to their home provider, while
     * it follows {@link #directory}, its local provider; null: everything goes to {@link #directory}.
     */
    private volatile HomeProvider home;
    /** The URL of the provider the work connection is open to. */
    private volatile String workUrl;
    /**
     * Whether a provider was down or the home moved since the leftovers of attempts that lost
     * under replication were last cleaned up: they are cleaned once the providers converged.
     */
    private final AtomicBoolean leftoversToCleanUp = new AtomicBoolean(true);
    /** The queue server of the CA in this process, when it also serves the request queue; else null. */
    private volatile QueueServer localQueue;
    private final X509Certificate recoveryCertificate;
    private final EnrollmentService.Settings settings;
    private final Clock clock;
    private final SecureRandom random;
    private final int workers;
    private final Duration sweep;
    private final List<Function<LdapNetworkConnection, ? extends Workflow>> workflowFactories;

    private final Map<String, Boolean> pending = new ConcurrentHashMap<>();
    private final AtomicBoolean running = new AtomicBoolean();
    private final AtomicBoolean layoutUpgraded = new AtomicBoolean();
    private final AtomicInteger handled = new AtomicInteger();
    private final Map<EnrollmentResult.Outcome, AtomicLong> outcomes = new java.util.EnumMap<>(
            java.util.Arrays.stream(EnrollmentResult.Outcome.values()).collect(java.util.stream.Collectors.toMap(
                    outcome -> outcome, outcome -> new AtomicLong(), (a, b) -> a,
                    () -> new java.util.EnumMap<>(EnrollmentResult.Outcome.class))));
    /**
     * The last cookie this agent's own syncrepl search received (RFC 4533 section 2.1.2), to resume
     * from after a lost connection; null before the first.
     */
    private volatile byte[] cookie;
    private final java.util.concurrent.CountDownLatch refreshed = new java.util.concurrent.CountDownLatch(1);
    /** When the current syncrepl search entered its persist phase; null while not following. */
    private volatile java.time.Instant followingSince;
    /** The last reconcile or sweep that finished: the agent's heartbeat, as {@code kmsHeartbeat} is in the directory. */
    private volatile java.time.Instant lastSignOfLife;
    private volatile LdapNetworkConnection workConnection;
    private volatile LdapNetworkConnection syncConnection;
    private volatile EnrollmentService service;
    private volatile EnrollmentRecords records;
    /** The other workflows, made over the current work connection. */
    private volatile List<Workflow> workflows = List.of();
    private ExecutorService pool;
    private ScheduledExecutorService scheduler;
    private Thread watcher;

    /**
     * An agent that connects with {@code directory}, issues with {@code ca} and archives to
     * {@code recoveryCertificate}.
     *
     * @param ca the CA in this process, or null when the agent has none: the certificates then
     *        come through the request queue (served e.g. by {@code dirkms serve}), checked every
     *        {@link #QUEUE_POLL}, and revocations wait for an agent that has the CA
     * @param workers how many users are enrolled at once
     * @param sweep how often the tree is reconciled besides the notifications
     */
    public KmsAgent(AgentConnection directory, DirectoryLayout layout, CertificationAuthority ca,
            X509Certificate recoveryCertificate, EnrollmentService.Settings settings, Clock clock, SecureRandom random,
            int workers, Duration sweep) {
        this(directory, layout, ca, recoveryCertificate, settings, clock, random, workers, sweep, List.of());
    }

    /**
     * An agent as {@link #KmsAgent(AgentConnection, DirectoryLayout, CertificationAuthority,
     * X509Certificate, EnrollmentService.Settings, Clock, SecureRandom, int, Duration)} that also
     * drives other workflows (the recovery of keys): each factory makes its workflow over the
     * agent's work connection, again whenever that is reopened; the agent follows their entries
     * with the same syncrepl search, reconciles them with the tree, and hands each of their
     * entries to them instead of the enrollment.
     */
    public KmsAgent(AgentConnection directory, DirectoryLayout layout, CertificationAuthority ca,
            X509Certificate recoveryCertificate, EnrollmentService.Settings settings, Clock clock, SecureRandom random,
            int workers, Duration sweep, List<Function<LdapNetworkConnection, ? extends Workflow>> workflows) {
        this.workflowFactories = List.copyOf(workflows);
        if (workers < 1) {
            throw new IllegalArgumentException("an agent needs at least one worker");
        }
        this.directory = directory;
        this.layout = layout;
        this.ca = Optional.ofNullable(ca);
        this.recoveryCertificate = recoveryCertificate;
        this.settings = settings;
        this.clock = clock;
        this.random = random;
        this.workers = workers;
        this.sweep = sweep;
    }

    /**
     * Makes the enrollments of this agent go through {@code server}'s CA while it can issue (active,
     * the templates installed, not busy) and through the request queue otherwise, for any CA that
     * can: what an agent whose CA also serves the queue ({@code dirkms serve}) does. Call before
     * {@link #start}.
     */
    public void issueThroughQueueServer(QueueServer server) {
        if (running.get()) {
            throw new IllegalStateException("the agent is already running");
        }
        this.localQueue = server;
    }

    /**
     * Makes the agent work on a replicated directory (docs/reliability.md, "Replicated
     * directories"): it follows its own provider ({@code directory} given at construction) with
     * syncrepl, and makes its claims and every other read and write on the home provider of
     * {@code providers}, the ordered list every agent of the directory is given alike: the first
     * of them that answers and has caught up with the ones after it ({@link HomeProvider}). The
     * agent looks every {@link #HOME_CHECK} (every sweep, when shorter) and moves the work to
     * another provider when the home changed; once every provider answers and the home has
     * caught up after a failover, it cleans up what attempts that lost under replication left
     * ({@link EnrollmentService#cleanUpAfterReplication}). Call before {@link #start}.
     *
     * @throws IllegalArgumentException if the list is empty, names a provider twice or holds a URL
     *         that is not ldap:// or ldaps://
     */
    public void workOnHomeProvider(List<String> providers) {
        if (running.get()) {
            throw new IllegalStateException("the agent is already running");
        }
        providers.forEach(directory::withUrl); // each URL checked as the agent's own
        this.home = new HomeProvider(providers, this::readContextCsn);
    }

    /** The {@code contextCSN} of the provider at {@code url}, or empty when it does not answer. */
    private Optional<ContextCsn> readContextCsn(String url) {
        try (LdapNetworkConnection connection = directory.withUrl(url).open(PROVIDER_READ_TIMEOUT.toMillis())) {
            return Optional.of(LdapContextCsn.read(connection, layout.suffix()));
        } catch (IOException | LdapException | GeneralSecurityException | RuntimeException e) {
            LOG.debug("The provider {} does not answer ({})", url, e.getMessage());
            return Optional.empty();
        }
    }

    /** The provider the agent makes its claims and writes on now (its only one when not replicated). */
    public String workProvider() {
        String url = workUrl;
        return url != null ? url : directory.url();
    }

    /**
     * Connects, reconciles and starts watching; returns once the work connection is open (the
     * reconcile and the watch run in the background).
     *
     * @throws IOException, LdapException, GeneralSecurityException if the first connection fails
     */
    public void start() throws IOException, LdapException, GeneralSecurityException {
        if (!running.compareAndSet(false, true)) {
            throw new IllegalStateException("the agent is already running");
        }
        openWorkConnection();
        pool = Executors.newFixedThreadPool(workers, daemon("dirkms-agent-worker"));
        scheduler = Executors.newSingleThreadScheduledExecutor(daemon("dirkms-agent-sweep"));
        scheduler.scheduleWithFixedDelay(this::sweepOnce, sweep.toMillis(), sweep.toMillis(), TimeUnit.MILLISECONDS);
        // Enrollments that wait for the request queue's CA are finished once it served them; with
        // a CA in this process nothing ever waits, and a poll costs nothing.
        scheduler.scheduleWithFixedDelay(this::pollQueueOnce, QUEUE_POLL.toMillis(), QUEUE_POLL.toMillis(),
                TimeUnit.MILLISECONDS);
        if (home != null) {
            // The home is looked at more often than the tree is swept: a home that stopped
            // answering holds every claim up until the work moves.
            long period = Math.min(sweep.toMillis(), HOME_CHECK.toMillis());
            scheduler.scheduleWithFixedDelay(this::followHomeOnce, period, period, TimeUnit.MILLISECONDS);
        }
        watcher = daemon("dirkms-agent-sync").newThread(this::watch);
        watcher.start();
    }

    /**
     * Whether the agent follows the directory now, for a health check: it runs, its syncrepl
     * search is in the persist phase (RFC 4533 section 3.4: the refresh ended), and its last
     * reconcile or sweep finished at {@code lastSignOfLife}.
     *
     * @param running false once closed
     * @param followingSince when the current persist phase began, or null while not following
     *        (connecting, refreshing, or backing off after a lost connection)
     * @param lastSignOfLife when the last reconcile or sweep finished, or null before the first
     * @param sweep how often the sweep runs
     */
    public record Liveness(boolean running, java.time.Instant followingSince, java.time.Instant lastSignOfLife,
            Duration sweep) {
        /**
         * Null when the agent follows and its heartbeat is recent (within three sweeps), else
         * what is wrong, in a sentence.
         */
        public String problem(java.time.Instant now) {
            if (!running) {
                return "the agent is stopped";
            }
            if (followingSince == null) {
                return "the agent does not follow the directory (its syncrepl search is not in the persist phase)";
            }
            if (lastSignOfLife == null || lastSignOfLife.plus(sweep.multipliedBy(3)).isBefore(now)) {
                return "the agent's last reconcile finished at " + lastSignOfLife + ", more than three sweeps ("
                        + sweep.multipliedBy(3) + ") ago";
            }
            return null;
        }
    }

    /** The agent's liveness now (its heartbeat and whether it follows the directory). */
    public Liveness liveness() {
        return new Liveness(running.get(), followingSince, lastSignOfLife, sweep);
    }

    /** Waits until the first reconcile and syncrepl refresh are done (for callers that must know the agent is live). */
    public boolean awaitLive(Duration timeout) throws InterruptedException {
        return refreshed.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** How many entries (users, and the entries of the other workflows) the workers have handled since start (for progress and tests). */
    public int handledCount() {
        return handled.get();
    }

    /** How many times each outcome ended the handling of a user since start (for the metrics of {@code dirkms serve}). */
    public Map<EnrollmentResult.Outcome, Long> outcomeCounts() {
        Map<EnrollmentResult.Outcome, Long> counts = new java.util.EnumMap<>(EnrollmentResult.Outcome.class);
        outcomes.forEach((outcome, count) -> counts.put(outcome, count.get()));
        return counts;
    }

    /** Stops watching and the workers, and closes the connections. */
    @Override
    public void close() {
        if (!running.compareAndSet(true, false)) {
            return;
        }
        followingSince = null;
        closeQuietly(syncConnection);
        if (watcher != null) {
            watcher.interrupt();
        }
        scheduler.shutdownNow();
        pool.shutdown();
        try {
            if (!pool.awaitTermination(30, TimeUnit.SECONDS)) {
                pool.shutdownNow();
            }
        } catch (InterruptedException e) {
            pool.shutdownNow();
            Thread.currentThread().interrupt();
        }
        closeQuietly(workConnection);
    }

    private synchronized void openWorkConnection() throws IOException, LdapException, GeneralSecurityException {
        closeQuietly(workConnection);
        AgentConnection target = directory;
        HomeProvider providers = home;
        if (providers != null) {
            HomeProvider.Choice choice = providers.choose().orElseThrow(() -> new IOException(
                    "no provider of " + providers.urls() + " answers"));
            if (!choice.url().equals(workUrl)) {
                LOG.info("Claims and writes go to the home provider {} (number {} of {})", choice.url(),
                        choice.index() + 1, providers.urls());
                leftoversToCleanUp.set(true);
            }
            target = directory.withUrl(choice.url());
        }
        LdapNetworkConnection connection = target.open(
                (providers != null ? REPLICATED_OPERATION_TIMEOUT : OPERATION_TIMEOUT).toMillis());
        workUrl = target.url();
        EnrollmentService fresh = EnrollmentService.overLdap(connection, layout, ca, Optional.ofNullable(localQueue),
                recoveryCertificate, settings, clock, random);
        if (service != null) {
            fresh.adoptFrom(service); // enrollments waiting for the queue survive a reconnect
        }
        List<Workflow> others = new java.util.ArrayList<>();
        for (Function<LdapNetworkConnection, ? extends Workflow> factory : workflowFactories) {
            others.add(factory.apply(connection));
        }
        this.workflows = List.copyOf(others);
        this.records = fresh.records();
        this.service = fresh;
        this.workConnection = connection;
    }

    /** The syncrepl loop: (re)connect, reconcile, refresh (from this search's last cookie, if any), persist; on failure start over. */
    private void watch() {
        long backoffMillis = 500;
        while (running.get()) {
            try {
                if (workConnection == null || !workConnection.isConnected() || !workConnection.isAuthenticated()) {
                    openWorkConnection();
                }
                reconcile();
                upgradePublishedLayoutOnce();
                follow();
                backoffMillis = 500;
            } catch (IOException | LdapException | GeneralSecurityException | CursorException
                    | DirectoryAccessException | IllegalStateException
                    | java.util.concurrent.RejectedExecutionException e) {
                // The last two: the LDAP API's answer to an operation on a connection closed under
                // this thread (on a replicated directory, the work moved to another provider).
                if (!running.get()) {
                    return;
                }
                LOG.warn("The agent lost the directory ({}); reconnecting in {} ms", e.getMessage(), backoffMillis);
                try {
                    Thread.sleep(backoffMillis); // reconnect back-off, not a wait for time to pass
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    return;
                }
                backoffMillis = Math.min(backoffMillis * 2, 30_000);
            }
        }
    }

    private void reconcile() {
        List<EnrollmentRecords.UserEntry> waiting = records.usersInState(
                org.dirkms.schema.EnrollmentState.REQUESTED, org.dirkms.schema.EnrollmentState.REVOKE_REQUESTED,
                org.dirkms.schema.EnrollmentState.IN_PROGRESS);
        waiting.forEach(user -> submit(user.dn()));
        // Certificates to revoke left in a claim: a re-enrollment published by a process that died
        // before revoking what it superseded, or work of an agent without the CA.
        records.claimedUsersIn(org.dirkms.schema.EnrollmentState.ENROLLED, org.dirkms.schema.EnrollmentState.FAILED)
                .forEach(user -> submit(user.dn()));
        records.usersWithPackage().forEach(user -> submit(user.dn()));
        int other = 0;
        for (Workflow workflow : workflows) {
            List<String> entries = workflow.waiting();
            entries.forEach(this::submit);
            other += entries.size();
        }
        LOG.info("Reconciled the tree: {} users and {} other entries waiting", waiting.size(), other);
        lastSignOfLife = clock.instant();
    }

    /**
     * Once per start, after the first reconcile: what an earlier version published is brought to
     * the current layout (docs/directory-layout.md). A failure is logged and left to the next
     * start, which finds the same children again; it does not keep the agent from its work.
     */
    private void upgradePublishedLayoutOnce() {
        if (!layoutUpgraded.compareAndSet(false, true)) {
            return;
        }
        try {
            new PublishedLayoutUpgrade(records).run();
        } catch (DirectoryAccessException e) {
            LOG.warn("Could not bring the published certificates to the current layout ({}); the next start tries again",
                    e.getMessage());
        }
    }

    private void pollQueueOnce() {
        EnrollmentService current = service;
        if (current != null) {
            current.queuedUsers().forEach(this::submit);
        }
    }

    private void sweepOnce() {
        try {
            if (records != null) {
                // kmsHeartbeat: the agent's sign of life on each KMS server entry it serves.
                for (String server : service.servedServers()) {
                    records.heartbeat(server, clock.instant());
                }
                reconcile();
            }
        } catch (DirectoryAccessException e) {
            // The watcher reconnects; the next sweep tries again.
            LOG.warn("The agent's sweep failed: {}", e.getMessage());
        } catch (IllegalStateException | java.util.concurrent.RejectedExecutionException e) {
            // The work connection was closed under the sweep (on a replicated directory, the work
            // moved to another provider): a periodic task that throws is never run again, so the
            // next sweep tries again on the connection open then.
            LOG.warn("The agent's sweep failed on a closed connection: {}", e.getMessage());
        }
    }

    private void followHomeOnce() {
        try {
            followHome();
        } catch (DirectoryAccessException | IllegalStateException | java.util.concurrent.RejectedExecutionException e) {
            // A periodic task that throws is never run again (ScheduledExecutorService), and the
            // LDAP API answers an operation on a connection closed under it (the work moved to
            // another provider meanwhile) with IllegalStateException or RejectedExecutionException:
            // the next look opens the work connection again and tries the clean-up again.
            LOG.warn("Following the home provider failed: {}", e.getMessage());
        }
    }

    /**
     * On a replicated directory: moves the work to the home provider when it is another than the
     * one the work connection is open to (or that connection was lost), and once every provider
     * answers and the home has caught up after a provider was down or the home moved, cleans up
     * what attempts that lost under replication left.
     */
    private void followHome() {
        Optional<HomeProvider.Choice> choice = home.choose();
        if (choice.isEmpty()) {
            LOG.warn("No provider of {} answers; the agent tries again at its next sweep", home.urls());
            return;
        }
        if (!choice.get().everyProviderAnswered()) {
            leftoversToCleanUp.set(true); // its acknowledged writes may come back when it does
        }
        LdapNetworkConnection current = workConnection;
        if (!choice.get().url().equals(workUrl) || current == null || !current.isConnected()) {
            try {
                openWorkConnection();
            } catch (IOException | LdapException | GeneralSecurityException e) {
                LOG.warn("Could not move the work to the home provider {}: {}", choice.get().url(), e.getMessage());
                return;
            }
        }
        if (choice.get().everyProviderAnswered() && leftoversToCleanUp.get() && home.caughtUp(workUrl)) {
            int abandoned = service.cleanUpAfterReplication();
            leftoversToCleanUp.set(false);
            LOG.info("The providers {} have converged on {}: cleaned up after the failover ({} archive record(s) of"
                    + " attempts that lost marked abandoned)", home.urls(), workUrl, abandoned);
        }
    }

    private void follow() throws IOException, LdapException, GeneralSecurityException, CursorException {
        if (service.servedServers().isEmpty()) {
            LOG.warn("No KMS server entry under {} names {} in {}: this agent serves no administrative group",
                    layout.servers(), settings.agentDn(), AttributeNames.AGENT_IDENTITY);
        }
        syncConnection = directory.open(0);
        // derefAliases neverDerefAliases (RFC 4511 section 4.5.1.3): the KMS tree has no aliases,
        // and OpenLDAP's syncprov refuses a sync search that dereferences while searching
        // (protocolError, "illegal value for derefAliases"); SearchRequestImpl's default is
        // derefAlways.
        SearchRequest request = new SearchRequestImpl().setBase(new Dn(layout.suffix()))
                .setFilter(syncFilter()).setDerefAliases(AliasDerefMode.NEVER_DEREF_ALIASES)
                .setScope(SearchScope.SUBTREE).addAttributes("1.1");
        SyncRequestValue sync = new SyncRequestValueImpl();
        sync.setMode(SynchronizationModeEnum.REFRESH_AND_PERSIST);
        sync.setCookie(cookie); // this search's own, after a lost connection; none at a start
        request.addControl(sync);
        try (SearchCursor cursor = syncConnection.search(request)) {
            while (running.get() && cursor.next()) {
                Response response = cursor.get();
                if (response instanceof SearchResultEntry entry) {
                    SyncStateValue state = (SyncStateValue) entry.getControl(SyncStateValue.OID);
                    String dn = entry.getObjectName().getName();
                    if (state == null || state.getSyncStateType() != SyncStateTypeEnum.DELETE) {
                        submit(dn);
                    } else if (workflows.stream().anyMatch(w -> w.followsDeletions() && w.owns(dn))) {
                        submit(dn); // e.g. a partner removed from the trust list
                    }
                    if (state != null && state.getCookie() != null) {
                        cookie = state.getCookie();
                    }
                } else if (response instanceof SyncInfoValue info) {
                    // RFC 4533 section 3.4: the end of the refresh phase, with a cookie; in the
                    // persist phase a syncInfo newcookie (section 2.5) moves it past changes outside
                    // the filter. Kept in memory only, so no write answers it (a cookie saved in the
                    // directory was itself such a change on slapd: 1,600 cookie writes in 20 s).
                    if (info.getCookie() != null) {
                        cookie = info.getCookie();
                    }
                    if (followingSince == null) {
                        LOG.info("Following {} with syncrepl: the refresh ended, changes now arrive as they happen"
                                + " (RFC 4533 section 3.4)", layout.suffix());
                    }
                    followingSince = clock.instant();
                    refreshed.countDown();
                }
            }
        } finally {
            followingSince = null;
            refreshed.countDown();
            closeQuietly(syncConnection);
        }
        if (running.get()) {
            throw new IOException("the syncrepl search ended");
        }
    }

    /** What the syncrepl search follows: the enrollment's entries and those of every other workflow. */
    private String syncFilter() {
        if (workflows.isEmpty()) {
            return SYNC_FILTER;
        }
        StringBuilder filter = new StringBuilder("(|").append(SYNC_FILTER);
        for (Workflow workflow : workflows) {
            filter.append(workflow.followedEntries());
        }
        return filter.append(')').toString();
    }

    /** Queues {@code dn}; a user already queued or being handled is handled again afterwards, once. */
    private void submit(String dn) {
        if (isAdministrativeGroup(dn)) {
            // Called on the syncrepl thread, before the notifications that follow the change are
            // handed out: a user asked for after the change is handled with the group as it is.
            EnrollmentService current = service;
            if (current != null) {
                current.configurationChanged();
            }
            return;
        }
        if (isQueuedRequest(dn)) {
            // A request of the queue changed: the enrollment waiting for it (if it waits here) goes on.
            EnrollmentService current = service;
            if (current != null) {
                current.waitingUserOf(dn).ifPresent(this::submit);
            }
            return;
        }
        String key = DistinguishedNames.normal(dn);
        Boolean previous = pending.put(key, Boolean.TRUE);
        if (previous != null) {
            return; // queued, or running: the running handler sees the mark and runs again
        }
        pool.execute(() -> run(key, dn));
    }

    private boolean isAdministrativeGroup(String dn) {
        String parent = DistinguishedNames.parent(dn);
        return parent != null && DistinguishedNames.same(parent, layout.administrativeGroups());
    }

    private boolean isQueuedRequest(String dn) {
        String parent = DistinguishedNames.parent(dn);
        return parent != null && DistinguishedNames.same(parent, layout.requests());
    }

    private void run(String key, String dn) {
        do {
            pending.put(key, Boolean.FALSE);
            try {
                Optional<Workflow> other = workflows.stream().filter(workflow -> workflow.owns(dn)).findFirst();
                if (other.isPresent()) {
                    other.get().handle(dn);
                } else {
                    EnrollmentResult result = service.handle(dn);
                    result.clearToken(); // the administrator reads the token from kmsEnrollmentToken
                    outcomes.get(result.outcome()).incrementAndGet();
                }
                handled.incrementAndGet();
            } catch (DirectoryAccessException e) {
                // The state in the directory is resumable; the next sweep or notification retries.
                LOG.warn("Handling {} failed: {}", dn, e.getMessage());
            } catch (RuntimeException e) {
                pending.remove(key); // a later notification or sweep may queue the user again
                throw e;
            }
        } while (!pending.remove(key, Boolean.FALSE));
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        AtomicInteger count = new AtomicInteger();
        return task -> {
            Thread thread = new Thread(task, name + "-" + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }

    private static void closeQuietly(LdapNetworkConnection connection) {
        if (connection == null) {
            return;
        }
        connection.close();
    }
}
