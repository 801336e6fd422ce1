package org.dirkms.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The progress display without a terminal prints its counter lines in order however the workers'
 * reports interleave, and keeps log lines off the console while it runs.
 */
class ProgressDisplayTest {

    private static final Logger LOG = LoggerFactory.getLogger(ProgressDisplayTest.class);

    private static List<String> lines(StringWriter text) {
        return text.toString().lines().toList();
    }

    @Test
    void countsReportedOutOfOrderArePrintedInOrder() {
        // Workers count with incrementAndGet and then report: the one that counted 4 may report
        // before those that counted 3 and 2 (as bulk enrollment printed 1/5, 4/5, 3/5, 2/5).
        StringWriter text = new StringWriter();
        try (ProgressDisplay progress = ProgressDisplay.start(new PrintWriter(text), "enroll", "users", "done", 5,
                false)) {
            for (int done : new int[] {1, 4, 3, 2, 5}) {
                progress.update(done);
            }
        }
        assertEquals(List.of("1/5 users done", "4/5 users done", "5/5 users done"), lines(text));
    }

    @Test
    void workersSteppingTogetherGiveEveryCountOnceInOrder() throws Exception {
        int total = 10;
        StringWriter text = new StringWriter();
        ExecutorService workers = Executors.newFixedThreadPool(4);
        CountDownLatch go = new CountDownLatch(1);
        try (ProgressDisplay progress = ProgressDisplay.start(new PrintWriter(text), "enroll", "users", "done", total,
                false)) {
            for (int i = 0; i < total; i++) {
                workers.submit(() -> {
                    go.await();
                    progress.step();
                    return null;
                });
            }
            go.countDown();
            workers.shutdown();
            assertTrue(workers.awaitTermination(30, TimeUnit.SECONDS));
        }
        List<String> expected = new ArrayList<>();
        for (int i = 1; i <= total; i++) {
            expected.add(i + "/" + total + " users done");
        }
        assertEquals(expected, lines(text));
    }

    @Test
    void noLogLineReachesTheConsoleWhileTheDisplayRuns() {
        PrintStream original = System.err;
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        System.setErr(new PrintStream(console, true, StandardCharsets.UTF_8));
        try {
            try (ProgressDisplay progress = ProgressDisplay.start(new PrintWriter(new StringWriter()), "enroll",
                    "users", "done", 2, false)) {
                LOG.info("during the display");
                progress.step();
            }
            LOG.info("after the display");
        } finally {
            System.setErr(original);
        }
        String text = console.toString(StandardCharsets.UTF_8);
        assertFalse(text.contains("during the display"), text);
        assertTrue(text.contains("INFO org.dirkms.dist.ProgressDisplayTest - after the display"), text);
    }
}
