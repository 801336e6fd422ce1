package org.dirkms.agent.enroll;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;
import org.dirkms.agent.directory.DirectoryAccessException;
import org.dirkms.agent.enroll.EnrollmentResult.Outcome;
import org.dirkms.agent.enroll.EnrollmentService.RevokedUsers;
import org.dirkms.schema.EnrollmentState;

/**
 * Enrolls many users at once with parallel workers ({@code dirkms enroll}), and writes a report
 * of every user: DN, mail, state, token. Idempotent: a user already enrolled is reported and
 * skipped. A revoked user is skipped too, unless the run was asked to enroll revoked users
 * again: a run over a group must not undo a revocation. The report holds the one-time tokens:
 * it is an {@link EnrollmentReport}, mode 0600, never replaced unless asked, and opened before
 * anyone is enrolled.
 */
public final class BulkEnrollment {
    /**
     * Users in flight by default, for {@code dirkms enroll} and the agent. An enrollment spends
     * most of its time waiting for the directory, whose writes are each forced to disk, and
     * little computing (EC keys): with more users in flight than cores, one user's keys are made
     * while another's writes wait. Measured with EnrollmentBenchmarkIT on 2 cores, EC P-256:
     * 35 users/s with 2 workers, 37-40 with 4.
     */
    public static final int DEFAULT_WORKERS = 4;

    private final EnrollmentService service;
    private final int workers;
    private final RevokedUsers revoked;

    /** Bulk enrollment with {@code service}, {@code workers} users at a time, skipping revoked users. */
    public BulkEnrollment(EnrollmentService service, int workers) {
        this(service, workers, RevokedUsers.SKIP);
    }

    /** Bulk enrollment with {@code service}, {@code workers} users at a time, revoked users as {@code revoked} says. */
    public BulkEnrollment(EnrollmentService service, int workers, RevokedUsers revoked) {
        if (workers < 1) {
            throw new IllegalArgumentException("at least one worker is needed");
        }
        this.service = service;
        this.workers = workers;
        this.revoked = revoked;
    }

    /**
     * Totals of a run.
     *
     * @param enrolled users enrolled by this run
     * @param skipped users left alone (already enrolled, revoked, in progress elsewhere, other server)
     * @param skippedRevoked of the skipped, the revoked users (not enrolled again unless asked)
     * @param failed users whose enrollment failed ({@code kmsLastError} says why)
     * @param errors users the directory could not be reached for (left resumable)
     */
    public record Summary(int enrolled, int skipped, int skippedRevoked, int failed, int errors) {
    }

    /**
     * Enrolls {@code dns} as {@link #run(List, Path, EnrollmentReport.Existing, IntConsumer)}
     * does, refusing to replace a report that exists.
     */
    public Summary run(List<String> dns, Path report, IntConsumer progress) throws IOException, InterruptedException {
        return run(dns, report, EnrollmentReport.Existing.REFUSE, progress);
    }

    /**
     * Enrolls {@code dns}, calling {@code progress} with the number done after each user, and
     * writes the report to {@code report} (mode 0600; an existing file as {@code existing} says).
     * The report is opened before anyone is enrolled.
     *
     * @throws java.nio.file.FileAlreadyExistsException if {@code report} exists and
     *         {@code existing} is {@link EnrollmentReport.Existing#REFUSE}: nobody was enrolled
     * @throws IOException if the report cannot be written
     */
    public Summary run(List<String> dns, Path report, EnrollmentReport.Existing existing, IntConsumer progress)
            throws IOException, InterruptedException {
        EnrollmentReport out = EnrollmentReport.open(report, existing);
        ExecutorService pool = Executors.newFixedThreadPool(workers);
        AtomicInteger done = new AtomicInteger();
        int enrolled = 0;
        int skipped = 0;
        int skippedRevoked = 0;
        int failed = 0;
        int errors = 0;
        try (out) {
            List<Future<EnrollmentResult>> futures = new ArrayList<>();
            for (String dn : dns) {
                futures.add(pool.submit(() -> {
                    try {
                        return service.enrollDirectly(dn, revoked);
                    } catch (DirectoryAccessException e) {
                        // Resumable: a claim left behind expires and the next run or an agent takes over.
                        return new EnrollmentResult(dn, List.of(), Outcome.NOTHING, null,
                                "directory error, retry later: " + e.getMessage(), null);
                    } finally {
                        progress.accept(done.incrementAndGet());
                    }
                }));
            }
            for (Future<EnrollmentResult> future : futures) {
                EnrollmentResult result;
                try {
                    result = future.get();
                } catch (ExecutionException e) {
                    throw new IllegalStateException("a bulk enrollment worker failed", e.getCause());
                }
                switch (result.outcome()) {
                    case ENROLLED -> enrolled++;
                    case FAILED -> failed++;
                    default -> {
                        if (result.state() == null && result.detail() != null && result.detail().startsWith("directory")) {
                            errors++;
                        } else {
                            skipped++;
                            // Skipping revoked users, enrollDirectly leaves every revoked user alone.
                            if (revoked == RevokedUsers.SKIP && result.state() == EnrollmentState.REVOKED) {
                                skippedRevoked++;
                            }
                        }
                    }
                }
                out.write(result);
                result.clearToken();
            }
        } finally {
            pool.shutdownNow();
        }
        return new Summary(enrolled, skipped, skippedRevoked, failed, errors);
    }
}
