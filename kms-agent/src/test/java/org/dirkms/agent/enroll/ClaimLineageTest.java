package org.dirkms.agent.enroll;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.math.BigInteger;
import java.time.Instant;
import java.util.List;
import javax.security.auth.x500.X500Principal;

import org.junit.jupiter.api.Test;

class ClaimLineageTest {

    private static final String A = "uid=kms-agent,ou=KMS,dc=example,dc=com pid 11 a1b2 #3";
    private static final String B = "uid=kms@agent,ou=KMS,dc=example,dc=com pid 12 c3d4 #7";
    private static final String C = "uid=kms-agent,ou=KMS,dc=example,dc=com pid 13 e5f6 #1";
    private static final Instant L1 = Instant.ofEpochSecond(1_700_000_000L);
    private static final Instant L2 = Instant.ofEpochSecond(1_700_000_300L);

    @Test
    void aFirstClaimHasNoLineage() {
        assertEquals(A, ClaimLineage.attemptOf(A));
        assertEquals(List.of(new ClaimLineage.Attempt(A, L1)), ClaimLineage.deadAttempts(A, L1));
        assertEquals("", ClaimLineage.successorSuffix(null, null));
    }

    @Test
    void everyTakeOverCarriesTheAttemptsItReplacedUntilTheEnrollmentEnds() {
        // B takes over from A (lease L1) and dies before cleaning up; C takes over from B (lease L2).
        String byB = B + ClaimLineage.successorSuffix(A, L1);
        assertEquals(B, ClaimLineage.attemptOf(byB));
        String byC = C + ClaimLineage.successorSuffix(byB, L2);
        assertEquals(C, ClaimLineage.attemptOf(byC));
        // C, or whoever takes over from C, cleans up B and A too: the record of A is never lost.
        Instant l3 = Instant.ofEpochSecond(1_700_000_600L);
        assertEquals(List.of(new ClaimLineage.Attempt(C, l3), new ClaimLineage.Attempt(B, L2),
                new ClaimLineage.Attempt(A, L1)), ClaimLineage.deadAttempts(byC, l3));
    }

    @Test
    void aReEnrollmentClaimNamesWhatItSupersedesAndKeepsItAcrossTakeOvers() {
        String tag = ClaimLineage.issuerTag(new X500Principal("CN=Test CA,OU=Certification Authorities,DC=example,DC=com"));
        assertEquals(tag, ClaimLineage.issuerTag(new X500Principal("cn=test ca, ou=Certification Authorities,dc=example,dc=com")),
                "one tag per name, however it is written");
        List<ClaimLineage.Superseded> superseded = List.of(new ClaimLineage.Superseded(new BigInteger("1a2b", 16), tag),
                new ClaimLineage.Superseded(new BigInteger("ff00ee", 16), tag));
        String byA = A + ClaimLineage.supersedesSuffix(superseded);
        assertEquals(A, ClaimLineage.attemptOf(byA), "the archive and request DNs derive from the attempt alone");
        assertEquals(superseded, ClaimLineage.superseded(byA));
        assertEquals(List.of(new ClaimLineage.Attempt(A, L1)), ClaimLineage.deadAttempts(byA, L1));

        // B takes over from A: its claim names the same certificates and the attempt it replaced.
        String byB = B + ClaimLineage.supersedesSuffix(ClaimLineage.superseded(byA)) + ClaimLineage.successorSuffix(byA, L1);
        assertEquals(B, ClaimLineage.attemptOf(byB));
        assertEquals(superseded, ClaimLineage.superseded(byB));
        assertEquals(List.of(new ClaimLineage.Attempt(B, L2), new ClaimLineage.Attempt(A, L1)),
                ClaimLineage.deadAttempts(byB, L2));

        assertEquals("", ClaimLineage.supersedesSuffix(List.of()));
        assertEquals(List.of(), ClaimLineage.superseded(A));
        assertEquals(List.of(), ClaimLineage.superseded(null));
        assertEquals(List.of(new ClaimLineage.Superseded(BigInteger.TEN, tag)),
                ClaimLineage.superseded(A + " supersedes zz:" + tag + ",a:" + tag + ",:x,0:" + tag),
                "what does not parse, and a serial that is not positive, is skipped");
    }
}
