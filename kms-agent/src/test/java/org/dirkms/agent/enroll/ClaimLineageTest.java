package org.dirkms.agent.enroll;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Instant;
import java.util.List;

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
}
