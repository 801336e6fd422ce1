package org.dirkms.agent.workflow;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Objects;

import org.dirkms.agent.directory.Claim;

/**
 * How long a claim lasts, on an injected clock (docs/reliability.md): a process holds work for
 * this long after it claimed or renewed it; after that, another process may take it over. A
 * holder that waits on others (a CA serving a queued request) renews once half the lease has
 * passed. Leases are whole seconds: the directory stores GeneralizedTime to the second.
 */
public final class Lease {

    private final Clock clock;
    private final Duration duration;

    /**
     * @param clock    the source of time
     * @param duration how long a claim lasts; positive
     */
    public Lease(Clock clock, Duration duration) {
        this.clock = Objects.requireNonNull(clock, "clock");
        if (duration.isNegative() || duration.isZero()) {
            throw new IllegalArgumentException("a lease must be positive, not " + duration);
        }
        this.duration = duration;
    }

    /** The end of a lease taken now, to the second. */
    public Instant fromNow() {
        return clock.instant().plus(duration).truncatedTo(ChronoUnit.SECONDS);
    }

    /** Whether {@code claim}'s lease has run out, so that another process may take its work over. */
    public boolean expired(Claim claim) {
        return claim.expiredAt(clock.instant());
    }

    /** Whether the holder of {@code claim} should renew it now: half its lease has passed. */
    public boolean renewalDue(Claim claim) {
        return !claim.leaseExpires().minus(duration.dividedBy(2)).isAfter(clock.instant());
    }

    /** The clock leases are measured on. */
    public Clock clock() {
        return clock;
    }

    /** How long a claim lasts. */
    public Duration duration() {
        return duration;
    }
}
