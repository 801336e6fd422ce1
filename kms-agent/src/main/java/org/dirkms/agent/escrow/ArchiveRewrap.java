package org.dirkms.agent.escrow;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.dirkms.agent.archive.KeyRecoveryException;
import org.dirkms.agent.archive.KeyRewrapper;
import org.dirkms.agent.archive.WrappedKey;
import org.dirkms.agent.directory.DirectoryAccessException;
import org.dirkms.agent.directory.EnrollmentRecords.ArchivedKeyEntry;
import org.dirkms.agent.directory.RecoveryKeyRecords;
import org.dirkms.agent.directory.RecoveryKeyRecords.ArchiveRecordName;

/**
 * Re-wraps every archived key to the current recovery key, online, while the KMS goes on
 * archiving (docs/reliability.md, "Rotating the recovery key"): what {@code dirkms archive
 * rewrap} runs after {@code dirkms archive rekey}.
 *
 * <ol>
 * <li>It lists the archive by name with the recovery key each record says it is wrapped to
 * ({@code kmsWrappingKeyId}), a small paged search; records already wrapped to the target key are
 * skipped, which is what makes a run after a crash pick up where the last one died.</li>
 * <li>It reads the rest in batches of {@code batchSize} records, one search a batch (the next
 * batch is read while the workers re-wrap this one), and re-wraps each record on one of
 * {@code workers} threads: unwrap with the store's keys, wrap to the target, unwrap the new wrap
 * with the target key alone and compare it with the key before ({@link KeyRewrapper}).</li>
 * <li>Only then does it write, with a test-and-set: one modify that deletes the exact wrapped key
 * it read and adds the new one (RFC 4511 section 4.6). If anything changed the record meanwhile
 * (another rewrap, an agent), the modify changes nothing; the record is read again and, unless it
 * is wrapped to the target by now, re-wrapped from what it holds now. No interleaving of runs,
 * crashes and agents loses a key, and a record is never re-wrapped from a stale copy.</li>
 * </ol>
 *
 * A record that cannot be re-wrapped (it does not unwrap with the store's keys, or its new wrap
 * does not give the same key back) keeps its wrap and is reported; the others go on. Nothing this
 * class reports or logs contains a key or a wrapped key.
 */
public final class ArchiveRewrap {
    /** Records read with one search and re-wrapped before the next batch: small pages, little memory. */
    public static final int DEFAULT_BATCH_SIZE = 100;
    /** How many times a record changed by someone else is read again and re-wrapped before it is reported. */
    static final int ATTEMPTS = 3;

    private final RecoveryKeyRecords records;
    private final KeyRewrapper rewrapper;
    private final int batchSize;
    private final int workers;

    /** How far a run is, for a progress bar: called from the workers, in no set order. */
    @FunctionalInterface
    public interface Progress {
        /** {@code done} of the {@code total} records to re-wrap are done (re-wrapped, found done, or failed). */
        void update(int done, int total);
    }

    /**
     * A record that keeps its old wrap.
     *
     * @param dn     the record
     * @param owner  its {@code kmsKeyOwner}
     * @param reason why, in plain language, naming no key material
     */
    public record Failure(String dn, String owner, String reason) {
        /** One line, as {@code dirkms archive check} writes its findings: {@code not-rewrapped: DN (owner O): why}. */
        @Override
        public String toString() {
            return "not-rewrapped: " + dn + (owner == null || owner.isEmpty() ? "" : " (owner " + owner + ")") + ": "
                    + reason;
        }
    }

    /**
     * What a run did.
     *
     * @param records      the archive records listed
     * @param skipped      records wrapped to the target key already (by an earlier run, or archived after the rekey)
     * @param rewrapped    records this run re-wrapped
     * @param raced        of those, records someone else changed between this run's read and its write
     *                     (read again and re-wrapped, or found re-wrapped)
     * @param failures     records that keep their old wrap, and why
     */
    public record Summary(int records, int skipped, int rewrapped, int raced, List<Failure> failures) {
        /** Copies the list. */
        public Summary {
            failures = List.copyOf(failures);
        }

        /** True when every record is now wrapped to the target key. */
        public boolean complete() {
            return failures.isEmpty();
        }

        /** One line: the counts. */
        @Override
        public String toString() {
            return "re-wrapped " + rewrapped + " of " + records + " archive records to the current recovery key, "
                    + skipped + " were wrapped to it already" + (raced > 0 ? ", " + raced + " changed meanwhile" : "")
                    + ": " + (failures.isEmpty() ? "every record is wrapped to the current key"
                            : failures.size() + " could not be re-wrapped and keep their old wrap");
        }
    }

    /** The records a run has to re-wrap, from the listing. */
    public record Listing(int records, List<String> toRewrap) {
        /** Copies the list. */
        public Listing {
            toRewrap = List.copyOf(toRewrap);
        }
    }

    /**
     * A re-wrap of the archive in {@code records} by {@code rewrapper} (whose target is the current key).
     *
     * @throws IllegalArgumentException if {@code batchSize} or {@code workers} is less than 1
     */
    public ArchiveRewrap(RecoveryKeyRecords records, KeyRewrapper rewrapper, int batchSize, int workers) {
        if (batchSize < 1 || workers < 1) {
            throw new IllegalArgumentException("a re-wrap needs batches of at least one record and at least one worker");
        }
        this.records = records;
        this.rewrapper = rewrapper;
        this.batchSize = batchSize;
        this.workers = workers;
    }

    /**
     * Lists the archive and re-wraps every record not wrapped to the target key.
     *
     * @throws DirectoryAccessException when the directory fails; what was written stays written,
     *         and the next run goes on from there
     */
    public Summary run(Progress progress) throws InterruptedException {
        Listing listing = list();
        Summary summary = rewrap(listing.toRewrap(), progress);
        return new Summary(listing.records(), listing.records() - listing.toRewrap().size() + summary.skipped(),
                summary.rewrapped(), summary.raced(), summary.failures());
    }

    /** The archive's records, and those whose {@code kmsWrappingKeyId} is not the target key's. */
    public Listing list() {
        String target = rewrapper.target().keyId();
        List<ArchiveRecordName> names = records.archiveRecordNames();
        List<String> toRewrap = new ArrayList<>();
        for (ArchiveRecordName name : names) {
            if (!target.equalsIgnoreCase(name.wrappingKeyId() == null ? "" : name.wrappingKeyId().trim())) {
                toRewrap.add(name.dn());
            }
        }
        return new Listing(names.size(), toRewrap);
    }

    /**
     * Re-wraps the records named {@code dns} (from {@link #list()}); {@link Summary#records()} is
     * their number.
     *
     * @throws DirectoryAccessException when the directory fails
     */
    public Summary rewrap(List<String> dns, Progress progress) throws InterruptedException {
        Counts counts = new Counts(dns.size(), progress);
        ExecutorService pool = Executors.newFixedThreadPool(workers, daemon("dirkms-rewrap"));
        ExecutorService reader = Executors.newSingleThreadExecutor(daemon("dirkms-rewrap-read"));
        try {
            Future<List<ArchivedKeyEntry>> next = reader.submit(() -> records.readArchivedKeys(batch(dns, 0)));
            for (int from = 0; from < dns.size(); from += batchSize) {
                List<String> names = batch(dns, from);
                List<ArchivedKeyEntry> read = result(next);
                int following = from + batchSize;
                next = following < dns.size() ? reader.submit(() -> records.readArchivedKeys(batch(dns, following)))
                        : null;
                List<Future<?>> tasks = new ArrayList<>();
                for (ArchivedKeyEntry record : read) {
                    tasks.add(pool.submit(() -> one(record, counts)));
                }
                for (Future<?> task : tasks) {
                    result(task);
                }
                // A record listed but no longer there: the archive is append-only, so it was
                // removed below LDAP; the archive check reports it (missing-history).
                counts.gone(names.size() - read.size());
            }
        } finally {
            pool.shutdownNow();
            reader.shutdownNow();
        }
        return new Summary(dns.size(), counts.skipped.get(), counts.rewrapped.get(), counts.raced.get(),
                counts.failures());
    }

    private void one(ArchivedKeyEntry first, Counts counts) {
        ArchivedKeyEntry record = first;
        for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
            WrappedKey wrapped;
            try {
                if (rewrapper.wrapsToTarget(record.wrappedKey())) {
                    counts.skipped(attempt > 1);
                    return;
                }
                wrapped = rewrapper.rewrap(record.wrappedKey());
            } catch (KeyRecoveryException e) {
                counts.failed(new Failure(record.dn(), record.owner(), e.getMessage()));
                return;
            }
            if (records.replaceWrappedKey(record.dn(), record.wrappedKey(), wrapped.envelopedDataDer(),
                    wrapped.wrappingAlgorithm(), wrapped.wrappingKeyId())) {
                counts.rewrapped(attempt > 1);
                return;
            }
            // Someone changed the wrapped key between the read and the write: start again from what it holds now.
            List<ArchivedKeyEntry> again = records.readArchivedKeys(List.of(record.dn()));
            if (again.isEmpty()) {
                counts.failed(new Failure(record.dn(), record.owner(), "the record disappeared while it was re-wrapped"));
                return;
            }
            record = again.get(0);
        }
        counts.failed(new Failure(record.dn(), record.owner(), "its wrapped key changed under every one of " + ATTEMPTS
                + " attempts to re-wrap it; run the re-wrap again"));
    }

    private List<String> batch(List<String> dns, int from) {
        return dns.subList(from, Math.min(dns.size(), from + batchSize));
    }

    /** The value of {@code future}, with a directory failure of a worker thrown as itself. */
    private static <T> T result(Future<T> future) throws InterruptedException {
        try {
            return future.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException runtime) {
                throw runtime;
            }
            if (e.getCause() instanceof Error error) {
                throw error;
            }
            throw new IllegalStateException(e.getCause());
        }
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        AtomicInteger count = new AtomicInteger();
        return task -> {
            Thread thread = new Thread(task, name + "-" + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }

    /** The tallies of a run, shared by the workers. */
    private static final class Counts {
        final AtomicInteger done = new AtomicInteger();
        final AtomicInteger skipped = new AtomicInteger();
        final AtomicInteger rewrapped = new AtomicInteger();
        final AtomicInteger raced = new AtomicInteger();
        final List<Failure> failures = Collections.synchronizedList(new ArrayList<>());
        final int total;
        final Progress progress;

        Counts(int total, Progress progress) {
            this.total = total;
            this.progress = progress;
        }

        void skipped(boolean raced) {
            skipped.incrementAndGet();
            finish(raced);
        }

        void rewrapped(boolean raced) {
            rewrapped.incrementAndGet();
            finish(raced);
        }

        void failed(Failure failure) {
            failures.add(failure);
            finish(false);
        }

        void gone(int count) {
            for (int i = 0; i < count; i++) {
                skipped.incrementAndGet();
                finish(false);
            }
        }

        private void finish(boolean wasRaced) {
            if (wasRaced) {
                raced.incrementAndGet();
            }
            progress.update(done.incrementAndGet(), total);
        }

        List<Failure> failures() {
            synchronized (failures) {
                return List.copyOf(failures);
            }
        }
    }
}
