package org.dirkms.dist;

import java.io.PrintStream;
import java.util.List;

/**
 * One {@code dirkms} subcommand. Implementations are registered in
 * {@link DirkmsCommand#SUBCOMMANDS}, one line each.
 */
public interface Subcommand {

    /** Exit code of a successful run. */
    int OK = 0;
    /** Exit code when the work failed (the message says why). */
    int FAILED = 1;
    /** Exit code of a usage error: unknown flag, missing or malformed value. */
    int USAGE = 2;

    /** The word that selects this subcommand, e.g. {@code serve}. */
    String name();

    /** One line saying what the subcommand does, for {@code dirkms --help}. */
    String summary();

    /** The full usage text: synopsis and every flag with its default. */
    String usage();

    /**
     * Runs the subcommand.
     *
     * @param arguments the arguments after the subcommand's name
     * @param out       where results go
     * @param err       where errors and diagnostics go (never a secret)
     * @return the process exit code: {@link #OK}, {@link #FAILED} or {@link #USAGE}
     */
    int run(List<String> arguments, PrintStream out, PrintStream err);
}
