package org.dirkms.agent.enroll;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class KmsAgentLivenessTest {
    private static final Instant NOW = Instant.parse("2026-12-07T01:00:00Z");
    private static final Duration SWEEP = Duration.ofMinutes(1);

    @Test
    void followingWithARecentReconcileIsLive() {
        assertNull(new KmsAgent.Liveness(true, NOW.minusSeconds(600), NOW.minusSeconds(170), SWEEP).problem(NOW));
    }

    @Test
    void stoppedNotFollowingOrSilentForThreeSweepsIsNot() {
        assertTrue(new KmsAgent.Liveness(false, null, NOW, SWEEP).problem(NOW).contains("stopped"));
        assertTrue(new KmsAgent.Liveness(true, null, NOW, SWEEP).problem(NOW).contains("does not follow"));
        assertTrue(new KmsAgent.Liveness(true, NOW.minusSeconds(600), NOW.minusSeconds(181), SWEEP).problem(NOW)
                .contains("more than three sweeps"));
        assertTrue(new KmsAgent.Liveness(true, NOW, null, SWEEP).problem(NOW).contains("more than three sweeps"));
    }
}
