package org.dirkms.agent.ca;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs an installed command-line tool (openssl, gpgsm) as a process. A missing tool fails the
 * test, naming the Debian package to install: a test that cannot run must not pass.
 */
final class ExternalTool {
    /** The exit code and the merged standard output and error of one run. */
    record Result(int exitCode, String output) {
    }

    private ExternalTool() {
    }

    /** Fails unless {@code tool} is on the PATH; {@code debianPackage} is named in the failure. */
    static void require(String tool, String debianPackage) {
        for (String directory : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            if (Files.isExecutable(Path.of(directory, tool))) {
                return;
            }
        }
        fail(tool + " is not installed: install the Debian package " + debianPackage);
    }

    /** Runs {@code command} in {@code directory} with extra {@code environment}, waiting at most 60 s. */
    static Result run(Path directory, Map<String, String> environment, List<String> command) {
        ProcessBuilder builder = new ProcessBuilder(command).directory(directory.toFile()).redirectErrorStream(true);
        builder.environment().putAll(environment);
        try {
            Process process = builder.start();
            process.getOutputStream().close();
            byte[] output = process.getInputStream().readAllBytes();
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                fail(command + " did not finish within 60 s");
            }
            return new Result(process.exitValue(), new String(output, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new AssertionError("cannot run " + command + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while running " + command, e);
        }
    }

    /** Runs {@code command} and fails the test, showing its output, unless it exits with 0. */
    static String succeed(Path directory, Map<String, String> environment, String... command) {
        Result result = run(directory, environment, List.of(command));
        if (result.exitCode() != 0) {
            fail(String.join(" ", command) + " exited with " + result.exitCode() + ":\n" + result.output());
        }
        return result.output();
    }
}
