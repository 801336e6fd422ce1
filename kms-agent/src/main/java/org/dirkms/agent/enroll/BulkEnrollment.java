package org.dirkms.agent.enroll;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
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
import org.dirkms.schema.EnrollmentState;

/**
 * Enrolls many users at once with parallel workers ({@code dirkms enroll}), and writes a report
 * of every user: DN, mail, state, token. Idempotent: a user already enrolled is reported and
 * skipped. The report holds the one-time tokens, so it is created with mode 0600 before anything
 * is written to it.
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

    /** Bulk enrollment with {@code service}, {@code workers} users at a time. */
    public BulkEnrollment(EnrollmentService service, int workers) {
        if (workers < 1) {
            throw new IllegalArgumentException("at least one worker is needed");
        }
        this.service = service;
        this.workers = workers;
    }

    /**
     * Totals of a run.
     *
     * @param enrolled users enrolled by this run
     * @param skipped users left alone (already enrolled, in progress elsewhere, other server)
     * @param failed users whose enrollment failed ({@code kmsLastError} says why)
     * @param errors users the directory could not be reached for (left resumable)
     */
    public record Summary(int enrolled, int skipped, int failed, int errors) {
    }

    /**
     * Enrolls {@code dns}, calling {@code progress} with the number done after each user, and
     * writes the report to {@code report} (replaced if it exists; mode 0600).
     *
     * @throws IOException if the report cannot be written
     */
    public Summary run(List<String> dns, Path report, IntConsumer progress) throws IOException, InterruptedException {
        Files.deleteIfExists(report);
        Files.createFile(report, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        ExecutorService pool = Executors.newFixedThreadPool(workers);
        AtomicInteger done = new AtomicInteger();
        int enrolled = 0;
        int skipped = 0;
        int failed = 0;
        int errors = 0;
        try (Writer out = Files.newBufferedWriter(report, StandardCharsets.UTF_8, StandardOpenOption.WRITE)) {
            out.write("# dn\tmail\tstate\ttoken\tdetail\n");
            List<Future<EnrollmentResult>> futures = new ArrayList<>();
            for (String dn : dns) {
                futures.add(pool.submit(() -> {
                    try {
                        return service.enrollDirectly(dn);
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
                        }
                    }
                }
                write(out, result);
                result.clearToken();
            }
        } finally {
            pool.shutdownNow();
        }
        return new Summary(enrolled, skipped, failed, errors);
    }

    /** One tab-separated line; the token goes out as characters, never as a String that outlives the run. */
    private static void write(Writer out, EnrollmentResult result) throws IOException {
        EnrollmentState state = result.state();
        out.write(clean(result.dn()) + "\t" + clean(String.join(",", result.mail())) + "\t"
                + (state == null ? "unknown" : state.ldapValue()) + "\t");
        if (result.token() != null) {
            out.write(result.token());
        }
        out.write("\t" + clean(result.detail() == null ? "" : result.detail()) + "\n");
    }

    private static String clean(String text) {
        return text.replace('\t', ' ').replace('\n', ' ');
    }
}
