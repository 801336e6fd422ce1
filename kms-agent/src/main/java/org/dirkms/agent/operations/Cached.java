package org.dirkms.agent.operations;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * A value read again at most once every {@code period}: a scrape or a health probe every second
 * costs the directory or the CA key store one read every few seconds, whoever asks. A read that
 * fails is not kept: the next call tries again.
 *
 * @param <T> the value
 */
public final class Cached<T> implements Supplier<T> {
    private final Supplier<T> source;
    private final Duration period;
    private final Clock clock;
    private T value;
    private Instant readAt;

    /** A cache of {@code source}'s value, kept for {@code period} by {@code clock}. */
    public Cached(Supplier<T> source, Duration period, Clock clock) {
        this.source = Objects.requireNonNull(source);
        this.period = Objects.requireNonNull(period);
        this.clock = Objects.requireNonNull(clock);
    }

    /** The value read at most {@code period} ago, or a fresh one; a failing read throws and is not kept. */
    @Override
    public synchronized T get() {
        Instant now = clock.instant();
        if (readAt == null || !now.isBefore(readAt.plus(period)) || now.isBefore(readAt)) {
            T fresh = source.get();
            value = fresh;
            readAt = now;
        }
        return value;
    }
}
