package org.dirkms.agent.enroll;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import org.dirkms.agent.ca.CaRecords;
import org.dirkms.agent.directory.Claim;
import org.dirkms.agent.directory.DirectoryAccessException;
import org.dirkms.agent.directory.EnrollmentRecords.ArchivedKeyEntry;
import org.dirkms.agent.directory.EnrollmentRecords.Publication;
import org.dirkms.agent.enroll.InMemoryDirectory.Crash;
import org.dirkms.agent.enroll.InMemoryDirectory.SimulatedCrash;
import org.dirkms.schema.AttributeNames;
import org.dirkms.schema.EnrollmentState;
import org.dirkms.schema.RequestState;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The in-memory records are as strict as the directory: a test-and-set whose modify would fail
 * in LDAP (the value it deletes is not there) returns false and changes nothing; values compare
 * by their attribute's matching rule and DNs however they are spelled; a process killed at a
 * write leaves the directory with or without that write and does nothing more.
 */
class InMemoryEnrollmentRecordsTest {
    @TempDir
    static Path work;
    private static EnrollmentFixture.Pki pki;

    private EnrollmentFixture kms;
    private InMemoryEnrollmentRecords records;
    private String dn;

    @BeforeAll
    static void pki() {
        pki = EnrollmentFixture.pki(work);
    }

    @BeforeEach
    void requestedUser() {
        kms = new EnrollmentFixture(pki);
        records = new InMemoryEnrollmentRecords(kms.directory.session("a test"));
        dn = kms.requestedUser("strict");
    }

    private Claim claim(String attempt) {
        return Claim.of(attempt, kms.clock.instant().plus(EnrollmentFixture.LEASE));
    }

    private Map<String, List<String>> values() {
        return kms.entry(dn).values();
    }

    @Test
    void ofTwoClaimsFromRequestedOneWinsAndTheOtherChangesNothing() {
        assertTrue(records.claim(dn, EnrollmentState.REQUESTED, claim("first #1")));
        Map<String, List<String>> claimed = values();
        assertFalse(records.claim(dn, EnrollmentState.REQUESTED, claim("second #1")), "requested was deleted");
        assertEquals(claimed, values());
        assertEquals("first #1", kms.user(dn).claim().attempt());
        assertEquals(EnrollmentState.IN_PROGRESS, kms.user(dn).state());
        assertFalse(records.claimFrom(dn, null, false, claim("third #1")),
                "adding a second value of the single-valued state fails");
        assertEquals(claimed, values());
    }

    @Test
    void aTakeOverDeletesExactlyTheStoredLeaseSoOfTwoOneWins() {
        assertTrue(records.claim(dn, EnrollmentState.REQUESTED, claim("dead #1")));
        Claim expired = kms.user(dn).claim();
        kms.afterTheLease();
        Claim first = expired.successor("first #1", kms.clock.instant().plus(EnrollmentFixture.LEASE));
        Claim second = expired.successor("second #1", kms.clock.instant().plus(EnrollmentFixture.LEASE).plusSeconds(1));
        assertTrue(records.takeOver(dn, expired, first));
        Map<String, List<String>> taken = values();
        assertFalse(records.takeOver(dn, expired, second), "the lease it deletes is gone");
        assertEquals(taken, values());
        assertEquals(List.of("dead #1"), kms.user(dn).claim().replaced());

        // The dead holder comes back: every change of its claim fails and changes nothing.
        assertFalse(records.renewLease(dn, expired, kms.clock.instant().plus(EnrollmentFixture.LEASE)));
        assertFalse(records.amendClaim(dn, expired, List.of()));
        assertFalse(records.endClaim(dn, expired));
        assertFalse(records.publish(dn, expired, new Publication(List.of(new byte[] {1}), new byte[] {2},
                List.of(new byte[] {3}), "TOKEN".toCharArray(), kms.clock.instant(), "cn=key-x," + EnrollmentFixture.LAYOUT.keyArchive())));
        assertThrows(DirectoryAccessException.class, () -> records.failKeepingClaim(dn, "late", expired, List.of()),
                "its attempt is not there to delete: the modify fails");
        assertEquals(taken, values());
    }

    @Test
    void aRenewalDeletesTheLeaseItRenewsSoARenewedClaimCannotBeRenewedFromItsOldCopy() {
        assertTrue(records.claim(dn, EnrollmentState.REQUESTED, claim("holder #1")));
        Claim held = kms.user(dn).claim();
        Instant later = held.leaseExpires().plus(Duration.ofMinutes(1));
        assertTrue(records.renewLease(dn, held, later));
        Map<String, List<String>> renewed = values();
        assertFalse(records.renewLease(dn, held, later.plusSeconds(5)), "the old lease is not there any more");
        assertEquals(renewed, values());
        assertTrue(records.renewLease(dn, kms.user(dn).claim(), later.plusSeconds(5)));
    }

    @Test
    void theClaimedAttemptComparesWithoutCaseAsKmsClaimedByDoes() {
        assertTrue(records.claim(dn, EnrollmentState.REQUESTED, claim("Agent Process #7")));
        assertTrue(records.endClaim(dn, claim("agent process #7")), "caseIgnoreMatch");
        assertNull(kms.user(dn).claim());
        assertFalse(kms.entry(dn).has(AttributeNames.LEASE_EXPIRES));
    }

    @Test
    void aPublicationUnderTheClaimCommitsEverythingInOneWrite() {
        assertTrue(records.claim(dn, EnrollmentState.REQUESTED, claim("holder #1")));
        Claim held = kms.user(dn).claim();
        int before = records.session().writes();
        String archive = records.archivedKeyDn(dn, held.attempt());
        assertTrue(records.publish(dn, held, new Publication(List.of(new byte[] {1}, new byte[] {2}), new byte[] {3},
                List.of(new byte[] {4}), "TOKEN".toCharArray(), kms.clock.instant().plus(EnrollmentFixture.PACKAGE_LIFETIME),
                archive)));
        assertEquals(before + 1, records.session().writes());
        var user = kms.user(dn);
        assertEquals(EnrollmentState.ENROLLED, user.state());
        assertNull(user.claim());
        assertEquals(List.of(archive), user.archiveRecords());
        assertEquals("TOKEN", new String(records.readEnrollmentToken(dn)));
        Map<String, List<String>> published = values();
        assertFalse(records.publish(dn, claim("holder #1"), new Publication(List.of(), new byte[] {3},
                List.of(new byte[] {4}), null, kms.clock.instant(), archive)), "the claim ended with the publication: a second one fails");
        assertEquals(published, values());
    }

    @Test
    void dnsCompareHoweverTheyAreSpelled() {
        String spelled = dn.toUpperCase().replace(",", " , ");
        assertEquals(dn, records.readUser(spelled).orElseThrow().dn());
        records.addArchivedKey(new ArchivedKeyEntry(records.archivedKeyDn(dn, "a #1"), spelled, new byte[] {1}, null,
                "ECDH", "k1"));
        assertEquals(1, records.archivedKeys(dn).size());
        assertEquals(records.archivedKeyDn(dn, "a #1"), records.archivedKeyDn(spelled, "a #1"));
        assertEquals(records.requestDn(dn, "a #1", "signing"), records.requestDn(spelled, "a #1", "signing"));
        assertThrows(DirectoryAccessException.class, () -> records.addArchivedKey(new ArchivedKeyEntry(
                records.archivedKeyDn(spelled, "a #1"), dn, new byte[] {2}, null, "ECDH", "k1")), "one record per attempt");
    }

    @Test
    void aValueThatIsNotOneOfAnEnumerationIsRefused() {
        InMemoryDirectory.OperationFailed refused = assertThrows(InMemoryDirectory.OperationFailed.class,
                () -> kms.directory.session("a test").modify(dn, InMemoryDirectory.Change.replace(
                        AttributeNames.ENROLLMENT_STATE, "enroled")));
        assertEquals(InMemoryDirectory.ResultCode.INVALID_ATTRIBUTE_SYNTAX, refused.code());
    }

    @Test
    void aProcessKilledBeforeAWriteLeavesNothingOfItAndDoesNothingMore() {
        records.session().crashAt(records.session().writes() + 1, Crash.BEFORE);
        Map<String, List<String>> before = values();
        assertThrows(SimulatedCrash.class, () -> records.claim(dn, EnrollmentState.REQUESTED, claim("dying #1")));
        assertEquals(before, values());
        assertTrue(records.session().crashed());
        assertThrows(SimulatedCrash.class, () -> records.readUser(dn), "a dead process reads nothing");
        assertThrows(SimulatedCrash.class, () -> records.fail(dn, "too late"), "and writes nothing");
        assertEquals(before, values());
    }

    @Test
    void aProcessKilledAfterAWriteLeavesItAppliedAndDoesNothingMore() {
        int writes = records.session().writes();
        records.session().crashAt(writes + 1, Crash.AFTER);
        assertThrows(SimulatedCrash.class, () -> records.claim(dn, EnrollmentState.REQUESTED, claim("dying #1")));
        assertEquals("dying #1", kms.user(dn).claim().attempt(), "the write landed");
        assertEquals(writes + 1, records.session().writes());
        assertThrows(SimulatedCrash.class, () -> records.endClaim(dn, claim("dying #1")));
        assertEquals("dying #1", kms.user(dn).claim().attempt());
    }

    @Test
    void theCrlIsSwappedOnlyFromTheOneStillPublishedAndARequestIsClaimedOnce() {
        CaRecords ca = new InMemoryCaRecords(kms.directory.session("a CA"));
        byte[] published = ca.readCa(EnrollmentFixture.CA_DN).orElseThrow().crl();
        assertTrue(ca.replaceCrl(EnrollmentFixture.CA_DN, published, new byte[] {1, 2}));
        assertFalse(ca.replaceCrl(EnrollmentFixture.CA_DN, published, new byte[] {3, 4}), "a stale swap fails");
        assertEquals(List.of((byte) 1, (byte) 2), bytes(ca.readCa(EnrollmentFixture.CA_DN).orElseThrow().crl()));

        String request = records.requestDn(dn, "a #1", "signing");
        records.queueRequest(request, "smime-signature", dn, new byte[] {5});
        java.time.Instant lease = java.time.Instant.parse("2030-01-01T00:00:00Z");
        assertTrue(ca.claimRequest(request, "one CA #1", lease));
        assertFalse(ca.claimRequest(request, "another CA #1", lease), "pending was deleted by the first");
        assertEquals(List.of(RequestState.CLAIMED), ca.openRequests().stream().map(CaRecords.RequestEntry::state).toList());
        assertFalse(ca.completeRequest(request, "another CA #1", new byte[] {7}), "only the holder records");
        assertTrue(ca.completeRequest(request, "one CA #1", new byte[] {6}));
        assertEquals(RequestState.ISSUED, records.readRequest(request).orElseThrow().state());
    }

    private static List<Byte> bytes(byte[] value) {
        List<Byte> list = new java.util.ArrayList<>();
        for (byte b : value) {
            list.add(b);
        }
        return list;
    }
}
