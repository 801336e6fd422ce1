package org.dirkms.agent.keys;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs openssl and gpgsm for the key, archive and S/MIME tests. A missing tool fails the test
 * naming the Debian package to install: a test that cannot run must not pass.
 */
public final class ExternalTools {
    /** The exit code and the merged standard output and error of one run. */
    public record Result(int exitCode, String output) {
    }

    private ExternalTools() {
    }

    /** Fails unless {@code tool} is on the PATH; {@code debianPackage} is named in the failure. */
    public static void require(String tool, String debianPackage) {
        for (String directory : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            if (Files.isExecutable(Path.of(directory, tool))) {
                return;
            }
        }
        fail(tool + " is not installed: install the Debian package " + debianPackage);
    }

    /** Runs {@code command} in {@code directory}, with {@code input} on its standard input, waiting at most 60 s. */
    public static Result run(Path directory, Map<String, String> environment, String input, List<String> command) {
        ProcessBuilder builder = new ProcessBuilder(command).directory(directory.toFile()).redirectErrorStream(true);
        builder.environment().putAll(environment);
        try {
            Process process = builder.start();
            if (input != null) {
                process.getOutputStream().write(input.getBytes(StandardCharsets.UTF_8));
            }
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
    public static String succeed(Path directory, String... command) {
        return succeed(directory, Map.of(), null, command);
    }

    /** As {@link #succeed(Path, String...)} with an environment and standard input. */
    public static String succeed(Path directory, Map<String, String> environment, String input, String... command) {
        Result result = run(directory, environment, input, List.of(command));
        if (result.exitCode() != 0) {
            fail(String.join(" ", command) + " exited with " + result.exitCode() + ":\n" + result.output());
        }
        return result.output();
    }

    /** Runs openssl (Debian package openssl) in {@code directory}, failing unless it exits with 0. */
    public static String openssl(Path directory, String... arguments) {
        require("openssl", "openssl");
        String[] command = new String[arguments.length + 1];
        command[0] = "openssl";
        System.arraycopy(arguments, 0, command, 1, arguments.length);
        return succeed(directory, command);
    }
}
