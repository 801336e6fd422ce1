package org.dirkms.agent.recovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.security.Key;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;

import org.dirkms.agent.archive.KeyArchiver;
import org.dirkms.agent.archive.KeyRecoverer;
import org.dirkms.agent.archive.WrappedKey;
import org.dirkms.agent.ca.StandardTemplates;
import org.dirkms.agent.enroll.TestClock;
import org.dirkms.agent.directory.EnrollmentRecords.ArchivedKeyEntry;
import org.dirkms.agent.directory.EnrollmentRecords.GroupEntry;
import org.dirkms.agent.directory.RecoveryRecords.KmsServer;
import org.dirkms.agent.directory.RecoveryRecords.RequestEntry;
import org.dirkms.agent.directory.RecoveryRecords.TargetUser;
import org.dirkms.agent.keys.KeyPairFactory;
import org.dirkms.agent.keys.RecoveryKey;
import org.dirkms.agent.keys.TestPki;
import org.dirkms.agent.recovery.RecoveryResult.Outcome;
import org.dirkms.agent.workflow.Attempts;
import org.dirkms.schema.ContentEncryptionAlgorithm;
import org.dirkms.schema.DirectoryLayout;
import org.dirkms.schema.KeyAlgorithm;
import org.dirkms.schema.MessageFormat;
import org.dirkms.schema.PackageFormat;
import org.dirkms.schema.RecoveryState;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The recovery state machine without a server (docs/state-machines.md, "Recovery"): in-memory
 * records with the directory's test-and-set semantics, real keys (EC P-256) archived to a real
 * recovery key, every transition, and a process killed after each single write followed by a
 * restart, which finishes the recovery and never writes a package twice.
 */
class RecoveryServiceTest {

    private static final DirectoryLayout LAYOUT = new DirectoryLayout("dc=example,dc=com");
    private static final String AGENT = LAYOUT.kmsAgentIdentity();
    private static final String SERVER = "cn=default," + LAYOUT.servers();
    private static final String GROUP = LAYOUT.defaultAdministrativeGroup();
    private static final String ALICE = TestPki.ALICE_DN;
    private static final String CAROL = "uid=carol,ou=People,dc=example,dc=com";
    private static final String BOB = "uid=bob,ou=People,dc=example,dc=com";
    private static final String DAVE = "uid=dave,ou=People,dc=example,dc=com";
    private static final String MALLORY = "uid=mallory,ou=People,dc=example,dc=com";
    private static final String REQUEST = "cn=recover-alice," + LAYOUT.recoveryRequests();

    private static TestPki pki;
    private static RecoveryKey recoveryKey;
    private static TestPki.Credential oldKey;
    private static TestPki.Credential newKey;
    private static TestPki.Credential signing;
    private static WrappedKey oldWrapped;
    private static WrappedKey newWrapped;

    private TestClock clock;
    private InMemoryRecoveryRecords records;


    @BeforeAll
    static void keys() throws Exception {
        pki = TestPki.create();
        KeyPair recovery = TestPki.KEYS.generate(KeyAlgorithm.EC_P256);
        X509Certificate recoveryCertificate = pki.ca().certifyRecoveryAgent(TestPki.RECOVERY_DN,
                KeyPairFactory.certificationRequest(recovery)).get(0);
        recoveryKey = new RecoveryKey(recoveryCertificate, recovery.getPrivate());
        oldKey = pki.issue(StandardTemplates.SMIME_ENCRYPTION, KeyAlgorithm.EC_P256);
        newKey = pki.issue(StandardTemplates.SMIME_ENCRYPTION, KeyAlgorithm.EC_P256);
        signing = pki.issue(StandardTemplates.SMIME_SIGNATURE, KeyAlgorithm.EC_P256);
        KeyArchiver archiver = new KeyArchiver(recoveryCertificate, TestPki.RANDOM);
        oldWrapped = archiver.wrap(oldKey.keys().getPrivate(), oldKey.certificate());
        newWrapped = archiver.wrap(newKey.keys().getPrivate(), newKey.certificate());
    }

    @BeforeEach
    void directory() throws Exception {
        clock = new TestClock(Instant.parse("2026-11-25T09:00:00Z"));
        records = new InMemoryRecoveryRecords();
        records.groups.add(new GroupEntry(GROUP, SERVER, KeyAlgorithm.EC_P256, ContentEncryptionAlgorithm.AES_256_CBC,
                MessageFormat.SMIME_3_2, PackageFormat.PBES2_AES_256, true));
        records.servers.add(new KmsServer(SERVER, AGENT, 2));
        records.groupMembers.put(InMemoryRecoveryRecords.key(LAYOUT.recoveryAgentsGroup()), List.of(AGENT, BOB, DAVE,
                CAROL));
        records.groupMembers.put(InMemoryRecoveryRecords.key(LAYOUT.kmsAgentsGroup()), List.of(AGENT));
        records.groupMembers.put(InMemoryRecoveryRecords.key(LAYOUT.kmsAdministratorsGroup()), List.of(AGENT, CAROL));
        records.caEntries.put(InMemoryRecoveryRecords.key(TestPki.CA_DN), List.of(pki.ca().certificate().getEncoded()));
        String oldRecord = "cn=key-old," + LAYOUT.keyArchive();
        String newRecord = "cn=key-new," + LAYOUT.keyArchive();
        records.archive.put(InMemoryRecoveryRecords.key(oldRecord), new ArchivedKeyEntry(oldRecord, ALICE,
                oldWrapped.envelopedDataDer(), oldKey.certificate().getEncoded(), oldWrapped.wrappingAlgorithm(),
                oldWrapped.wrappingKeyId()));
        records.archive.put(InMemoryRecoveryRecords.key(newRecord), new ArchivedKeyEntry(newRecord, ALICE,
                newWrapped.envelopedDataDer(), newKey.certificate().getEncoded(), newWrapped.wrappingAlgorithm(),
                newWrapped.wrappingKeyId()));
        records.users.put(InMemoryRecoveryRecords.key(ALICE), new TargetUser(ALICE, List.of(TestPki.ALICE_MAIL), null,
                List.of(oldRecord, newRecord)));
    }

    private RecoveryService service() {
        return service(() -> new KeyRecoverer(List.of(recoveryKey)));
    }

    private RecoveryService service(Supplier<KeyRecoverer> keys) {
        String owner = Attempts.ownerFor(AGENT, TestPki.RANDOM);
        return new RecoveryService(records, keys, RecoveryService.Settings.defaults(AGENT, owner), LAYOUT, clock,
                TestPki.RANDOM);
    }

    /** A request as the directory makes it: requester, two approvals required, pending, made now. */
    private void request(List<String> approvals, byte[] certificate) {
        records.put(new RequestEntry(REQUEST, "recover-alice", ALICE, CAROL, approvals, "2", RecoveryState.PENDING,
                "pending", certificate, null, clock.instant(), null, false, false, null, "Alice lost her laptop"));
    }

    private KeyStore opened(String dn) throws Exception {
        InMemoryRecoveryRecords.StoredRequest stored = records.stored(dn);
        assertNotNull(stored.recoveryPackage, "a package on " + dn);
        assertEquals(1, stored.recoveryPackage.size(), "one PKCS#12 of every key in the group's format");
        KeyStore pkcs12 = KeyStore.getInstance("PKCS12");
        pkcs12.load(new ByteArrayInputStream(stored.recoveryPackage.get(0)), stored.token);
        return pkcs12;
    }

    /** The certificates of the keys in the package, each checked to be its key's. */
    private static Set<X509Certificate> keysIn(KeyStore pkcs12, char[] token) throws Exception {
        Set<X509Certificate> certificates = new HashSet<>();
        for (String alias : Collections.list(pkcs12.aliases())) {
            if (pkcs12.isKeyEntry(alias)) {
                Key key = pkcs12.getKey(alias, token);
                X509Certificate certificate = (X509Certificate) pkcs12.getCertificate(alias);
                assertTrue(KeyPairFactory.matches((PrivateKey) key, certificate.getPublicKey()), alias);
                assertEquals(2, pkcs12.getCertificateChain(alias).length, "the key's certificate and the CA: " + alias);
                certificates.add(certificate);
            }
        }
        return certificates;
    }

    @Test
    void inTheLegacyFormatEachRecoveredKeyIsItsOwnPkcs12ForGpgsm22() throws Exception {
        records.groups.set(0, new GroupEntry(GROUP, SERVER, KeyAlgorithm.EC_P256, ContentEncryptionAlgorithm.AES_256_CBC,
                MessageFormat.SMIME_3_2, PackageFormat.LEGACY_PBE_SHA1_3DES, true));
        request(List.of(BOB, DAVE), null);
        assertEquals(Outcome.RECOVERED, service().advance(REQUEST).outcome());
        InMemoryRecoveryRecords.StoredRequest stored = records.stored(REQUEST);
        assertEquals(2, stored.recoveryPackage.size(), "one PKCS#12 per recovered key");
        Set<X509Certificate> recovered = new HashSet<>();
        for (byte[] value : stored.recoveryPackage) {
            KeyStore pkcs12 = KeyStore.getInstance("PKCS12");
            pkcs12.load(new ByteArrayInputStream(value), stored.token);
            Set<X509Certificate> keys = keysIn(pkcs12, stored.token);
            assertEquals(1, keys.size(), "one key in each");
            recovered.addAll(keys);
        }
        assertEquals(Set.of(oldKey.certificate(), newKey.certificate()), recovered);
    }

    @Test
    void twoDistinctApprovalsRecoverEveryEncryptionKeyTheUserEverHadForTheRequester() throws Exception {
        request(List.of(BOB, DAVE), null);
        RecoveryResult result = service().advance(REQUEST);
        assertEquals(Outcome.RECOVERED, result.outcome(), result.toString());
        assertEquals(List.of("claim", "deliver"), records.writes, "one claim, one delivery");
        RequestEntry entry = records.entry(REQUEST);
        assertEquals(RecoveryState.APPROVED, entry.state());
        assertNull(entry.claim(), "the delivery ends the claim");
        assertEquals(clock.instant().plus(Duration.ofDays(7)), entry.packageExpires());
        assertNull(entry.lastError());
        char[] token = records.stored(REQUEST).token;
        assertTrue(new String(token).matches("([0-9A-HJKMNP-TV-Z]{4}-){5}[0-9A-HJKMNP-TV-Z]{4}"), "a one-time token");
        assertEquals(Set.of(oldKey.certificate(), newKey.certificate()), keysIn(opened(REQUEST), token),
                "both encryption keys, the superseded one too, and never the signing key");
        assertFalse(result.toString().contains(new String(token)), "no secret in the result");

        // The requester deletes the package: delivered, the token goes too.
        records.requesterDeletesPackage(REQUEST);
        assertEquals(Outcome.DELIVERED, service().advance(REQUEST).outcome());
        entry = records.entry(REQUEST);
        assertEquals(RecoveryState.DELIVERED, entry.state());
        assertNull(records.stored(REQUEST).token);
        assertNull(entry.packageExpires());
        assertEquals(Outcome.NOTHING, service().advance(REQUEST).outcome(), "delivered is final");
        assertEquals(1, records.deliveries.get());
    }

    @Test
    void approvalsCountOncePerRecoveryAgentAndNeverTheRequestersAKmsAgentsOrAFormerAgents() {
        // Bob twice (two spellings), the KMS agent, and Mallory who holds no role.
        request(List.of(BOB, "UID=Bob, OU=People, DC=example, DC=com", AGENT, MALLORY), null);
        RecoveryResult result = service().advance(REQUEST);
        assertEquals(Outcome.NOTHING, result.outcome());
        assertEquals("waiting for approvals: 1 of the 2 approvals required given", result.message());
        assertTrue(records.writes.isEmpty(), "nothing written short of approvals");
        assertNull(records.stored(REQUEST).recoveryPackage);

        // Dave approves, then loses the role before the agent looks: still short.
        records.setApprovals(REQUEST, List.of(BOB, DAVE));
        records.groupMembers.put(InMemoryRecoveryRecords.key(LAYOUT.recoveryAgentsGroup()), List.of(AGENT, BOB));
        assertEquals(Outcome.NOTHING, service().advance(REQUEST).outcome());
        assertNull(records.stored(REQUEST).recoveryPackage);
    }

    /**
     * What slapd's access rules cannot rule out, refused where the keys are: a request its
     * requester approved, or whose requester is not a KMS administrator, ends failed with the
     * reason and nothing recovered, however many approvals it has.
     */
    @Test
    void aRequestNoGuardedDirectoryWouldStoreIsRefusedWithItsReason() {
        request(List.of(BOB, DAVE, "uid=Carol,ou=People,dc=example,dc=com"), null);
        RecoveryResult selfApproved = service().advance(REQUEST);
        assertEquals(Outcome.FAILED, selfApproved.outcome(), selfApproved.toString());
        assertTrue(records.entry(REQUEST).lastError().contains("approved their own request"),
                records.entry(REQUEST).lastError());
        assertNull(records.stored(REQUEST).recoveryPackage, "nothing recovered");

        records.groupMembers.put(InMemoryRecoveryRecords.key(LAYOUT.kmsAdministratorsGroup()), List.of(AGENT));
        request(List.of(BOB, DAVE), null);
        RecoveryResult notAdministrator = service().advance(REQUEST);
        assertEquals(Outcome.FAILED, notAdministrator.outcome(), notAdministrator.toString());
        assertEquals(RecoveryState.FAILED, records.entry(REQUEST).state());
        assertTrue(records.entry(REQUEST).lastError().contains("is not a member of " + LAYOUT.kmsAdministratorsGroup()),
                records.entry(REQUEST).lastError());
        assertNull(records.stored(REQUEST).recoveryPackage, "nothing recovered");
        assertEquals(0, records.deliveries.get());
    }

    @Test
    void theServersConfigurationRaisesTheCountOfARequestButNothingLowersIt() {
        records.servers.set(0, new KmsServer(SERVER, AGENT, 3));
        request(List.of(BOB, DAVE), null);
        assertEquals("waiting for approvals: 2 of the 3 approvals required given", service().advance(REQUEST).message());
        records.servers.set(0, new KmsServer(SERVER, AGENT, 1));
        records.setApprovals(REQUEST, List.of(BOB));
        assertEquals("waiting for approvals: 1 of the 2 approvals required given", service().advance(REQUEST).message(),
                "the request keeps the count it was made with");
    }

    @Test
    void aRequestForOneCertificateRecoversThatKeyAlone() throws Exception {
        request(List.of(BOB, DAVE), oldKey.certificate().getEncoded());
        assertEquals(Outcome.RECOVERED, service().advance(REQUEST).outcome());
        assertEquals(Set.of(oldKey.certificate()), keysIn(opened(REQUEST), records.stored(REQUEST).token));
    }

    @Test
    void abandonedRecordsAndRecordsWithoutACertificateAreNoKeyTheUserHad() throws Exception {
        String abandoned = "cn=key-abandoned," + LAYOUT.keyArchive();
        String unpublished = "cn=key-unpublished," + LAYOUT.keyArchive();
        TestPki.Credential never = pki.issue(StandardTemplates.SMIME_ENCRYPTION, KeyAlgorithm.EC_P256);
        WrappedKey neverWrapped = new KeyArchiver(recoveryKey.certificate(), TestPki.RANDOM)
                .wrap(never.keys().getPrivate(), never.certificate());
        records.archive.put(InMemoryRecoveryRecords.key(abandoned), new ArchivedKeyEntry(abandoned, ALICE,
                neverWrapped.envelopedDataDer(), never.certificate().getEncoded(), "x", "y", true));
        records.archive.put(InMemoryRecoveryRecords.key(unpublished), new ArchivedKeyEntry(unpublished, ALICE,
                neverWrapped.envelopedDataDer(), null, "x", "y"));
        request(List.of(BOB, DAVE), null);
        assertEquals(Outcome.RECOVERED, service().advance(REQUEST).outcome());
        assertEquals(Set.of(oldKey.certificate(), newKey.certificate()),
                keysIn(opened(REQUEST), records.stored(REQUEST).token));
    }

    @Test
    void aRecoveryThatCannotBeMadeEndsFailedWithAPlainReason() throws Exception {
        // No archived key at all.
        records.users.put(InMemoryRecoveryRecords.key(ALICE), new TargetUser(ALICE, List.of(), null, List.of()));
        records.archive.clear();
        assertFailsWith(ALICE + " has no archived encryption key (kmsArchiveRecord lists none and no record under"
                + " ou=Key Archive names the user as its owner): nothing to recover");

        // A record listed in the history that is gone.
        directory();
        String lost = "cn=key-lost," + LAYOUT.keyArchive();
        records.users.put(InMemoryRecoveryRecords.key(ALICE), new TargetUser(ALICE, List.of(), null, List.of(lost)));
        assertFailsWith("the archive record " + lost + " that kmsArchiveRecord of " + ALICE + " lists no longer exists,"
                + " so that key is lost ('dirkms archive check' reports it as missing-history); nothing was delivered."
                + " To recover the user's other keys, name one certificate in kmsRecoveryCertificate of a new request");

        // A record that does not unwrap: damaged.
        directory();
        String oldRecord = "cn=key-old," + LAYOUT.keyArchive();
        records.archive.put(InMemoryRecoveryRecords.key(oldRecord), new ArchivedKeyEntry(oldRecord, ALICE,
                new byte[] {0x30, 0x03, 0x02, 0x01, 0x01}, oldKey.certificate().getEncoded(), "x", "y"));
        String damaged = assertFailsWith(null);
        assertTrue(damaged.startsWith("the archived key " + oldRecord + " (certificate serial "
                + oldKey.certificate().getSerialNumber().toString(16)), damaged);
        assertTrue(damaged.endsWith("cannot be recovered: the archived key is not CMS EnvelopedData (RFC 5652 section"
                + " 6); nothing was delivered"), damaged);

        // A record whose key is not its certificate's.
        directory();
        records.archive.put(InMemoryRecoveryRecords.key(oldRecord), new ArchivedKeyEntry(oldRecord, ALICE,
                newWrapped.envelopedDataDer(), oldKey.certificate().getEncoded(), "x", "y"));
        assertTrue(assertFailsWith(null).contains("the archived key is not the private key of certificate"));

        // A certificate asked for that no record holds.
        directory();
        assertTrue(assertFailsWith(null, signing.certificate().getEncoded())
                .startsWith("no archive record of " + ALICE + " holds the certificate named in kmsRecoveryCertificate"));

        // A signing certificate in the archive: signing keys are never recovered.
        directory();
        WrappedKey signingWrapped = new KeyArchiver(recoveryKey.certificate(), TestPki.RANDOM)
                .wrap(signing.keys().getPrivate(), signing.certificate());
        records.archive.put(InMemoryRecoveryRecords.key(oldRecord), new ArchivedKeyEntry(oldRecord, ALICE,
                signingWrapped.envelopedDataDer(), signing.certificate().getEncoded(), "x", "y"));
        assertTrue(assertFailsWith(null).contains("signing keys are never archived nor recovered"));

        // The user is gone.
        directory();
        records.users.clear();
        assertFailsWith("kmsRecoveryTarget " + ALICE + " names no entry (any more): there is nobody whose keys to"
                + " recover; nothing was recovered");

        // A request nobody asked for (written by a KMS agent, which the directory does not record).
        directory();
        records.put(new RequestEntry(REQUEST, "recover-alice", ALICE, null, List.of(BOB, DAVE), "2",
                RecoveryState.PENDING, "pending", null, null, clock.instant(), null, false, false, null, null));
        assertEquals(Outcome.FAILED, service().advance(REQUEST).outcome());
        assertTrue(records.entry(REQUEST).lastError().startsWith("the request names no kmsRecoveryRequester"));
        assertNull(records.stored(REQUEST).recoveryPackage);

        // The recovery key store cannot be opened.
        directory();
        request(List.of(BOB, DAVE), null);
        RecoveryResult broken = service(() -> {
            throw new IllegalArgumentException("cannot open the recovery key store /data/recovery/x.p12");
        }).advance(REQUEST);
        assertEquals(Outcome.FAILED, broken.outcome());
        assertEquals("the KMS could not complete the recovery (IllegalArgumentException); the agent's log has the"
                + " details; nothing was delivered; add a new request to retry", records.entry(REQUEST).lastError());
    }

    private String assertFailsWith(String reason) {
        return assertFailsWith(reason, null);
    }

    private String assertFailsWith(String reason, byte[] certificate) {
        request(List.of(BOB, DAVE), certificate);
        RecoveryResult result = service().advance(REQUEST);
        assertEquals(Outcome.FAILED, result.outcome(), result.toString());
        RequestEntry entry = records.entry(REQUEST);
        assertEquals(RecoveryState.FAILED, entry.state());
        assertNull(entry.claim());
        assertNull(records.stored(REQUEST).recoveryPackage, "nothing delivered");
        assertEquals(0, records.deliveries.get());
        if (reason != null) {
            assertEquals(reason, entry.lastError());
        }
        assertEquals(Outcome.NOTHING, service().advance(REQUEST).outcome(), "failed is final");
        return entry.lastError();
    }

    @Test
    void aPendingRequestShortOfApprovalsExpiresAfterSevenDays() {
        request(List.of(BOB), null);
        clock.advance(Duration.ofDays(7).minusSeconds(1));
        assertEquals(Outcome.NOTHING, service().advance(REQUEST).outcome());
        clock.advance(Duration.ofSeconds(1));
        RecoveryResult result = service().advance(REQUEST);
        assertEquals(Outcome.EXPIRED, result.outcome());
        RequestEntry entry = records.entry(REQUEST);
        assertEquals(RecoveryState.EXPIRED, entry.state());
        assertEquals("not approved in time: 1 of the 2 approvals required had been given by 2026-12-02T09:00:00Z"
                + " (7 days after the request was made); nothing was recovered; add a new request to try again",
                entry.lastError());
        // A late approval changes nothing.
        records.setApprovals(REQUEST, List.of(BOB, DAVE));
        assertEquals(Outcome.NOTHING, service().advance(REQUEST).outcome());
        assertEquals(0, records.deliveries.get());
    }

    @Test
    void anUnfetchedPackageExpiresAfterSevenDaysWithItsToken() {
        request(List.of(BOB, DAVE), null);
        assertEquals(Outcome.RECOVERED, service().advance(REQUEST).outcome());
        clock.advance(Duration.ofDays(7).minusSeconds(1));
        assertEquals(Outcome.NOTHING, service().advance(REQUEST).outcome());
        clock.advance(Duration.ofSeconds(1));
        assertEquals(Outcome.EXPIRED, service().advance(REQUEST).outcome());
        RequestEntry entry = records.entry(REQUEST);
        assertEquals(RecoveryState.EXPIRED, entry.state());
        assertNull(records.stored(REQUEST).recoveryPackage);
        assertNull(records.stored(REQUEST).token);
        assertEquals("the recovered package was not fetched by 2026-12-02T09:00:00Z (7 days after the recovery):"
                + " package and token were removed; add a new request to recover the keys again", entry.lastError());
    }

    @Test
    void anApprovalWithdrawnDuringTheRecoveryStopsTheDeliveryAndReleasesTheClaim() {
        request(List.of(BOB, DAVE), null);
        records.beforeDeliver = () -> records.setApprovals(REQUEST, List.of(BOB));
        RecoveryResult result = service().advance(REQUEST);
        assertEquals(Outcome.NOTHING, result.outcome());
        assertEquals("an approval changed during the recovery: released, judged again", result.message());
        RequestEntry entry = records.entry(REQUEST);
        assertEquals(RecoveryState.PENDING, entry.state());
        assertNull(entry.claim());
        assertNull(records.stored(REQUEST).recoveryPackage);
        assertEquals(0, records.deliveries.get());
    }

    @Test
    void anotherAgentsUserIsLeftAlone() {
        records.servers.set(0, new KmsServer(SERVER, "uid=other-agent,ou=KMS,dc=example,dc=com", 2));
        request(List.of(BOB, DAVE), null);
        assertEquals("served by another KMS server", service().advance(REQUEST).message());
        assertTrue(records.writes.isEmpty());
    }

    @Test
    void ofTwoAgentsRacingForOneRequestOneRecovers() throws Exception {
        request(List.of(BOB, DAVE), null);
        RecoveryService first = service();
        RecoveryService second = service();
        List<RecoveryResult> results = Collections.synchronizedList(new ArrayList<>());
        Thread a = new Thread(() -> results.add(first.advance(REQUEST)));
        Thread b = new Thread(() -> results.add(second.advance(REQUEST)));
        a.start();
        b.start();
        a.join();
        b.join();
        assertEquals(1, results.stream().filter(r -> r.outcome() == Outcome.RECOVERED).count(), results.toString());
        assertEquals(1, records.deliveries.get());
    }

    @Test
    void aClaimUnderAValidLeaseIsLeftToItsHolderAndTakenOverOnceItExpires() {
        request(List.of(BOB, DAVE), null);
        records.crashAfter(1);
        assertThrows(InMemoryRecoveryRecords.Crash.class, () -> service().advance(REQUEST));
        assertNotNull(records.entry(REQUEST).claim());
        assertEquals("being recovered under a valid lease", service().advance(REQUEST).message());
        clock.advance(RecoveryService.DEFAULT_LEASE);
        assertEquals(Outcome.RECOVERED, service().advance(REQUEST).outcome());
        assertEquals(List.of("claim", "takeOver", "deliver"), records.writes);
    }

    /**
     * The agent killed right after each write of a recovery, and after the requester's fetch
     * (before and during the key recovery too, where nothing is written), then a new process
     * started: it finishes, the package is written once, for the requester, on the request alone.
     */
    @Test
    void anAgentKilledAfterAnyWriteLeavesARecoveryARestartFinishesWithOnePackage() throws Exception {
        int writesOfARecovery = List.of("claim", "deliver", "confirm").size();
        for (int crashAfter = 1; crashAfter <= writesOfARecovery; crashAfter++) {
            directory();
            request(List.of(BOB, DAVE), null);
            records.crashAfter(crashAfter);
            runUntilKilled(() -> {
                service().advance(REQUEST);
                records.requesterDeletesPackage(REQUEST);
                service().advance(REQUEST);
            });
            restartAndFinish(crashAfter);
        }
        // Killed while recovering the keys, under the claim, before any write of the delivery.
        directory();
        request(List.of(BOB, DAVE), null);
        runUntilKilled(() -> service(() -> {
            throw new InMemoryRecoveryRecords.Crash("the claim, while unwrapping");
        }).advance(REQUEST));
        assertNotNull(records.entry(REQUEST).claim(), "the dead attempt's claim stays until its lease runs out");
        restartAndFinish(0);
    }

    @Test
    void aSuccessorKilledRightAfterItsTakeOverIsTakenOverInTurn() throws Exception {
        request(List.of(BOB, DAVE), null);
        records.crashAfter(1);
        runUntilKilled(() -> service().advance(REQUEST));
        clock.advance(RecoveryService.DEFAULT_LEASE);
        records.crashAfter(1);
        runUntilKilled(() -> service().advance(REQUEST));
        assertEquals(List.of("claim", "takeOver"), records.writes);
        assertEquals("being recovered under a valid lease", service().advance(REQUEST).message());
        restartAndFinish(2);
        assertEquals(List.of("claim", "takeOver", "takeOver", "deliver", "confirm"), records.writes);
    }

    private static void runUntilKilled(Runnable steps) {
        assertThrows(InMemoryRecoveryRecords.Crash.class, steps::run);
    }

    /** A new process after the lease: reconciles until nothing changes, then the requester fetches. */
    private void restartAndFinish(int crashedAfter) throws Exception {
        clock.advance(RecoveryService.DEFAULT_LEASE.plusSeconds(1));
        RecoveryService restarted = service();
        for (int round = 0; round < 3; round++) {
            restarted.reconcile();
        }
        RequestEntry entry = records.entry(REQUEST);
        String where = "killed after write " + crashedAfter + " (" + records.writes + ")";
        assertNull(entry.claim(), where);
        assertEquals(1, records.deliveries.get(), "one package ever: " + where);
        if (entry.state() == RecoveryState.APPROVED) {
            assertEquals(Set.of(oldKey.certificate(), newKey.certificate()),
                    keysIn(opened(REQUEST), records.stored(REQUEST).token), where);
            records.requesterDeletesPackage(REQUEST);
            restarted.reconcile();
        }
        assertEquals(RecoveryState.DELIVERED, records.entry(REQUEST).state(), where);
        assertNull(records.stored(REQUEST).token, where);
        assertEquals(1, records.requests().size(), "the package went to the request alone: " + where);
    }
}
