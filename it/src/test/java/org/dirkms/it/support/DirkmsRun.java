package org.dirkms.it.support;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

import org.dirkms.dist.DirkmsCommand;

/**
 * What one run of the {@code dirkms} command line did, run in this JVM through
 * {@link DirkmsCommand#run} (the code path of the script, without a JVM start).
 *
 * @param code the exit code
 * @param out  standard output
 * @param err  standard error
 */
public record DirkmsRun(int code, String out, String err) {

    /** Runs {@code dirkms arguments...}. */
    public static DirkmsRun of(List<String> arguments) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = DirkmsCommand.run(arguments, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new DirkmsRun(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** Runs {@code dirkms arguments...}. */
    public static DirkmsRun of(String... arguments) {
        return of(List.of(arguments));
    }

    /** The exit code and both outputs, for failure messages. */
    @Override
    public String toString() {
        return "exit " + code + "\n--- stdout:\n" + out + "--- stderr:\n" + err;
    }
}
