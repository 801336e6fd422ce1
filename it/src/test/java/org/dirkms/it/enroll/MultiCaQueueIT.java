package org.dirkms.it.enroll;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.directory.api.ldap.model.cursor.EntryCursor;
import org.apache.directory.api.ldap.model.entry.DefaultModification;
import org.apache.directory.api.ldap.model.entry.Entry;
import org.apache.directory.api.ldap.model.entry.ModificationOperation;
import org.apache.directory.api.ldap.model.entry.Value;
import org.apache.directory.api.ldap.model.message.SearchScope;
import org.apache.directory.ldap.client.api.LdapNetworkConnection;
import org.dirkms.agent.archive.KeyRecoverer;
import org.dirkms.agent.ca.CaService;
import org.dirkms.agent.ca.CertificationAuthority;
import org.dirkms.agent.ca.KeyStorePassphrase;
import org.dirkms.agent.ca.StandardTemplates;
import org.dirkms.agent.directory.LdapCaRecords;
import org.dirkms.agent.directory.LdapEnrollmentRecords;
import org.dirkms.agent.enroll.EnrollmentResult;
import org.dirkms.agent.enroll.EnrollmentService;
import org.dirkms.agent.enroll.TestClock;
import org.dirkms.agent.escrow.ArchiveAudit;
import org.dirkms.agent.keys.RecoveryKeyStore;
import org.dirkms.agent.queue.QueueServer;
import org.dirkms.agent.workflow.Attempts;
import org.dirkms.agent.workflow.Lease;
import org.dirkms.it.support.LdapTools;
import org.dirkms.it.support.TestDirectory;
import org.dirkms.schema.DataFolder;
import org.dirkms.schema.KeyAlgorithm;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two certification authorities serving one request queue on a real server, with time moved by
 * hand (docs/state-machines.md, "The certificate request queue"): an agent without a CA queues
 * each enrollment, and two {@link QueueServer}s (the CAs "Queue CA A" and "Queue CA B", each as
 * a CA process serves it) take the requests. A disabled CA leaves them to the other; CAs at
 * capacity leave the rest waiting until capacity frees; a template installed on one CA only is
 * issued by that one; a CA that dies holding claims leaves them to the other after the lease,
 * and a CA whose claim was taken over records nothing (never two certificates for a request);
 * a request nobody can serve for the queue's lifetime (24 hours, or what {@code ou=Requests}
 * says) expires, the user's entry says so in plain words, and the archive check stays clean.
 * The same with separate, killed CA processes is {@code CaFailoverIT}.
 */
class MultiCaQueueIT {
    @RegisterExtension
    static final TestDirectory directory = new TestDirectory();

    @TempDir
    static Path work;

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Duration CA_LEASE = Duration.ofMinutes(2);
    private static final TestClock CLOCK = new TestClock(Instant.now().truncatedTo(ChronoUnit.SECONDS));
    private static LdapNetworkConnection connection;
    private static CertificationAuthority caA;
    private static CertificationAuthority caB;
    private static RecoveryKeyStore recovery;
    private static LdapEnrollmentRecords records;
    private static LdapCaRecords caRecords;
    private static CaService caService;

    @BeforeAll
    static void setUp() throws Exception {
        TestCertificationAuthority setUp = TestCertificationAuthority.create(directory, work, "Queue CA A",
                KeyAlgorithm.EC_P256, RANDOM);
        connection = setUp.connection();
        caA = setUp.ca();
        recovery = setUp.recovery();
        caB = setUp.caService().initRoot("Queue CA B", KeyAlgorithm.EC_P384, CaService.DEFAULT_ROOT_VALIDITY, 2,
                DataFolder.of(work).caKeyStore("Queue CA B"), KeyStorePassphrase.of("it passphrase".toCharArray()),
                CertificationAuthority.Publication.at(directory.ldapUrl()));
        records = new LdapEnrollmentRecords(connection, directory.layout(), CLOCK);
        caRecords = new LdapCaRecords(connection, directory.layout(), CLOCK);
        caService = new CaService(caRecords, directory.layout(), CLOCK, RANDOM);
        LdapTools.against(directory).asKmsAdministrator().modify("dn: "
                + directory.layout().defaultAdministrativeGroup() + "\nchangetype: modify\n"
                + "replace: kmsKeyAlgorithm\nkmsKeyAlgorithm: EC-P256\n-\n").assertSuccess();
    }

    /** Both CAs active with every standard template and the default capacity; no request left open. */
    @BeforeEach
    void bothCasServeEverything() throws Exception {
        for (CertificationAuthority ca : List.of(caA, caB)) {
            connection.modify(ca.dn(), new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, "kmsCAState",
                    "active"), new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, "kmsInstalledTemplate",
                            StandardTemplates.all().stream().map(t -> caService.templateDn(t.name())).toArray(String[]::new)),
                    new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, "kmsCapacity"));
        }
        assertEquals(List.of(), openRequests(), "a scenario left requests open");
    }

    @Test
    void aDisabledCaLeavesTheQueueToTheOther() throws Exception {
        set(caA, "kmsCAState", "disabled");
        EnrollmentService agent = agent();
        String dn = queuedUser(agent, "disabled");
        assertEquals(0, served(server(caA)).issued(), "a disabled CA takes nothing");
        assertEquals(2, openRequests().size());
        QueueServer.Round round = served(server(caB));
        assertEquals(2, round.issued());
        assertEnrolledBy(agent, dn, caB, caB);
    }

    @Test
    void casAtCapacityLeaveTheRestWaitingUntilCapacityFrees() throws Exception {
        set(caA, "kmsCapacity", "1");
        set(caB, "kmsCapacity", "1");
        EnrollmentService agent = agent();
        String first = queuedUser(agent, "capacity1");
        String second = queuedUser(agent, "capacity2");
        QueueServer a = server(caA);
        QueueServer b = server(caB);

        QueueServer.Claims heldByA = a.claim(caRecords, caService);
        QueueServer.Claims heldByB = b.claim(caRecords, caService);
        assertEquals(1, heldByA.claimed().size(), "CA A takes one request: its capacity");
        assertTrue(heldByA.busy(), "and is busy");
        assertEquals(1, heldByB.claimed().size());
        assertEquals(2, count("pending"), "the other two wait, pending");
        assertEquals(0, a.claim(caRecords, caService).claimed().size(), "A holds its one request still: busy");

        assertEquals(QueueServer.Outcome.ISSUED, a.serve(caRecords, caService, heldByA.claimed().get(0)));
        QueueServer.Claims next = a.claim(caRecords, caService);
        assertEquals(1, next.claimed().size(), "capacity freed: A takes the next");
        assertEquals(1, count("pending"));
        assertEquals(QueueServer.Outcome.ISSUED, a.serve(caRecords, caService, next.claimed().get(0)));
        assertEquals(QueueServer.Outcome.ISSUED, b.serve(caRecords, caService, heldByB.claimed().get(0)));
        // The rest is served round by round, one request per CA at a time.
        for (int round = 0; round < 4 && !openRequests().isEmpty(); round++) {
            for (QueueServer server : List.of(a, b)) {
                QueueServer.Round served = served(server);
                assertTrue(served.issued() <= 1, "never more than the capacity at once");
            }
        }
        assertEquals(List.of(), openRequests());
        assertEnrolled(agent, first);
        assertEnrolled(agent, second);
    }

    @Test
    void aTemplateInstalledOnOneCaOnlyIsIssuedByThatCa() throws Exception {
        connection.modify(caA.dn(), new DefaultModification(ModificationOperation.REMOVE_ATTRIBUTE, "kmsInstalledTemplate",
                caService.templateDn(StandardTemplates.SMIME_ENCRYPTION)));
        EnrollmentService agent = agent();
        String dn = queuedUser(agent, "template");
        QueueServer a = server(caA);
        for (int round = 0; round < 3; round++) {
            served(a);
        }
        List<Entry> open = openRequests();
        assertEquals(1, open.size(), "CA A issued the signing request only");
        assertEquals(caService.templateDn(StandardTemplates.SMIME_ENCRYPTION).toLowerCase(),
                open.get(0).get("kmsRequestTemplate").getString().toLowerCase());
        assertEquals("pending", open.get(0).get("kmsRequestState").getString());
        assertEquals(1, served(server(caB)).issued());
        assertEnrolledBy(agent, dn, caA, caB);
    }

    @Test
    void aCaThatDiesHoldingClaimsLeavesThemToTheOtherAndRecordsNothingAfterwards() throws Exception {
        EnrollmentService agent = agent();
        String dn = queuedUser(agent, "deadca");
        QueueServer dying = server(caA);
        QueueServer.Claims held = dying.claim(caRecords, caService);
        assertEquals(2, held.claimed().size(), "CA A claims both requests, then stops answering");
        QueueServer b = server(caB);
        assertEquals(0, served(b).issued(), "B leaves claims under a live lease alone");

        CLOCK.advance(CA_LEASE.plusSeconds(1));
        assertEquals(2, served(b).issued(), "after the lease, B takes them over and issues");
        Set<String> recorded = new HashSet<>();
        for (Entry request : requestsOf(dn)) {
            assertEquals("issued", request.get("kmsRequestState").getString());
            assertEquals(1, request.get("userCertificate").size(), "one certificate per request");
            recorded.add(serial(request.get("userCertificate").get()));
        }
        // A comes back to life and finishes what it held: its claims are gone, it records nothing.
        for (QueueServer.Claimed claimed : held.claimed()) {
            assertEquals(QueueServer.Outcome.LOST, dying.serve(caRecords, caService, claimed));
        }
        Set<String> after = new HashSet<>();
        for (Entry request : requestsOf(dn)) {
            assertEquals(1, request.get("userCertificate").size());
            after.add(serial(request.get("userCertificate").get()));
        }
        assertEquals(recorded, after, "the zombie CA's certificates were never recorded");
        assertEnrolledBy(agent, dn, caB, caB);
    }

    @Test
    void aRequestNoCaCanServeForTheQueuesLifetimeExpiresAndTheUserIsToldWhy() throws Exception {
        set(caA, "kmsCAState", "disabled");
        connection.modify(caB.dn(), new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, "kmsInstalledTemplate",
                caService.templateDn(StandardTemplates.SMIME_ENCRYPTION)));
        EnrollmentService agent = agent();
        String dn = queuedUser(agent, "expires");
        served(server(caA));
        assertEquals(1, served(server(caB)).issued(), "B issues the encryption certificate it has the template for");

        CLOCK.advance(Duration.ofHours(23));
        assertEquals(EnrollmentResult.Outcome.QUEUED, agent.advanceQueued().get(0).outcome(), "23 hours: still waiting");
        CLOCK.advance(Duration.ofHours(1).plusSeconds(1));
        served(server(caA));
        served(server(caB));
        EnrollmentResult result = agent.advanceQueued().get(0);
        assertEquals(EnrollmentResult.Outcome.FAILED, result.outcome(), result.toString());
        Entry user = connection.lookup(dn, "kmsEnrollmentState", "kmsLastError", "userCertificate");
        assertEquals("failed", user.get("kmsEnrollmentState").getString());
        String error = user.get("kmsLastError").getString();
        assertTrue(error.startsWith("the signature certificate request waited 24 hours without an available"
                + " certification authority that has the template smime-signature"), error);
        assertTrue(error.contains("request enrollment again"), error);
        assertEquals(null, user.get("userCertificate"), "nothing published");
        for (Entry request : requestsOf(dn)) {
            assertEquals("issued", request.get("kmsRequestState").getString(),
                    "the expired request is removed; only the record of what B issued stays");
        }
        assertArchiveCheckClean();
    }

    @Test
    void theQueuesLifetimeIsTheDirectorys() throws Exception {
        caRecords.setRequestLifetime(2);
        try {
            set(caA, "kmsCAState", "disabled");
            set(caB, "kmsCAState", "disabled");
            EnrollmentService agent = agent();
            String dn = queuedUser(agent, "lifetime");
            Entry request = requestsOf(dn).get(0);
            assertEquals(Duration.ofHours(2), Duration.between(time(request, "kmsRequestedTime"),
                    time(request, "kmsExpiresTime")), "the deadline ldapsearch shows");
            CLOCK.advance(Duration.ofHours(2).plusSeconds(1));
            assertEquals(EnrollmentResult.Outcome.FAILED, agent.advanceQueued().get(0).outcome());
            assertTrue(connection.lookup(dn, "kmsLastError").get("kmsLastError").getString()
                    .contains("waited 2 hours"));
            assertEquals(List.of(), requestsOf(dn), "both expired requests are removed from the queue");
            assertArchiveCheckClean();
        } finally {
            caRecords.setRequestLifetime(24);
        }
    }

    // ---- helpers ------------------------------------------------------------------------------

    /** An agent without a CA (a new process each time), on the test's clock. */
    private static EnrollmentService agent() {
        return EnrollmentService.queueing(records, recovery.current().certificate(),
                EnrollmentService.Settings.defaults(directory.agentDn(), RANDOM), CLOCK, RANDOM);
    }

    /** A CA process serving the queue with {@code ca}, claims lasting {@link #CA_LEASE}. */
    private static QueueServer server(CertificationAuthority ca) {
        return new QueueServer(ca, new Lease(CLOCK, CA_LEASE), Attempts.of(Attempts.ownerFor(ca.dn(), RANDOM)));
    }

    private static QueueServer.Round served(QueueServer server) {
        return server.serve(caRecords, caService);
    }

    /** A new user whose enrollment {@code agent} queued. */
    private String queuedUser(EnrollmentService agent, String uid) throws Exception {
        String dn = "uid=" + uid + "," + directory.layout().people();
        LdapTools.against(directory).asAdmin().add("dn: " + dn + "\nobjectClass: inetOrgPerson\nuid: " + uid + "\ncn: "
                + uid + "\nsn: " + uid + "\nmail: " + uid + "@example.com\n").assertSuccess();
        LdapTools.against(directory).asKmsAdministrator().modify("dn: " + dn + "\nchangetype: modify\nadd: objectClass\n"
                + "objectClass: kmsUser\n-\nadd: kmsEnrollmentState\nkmsEnrollmentState: requested\n-\n").assertSuccess();
        EnrollmentResult queued = agent.handle(dn);
        assertEquals(EnrollmentResult.Outcome.QUEUED, queued.outcome(), queued.toString());
        return dn;
    }

    private void assertEnrolled(EnrollmentService agent, String dn) throws Exception {
        List<EnrollmentResult> results = agent.advanceQueued();
        for (EnrollmentResult result : results) {
            result.clearToken();
        }
        assertEquals("enrolled", connection.lookup(dn, "kmsEnrollmentState").get("kmsEnrollmentState").getString(),
                results.toString());
    }

    /** Enrolled, the signing certificate issued by {@code signing}, the encryption one by {@code encryption}. */
    private void assertEnrolledBy(EnrollmentService agent, String dn, CertificationAuthority signing,
            CertificationAuthority encryption) throws Exception {
        assertEnrolled(agent, dn);
        List<X509Certificate> published = new ArrayList<>();
        Entry user = connection.lookup(dn, "userCertificate;binary");
        for (Value value : user.get("userCertificate")) {
            published.add(certificate(value.getBytes()));
        }
        assertEquals(2, published.size());
        Set<String> requested = new HashSet<>();
        for (Entry request : requestsOf(dn)) {
            requested.add(serial(request.get("userCertificate").get()));
        }
        for (X509Certificate certificate : published) {
            boolean encrypts = certificate.getKeyUsage()[2] || certificate.getKeyUsage()[4];
            CertificationAuthority issuer = encrypts ? encryption : signing;
            assertEquals(issuer.certificate().getSubjectX500Principal(), certificate.getIssuerX500Principal());
            certificate.verify(issuer.certificate().getPublicKey());
            assertTrue(requested.contains(certificate.getSerialNumber().toString(16)),
                    "every published certificate is the one certificate of its request");
        }
        assertNotNull(records.readUser(dn).orElseThrow().archiveRecords().get(0));
    }

    private void set(CertificationAuthority ca, String attribute, String value) throws Exception {
        connection.modify(ca.dn(), new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, attribute, value));
    }

    /** {@code archive check} finds nothing, and counts the expired attempt's key as never published, not an orphan. */
    private static void assertArchiveCheckClean() {
        ArchiveAudit.Report report = directory.kms().archiveAudit(connection, new KeyRecoverer(recovery.keys())).run();
        assertTrue(report.clean(), report.summary() + " " + report.findings());
        assertTrue(report.neverPublished() >= 1 && report.summary().contains(" never published: kept, marked"
                + " abandoned, when the enrollment ended before its certificate was published)"), report.summary());
    }

    private static List<Entry> openRequests() throws Exception {
        List<Entry> open = new ArrayList<>();
        for (Entry entry : search("(|(kmsRequestState=pending)(kmsRequestState=claimed))")) {
            open.add(entry);
        }
        return open;
    }

    private static int count(String state) throws Exception {
        return search("(kmsRequestState=" + state + ")").size();
    }

    private static List<Entry> requestsOf(String userDn) throws Exception {
        return search("(kmsRequestSubject=" + userDn + ")");
    }

    private static List<Entry> search(String filter) throws Exception {
        List<Entry> found = new ArrayList<>();
        try (EntryCursor cursor = connection.search(directory.layout().requests(), filter, SearchScope.ONELEVEL, "*",
                "userCertificate;binary")) {
            for (Entry entry : cursor) {
                found.add(entry);
            }
        }
        return found;
    }

    private static Instant time(Entry entry, String attribute) throws Exception {
        return new org.apache.directory.api.util.GeneralizedTime(entry.get(attribute).getString()).getDate().toInstant();
    }

    private static String serial(Value der) throws Exception {
        return certificate(der.getBytes()).getSerialNumber().toString(16);
    }

    private static X509Certificate certificate(byte[] der) throws Exception {
        return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(der));
    }
}
