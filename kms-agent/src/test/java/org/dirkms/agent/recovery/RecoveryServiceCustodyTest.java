package org.dirkms.agent.recovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.dirkms.agent.archive.KeyArchiver;
import org.dirkms.agent.archive.KeyRecoverer;
import org.dirkms.agent.archive.WrappedKey;
import org.dirkms.agent.ca.StandardTemplates;
import org.dirkms.agent.custody.Custody;
import org.dirkms.agent.custody.RequestKey;
import org.dirkms.agent.custody.SealedContent;
import org.dirkms.agent.custody.ShamirShares;
import org.dirkms.agent.custody.ShareContent;
import org.dirkms.agent.directory.CustodyRecords.ShareEntry;
import org.dirkms.agent.directory.EnrollmentRecords.ArchivedKeyEntry;
import org.dirkms.agent.directory.EnrollmentRecords.GroupEntry;
import org.dirkms.agent.directory.RecoveryRecords.KmsServer;
import org.dirkms.agent.directory.RecoveryRecords.RequestEntry;
import org.dirkms.agent.directory.RecoveryRecords.TargetUser;
import org.dirkms.agent.enroll.TestClock;
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
 * Recovery under threshold custody (docs/custody.md) without a server: the recovery key split
 * 2 of 3 among Bob, Dave and Erin (real Shamir shares, real CMS, EC P-256), the records in memory
 * with the directory's test-and-set. The KMS claims a pending request at first sight and publishes
 * a request key in the same write; a share counts only with its holder's approval and only when it
 * opens, belongs to the custody and matches the published digest; every refusal names the agent;
 * a successor whose predecessor died with the request key takes over with a new key and voids the
 * old shares and approvals; a request short of shares expires.
 */
class RecoveryServiceCustodyTest {

    private static final DirectoryLayout LAYOUT = new DirectoryLayout("dc=example,dc=com");
    private static final String AGENT = LAYOUT.kmsAgentIdentity();
    private static final String SERVER = "cn=default," + LAYOUT.servers();
    private static final String GROUP = LAYOUT.defaultAdministrativeGroup();
    private static final String ALICE = TestPki.ALICE_DN;
    private static final String CAROL = "uid=carol,ou=People,dc=example,dc=com";
    private static final String BOB = "uid=bob,ou=People,dc=example,dc=com";
    private static final String DAVE = "uid=dave,ou=People,dc=example,dc=com";
    private static final String ERIN = "uid=erin,ou=People,dc=example,dc=com";
    private static final String REQUEST = "cn=recover-alice," + LAYOUT.recoveryRequests();

    private static TestPki pki;
    private static RecoveryKey recoveryKey;
    private static TestPki.Credential encryption;
    private static WrappedKey wrapped;
    /** Each holder's encryption key pair, their share sealed to its certificate. */
    private static final Map<String, TestPki.Credential> HOLDERS = new java.util.LinkedHashMap<>();

    private TestClock clock;
    private InMemoryRecoveryRecords records;
    private RequestKeys requestKeys;

    @BeforeAll
    static void keys() throws Exception {
        pki = TestPki.create();
        KeyPair recovery = TestPki.KEYS.generate(KeyAlgorithm.EC_P256);
        X509Certificate recoveryCertificate = pki.ca().certifyRecoveryAgent(TestPki.RECOVERY_DN,
                KeyPairFactory.certificationRequest(recovery)).get(0);
        recoveryKey = new RecoveryKey(recoveryCertificate, recovery.getPrivate());
        encryption = pki.issue(StandardTemplates.SMIME_ENCRYPTION, KeyAlgorithm.EC_P256);
        wrapped = new KeyArchiver(recoveryCertificate, TestPki.RANDOM).wrap(encryption.keys().getPrivate(),
                encryption.certificate());
        for (String holder : List.of(BOB, DAVE, ERIN)) {
            HOLDERS.put(holder, pki.issue(StandardTemplates.SMIME_ENCRYPTION, KeyAlgorithm.EC_P256));
        }
    }

    @BeforeEach
    void directory() throws Exception {
        clock = new TestClock(Instant.parse("2026-11-25T09:00:00Z"));
        records = new InMemoryRecoveryRecords();
        requestKeys = new RequestKeys();
        records.groups.add(new GroupEntry(GROUP, SERVER, KeyAlgorithm.EC_P256, ContentEncryptionAlgorithm.AES_256_CBC,
                MessageFormat.SMIME_3_2, PackageFormat.PBES2_AES_256, true));
        records.servers.add(new KmsServer(SERVER, AGENT, 2));
        records.groupMembers.put(InMemoryRecoveryRecords.key(LAYOUT.recoveryAgentsGroup()), List.of(BOB, DAVE, ERIN));
        records.groupMembers.put(InMemoryRecoveryRecords.key(LAYOUT.kmsAgentsGroup()), List.of(AGENT));
        records.groupMembers.put(InMemoryRecoveryRecords.key(LAYOUT.kmsAdministratorsGroup()), List.of(CAROL));
        records.caEntries.put(InMemoryRecoveryRecords.key(TestPki.CA_DN), List.of(pki.ca().certificate().getEncoded()));
        String record = "cn=key-1," + LAYOUT.keyArchive();
        records.archive.put(InMemoryRecoveryRecords.key(record), new ArchivedKeyEntry(record, ALICE,
                wrapped.envelopedDataDer(), encryption.certificate().getEncoded(), wrapped.wrappingAlgorithm(),
                wrapped.wrappingKeyId()));
        records.users.put(InMemoryRecoveryRecords.key(ALICE), new TargetUser(ALICE, List.of(TestPki.ALICE_MAIL), null,
                List.of(record)));
        List<Custody.Holder> holders = new ArrayList<>();
        HOLDERS.forEach((dn, credential) -> holders.add(new Custody.Holder(dn, credential.certificate())));
        records.custody = Custody.split(List.of(recoveryKey), holders, 2, TestPki.RANDOM);
        records.put(new RequestEntry(REQUEST, "recover-alice", ALICE, CAROL, List.of(), "2", RecoveryState.PENDING,
                "pending", null, null, clock.instant(), null, false, false, null, "Alice lost her laptop"));
    }

    /** The KMS process: no key store at all, only the shares rebuild the keys. */
    private RecoveryService service(RequestKeys keys) {
        return new RecoveryService(records, () -> {
            throw new AssertionError("under custody nothing opens a key store");
        }, keys, RecoveryService.Settings.defaults(AGENT, Attempts.ownerFor(AGENT, TestPki.RANDOM)), LAYOUT, clock,
                TestPki.RANDOM);
    }

    private RecoveryService service() {
        return service(requestKeys);
    }

    /** What {@code holder} gives back: their share opened with their key, sealed to the request key. */
    private byte[] shareOf(String holder) {
        return RequestKey.sealTo(RequestKey.parse(records.entry(REQUEST).requestKey()), contentOf(holder),
                TestPki.RANDOM);
    }

    private byte[] contentOf(String holder) {
        ShareEntry entry = records.custody.shares().stream().filter(share -> share.holder().equals(holder)).findFirst()
                .orElseThrow();
        return SealedContent.open(entry.sealedShare(), HOLDERS.get(holder).keys().getPrivate());
    }

    @Test
    void theKmsClaimsAPendingRequestAtFirstSightAndPublishesARequestKeyInTheSameWrite() {
        RecoveryResult first = service().advance(REQUEST);
        assertEquals(Outcome.NOTHING, first.outcome(), first.toString());
        assertEquals(List.of("claimWithRequestKey"), records.writes, "one write: claim and key together");
        RequestEntry entry = records.entry(REQUEST);
        assertNotNull(entry.claim(), "claimed at once, before any approval");
        X509Certificate key = RequestKey.parse(entry.requestKey());
        assertTrue(key.getSubjectX500Principal().getName().startsWith("CN=dirkms request key"), key.toString());
        assertNull(entry.lastError(), "nothing to report on a fresh request");
        assertEquals(1, requestKeys.size(), "the private half in this process's memory only");
        // Looked at again while nothing arrived: no new key, no write.
        service().advance(REQUEST);
        assertEquals(List.of("claimWithRequestKey"), records.writes);
    }

    @Test
    void sharesCountOnlyWithTheirHoldersApprovalAndTwoGoodOnesRecoverTheKeys() throws Exception {
        service().advance(REQUEST);
        records.give(REQUEST, BOB, shareOf(BOB));
        records.give(REQUEST, null, shareOf(DAVE)); // Dave's share, without his approval
        RecoveryResult waiting = service().advance(REQUEST);
        assertEquals(Outcome.NOTHING, waiting.outcome(), waiting.toString());
        assertNull(records.stored(REQUEST).recoveryPackage, "one counted share of two: nothing");
        String error = records.entry(REQUEST).lastError();
        assertTrue(error.contains("the share of " + DAVE + " comes with no approval of theirs"), error);

        records.give(REQUEST, DAVE, null);
        RecoveryResult recovered = service().advance(REQUEST);
        assertEquals(Outcome.RECOVERED, recovered.outcome(), recovered.toString());
        InMemoryRecoveryRecords.StoredRequest stored = records.stored(REQUEST);
        KeyStore pkcs12 = KeyStore.getInstance("PKCS12");
        pkcs12.load(new ByteArrayInputStream(stored.recoveryPackage.get(0)), stored.token);
        Set<X509Certificate> certificates = new HashSet<>();
        for (String alias : Collections.list(pkcs12.aliases())) {
            if (pkcs12.isKeyEntry(alias)) {
                certificates.add((X509Certificate) pkcs12.getCertificate(alias));
            }
        }
        assertEquals(Set.of(encryption.certificate()), certificates, "the archived key, rebuilt from two shares");
        assertEquals(0, requestKeys.size(), "the request key is destroyed with the recovery");
    }

    @Test
    void everyRefusedShareIsReportedWithTheAgentsDnAndTheRequestWaits() {
        service().advance(REQUEST);
        // Erin's share with one byte of its value changed, sealed properly: the digest catches it.
        ShareContent erin = ShareContent.decode(contentOf(ERIN));
        byte[] value = erin.share().value();
        value[0] ^= 1;
        byte[] forged = new ShareContent(erin.custodyId(), ERIN, new ShamirShares.Share(erin.share().index(), value))
                .encoded();
        records.give(REQUEST, ERIN, RequestKey.sealTo(RequestKey.parse(records.entry(REQUEST).requestKey()), forged,
                TestPki.RANDOM));
        // Bob's share sealed to another request's key: it does not open here.
        RequestKey other = RequestKey.generate("another request", Duration.ofDays(1), clock.instant(), TestPki.RANDOM);
        records.give(REQUEST, BOB, RequestKey.sealTo(other.certificate(), contentOf(BOB), TestPki.RANDOM));
        RecoveryResult result = service().advance(REQUEST);
        assertEquals(Outcome.NOTHING, result.outcome(), result.toString());
        RequestEntry entry = records.entry(REQUEST);
        assertEquals(RecoveryState.PENDING, entry.state());
        assertEquals(List.of(ERIN, BOB), entry.approvals(), "the KMS leaves the approvals as they were given");
        assertNull(records.stored(REQUEST).recoveryPackage);
        assertTrue(entry.lastError().contains("the share of " + ERIN + " is not the share custody "
                + records.custody.id() + " gave them (forged or tampered with): refused"), entry.lastError());
        assertTrue(entry.lastError().contains("1 share does not open with this request's key")
                && entry.lastError().endsWith("approvals with no good share: " + ERIN + ", " + BOB), entry.lastError());
        // Dave's good share and Bob's, given again properly, make two: the forged one is ignored.
        records.give(REQUEST, DAVE, shareOf(DAVE));
        assertEquals(Outcome.NOTHING, service().advance(REQUEST).outcome(), "Dave alone of the good ones");
        records.give(REQUEST, null, shareOf(BOB));
        assertEquals(Outcome.RECOVERED, service().advance(REQUEST).outcome());
    }

    @Test
    void aSuccessorTakesOverWithANewRequestKeyAndVoidsTheSharesSealedToTheLostOne() {
        service().advance(REQUEST);
        byte[] lostKey = records.entry(REQUEST).requestKey();
        records.give(REQUEST, BOB, shareOf(BOB));
        // The process that holds the key dies; while its lease runs, nobody else takes over.
        RequestKeys successorKeys = new RequestKeys();
        RecoveryResult early = service(successorKeys).advance(REQUEST);
        assertEquals(Outcome.NOTHING, early.outcome());
        assertTrue(early.message().contains("held under a valid lease"), early.message());
        clock.advance(RecoveryService.DEFAULT_LEASE.plusSeconds(1));
        RecoveryResult taken = service(successorKeys).advance(REQUEST);
        assertEquals(Outcome.NOTHING, taken.outcome(), taken.toString());
        assertEquals("takeOverWithRequestKey", records.writes.get(records.writes.size() - 1));
        RequestEntry entry = records.entry(REQUEST);
        assertFalse(Arrays.equals(lostKey, entry.requestKey()), "a new request key");
        assertEquals(List.of(), entry.approvals(), "the approvals whose shares open nothing are removed");
        assertEquals(List.of(), entry.shares(), "and the shares sealed to the lost key");
        assertTrue(entry.lastError().contains("stopped and took the key along: the 1 approval(s) and 1 share(s) given"
                + " were removed") && entry.lastError().contains("each recovery agent approves again"),
                entry.lastError());
        // Looked at again before anyone approved: the note stays for the agents to read.
        String note = entry.lastError();
        service(successorKeys).advance(REQUEST);
        assertEquals(note, records.entry(REQUEST).lastError(), "the take-over's note is kept until shares arrive");
        // The agents approve again, to the new key; the successor recovers.
        records.give(REQUEST, BOB, shareOf(BOB));
        records.give(REQUEST, ERIN, shareOf(ERIN));
        assertEquals(Outcome.RECOVERED, service(successorKeys).advance(REQUEST).outcome());
    }

    @Test
    void aRequestShortOfSharesExpiresAndItsRequestKeyIsDestroyed() {
        service().advance(REQUEST);
        records.give(REQUEST, BOB, shareOf(BOB));
        clock.advance(RecoveryService.DEFAULT_PENDING_LIFETIME.plusMinutes(1));
        RecoveryResult expired = service().advance(REQUEST);
        assertEquals(Outcome.EXPIRED, expired.outcome(), expired.toString());
        RequestEntry entry = records.entry(REQUEST);
        assertEquals(RecoveryState.EXPIRED, entry.state());
        assertTrue(entry.lastError().startsWith("not approved in time: 1 of the 2 approvals required"),
                entry.lastError());
        assertEquals(0, requestKeys.size());
    }

    @Test
    void theKmsRenewsItsClaimWhileTheRequestWaits() {
        service().advance(REQUEST);
        Instant lease = records.entry(REQUEST).claim().leaseExpires();
        clock.advance(RecoveryService.DEFAULT_LEASE.dividedBy(2).plusSeconds(1));
        service().advance(REQUEST);
        assertTrue(records.entry(REQUEST).claim().leaseExpires().isAfter(lease), "renewed at half the lease");
        assertEquals("renew", records.writes.get(records.writes.size() - 1));
    }
}
