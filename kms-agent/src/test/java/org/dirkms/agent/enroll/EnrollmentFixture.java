package org.dirkms.agent.enroll;

import static org.dirkms.agent.enroll.InMemoryDirectory.Change.add;
import static org.dirkms.agent.enroll.InMemoryDirectory.Change.delete;
import static org.dirkms.agent.enroll.InMemoryDirectory.Change.replace;

import java.nio.file.Path;
import java.security.KeyPair;
import java.security.SecureRandom;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.dirkms.agent.ca.CaService;
import org.dirkms.agent.queue.QueueServer;
import org.dirkms.agent.workflow.Attempts;
import org.dirkms.agent.workflow.Lease;
import org.dirkms.agent.ca.CaSetup;
import org.dirkms.agent.ca.CertificationAuthority;
import org.dirkms.agent.ca.CrlUpdateLocks;
import org.dirkms.agent.ca.IssuanceRefusedException;
import org.dirkms.agent.ca.SoftwareSigner;
import org.dirkms.agent.ca.StandardTemplates;
import org.dirkms.agent.directory.EnrollmentRecords.UserEntry;
import org.dirkms.agent.enroll.InMemoryDirectory.Crash;
import org.dirkms.agent.enroll.InMemoryDirectory.Session;
import org.dirkms.agent.keys.KeyPairFactory;
import org.dirkms.agent.keys.RecoveryKeyStore;
import org.dirkms.schema.AttributeNames;
import org.dirkms.schema.DataFolder;
import org.dirkms.schema.DirectoryLayout;
import org.dirkms.schema.EnrollmentState;
import org.dirkms.schema.KeyAlgorithm;
import org.dirkms.schema.ObjectClassNames;
import org.dirkms.schema.RequestState;
import org.dirkms.schema.RevocationReason;

/**
 * A KMS without a server: an {@link InMemoryDirectory} with the default administrative group
 * (EC P-256 keys) served by this agent's KMS server entry, a CA published on its entry with the
 * standard templates (a copy of the {@link Pki}'s directory), the CA serving the request queue as {@code dirkms serve} does (a process of
 * its own), and agents started as processes of their own (each a new session and a new owner),
 * with the CA in the process ({@link EnrollmentService#issuing}) or without
 * ({@link EnrollmentService#queueing}). Administrators' and users' writes go through a session of
 * their own, never counted as an agent's writes.
 */
final class EnrollmentFixture {
    static final DirectoryLayout LAYOUT = new DirectoryLayout(DirectoryLayout.DEFAULT_SUFFIX);
    static final String AGENT_DN = LAYOUT.kmsAgentIdentity();
    static final String SERVER_DN = "cn=kms1," + LAYOUT.servers();
    static final String CA_DN = "cn=Enrollment Test CA," + LAYOUT.certificationAuthorities();
    static final Duration LEASE = EnrollmentService.DEFAULT_LEASE;
    static final Duration PACKAGE_LIFETIME = EnrollmentService.DEFAULT_PACKAGE_LIFETIME;
    static final SecureRandom RANDOM = new SecureRandom();

    /**
     * What every fixture of a test class shares, made once because it costs key generation, a
     * file and signatures: the CA's key and certificate, the key recovery key store, and the
     * directory every fixture starts from (a copy each).
     *
     * @param caKey         the CA's key (EC P-256: the fast key; the CA code takes any EC key)
     * @param caCertificate the root certificate, valid from {@code start}
     * @param recovery      the recovery key store, its certificate issued by the CA
     * @param start         when the PKI was made: every fixture's clock starts after it
     * @param directory     the default administrative group (EC P-256 keys) served by this agent's
     *                      KMS server entry, and the CA entry with the standard templates and a first CRL
     */
    record Pki(SoftwareSigner caKey, X509Certificate caCertificate, RecoveryKeyStore recovery, Instant start,
            InMemoryDirectory directory) {
    }

    /** One agent process: its own session into the directory (its writes, its crash switch) and its service. */
    record Agent(String owner, Session session, InMemoryEnrollmentRecords records, EnrollmentService service) {
        /** Arms this process to die at the {@code n}-th write from now. */
        Agent crashAt(int n, Crash when) {
            session.crashAt(session.writes() + n, when);
            return this;
        }

        /** Kills this process between two of its writes. */
        void kill() {
            session.kill();
        }
    }

    /** Makes the shared PKI: an EC P-256 root, an EC P-256 recovery key (its key store in {@code work}), the directory. */
    static Pki pki(Path work) {
        Instant start = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        Clock then = Clock.fixed(start, ZoneOffset.UTC);
        SoftwareSigner key = SoftwareSigner.generate(KeyAlgorithm.EC_P256, RANDOM);
        X509Certificate certificate = CaSetup.selfSignedRoot(key, CA_DN, Duration.ofDays(3650), then, RANDOM);
        CertificationAuthority ca = new CertificationAuthority(key, List.of(certificate), StandardTemplates.all(), then,
                RANDOM, CertificationAuthority.Publication.at("ldap://kms.example.com:389"));
        InMemoryDirectory directory = new InMemoryDirectory(LAYOUT, then);
        Session setUp = directory.session("set-up");
        setUp.add(SERVER_DN, attributes(AttributeNames.OBJECT_CLASS, InMemoryDirectory.objectClasses(ObjectClassNames.SERVER),
                AttributeNames.CN, List.of("kms1"), AttributeNames.AGENT_IDENTITY, List.of(AGENT_DN)));
        addGroup(setUp, LAYOUT.defaultAdministrativeGroup(), true);
        new CaService(new InMemoryCaRecords(setUp), LAYOUT, then, RANDOM, new CrlUpdateLocks()).adoptRoot(ca, 1,
                CertificationAuthority.Publication.at("ldap://kms.example.com:389"));
        return new Pki(key, certificate, recoveryKeyStore(work, ca), start, directory);
    }

    /** The one place a test makes the recovery key store, so that a change of its factory is one line. */
    private static RecoveryKeyStore recoveryKeyStore(Path work, CertificationAuthority ca) {
        try {
            return RecoveryKeyStore.create(DataFolder.of(work), ca::certifyRecoveryAgent, "cn=Key Recovery Agent," + LAYOUT.kms(),
                    KeyAlgorithm.EC_P256, RANDOM);
        } catch (IssuanceRefusedException e) {
            throw new AssertionError(e);
        }
    }

    final Pki pki;
    final TestClock clock;
    final InMemoryDirectory directory;
    /** The CA's key as this fixture's CA uses it: it counts the certificates signed. */
    final CountingSigner caKey;
    final CertificationAuthority ca;
    /** The administrators' and users' writes: never crashes, never counted. */
    private final Session people;
    /** The CA serving the queue in a process of its own ({@code dirkms serve}): its records, service and server. */
    private final InMemoryCaRecords queueRecords;
    private final CaService queueService;
    private final QueueServer queueServer;
    /** Every agent process started, in order. */
    final List<Agent> agents = new ArrayList<>();

    EnrollmentFixture(Pki pki) {
        this(pki, new TestClock(pki.start().plusSeconds(60)), pki.directory(), new CountingSigner(pki.caKey()),
                List.of());
    }

    private EnrollmentFixture(Pki pki, TestClock clock, InMemoryDirectory from, CountingSigner caKey, List<Agent> agents) {
        this.pki = pki;
        this.clock = clock;
        this.directory = from.copy(clock);
        this.caKey = caKey;
        this.agents.addAll(agents);
        this.ca = new CertificationAuthority(caKey, List.of(pki.caCertificate()), StandardTemplates.all(), clock, RANDOM,
                CertificationAuthority.Publication.at("ldap://kms.example.com:389"));
        this.people = directory.session("administrators and users");
        this.queueRecords = new InMemoryCaRecords(directory.session("dirkms serve"));
        this.queueService = new CaService(queueRecords, LAYOUT, clock, RANDOM, new CrlUpdateLocks());
        this.queueServer = new QueueServer(ca, new Lease(clock, LEASE),
                Attempts.of(ca.dn() + " pid 1 serve" + RUNS.incrementAndGet()));
    }

    /**
     * Another KMS in the state this one is in: a copy of the directory, the clock at the same
     * instant, the CA's count so far. The agents started so far are listed (those that died
     * stay dead) but belong to this KMS: a test goes on with new agents of the copy.
     */
    EnrollmentFixture copy() {
        return new EnrollmentFixture(pki, new TestClock(clock.instant()), directory, caKey.copy(), agents);
    }

    /** Adds an administrative group served by this agent's server, EC P-256 keys; the default group if {@code isDefault}. */
    void addGroup(String dn, boolean isDefault) {
        addGroup(people, dn, isDefault);
    }

    private static void addGroup(Session session, String dn, boolean isDefault) {
        session.add(dn, attributes(AttributeNames.OBJECT_CLASS, InMemoryDirectory.objectClasses(ObjectClassNames.ADMIN_GROUP),
                AttributeNames.CN, List.of(InMemoryEnrollmentRecords.rdnValue(dn)),
                AttributeNames.ASSIGNED_SERVER, List.of(SERVER_DN),
                AttributeNames.KEY_ALGORITHM, List.of(KeyAlgorithm.EC_P256.ldapValue()),
                AttributeNames.DEFAULT_GROUP, List.of(isDefault ? "TRUE" : "FALSE")));
    }

    // ---- processes ------------------------------------------------------------------------

    /** Starts an agent process with the CA in it. */
    Agent issuingAgent() {
        return start(true);
    }

    /** Starts an agent process without the CA: certificates come through the queue. */
    Agent queueingAgent() {
        return start(false);
    }

    /**
     * Starts the agent of the process whose CA serves the queue ({@code dirkms serve}): it issues
     * with that CA while the CA can ({@link LocalCaOrQueue}), through the same queue server
     * {@link #serveQueue} runs, and queues otherwise.
     */
    Agent localCaAgent() {
        String owner = AGENT_DN + " process " + (agents.size() + 1) + " serving the queue run " + RUNS.incrementAndGet();
        Session session = directory.session(owner);
        InMemoryEnrollmentRecords records = new InMemoryEnrollmentRecords(session);
        EnrollmentService.Settings settings = new EnrollmentService.Settings(AGENT_DN, owner, LEASE, PACKAGE_LIFETIME);
        EnrollmentService service = new EnrollmentService(records,
                new KeysCryptography(pki.recovery().current().certificate(), RANDOM), settings, clock,
                Revocations.byCa(new CaService(new InMemoryCaRecords(session), LAYOUT, clock, RANDOM,
                        new CrlUpdateLocks()), ca), (context, enrollment) -> new LocalCaOrQueue(context, enrollment,
                                queueServer));
        Agent agent = new Agent(owner, session, records, service);
        agents.add(agent);
        return agent;
    }

    /** The claim step alone of the CA serving the queue: it holds what it claims until {@link #serveClaimed}. */
    QueueServer.Claims claimQueue() {
        return queueServer.claim(queueRecords, queueService);
    }

    /** The CA serving the queue records what it claimed with {@link #claimQueue}. */
    void serveClaimed(QueueServer.Claims claims) {
        for (QueueServer.Claimed claimed : claims.claimed()) {
            queueServer.serve(queueRecords, queueService, claimed);
        }
    }

    private static final java.util.concurrent.atomic.AtomicLong RUNS = new java.util.concurrent.atomic.AtomicLong();

    private Agent start(boolean withCa) {
        // Unique in the JVM, as a real process's owner is (its pid and random part): attempt
        // counters are one per owner, so each process here starts at #1.
        String owner = AGENT_DN + " process " + (agents.size() + 1) + (withCa ? " with the CA" : " without the CA")
                + " run " + RUNS.incrementAndGet();
        Session session = directory.session(owner);
        InMemoryEnrollmentRecords records = new InMemoryEnrollmentRecords(session);
        EnrollmentService.Settings settings = new EnrollmentService.Settings(AGENT_DN, owner, LEASE, PACKAGE_LIFETIME);
        EnrollmentService service = withCa
                ? EnrollmentService.issuing(records, new CaService(new InMemoryCaRecords(session), LAYOUT, clock, RANDOM,
                        new CrlUpdateLocks()), ca, pki.recovery().current().certificate(), settings, clock, RANDOM)
                : EnrollmentService.queueing(records, pki.recovery().current().certificate(), settings, clock, RANDOM);
        Agent agent = new Agent(owner, session, records, service);
        agents.add(agent);
        return agent;
    }

    /** The CA serving the queue once, as {@code dirkms serve} does on its period; returns {issued, failed}. */
    int[] serveQueue() {
        QueueServer.Round round = queueServer.serve(queueRecords, queueService);
        return new int[] {round.issued(), round.refused()};
    }

    /** Lets every lease taken so far run out. */
    void afterTheLease() {
        clock.advance(LEASE.plusSeconds(1));
    }

    // ---- what administrators and users do --------------------------------------------------

    /** The directory administrator adds a person (inetOrgPerson) under ou=People. */
    String addPerson(String uid, String... mail) {
        String dn = "uid=" + uid + "," + LAYOUT.people();
        Map<String, List<Object>> attributes = attributes(AttributeNames.OBJECT_CLASS,
                InMemoryDirectory.objectClasses(ObjectClassNames.INET_ORG_PERSON), AttributeNames.UID, List.of(uid),
                AttributeNames.CN, List.of("User " + uid), AttributeNames.SN, List.of(uid));
        if (mail.length > 0) {
            attributes.put(AttributeNames.MAIL, List.of((Object[]) mail));
        }
        people.add(dn, attributes);
        return dn;
    }

    /** A person asked to be enrolled: {@code objectClass: kmsUser} and {@code kmsEnrollmentState: requested}. */
    String requestedUser(String uid) {
        String dn = addPerson(uid, uid + "@example.com");
        request(dn);
        return dn;
    }

    /** A KMS administrator sets {@code requested}, as the directory's guard lets one (never while in-progress). */
    void request(String dn) {
        String state = people.read(dn).orElseThrow().string(AttributeNames.ENROLLMENT_STATE);
        if (EnrollmentState.IN_PROGRESS.ldapValue().equals(state)
                || EnrollmentState.REVOKE_REQUESTED.ldapValue().equals(state)) {
            throw new IllegalStateException("the guard refuses requested while " + state);
        }
        List<InMemoryDirectory.Change> changes = new ArrayList<>();
        if (!people.read(dn).orElseThrow().is(ObjectClassNames.KMS_USER)) {
            changes.add(add(AttributeNames.OBJECT_CLASS, ObjectClassNames.KMS_USER));
        }
        changes.add(replace(AttributeNames.ENROLLMENT_STATE, EnrollmentState.REQUESTED.ldapValue()));
        people.modify(dn, changes.toArray(InMemoryDirectory.Change[]::new));
    }

    /** A KMS administrator asks for the revocation of an enrolled user, with {@code reason}. */
    void requestRevocation(String dn, RevocationReason reason) {
        if (!EnrollmentState.ENROLLED.ldapValue().equals(people.read(dn).orElseThrow().string(AttributeNames.ENROLLMENT_STATE))) {
            throw new IllegalStateException("the guard allows revoke-requested only from enrolled");
        }
        people.modify(dn, replace(AttributeNames.ENROLLMENT_STATE, EnrollmentState.REVOKE_REQUESTED.ldapValue()),
                replace(AttributeNames.REVOCATION_REASON, reason.ldapValue()));
    }

    /** Any attribute a person may write (kmsAdministrativeGroup, mail, kmsSigningRequest, …), replaced. */
    void set(String dn, String attribute, Object... values) {
        people.modify(dn, replace(attribute, List.of(values)));
    }

    /** The user fetched the package and confirms it by deleting it. */
    void confirmPackage(String dn) {
        people.modify(dn, delete(AttributeNames.KEY_PACKAGE));
    }

    /**
     * The entry is put back to {@code requested} without its claim, below the guard (the server's
     * own session, as an LDIF restore would): the one way the state of an enrollment in progress
     * changes under an agent that waits for the CA.
     */
    void resetBelowTheGuard(String dn) {
        people.modify(dn, replace(AttributeNames.ENROLLMENT_STATE, EnrollmentState.REQUESTED.ldapValue()),
                replace(AttributeNames.CLAIMED_BY), replace(AttributeNames.LEASE_EXPIRES),
                replace(AttributeNames.SUPERSEDED_CERTIFICATE), replace(AttributeNames.REPLACED_ATTEMPT));
    }

    /** An administrator clears the queue of {@code subjectDn}: deletes its requests that wait for the CA. */
    void clearQueueOf(String subjectDn) {
        for (InMemoryDirectory.Entry request : people.children(LAYOUT.requests(),
                entry -> RequestState.PENDING.ldapValue().equals(entry.string(AttributeNames.REQUEST_STATE))
                        && entry.string(AttributeNames.REQUEST_SUBJECT) != null
                        && InMemoryDirectory.normal(entry.string(AttributeNames.REQUEST_SUBJECT))
                                .equals(InMemoryDirectory.normal(subjectDn)))) {
            people.delete(request.dn());
        }
    }

    /** A PKCS#10 naming somebody else: the CA refuses to certify it for the user. */
    static byte[] somebodyElsesRequest() {
        try {
            KeyPair other = new KeyPairFactory(RANDOM).generate(KeyAlgorithm.EC_P256);
            return new JcaPKCS10CertificationRequestBuilder(new X500Name("CN=Somebody Else"), other.getPublic())
                    .build(KeyPairFactory.contentSigner(other.getPrivate(), other.getPublic())).getEncoded();
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }

    // ---- what a test reads ------------------------------------------------------------------

    /** Records over a session of its own that never crashes: what a test reads with. */
    InMemoryEnrollmentRecords observer() {
        return new InMemoryEnrollmentRecords(directory.session("observer"));
    }

    InMemoryCaRecords caObserver() {
        return new InMemoryCaRecords(directory.session("observer"));
    }

    UserEntry user(String dn) {
        return observer().readUser(dn).orElseThrow();
    }

    InMemoryDirectory.Entry entry(String dn) {
        return people.read(dn).orElseThrow();
    }

    /** Every request entry under ou=Requests. */
    List<InMemoryDirectory.Entry> requests() {
        return people.children(LAYOUT.requests(), entry -> entry.is(ObjectClassNames.CERTIFICATE_REQUEST));
    }

    /** The CRL published on the CA entry. */
    X509CRL crl() {
        return new CaService(caObserver(), LAYOUT, clock, RANDOM, new CrlUpdateLocks()).currentCrl(ca);
    }

    private static Map<String, List<Object>> attributes(Object... namesAndValues) {
        Map<String, List<Object>> attributes = new LinkedHashMap<>();
        for (int i = 0; i < namesAndValues.length; i += 2) {
            @SuppressWarnings("unchecked")
            List<Object> values = (List<Object>) namesAndValues[i + 1];
            attributes.put((String) namesAndValues[i], values);
        }
        return attributes;
    }
}
