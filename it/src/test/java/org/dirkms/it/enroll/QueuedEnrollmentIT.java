package org.dirkms.it.enroll;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.SecureRandom;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.directory.api.ldap.model.cursor.EntryCursor;
import org.apache.directory.api.ldap.model.entry.Entry;
import org.apache.directory.api.ldap.model.message.SearchScope;
import org.apache.directory.ldap.client.api.LdapNetworkConnection;
import org.dirkms.agent.enroll.TestClock;
import org.dirkms.agent.archive.ArchiveChecker;
import org.dirkms.agent.archive.KeyRecoverer;
import org.dirkms.agent.ca.CaService;
import org.dirkms.agent.queue.QueueServer;
import org.dirkms.agent.ca.CertificationAuthority;
import org.dirkms.agent.ca.StandardTemplates;
import org.dirkms.agent.directory.EnrollmentRecords.ArchivedKeyEntry;
import org.dirkms.agent.directory.LdapEnrollmentRecords;
import org.dirkms.agent.enroll.EnrollmentResult;
import org.dirkms.agent.enroll.EnrollmentService;
import org.dirkms.agent.enroll.KmsAgent;
import org.dirkms.agent.keys.KeyPairFactory;
import org.dirkms.agent.keys.RecoveryKeyStore;
import org.dirkms.it.support.Pem;
import org.dirkms.it.support.LdapTools;
import org.dirkms.it.support.TestDirectory;
import org.dirkms.schema.KeyAlgorithm;
import org.dirkms.dist.KmsContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * An agent with no CA in its process (it has neither the CA's key nor its key store) enrolls
 * through the certificate request queue, served the way {@code dirkms serve} serves it
 * ({@link QueueServer} on a period, over its own connection): the user is
 * marked with ldapmodify; the agent archives the encryption key and queues both requests under
 * {@code ou=Requests} before any CA acts (checked while no CA serves the queue); once the queue
 * is served the user ends enrolled, both certificates verify with {@code openssl verify} against
 * the CA, and the archived key is the key of the published encryption certificate. A request
 * the CA refuses ends the enrollment failed with the CA's reason, nothing archived.
 */
class QueuedEnrollmentIT {
    @RegisterExtension
    static final TestDirectory directory = new TestDirectory();

    @TempDir
    static Path work;

    private static final SecureRandom RANDOM = new SecureRandom();
    private static LdapNetworkConnection connection;
    private static CaService caService;
    private static CertificationAuthority ca;
    private static RecoveryKeyStore recovery;
    private static LdapEnrollmentRecords records;

    @BeforeAll
    static void setUp() throws Exception {
        LdapTools.requireTool("openssl", "openssl");
        TestCertificationAuthority setUp = TestCertificationAuthority.create(directory, work, "Queue Test CA",
                KeyAlgorithm.EC_P256, RANDOM);
        connection = setUp.connection();
        caService = setUp.caService();
        ca = setUp.ca();
        recovery = setUp.recovery();
        records = new LdapEnrollmentRecords(connection, directory.layout());
        admin().modify("dn: " + directory.layout().defaultAdministrativeGroup() + "\nchangetype: modify\n"
                + "replace: kmsKeyAlgorithm\nkmsKeyAlgorithm: EC-P256\n-\n").assertSuccess();
    }

    @AfterAll
    static void close() {
        if (connection != null) {
            connection.close();
        }
    }

    private static LdapTools admin() {
        return LdapTools.against(directory).asKmsAdministrator();
    }

    /** The agent as a standalone one without the CA's key store runs: no CA handed in. */
    private static KmsAgent agentWithoutCa() {
        KmsContext kms = directory.kms();
        return kms.agent(null, recovery.current().certificate(), kms.agentSettings(), 2, KmsAgent.DEFAULT_SWEEP);
    }

    /** One round of the CA serving the queue, on the test's connection. */
    private static void serveQueueOnce() {
        directory.kms().serveQueue(connection, directory.kms().queueServer(ca, KmsContext.QUEUE_LEASE));
    }

    /** Serves the queue as {@code dirkms serve} does (CaServeSetup.scheduleCaWork), on its own connection. */
    private static ScheduledExecutorService serveQueue(LdapNetworkConnection caConnection) {
        QueueServer serving = directory.kms().queueServer(ca, KmsContext.QUEUE_LEASE);
        ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
        scheduler.scheduleWithFixedDelay(() -> directory.kms().serveQueue(caConnection, serving), 0, 200,
                TimeUnit.MILLISECONDS);
        return scheduler;
    }

    @Test
    void anAgentWithoutCaEnrollsThroughTheQueueArchivingBeforeQueueing() throws Exception {
        try (KmsAgent agent = agentWithoutCa();
                LdapNetworkConnection caConnection = directory.secureAgentConnection()) {
            agent.start();
            assertTrue(agent.awaitLive(Duration.ofSeconds(30)), "the syncrepl refresh completes");
            String dn = requestNewUser("queued", "queued@example.com", null);

            // No CA serves the queue yet: the agent has archived the key and queued both requests.
            List<Entry> requests = awaitRequests(dn, 2);
            for (Entry request : requests) {
                assertEquals("pending", request.get("kmsRequestState").getString(), request.toString());
                assertNotNull(request.get("kmsPkcs10Request"));
                assertTrue(request.get("kmsRequestTemplate").getString().toLowerCase()
                        .endsWith(directory.layout().certificateTemplates().toLowerCase()), request.toString());
            }
            List<String> templates = new ArrayList<>();
            for (Entry request : requests) {
                templates.add(request.get("kmsRequestTemplate").getString().toLowerCase());
            }
            templates.sort(null);
            List<String> expected = java.util.stream.Stream.of(StandardTemplates.SMIME_SIGNATURE,
                    StandardTemplates.SMIME_ENCRYPTION).map(name -> caService.templateDn(name).toLowerCase()).sorted()
                    .toList();
            assertEquals(expected, templates, "one request per S/MIME template");
            assertEquals("in-progress", state(dn));
            List<ArchivedKeyEntry> beforeIssue = records.archivedKeys(dn);
            assertEquals(1, beforeIssue.size(), "the encryption key is archived before its request is served");
            assertNull(beforeIssue.get(0).certificate(), "no certificate exists yet for the archived key");
            assertNull(connection.lookup(dn, "userCertificate").get("userCertificate"), "nothing published yet");

            ScheduledExecutorService queue = serveQueue(caConnection);
            try {
                awaitState(dn, "enrolled");
            } finally {
                queue.shutdownNow();
                queue.awaitTermination(10, TimeUnit.SECONDS);
            }

            Entry user = connection.lookup(dn, "*");
            List<X509Certificate> published = EnrollmentIT.certificates(user, "userCertificate");
            assertEquals(2, published.size(), "signing and encryption certificates");
            Path caPem = Pem.write(work.resolve("queue-ca.pem"), ca.certificate());
            for (int i = 0; i < published.size(); i++) {
                Path leaf = Pem.write(work.resolve("queued-" + i + ".pem"), published.get(i));
                LdapTools.Result verified = LdapTools.run(List.of("openssl", "verify", "-x509_strict",
                        "-CAfile", caPem.toString(), leaf.toString()), Map.of(), null);
                assertEquals(0, verified.exitCode(), verified.stdout() + verified.stderr());
                assertTrue(verified.stdout().contains(": OK"), verified.stdout());
            }
            List<ArchivedKeyEntry> archived = records.archivedKeys(dn);
            assertEquals(1, archived.size(), "no second archive record");
            assertNotNull(archived.get(0).certificate(), "the archive record names the issued encryption certificate");
            X509Certificate encryption = published.stream()
                    .filter(c -> java.util.Arrays.equals(der(c), archived.get(0).certificate())).findFirst()
                    .orElseThrow(() -> new AssertionError("the archived key's certificate is not published"));
            ArchiveChecker.Verdict verdict = new ArchiveChecker(new KeyRecoverer(recovery.keys()))
                    .check(archived.get(0).wrappedKey(), encryption);
            assertTrue(verdict.matches(), verdict.message());
            for (Entry request : requests(dn)) {
                assertEquals("issued", request.get("kmsRequestState").getString(), request.toString());
            }
            assertEquals(2, records.publishedCertificates(dn).size(), "one child entry per certificate");
            assertNotNull(user.get("kmsKeyPackage"), "the package is delivered");
        }
    }

    @Test
    void aRequestTheCaRefusesEndsTheEnrollmentFailedWithTheCaReason() throws Exception {
        try (KmsAgent agent = agentWithoutCa();
                LdapNetworkConnection caConnection = directory.secureAgentConnection()) {
            agent.start();
            assertTrue(agent.awaitLive(Duration.ofSeconds(30)));
            // The client's signing request names somebody else: the CA refuses it.
            KeyPair other = new KeyPairFactory(RANDOM).generate(KeyAlgorithm.EC_P256);
            byte[] wrongSubject = new org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder(
                    new org.bouncycastle.asn1.x500.X500Name("CN=Somebody Else"), other.getPublic())
                    .build(KeyPairFactory.contentSigner(other.getPrivate(), other.getPublic())).getEncoded();
            String dn = requestNewUser("refused", "refused@example.com", wrongSubject);
            awaitRequests(dn, 2);
            ScheduledExecutorService queue = serveQueue(caConnection);
            try {
                awaitState(dn, "failed");
            } finally {
                queue.shutdownNow();
                queue.awaitTermination(10, TimeUnit.SECONDS);
            }
            String caReason = null;
            for (Entry request : requests(dn)) {
                if ("failed".equals(request.get("kmsRequestState").getString())) {
                    caReason = request.get("kmsLastError").getString();
                }
            }
            assertNotNull(caReason, "the CA ended the signing request as failed");
            Entry user = connection.lookup(dn, "*");
            String error = user.get("kmsLastError").getString();
            assertTrue(error.startsWith("kmsSigningRequest cannot be certified"), error);
            assertTrue(error.contains(caReason), "the CA's reason is passed on: " + error);
            assertNull(user.get("userCertificate"), "nothing published");
            assertNull(user.get("kmsKeyPackage"));
            assertTrue(RecordingRecords.live(records.archivedKeys(dn)).isEmpty(), "no live record of the failed attempt");
            assertEquals(1, RecordingRecords.abandoned(records.archivedKeys(dn)).size(),
                    "the archive record of the failed attempt is kept, marked abandoned");
            assertTrue(records.publishedCertificates(dn).isEmpty());
        }
    }

    @Test
    void aWaitingEnrollmentWhoseAgentDiedIsTakenOverWithoutOrphansOrStaleRequests() throws Exception {
        TestClock clock = new TestClock(Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS));
        EnrollmentService dead = EnrollmentService.queueing(records, recovery.current().certificate(),
                EnrollmentService.Settings.defaults(directory.agentDn(), RANDOM), clock, RANDOM);
        String dn = requestNewUser("takeover", "takeover@example.com", null);
        assertEquals(EnrollmentResult.Outcome.QUEUED, dead.handle(dn).outcome(), "the first agent queues and dies");
        List<Entry> deadRequests = requests(dn);
        assertEquals(2, deadRequests.size());
        String deadArchive = records.archivedKeys(dn).get(0).dn();

        // Another agent (the restarted one: a new process, a new owner) finds the claim under a
        // valid lease and leaves it; after the lease it takes over.
        EnrollmentService successor = EnrollmentService.queueing(records, recovery.current().certificate(),
                EnrollmentService.Settings.defaults(directory.agentDn(), RANDOM), clock, RANDOM);
        assertEquals(EnrollmentResult.Outcome.NOTHING, successor.handle(dn).outcome(), "the lease is still valid");
        clock.advance(EnrollmentService.DEFAULT_LEASE.plusSeconds(1));
        assertEquals(EnrollmentResult.Outcome.QUEUED, successor.handle(dn).outcome(), "taken over and queued anew");
        for (Entry stale : deadRequests) {
            assertNull(connection.lookup(stale.getDn(), "kmsRequestState"),
                    "the dead attempt's pending request is gone, so no CA issues it for a key nobody holds");
        }
        List<ArchivedKeyEntry> archived = RecordingRecords.live(records.archivedKeys(dn));
        assertEquals(1, archived.size(), "the dead attempt's archive record was abandoned with its requests");
        assertTrue(!archived.get(0).dn().equalsIgnoreCase(deadArchive), "the new attempt's own record");
        assertEquals(deadArchive.toLowerCase(), RecordingRecords.abandoned(records.archivedKeys(dn)).get(0).dn()
                .toLowerCase(), "the dead attempt's record stays, marked abandoned");

        // The queue is served; the successor publishes its own keys.
        serveQueueOnce();
        List<Entry> current = requests(dn);
        assertEquals(2, current.size(), "only the successor's two requests remain");
        for (Entry request : current) {
            assertEquals("issued", request.get("kmsRequestState").getString(), request.toString());
        }
        EnrollmentResult result = successor.handle(dn);
        assertEquals(EnrollmentResult.Outcome.ENROLLED, result.outcome(), result.toString());
        result.clearToken();
        List<X509Certificate> published = EnrollmentIT.certificates(connection.lookup(dn, "userCertificate"),
                "userCertificate");
        assertEquals(2, published.size());
        // The live record: the dead attempt's abandoned one is listed too, in no set order.
        ArchivedKeyEntry record = RecordingRecords.live(records.archivedKeys(dn)).get(0);
        X509Certificate encryption = published.stream().filter(c -> java.util.Arrays.equals(der(c), record.certificate()))
                .findFirst().orElseThrow(() -> new AssertionError("the archived key's certificate is not published"));
        assertTrue(new ArchiveChecker(new KeyRecoverer(recovery.keys())).check(record.wrappedKey(), encryption)
                .matches());
        assertEquals(0, successor.queuedCount(), "the successor forgets the enrollment once published");
    }

    @Test
    void aWaitingEnrollmentRenewsItsLeaseSoThatASlowCaLetsNoOtherAgentTakeItOver() throws Exception {
        TestClock clock = new TestClock(Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS));
        EnrollmentService holder = EnrollmentService.queueing(records, recovery.current().certificate(),
                EnrollmentService.Settings.defaults(directory.agentDn(), RANDOM), clock, RANDOM);
        EnrollmentService other = EnrollmentService.queueing(records, recovery.current().certificate(),
                EnrollmentService.Settings.defaults(directory.agentDn(), RANDOM), clock, RANDOM);
        String dn = requestNewUser("slowca", "slowca@example.com", null);
        assertEquals(EnrollmentResult.Outcome.QUEUED, holder.handle(dn).outcome());
        Instant firstLease = lease(dn);
        String claim = connection.lookup(dn, "kmsClaimedBy").get("kmsClaimedBy").getString();

        // No CA serves the queue for longer than the lease; the holder polls its waiting
        // enrollment as the running agent does (KmsAgent, every 2 s) and renews the lease.
        clock.advance(EnrollmentService.DEFAULT_LEASE.dividedBy(2).minusSeconds(1));
        assertEquals(EnrollmentResult.Outcome.QUEUED, holder.advanceQueued().get(0).outcome());
        assertEquals(firstLease, lease(dn), "not renewed before half of the lease has passed");
        clock.advance(Duration.ofSeconds(2));
        assertEquals(EnrollmentResult.Outcome.QUEUED, holder.advanceQueued().get(0).outcome());
        Instant renewed = lease(dn);
        assertEquals(clock.instant().plus(EnrollmentService.DEFAULT_LEASE), renewed, "renewed for a whole lease");
        assertEquals(claim, connection.lookup(dn, "kmsClaimedBy").get("kmsClaimedBy").getString(), "the same claim");

        clock.advance(EnrollmentService.DEFAULT_LEASE.dividedBy(2).plusSeconds(1));
        assertTrue(clock.instant().isAfter(firstLease), "the first lease is over");
        assertEquals(EnrollmentResult.Outcome.NOTHING, other.handle(dn).outcome(),
                "another agent finds a valid lease and leaves the live enrollment alone");
        assertEquals(2, requests(dn).size(), "the waiting requests stay");
        assertEquals(1, records.archivedKeys(dn).size(), "the archive record stays");

        // The CA serves the queue at last: the holder publishes its own keys.
        serveQueueOnce();
        EnrollmentResult result = holder.advanceQueued().get(0);
        assertEquals(EnrollmentResult.Outcome.ENROLLED, result.outcome(), result.toString());
        result.clearToken();
        Entry user = connection.lookup(dn, "*");
        assertNull(user.get("kmsClaimedBy"), "the claim ends with the publication");
        assertNull(user.get("kmsLeaseExpires"));
        List<ArchivedKeyEntry> archived = records.archivedKeys(dn);
        assertEquals(1, archived.size());
        assertNotNull(archived.get(0).certificate(), "the archive record names the published encryption certificate");
    }

    @Test
    void certificatesIssuedToADeadAttemptAreRevokedThroughTheClaimWhenTheSuccessorHasNoCa() throws Exception {
        TestClock clock = new TestClock(Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS));
        String dn = requestNewUser("issueddead", "issueddead@example.com", null);
        List<X509Certificate> orphans = issuedToADeadAttempt(dn, clock);

        EnrollmentService successor = EnrollmentService.queueing(records, recovery.current().certificate(),
                EnrollmentService.Settings.defaults(directory.agentDn(), RANDOM), clock, RANDOM);
        assertEquals(EnrollmentResult.Outcome.QUEUED, successor.handle(dn).outcome(), "taken over and queued anew");
        java.util.Set<java.math.BigInteger> claim = EnrollmentIT.supersededSerials(connection.lookup(dn,
                "kmsSupersededCertificate"));
        for (X509Certificate orphan : orphans) {
            assertTrue(claim.contains(orphan.getSerialNumber()),
                    "the successor's claim names the dead attempt's certificate to revoke: " + claim);
        }
        assertEquals(2, requests(dn).size(), "the dead attempt's issued requests are gone; the successor's wait");
        assertEquals(1, RecordingRecords.live(records.archivedKeys(dn)).size(), "only the successor's archive record is live");

        serveQueueOnce();
        EnrollmentResult enrolled = successor.handle(dn);
        assertEquals(EnrollmentResult.Outcome.ENROLLED, enrolled.outcome(), enrolled.toString());
        enrolled.clearToken();
        X509CRL beforeCa = caService.currentCrl(ca);
        for (X509Certificate orphan : orphans) {
            assertNull(beforeCa.getRevokedCertificate(orphan.getSerialNumber()), "no CA in the successor's process");
        }
        assertNotNull(connection.lookup(dn, "kmsClaimedBy").get("kmsClaimedBy"),
                "the publication keeps the claim: what it names is not revoked yet");

        // An agent with the CA (as in dirkms serve) takes the claim over after its lease and revokes them.
        EnrollmentService withCa = EnrollmentService.issuing(records, caService, ca, recovery.current().certificate(),
                EnrollmentService.Settings.defaults(directory.agentDn(), RANDOM), clock, RANDOM);
        assertEquals(EnrollmentResult.Outcome.NOTHING, withCa.handle(dn).outcome(), "not while the lease holds");
        clock.advance(EnrollmentService.DEFAULT_LEASE.plusSeconds(1));
        EnrollmentResult revoked = withCa.handle(dn);
        assertEquals(EnrollmentResult.Outcome.REVOKED, revoked.outcome(), revoked.toString());
        assertRevokedAsSuperseded(orphans);
        Entry user = connection.lookup(dn, "*");
        assertEquals("enrolled", user.get("kmsEnrollmentState").getString());
        assertNull(user.get("kmsClaimedBy"), "the claim ends once they are revoked");
        List<X509Certificate> published = EnrollmentIT.certificates(user, "userCertificate");
        assertEquals(2, published.size());
        X509CRL crl = caService.currentCrl(ca);
        for (X509Certificate current : published) {
            assertNull(crl.getRevokedCertificate(current.getSerialNumber()), "the published ones stay valid");
        }
    }

    @Test
    void certificatesIssuedToADeadAttemptAreRevokedAtOnceBySuccessorWithTheCa() throws Exception {
        TestClock clock = new TestClock(Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS));
        String dn = requestNewUser("issueddead2", "issueddead2@example.com", null);
        List<X509Certificate> orphans = issuedToADeadAttempt(dn, clock);

        EnrollmentService successor = EnrollmentService.issuing(records, caService, ca, recovery.current().certificate(),
                EnrollmentService.Settings.defaults(directory.agentDn(), RANDOM), clock, RANDOM);
        EnrollmentResult result = successor.handle(dn);
        assertEquals(EnrollmentResult.Outcome.ENROLLED, result.outcome(), result.toString());
        result.clearToken();
        assertRevokedAsSuperseded(orphans);
        assertTrue(requests(dn).isEmpty(), "the dead attempt's requests are gone once their certificates are revoked");
        assertNull(connection.lookup(dn, "kmsClaimedBy").get("kmsClaimedBy"), "nothing left to do");
        assertEquals(1, RecordingRecords.live(records.archivedKeys(dn)).size(), "only the successor's archive record is live");
    }

    @Test
    void aSuccessorWithoutCaThatFailsStillLeavesTheDeadAttemptsCertificatesToBeRevoked() throws Exception {
        TestClock clock = new TestClock(Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS));
        String dn = requestNewUser("issueddead3", "issueddead3@example.com", null);
        List<X509Certificate> orphans = issuedToADeadAttempt(dn, clock);
        EnrollmentService successor = EnrollmentService.queueing(records, recovery.current().certificate(),
                EnrollmentService.Settings.defaults(directory.agentDn(), RANDOM), clock, RANDOM);
        assertEquals(EnrollmentResult.Outcome.QUEUED, successor.handle(dn).outcome());
        // An administrator clears the queue before a CA serves it: the successor's attempt fails.
        for (Entry request : requests(dn)) {
            connection.delete(request.getDn());
        }
        EnrollmentResult failed = successor.handle(dn);
        assertEquals(EnrollmentResult.Outcome.FAILED, failed.outcome(), failed.toString());
        Entry user = connection.lookup(dn, "*");
        assertEquals("failed", user.get("kmsEnrollmentState").getString());
        assertTrue(user.get("kmsLastError").getString().contains("was removed before a CA served it"),
                user.get("kmsLastError").getString());
        assertNotNull(user.get("kmsClaimedBy"), "the failed entry keeps its claim");
        java.util.Set<java.math.BigInteger> claim = EnrollmentIT.supersededSerials(user);
        for (X509Certificate orphan : orphans) {
            assertTrue(claim.contains(orphan.getSerialNumber()),
                    "the failed entry keeps a claim naming what is left to revoke: " + claim);
        }
        assertTrue(RecordingRecords.live(records.archivedKeys(dn)).isEmpty(),
                "nothing live stays in the archive of a failed enrollment (its record is marked abandoned)");

        EnrollmentService withCa = EnrollmentService.issuing(records, caService, ca, recovery.current().certificate(),
                EnrollmentService.Settings.defaults(directory.agentDn(), RANDOM), clock, RANDOM);
        clock.advance(EnrollmentService.DEFAULT_LEASE.plusSeconds(1));
        assertTrue(withCa.reconcile().stream().anyMatch(r -> r.dn().equalsIgnoreCase(dn)
                && r.outcome() == EnrollmentResult.Outcome.REVOKED), "the reconcile finds and finishes it");
        assertRevokedAsSuperseded(orphans);
        Entry after = connection.lookup(dn, "*");
        assertEquals("failed", after.get("kmsEnrollmentState").getString(), "still failed: a new requested retries");
        assertNull(after.get("kmsClaimedBy"));
        assertNull(after.get("kmsLeaseExpires"));
    }

    /**
     * An agent without the CA queues the requests of {@code dn}, the CA issues both, and the agent
     * dies before publishing; the clock then passes its lease. Returns the two certificates.
     */
    private static List<X509Certificate> issuedToADeadAttempt(String dn, TestClock clock) throws Exception {
        EnrollmentService dead = EnrollmentService.queueing(records, recovery.current().certificate(),
                EnrollmentService.Settings.defaults(directory.agentDn(), RANDOM), clock, RANDOM);
        assertEquals(EnrollmentResult.Outcome.QUEUED, dead.handle(dn).outcome());
        serveQueueOnce();
        List<X509Certificate> issued = new ArrayList<>();
        for (Entry request : requests(dn)) {
            assertEquals("issued", request.get("kmsRequestState").getString());
            issued.add((X509Certificate) java.security.cert.CertificateFactory.getInstance("X.509").generateCertificate(
                    new java.io.ByteArrayInputStream(request.get("userCertificate").getBytes())));
        }
        assertEquals(2, issued.size());
        clock.advance(EnrollmentService.DEFAULT_LEASE.plusSeconds(1));
        return issued;
    }

    /** Each of {@code certificates} is on the CRL published on the CA entry, with reason superseded. */
    private static void assertRevokedAsSuperseded(List<X509Certificate> certificates) throws Exception {
        X509CRL crl = caService.currentCrl(ca);
        crl.verify(ca.certificate().getPublicKey());
        for (X509Certificate certificate : certificates) {
            java.security.cert.X509CRLEntry entry = crl.getRevokedCertificate(certificate.getSerialNumber());
            assertNotNull(entry, certificate.getSerialNumber().toString(16) + " is on the CRL");
            assertEquals(java.security.cert.CRLReason.SUPERSEDED, entry.getRevocationReason());
        }
    }

    private static Instant lease(String dn) throws Exception {
        return org.apache.directory.api.util.GeneralizedTime.getDate(
                connection.lookup(dn, "kmsLeaseExpires").get("kmsLeaseExpires").getString()).toInstant();
    }

    private static String requestNewUser(String uid, String mail, byte[] signingRequest) {
        String dn = "uid=" + uid + "," + directory.layout().people();
        LdapTools.against(directory).asAdmin().add("dn: " + dn + "\nobjectClass: inetOrgPerson\nuid: " + uid
                + "\ncn: " + uid + "\nsn: " + uid + "\nmail: " + mail + "\nuserPassword: pw-" + uid + "\n").assertSuccess();
        // The sample enrollment, as a KMS administrator marks a user (docs/administrator-contract.md, 1); a
        // user whose client made the signing key writes its request, bound as the user, in between.
        admin().modify("dn: " + dn + "\nchangetype: modify\nadd: objectClass\nobjectClass: kmsUser\n-\n").assertSuccess();
        if (signingRequest != null) {
            LdapTools.against(directory).as(dn, "pw-" + uid).modify("dn: " + dn + "\nchangetype: modify\n"
                    + "add: kmsSigningRequest\nkmsSigningRequest:: " + Base64.getEncoder().encodeToString(signingRequest)
                    + "\n-\n").assertSuccess();
        }
        admin().modify("dn: " + dn + "\nchangetype: modify\n"
                + "add: kmsEnrollmentState\nkmsEnrollmentState: requested\n-\n").assertSuccess();
        return dn;
    }

    private static List<Entry> requests(String userDn) throws Exception {
        List<Entry> found = new ArrayList<>();
        try (EntryCursor cursor = connection.search(directory.layout().requests(), "(objectClass=kmsCertificateRequest)",
                SearchScope.ONELEVEL, "*")) {
            for (Entry entry : cursor) {
                if (entry.get("kmsRequestSubject").getString().equalsIgnoreCase(userDn)) {
                    found.add(entry);
                }
            }
        }
        return found;
    }

    /** Waits for the agent (another thread) to have queued {@code count} requests for the user. */
    private static List<Entry> awaitRequests(String userDn, int count) throws Exception {
        Instant deadline = Instant.now().plusSeconds(60);
        List<Entry> found = requests(userDn);
        while (found.size() < count) {
            if (Instant.now().isAfter(deadline)) {
                fail(userDn + ": " + found.size() + " requests queued within 60 s, expected " + count + "; entry "
                        + connection.lookup(userDn, "kmsEnrollmentState", "kmsLastError"));
            }
            Thread.sleep(100); // polling another thread's progress, not waiting for time to pass
            found = requests(userDn);
        }
        return found;
    }

    private static String state(String dn) throws Exception {
        return connection.lookup(dn, "kmsEnrollmentState").get("kmsEnrollmentState").getString();
    }

    private static void awaitState(String dn, String expected) throws Exception {
        Instant deadline = Instant.now().plusSeconds(60);
        String current = state(dn);
        while (!expected.equals(current)) {
            if (Instant.now().isAfter(deadline)) {
                fail(dn + " did not become " + expected + " within 60 s: "
                        + connection.lookup(dn, "kmsEnrollmentState", "kmsLastError"));
            }
            Thread.sleep(100); // polling another thread's progress, not waiting for time to pass
            current = state(dn);
        }
    }

    private static byte[] der(X509Certificate certificate) {
        try {
            return certificate.getEncoded();
        } catch (java.security.cert.CertificateEncodingException e) {
            throw new AssertionError(e);
        }
    }
}
