package org.dirkms.dist;

import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * One {@code dirkms} command or subcommand: a picocli command ({@code @Command} on the class,
 * {@code @Option}s on its fields) that {@link DirkmsCommand} lists. It runs in {@link #run()},
 * prints to {@link #out()} and {@link #err()} (never a secret), and returns an {@link ExitCode}'s
 * code. A {@link UsageException} thrown from {@link #run()} becomes one line on standard error,
 * the hint {@code 'dirkms X --help' lists the flags.} and exit code 2.
 *
 * <p>Its {@code --help} ends with {@link #examples()}, the exit code table every command shares
 * ({@link ExitCode}) and what {@link #exitCodes()} adds to it, laid out the same way for every
 * command by {@link DirkmsCommand#commandLine}. A failure is one line on standard error
 * ({@link #failed(String, Throwable, org.dirkms.agent.enroll.AgentConnection)}, {@link CommandFailure}),
 * its stack trace only with {@code --verbose}.
 */
abstract class Subcommand implements Callable<Integer> {

    /** Exit code of a successful run: {@link ExitCode#OK}. */
    static final int OK = ExitCode.OK.code();
    /** Exit code when the work failed: {@link ExitCode#FAILED}. */
    static final int FAILED = ExitCode.FAILED.code();
    /** Exit code of a usage error: {@link ExitCode#USAGE}. */
    static final int USAGE = ExitCode.USAGE.code();
    /** Exit code when a check could not run: {@link ExitCode#NOT_CHECKED}. */
    static final int NOT_CHECKED = ExitCode.NOT_CHECKED.code();

    /** {@code -h}, {@code --help} on every command: its usage, on standard output, exit code 0. */
    @Option(names = {"-h", "--help"}, usageHelp = true, description = "show this help and exit")
    boolean helpRequested;

    /** Injected by picocli: this command's model, and through it the streams. */
    @Spec
    CommandSpec spec;

    /**
     * Runs the command.
     *
     * @return the exit code, one of {@link ExitCode}'s
     * @throws UsageException when the command line cannot be run as given
     */
    abstract int run() throws UsageException;

    /**
     * Examples for {@code --help}: pairs of a command line and what it does, at least one pair.
     */
    abstract List<String> examples();

    /**
     * What an exit code means in more detail for this command, where it says more than the
     * common table ({@link ExitCode#meaning()}); its help lists these after that table. By
     * default the common meanings, which add nothing.
     */
    Map<ExitCode, String> exitCodes() {
        Map<ExitCode, String> codes = new LinkedHashMap<>();
        for (ExitCode code : ExitCode.values()) {
            codes.put(code, code.meaning());
        }
        return codes;
    }

    /** Runs {@link #run()}, turning a {@link UsageException} into its one line and exit code 2. */
    @Override
    public final Integer call() {
        try {
            return run();
        } catch (UsageException e) {
            return DirkmsCommand.usageError(spec.commandLine(), e.getMessage());
        }
    }

    /** Where results go. */
    PrintWriter out() {
        return spec.commandLine().getOut();
    }

    /**
     * Where results that are bytes, not text, go (a message {@code dirkms smime} writes): the
     * same standard output as {@link #out()}, which is flushed first.
     */
    java.io.PrintStream bytesOut() {
        out().flush();
        return ((DirkmsCommand) spec.root().userObject()).bytesOut();
    }

    /** Where errors and diagnostics go (never a secret). */
    PrintWriter err() {
        return spec.commandLine().getErr();
    }

    /**
     * What this command's messages start with: {@code dirkms} and the name of the top-level
     * subcommand, e.g. {@code dirkms audit}.
     */
    String messagePrefix() {
        return DirkmsCommand.messagePrefix(spec.commandLine());
    }

    /**
     * A command interrupted while it waited for the recovery agents' shares (docs/custody.md): the
     * thread's interrupt is kept, the failure printed, {@link #FAILED} returned.
     */
    int interruptedWaitingForAgents() {
        return interruptedWaitingForAgents();
    }

    /** Prints {@code message} after {@link #messagePrefix()} on standard error and returns {@link #FAILED}. */
    int failed(String message) {
        err().println(messagePrefix() + ": " + message);
        return FAILED;
    }

    /**
     * Prints why {@code failure} stopped the command, in the words of {@link CommandFailure}, on
     * one line after {@link #messagePrefix()}; its stack trace too with {@code --verbose}.
     *
     * @param what what the command was doing (e.g. {@code cannot read the CA entry}), or null
     * @param connection how the command reached the directory, or null
     * @return {@link #FAILED}
     */
    int failed(String what, Throwable failure, org.dirkms.agent.enroll.AgentConnection connection) {
        return DirkmsCommand.reportFailure(spec.commandLine(), CommandFailure.describe(what, failure, connection),
                failure);
    }

    /** As {@link #failed(String, Throwable, org.dirkms.agent.enroll.AgentConnection)} for a command reaching {@code kms}. */
    int failed(KmsContext kms, Throwable failure) {
        return failed(null, failure, kms.connection());
    }

    /** The names of the subcommands of {@code command}, for "unknown action" messages. */
    static List<String> actionsOf(CommandLine command) {
        return command.getSubcommands().keySet().stream().toList();
    }
}
