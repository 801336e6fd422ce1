package org.dirkms.dist;

import java.io.PrintWriter;
import java.time.temporal.ChronoUnit;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * How far a long command is, for a person watching it: on a terminal, a progress bar redrawn in
 * place on standard error (me.tongfei:progressbar, which sizes it to the window through JLine and
 * shows the rate and the time left); otherwise — output to a file, a pipe, a test — one plain line
 * on standard output each time another tenth is done ({@code 120/200 records re-wrapped}), so
 * logs stay readable and nothing is redrawn. Thread-safe: workers report as they finish.
 *
 * <p>While it runs the console gets no log line ({@link ConsoleLogPause}; the log file gets them
 * all), and what it shows only moves forward: {@link #step()} counts under the display's own lock,
 * so the plain lines come in order ({@code 1/5, 2/5, ...}) however the workers' reports
 * interleave, and {@link #update(int)} never goes back to a smaller count.
 */
final class ProgressDisplay implements AutoCloseable {
    private final PrintWriter out;
    private final String doneWord;
    private final int total;
    private final ProgressBar bar;
    private final ConsoleLogPause quiet;
    private int lastTenth = -1;
    private int done;

    private ProgressDisplay(PrintWriter out, String doneWord, int total, ProgressBar bar) {
        this.out = out;
        this.doneWord = doneWord;
        this.total = total;
        this.bar = bar;
        this.quiet = ConsoleLogPause.start();
    }

    /**
     * A display of {@code total} units of work.
     *
     * @param task     what the bar is labelled with on a terminal, e.g. {@code rewrap}
     * @param unit     what is counted, plural: {@code records}
     * @param doneWord what a plain line says of them: {@code re-wrapped}
     * @param terminal whether a person watches a terminal ({@code System.console() != null})
     */
    static ProgressDisplay start(PrintWriter out, String task, String unit, String doneWord, int total,
            boolean terminal) {
        if (!terminal) {
            return new ProgressDisplay(out, unit + " " + doneWord, total, null);
        }
        ProgressBar bar = new ProgressBarBuilder().setTaskName(task).setInitialMax(total).setUnit(" " + unit, 1)
                .setStyle(ProgressBarStyle.ASCII).setSpeedUnit(ChronoUnit.SECONDS).showSpeed()
                .setUpdateIntervalMillis(200).build();
        return new ProgressDisplay(out, unit + " " + doneWord, total, bar);
    }

    /** One more unit is done: the single counter every worker reports to. */
    synchronized void step() {
        show(done + 1);
    }

    /**
     * {@code done} units are done, as counted by the caller; a count smaller than one shown
     * already (a worker that counted before another but reports after it) changes nothing.
     */
    synchronized void update(int done) {
        if (done > this.done) {
            show(done);
        }
    }

    private void show(int now) {
        done = now;
        if (bar != null) {
            bar.stepTo(now);
            return;
        }
        int tenth = total == 0 ? 10 : (int) ((long) now * 10 / total);
        if (tenth != lastTenth) {
            lastTenth = tenth;
            out.println(now + "/" + total + " " + doneWord);
            out.flush();
        }
    }

    /** Ends the bar (its last state stays on the screen), then lets log lines reach the console again. */
    @Override
    public synchronized void close() {
        try {
            if (bar != null) {
                bar.close();
            }
        } finally {
            quiet.close();
        }
    }
}
