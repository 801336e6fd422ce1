package org.dirkms.it.queue;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.dirkms.it.support.LdapTools;
import org.dirkms.it.support.ProjectFiles;

/**
 * {@code ./dirkms ca serve} run as an administrator runs it, in a process of its own beside
 * {@code dirkms serve}: the repository's script (which exec's the JVM, so the process id is the
 * JVM's and a signal reaches it), standard output and standard error in files of the test's work
 * folder.
 */
final class CaServeProcess {
    /** What {@code dirkms ca serve} prints once it serves (CaServeCommand). */
    static final String SERVING = "serves the request queue";
    /** How long a start may take: the script builds the jar first when it is stale. */
    private static final long START_SECONDS = 240;

    private final String name;
    private final Process process;
    private final Path out;
    private final Path err;

    private CaServeProcess(String name, Process process, Path out, Path err) {
        this.name = name;
        this.process = process;
        this.out = out;
        this.err = err;
    }

    /**
     * Starts {@code dirkms ca serve --name NAME --data DATA --period-ms N --lease-seconds N}
     * against the server running on {@code data} (its {@code endpoint} file names it), its output
     * in {@code work/<tag>.out} and {@code .err}.
     */
    static CaServeProcess start(Path data, String name, Path work, String tag, long periodMillis, int leaseSeconds)
            throws IOException {
        Path out = work.resolve(tag + ".out");
        Path err = work.resolve(tag + ".err");
        Process process = new ProcessBuilder(ProjectFiles.file("dirkms").toString(), "ca", "serve", "--name", name,
                "--data", data.toString(), "--period-ms", Long.toString(periodMillis), "--lease-seconds",
                Integer.toString(leaseSeconds))
                .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        return new CaServeProcess(name, process, out, err);
    }

    /** Returns once the process printed that it serves the queue; fails the test if it ends or takes too long. */
    CaServeProcess awaitServing() throws IOException, InterruptedException {
        Instant deadline = Instant.now().plusSeconds(START_SECONDS);
        while (!Files.readString(out).contains(SERVING)) {
            if (!process.isAlive() || Instant.now().isAfter(deadline)) {
                fail("dirkms ca serve --name \"" + name + "\" did not start:\n" + Files.readString(out)
                        + Files.readString(err));
            }
            Thread.sleep(50); // polling the other process's start
        }
        return this;
    }

    /** The CA's name ({@code --name}). */
    String name() {
        return name;
    }

    /** The process id: the JVM's, which names the claims of this process ({@code "<CA DN> pid <pid> ..."}). */
    long pid() {
        return process.pid();
    }

    /** Whether the process still runs. */
    boolean alive() {
        return process.isAlive();
    }

    /**
     * The start of every claim this process writes: {@code "<CA DN> pid <pid> "} (docs/reliability.md,
     * "The claim").
     */
    String claimPrefix(String caDn) {
        return caDn + " pid " + pid() + " ";
    }

    /** SIGKILL: the process dies wherever it is, holding whatever it holds. */
    void kill() throws InterruptedException {
        signal("KILL");
        assertTrue(process.waitFor(30, TimeUnit.SECONDS), "dirkms ca serve did not die of SIGKILL");
    }

    /** SIGSTOP: the process stands still, so what the directory shows of it stays true until {@link #resume}. */
    void pause() {
        signal("STOP");
    }

    /** SIGCONT after {@link #pause}. */
    void resume() {
        signal("CONT");
    }

    /** SIGTERM, as Ctrl-C or systemd would, then SIGKILL if it has not ended within 30 s. */
    void terminate() throws InterruptedException {
        if (process.isAlive()) {
            LdapTools.run(List.of("kill", "-TERM", Long.toString(pid())), Map.of(), null);
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            }
        }
    }

    /** Standard error so far: the log. */
    String log() throws IOException {
        return Files.readString(err);
    }

    private void signal(String signal) {
        LdapTools.run(List.of("kill", "-" + signal, Long.toString(pid())), Map.of(), null).assertSuccess();
    }
}
