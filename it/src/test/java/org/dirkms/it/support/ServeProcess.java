package org.dirkms.it.support;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * {@code ./dirkms serve} run as an administrator runs it: the repository's script in a process of
 * its own, its standard output read line by line and its standard error kept in a file.
 *
 * <pre>{@code
 * try (ServeProcess serve = ServeProcess.start(temporary, "--data", data.toString(), "--ldap-port", "0")) {
 *     String banner = serve.awaitBanner();
 *     ...
 *     serve.terminate();   // SIGTERM, as Ctrl-C or systemd would
 * }
 * }</pre>
 */
public final class ServeProcess implements AutoCloseable {

    /** The banner's last line (ServeCommand). */
    public static final String LAST_BANNER_LINE = "Stop with Ctrl-C.";
    /** How long a start may take on two busy cores (the first one makes a CA). */
    private static final long START_SECONDS = 120;

    private final Process process;
    private final Path stderr;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final Thread reader;

    private ServeProcess(Process process, Path stderr) {
        this.process = process;
        this.stderr = stderr;
        this.reader = new Thread(() -> {
            try (BufferedReader out = new BufferedReader(
                    new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line = out.readLine(); line != null; line = out.readLine()) {
                    lines.add(line);
                }
            } catch (IOException e) {
                lines.add("(output closed: " + e.getMessage() + ")");
            }
        }, "serve-output");
        reader.start();
    }

    /**
     * Starts {@code ./dirkms serve arguments...}, its standard error going to a new file in
     * {@code folder}.
     */
    public static ServeProcess start(Path folder, String... arguments) throws IOException {
        Path script = ProjectFiles.file("dirkms");
        assertTrue(Files.isExecutable(script), script + " must be executable");
        List<String> command = new ArrayList<>(List.of(script.toString(), "serve"));
        command.addAll(List.of(arguments));
        Path stderr = Files.createTempFile(folder, "serve-", ".err");
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.redirectError(stderr.toFile());
        return new ServeProcess(builder.start(), stderr);
    }

    /**
     * Starts {@code command} (a launcher and its {@code serve} arguments, e.g. an unpacked
     * distribution's {@code bin/dirkms serve ...}) with exactly {@code environment} (nothing of
     * this process's), in {@code workingFolder}, its standard error going to a new file there.
     */
    public static ServeProcess startWith(List<String> command, Map<String, String> environment, Path workingFolder)
            throws IOException {
        Path stderr = Files.createTempFile(workingFolder, "serve-", ".err");
        ProcessBuilder builder = new ProcessBuilder(command).directory(workingFolder.toFile());
        builder.environment().clear();
        builder.environment().putAll(environment);
        builder.redirectError(stderr.toFile());
        return new ServeProcess(builder.start(), stderr);
    }

    /** Waits for the whole banner and returns it; fails the test, with what was printed, if it never comes. */
    public String awaitBanner() throws IOException, InterruptedException {
        StringBuilder banner = new StringBuilder();
        String line;
        do {
            line = lines.poll(START_SECONDS, TimeUnit.SECONDS);
            assertNotNull(line, "no '" + LAST_BANNER_LINE + "' within " + START_SECONDS + " s; printed so far:\n"
                    + banner + "\nstderr:\n" + stderr());
            banner.append(line).append('\n');
        } while (!line.equals(LAST_BANNER_LINE));
        return banner.toString();
    }

    /** Waits for the process to end by itself (a refused start) and returns its exit code. */
    public int awaitExit() throws InterruptedException, IOException {
        assertTrue(process.waitFor(START_SECONDS, TimeUnit.SECONDS), "serve did not end within " + START_SECONDS
                + " s; stderr:\n" + stderr());
        reader.join(10_000);
        return process.exitValue();
    }

    /**
     * Sends SIGTERM through kill(1) (Process.destroy() would also close the output still read;
     * the script exec'd java, so the signal reaches the JVM) and waits for the exit code.
     */
    public int terminate() throws InterruptedException {
        LdapTools.run(List.of("kill", "-TERM", Long.toString(process.pid())), Map.of(), null).assertSuccess();
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), "serve did not stop within 60 s of SIGTERM");
        reader.join(10_000);
        return process.exitValue();
    }

    /** What was printed on standard output after the banner, or after a stop. */
    public String remainingOutput() {
        StringBuilder rest = new StringBuilder();
        lines.forEach(remaining -> rest.append(remaining).append('\n'));
        return rest.toString();
    }

    /** Standard error so far. */
    public String stderr() throws IOException {
        return Files.readString(stderr);
    }

    /** The process id, for signals of the test's own. */
    public long pid() {
        return process.pid();
    }

    /** Kills the process if it still runs. */
    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        }
    }
}
