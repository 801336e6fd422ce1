package org.dirkms.it.schema;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Runs the Debian command-line tools the schema tests drive (ldap-utils, slapd). A missing
 * tool fails the test with the name of the package to install: a test that silently skipped
 * would prove nothing.
 */
final class ExternalTool {

    /** Every tool run here answers in well under this; a hung tool fails instead of blocking the build. */
    private static final long TIMEOUT_SECONDS = 60;

    private ExternalTool() {
    }

    /** The output of one finished run. */
    record Result(List<String> command, int exitCode, String stdout, String stderr) {

        /** Fails the test, showing the command and what it printed, unless the exit code is 0. */
        Result assertSuccess() {
            if (exitCode != 0) {
                fail(String.join(" ", command) + " exited with " + exitCode + "\nstdout:\n" + stdout
                        + "\nstderr:\n" + stderr);
            }
            return this;
        }
    }

    /**
     * The executable {@code name}, found in the usual Debian directories or on the PATH.
     *
     * @param debianPackage the package that ships it, named in the failure message
     */
    static Path require(String name, String debianPackage) {
        List<Path> candidates = new ArrayList<>(List.of(Path.of("/usr/sbin", name), Path.of("/usr/bin", name)));
        String path = System.getenv("PATH");
        if (path != null) {
            for (String directory : path.split(java.io.File.pathSeparator)) {
                if (!directory.isEmpty()) {
                    candidates.add(Path.of(directory, name));
                }
            }
        }
        for (Path candidate : candidates) {
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        return fail(name + " is not installed: install the Debian package " + debianPackage
                + " (apt-get install " + debianPackage + ")");
    }

    /**
     * Runs {@code command} to completion with {@code stdin} (or nothing) as its input. Output
     * goes through files in {@code workDirectory}, so a chatty tool can never block on a full pipe.
     */
    static Result run(Path workDirectory, String stdin, List<String> command) throws IOException, InterruptedException {
        Path out = Files.createTempFile(workDirectory, "stdout", ".txt");
        Path err = Files.createTempFile(workDirectory, "stderr", ".txt");
        ProcessBuilder builder = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile());
        if (stdin == null) {
            builder.redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
        }
        Process process = builder.start();
        if (stdin != null) {
            try (var input = process.getOutputStream()) {
                input.write(stdin.getBytes(StandardCharsets.UTF_8));
            }
        }
        if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            fail(String.join(" ", command) + " did not finish within " + TIMEOUT_SECONDS + " s");
        }
        Result result = new Result(List.copyOf(command), process.exitValue(),
                Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
        Files.delete(out);
        Files.delete(err);
        return result;
    }

    /** A loopback port nobody listens on right now. */
    /**
     * Stops the daemon whose pid file is {@code pidFile} (nothing when it never started): SIGTERM,
     * then, if it is still running after 20 seconds, SIGKILL and a failure naming it.
     */
    static void stopDaemon(Path pidFile, String name) throws IOException {
        if (pidFile == null || !Files.isRegularFile(pidFile)) {
            return;
        }
        long pid = Long.parseLong(Files.readString(pidFile, StandardCharsets.US_ASCII).strip());
        ProcessHandle.of(pid).ifPresent(handle -> {
            handle.destroy();
            try {
                handle.onExit().get(20, TimeUnit.SECONDS);
            } catch (TimeoutException | InterruptedException | ExecutionException e) {
                handle.destroyForcibly();
                throw new AssertionError(name + " " + pid + " did not stop on SIGTERM; killed", e);
            }
        });
    }

    static int freeLoopbackPort() throws IOException {
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0, 1,
                java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}
