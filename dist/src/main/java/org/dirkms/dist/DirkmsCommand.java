package org.dirkms.dist;

import java.io.PrintStream;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * Entry point of the {@code dirkms} command: {@code dirkms <subcommand> [arguments]}. Every
 * subcommand is registered in {@link #SUBCOMMANDS}.
 */
public final class DirkmsCommand {

    /**
     * Every subcommand, in the order {@code --help} lists them. To add one, implement
     * {@link Subcommand} and add one line here.
     */
    static final List<Subcommand> SUBCOMMANDS = List.of(
            new ServeCommand(),
            new CaCommand(),
            new AuditCommand(),
            new AgentCommand(),
            new EnrollCommand(),
            new ArchiveCommand(),
            new RolesCommand());

    private DirkmsCommand() {
    }

    /** Runs the command named by {@code args} and exits with its exit code (unless it is 0 and threads remain). */
    public static void main(String[] args) {
        int code = run(Arrays.asList(args), System.out, System.err);
        if (code != Subcommand.OK) {
            System.exit(code);
        }
    }

    /**
     * Runs the command line {@code arguments} without exiting the JVM.
     *
     * @return the exit code of the subcommand, or {@link Subcommand#USAGE} for an unknown one
     */
    public static int run(List<String> arguments, PrintStream out, PrintStream err) {
        if (arguments.isEmpty()) {
            err.println(overview());
            return Subcommand.USAGE;
        }
        String first = arguments.get(0);
        if (first.equals("--help") || first.equals("-h") || first.equals("help")) {
            if (arguments.size() > 1) {
                Optional<Subcommand> named = find(arguments.get(1));
                if (named.isPresent()) {
                    out.println(named.get().usage());
                    return Subcommand.OK;
                }
            }
            out.println(overview());
            return Subcommand.OK;
        }
        Optional<Subcommand> subcommand = find(first);
        if (subcommand.isEmpty()) {
            err.println("dirkms: unknown subcommand '" + first + "'\n");
            err.println(overview());
            return Subcommand.USAGE;
        }
        return subcommand.get().run(arguments.subList(1, arguments.size()), out, err);
    }

    private static Optional<Subcommand> find(String name) {
        return SUBCOMMANDS.stream().filter(subcommand -> subcommand.name().equals(name)).findFirst();
    }

    /** The {@code --help} text: every subcommand with its summary. */
    static String overview() {
        StringBuilder text = new StringBuilder("usage: dirkms <subcommand> [arguments]\n\nsubcommands:\n");
        for (Subcommand subcommand : SUBCOMMANDS) {
            text.append(String.format("  %-10s %s%n", subcommand.name(), subcommand.summary()));
        }
        return text.append("\n'dirkms <subcommand> --help' shows a subcommand's flags.").toString();
    }
}
