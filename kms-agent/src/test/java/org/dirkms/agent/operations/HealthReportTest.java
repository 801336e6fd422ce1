package org.dirkms.agent.operations;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.dirkms.agent.enroll.TestClock;
import org.junit.jupiter.api.Test;

class HealthReportTest {

    @Test
    void healthyOnlyWhenEveryCheckPassesOneLineEach() {
        HealthCheck good = HealthCheck.of("directory", "answers", () -> null);
        HealthCheck bad = HealthCheck.of("ca", "signs", () -> "cannot open\nthe key store");
        HealthCheck throwing = HealthCheck.of("crl", "fresh", () -> {
            throw new IllegalStateException("cannot reach the directory");
        });
        HealthReport healthy = HealthReport.of(List.of(good));
        assertEquals(200, healthy.httpStatus());
        assertEquals("healthy\ndirectory ok answers\n", healthy.text());
        HealthReport unhealthy = HealthReport.of(List.of(good, bad, throwing));
        assertEquals(503, unhealthy.httpStatus());
        assertEquals("unhealthy\ndirectory ok answers\nca FAIL cannot open the key store\n"
                + "crl FAIL cannot reach the directory\n", unhealthy.text());
    }

    @Test
    void aCachedValueIsReadAgainOnlyAfterItsPeriodAndAFailureIsNotKept() {
        TestClock clock = new TestClock(Instant.parse("2026-12-07T00:00:00Z"));
        AtomicInteger reads = new AtomicInteger();
        Cached<Integer> cached = new Cached<>(() -> {
            if (reads.incrementAndGet() == 3) {
                throw new IllegalStateException("down");
            }
            return reads.get();
        }, Duration.ofSeconds(5), clock);
        assertEquals(1, cached.get());
        clock.advance(Duration.ofSeconds(4));
        assertEquals(1, cached.get());
        clock.advance(Duration.ofSeconds(1));
        assertEquals(2, cached.get());
        clock.advance(Duration.ofSeconds(5));
        assertThrows(IllegalStateException.class, cached::get);
        assertEquals(4, cached.get());
    }
}
