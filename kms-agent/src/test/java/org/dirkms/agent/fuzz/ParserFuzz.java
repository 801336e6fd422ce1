package org.dirkms.agent.fuzz;

import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Runs a parser of the agent over mutated seeds, in process: each case must end within
 * {@link #TIMEOUT_SECONDS} either accepted or with one of the exception types the parser
 * documents; any other throwable (a RuntimeException, a StackOverflowError) is a crash.
 */
public final class ParserFuzz {
    /** The longest one case may take before it counts as a hang. */
    public static final long TIMEOUT_SECONDS = 20;

    /** A parser under test; returns a short label of what it accepted (e.g. {@code "accepted"}). */
    @FunctionalInterface
    public interface Parser {
        /** Parses {@code value}, throwing what the parser throws. */
        String parse(byte[] value) throws Exception;
    }

    private ParserFuzz() {
    }

    /**
     * Runs {@code cases} cases of {@code target}: each mutates a seed drawn from the case's own
     * generator, so a case is replayed by its index.
     *
     * @param documented the exception types the parser may throw for bad input
     * @return the tally; the caller prints its line and asserts it clean
     */
    @SafeVarargs
    public static FuzzTally run(String target, int cases, List<byte[]> seeds, DerMutator mutator, Parser parser,
            Class<? extends Throwable>... documented) {
        FuzzTally tally = new FuzzTally(target);
        ExecutorService worker = Executors.newSingleThreadExecutor(runnable -> {
            // A deep stack, as the server's and the agent's threads may not have more: 512 KiB.
            Thread thread = new Thread(null, runnable, "fuzz-" + target, 512 * 1024);
            thread.setDaemon(true);
            return thread;
        });
        try {
            for (int index = 0; index < cases; index++) {
                if (!FuzzSettings.runs(index)) {
                    continue;
                }
                SplittableRandom random = FuzzSettings.random(target, index);
                int seedIndex = random.nextInt(seeds.size());
                boolean unchanged = random.nextInt(50) == 0;
                Mutation mutation = unchanged ? new Mutation(seeds.get(seedIndex).clone(), "unchanged")
                        : mutator.mutate(seeds.get(seedIndex), random);
                String description = "seed #" + seedIndex + ", " + mutation.description();
                long started = System.nanoTime();
                Future<String> result = worker.submit(() -> parser.parse(mutation.bytes()));
                String outcome;
                try {
                    outcome = result.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
                } catch (TimeoutException e) {
                    result.cancel(true);
                    tally.crash(index, "no answer within " + TIMEOUT_SECONDS + " s", description);
                    outcome = "hang";
                    worker.shutdownNow();
                    worker = Executors.newSingleThreadExecutor();
                } catch (ExecutionException e) {
                    Throwable thrown = e.getCause();
                    outcome = thrown.getClass().getSimpleName();
                    if (!isDocumented(thrown, documented)) {
                        tally.crash(index, "undocumented " + thrown, description + "\n    at "
                                + java.util.Arrays.stream(thrown.getStackTrace()).limit(8).map(String::valueOf)
                                        .collect(java.util.stream.Collectors.joining("\n    at ")));
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new AssertionError("interrupted", e);
                }
                tally.record(outcome, System.nanoTime() - started, description);
            }
        } finally {
            worker.shutdownNow();
        }
        return tally;
    }

    private static boolean isDocumented(Throwable thrown, Class<? extends Throwable>[] documented) {
        for (Class<? extends Throwable> type : documented) {
            if (type.isInstance(thrown)) {
                return true;
            }
        }
        return false;
    }
}
