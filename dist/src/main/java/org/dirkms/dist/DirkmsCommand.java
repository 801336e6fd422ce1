package org.dirkms.dist;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.HelpCommand;
import picocli.CommandLine.MissingParameterException;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * Entry point of the {@code dirkms} command: {@code dirkms <subcommand> [flags]}. Every
 * subcommand is listed in the {@code subcommands} of this class's {@link Command}; picocli
 * (package docs) parses the flags, renders {@code --help} and {@code --version}, and the build
 * generates the bash completion script from the same model.
 *
 * <p>What every command shares is decided here once: {@code -h}/{@code --help} on every command,
 * flags written {@code --flag VALUE}, help laid out with the examples and the exit codes
 * ({@link ExitCode}) last, and usage errors as one line on standard error, then
 * {@code 'dirkms X --help' lists the flags.}, exit code 2, never a stack trace.
 */
@Command(name = "dirkms",
        description = "A key management service built into an LDAP directory: the embedded directory with its"
                + " KMS and CA, the KMS agent, and the administrator's commands.",
        synopsisSubcommandLabel = "<subcommand>",
        versionProvider = DirkmsVersion.class,
        subcommands = {ServeCommand.class, CaCommand.class, AuditCommand.class, AgentCommand.class,
                EnrollCommand.class, ArchiveCommand.class, RolesCommand.class, RecoveryCommand.class, SmimeCommand.class,
                QueueCommand.class, TrustCommand.class, ExportCommand.class, ImportCommand.class,
                TransferCommand.class, OpenLdapCommand.class, HelpCommand.class})
public final class DirkmsCommand extends Subcommand {

    /** {@code -V}, {@code --version}: the project version. */
    @Option(names = {"-V", "--version"}, versionHelp = true, description = "print the version and exit")
    boolean version;

    /**
     * {@code --verbose}, accepted by every command before or after its name ({@code dirkms
     * --verbose ca list}, {@code dirkms ca list --verbose}): a failure prints its stack trace
     * after its one line.
     */
    @Option(names = "--verbose", scope = CommandLine.ScopeType.INHERIT,
            description = "on failure, print the stack trace after the message")
    boolean verbose;

    /** Standard output as bytes, for commands whose result is not text ({@code smime}). */
    private PrintStream bytesOut = System.out;

    /** The root command; {@link #commandLine} wires it with its subcommands. */
    public DirkmsCommand() {
    }

    /** Standard output as bytes: the stream {@link #commandLine} was given. */
    PrintStream bytesOut() {
        return bytesOut;
    }

    /**
     * Runs the command named by {@code args} and exits with its exit code (unless it is 0 and
     * threads remain), logging as its data folder's {@code logback.xml} says ({@link LogConfiguration}).
     */
    public static void main(String[] args) {
        LogConfiguration.configure(Arrays.asList(args), System.err);
        int code = run(Arrays.asList(args), System.out, System.err);
        if (code != OK) {
            System.exit(code);
        }
    }

    /**
     * Runs the command line {@code arguments} without exiting the JVM.
     *
     * @return the exit code of the command ({@link ExitCode})
     */
    public static int run(List<String> arguments, PrintStream out, PrintStream err) {
        return commandLine(out, err).execute(arguments.toArray(String[]::new));
    }

    /**
     * As {@link #run(List, PrintStream, PrintStream)}, with {@code environment} in place of the
     * process's for what commands read from it ({@value CaCommand#PASSPHRASE_VARIABLE}).
     */
    public static int run(List<String> arguments, Map<String, String> environment, PrintStream out,
            PrintStream err) {
        CommandLine root = commandLine(out, err);
        ((CaCommand) root.getSubcommands().get("ca").getCommand()).environment = Map.copyOf(environment);
        return root.execute(arguments.toArray(String[]::new));
    }

    /**
     * The whole command line, its help complete (examples, exit codes), writing to {@code out}
     * and {@code err}: what {@link #run} executes, and what the help test renders.
     */
    public static CommandLine commandLine(PrintStream out, PrintStream err) {
        DirkmsCommand dirkms = new DirkmsCommand();
        dirkms.bytesOut = out;
        CommandLine root = new CommandLine(dirkms);
        root.setOut(new PrintWriter(out, true, StandardCharsets.UTF_8));
        root.setErr(new PrintWriter(err, true, StandardCharsets.UTF_8));
        // As the hand-written parsers did: a flag given twice takes its last value.
        root.setOverwrittenOptionsAllowed(true);
        root.setParameterExceptionHandler((exception, args) -> usageError(exception.getCommandLine(),
                describe(exception)));
        root.setExecutionExceptionHandler((exception, command, parseResult) ->
                // Commands catch what they expect; anything else is still one line, its stack
                // trace only with --verbose.
                reportFailure(command, CommandFailure.describe(null, exception, null), exception));
        document(root);
        return root;
    }

    /**
     * Prints a usage error of {@code command}: one line, then the hint to its help.
     *
     * @return {@link ExitCode#USAGE}'s code
     */
    static int usageError(CommandLine command, String message) {
        PrintWriter err = command.getErr();
        err.println(messagePrefix(command) + ": " + message);
        err.println("'" + command.getCommandSpec().qualifiedName() + " --help' lists the "
                + (command.getParent() == null ? "subcommands." : "flags."));
        return ExitCode.USAGE.code();
    }

    /**
     * Prints {@code message}, the one line saying why {@code command} failed, on its standard
     * error; with {@code --verbose} the stack trace of {@code failure} after it.
     *
     * @return {@link ExitCode#FAILED}'s code
     */
    static int reportFailure(CommandLine command, String message, Throwable failure) {
        PrintWriter err = command.getErr();
        err.println(messagePrefix(command) + ": " + message);
        if (((DirkmsCommand) command.getCommandSpec().root().userObject()).verbose) {
            failure.printStackTrace(err);
        }
        err.flush();
        return ExitCode.FAILED.code();
    }

    /**
     * The start of {@code command}'s messages: {@code dirkms} and its top-level subcommand, e.g.
     * {@code dirkms audit} for {@code dirkms audit verify}; a {@code ca} action adds its own name
     * ({@code dirkms ca init}), as that command always did.
     */
    static String messagePrefix(CommandLine command) {
        List<String> names = new ArrayList<>();
        for (CommandLine c = command; c.getParent() != null; c = c.getParent()) {
            names.add(0, c.getCommandName());
        }
        int keep = !names.isEmpty() && names.get(0).equals("ca") ? 2 : 1;
        return "dirkms" + (names.isEmpty() ? "" : " " + String.join(" ", names.subList(0, Math.min(keep,
                names.size()))));
    }

    /** A picocli parse error in the words the hand-written parsers used. */
    static String describe(ParameterException exception) {
        CommandLine command = exception.getCommandLine();
        if (exception instanceof UnmatchedArgumentException unmatched && !unmatched.getUnmatched().isEmpty()) {
            String first = unmatched.getUnmatched().get(0);
            if (first.startsWith("-")) {
                return "unknown flag '" + first + "'";
            }
            if (!command.getSubcommands().isEmpty()) {
                if (command.getParent() == null) {
                    return "unknown subcommand '" + first + "'";
                }
                return "unknown action '" + first + "'; " + actionList(command);
            }
            return "unexpected argument '" + first + "'";
        }
        if (exception instanceof MissingParameterException missing && !missing.getMissing().isEmpty()) {
            List<ArgSpec> specs = missing.getMissing();
            if (specs.get(0) instanceof PositionalParamSpec) {
                // All of them, as "'roles add' needs a ROLE and a DN": what the command takes.
                String what = command.getCommandSpec().positionalParameters().stream()
                        .map(spec -> "a " + spec.paramLabel()).collect(Collectors.joining(" and "));
                String name = command.getCommandSpec().qualifiedName().substring("dirkms ".length());
                return "'" + name + "' needs " + what;
            }
            String names = specs.stream().map(spec -> ((OptionSpec) spec).longestName())
                    .collect(Collectors.joining(", "));
            boolean absent = String.valueOf(exception.getMessage()).startsWith("Missing required option");
            return names + (absent ? (specs.size() == 1 ? " is required" : " are required") : " needs a value");
        }
        return firstLine(exception);
    }

    /** "the action is 'verify'" or "the actions are a, b, c". */
    static String actionList(CommandLine command) {
        List<String> actions = actionsOf(command);
        return actions.size() == 1 ? "the action is '" + actions.get(0) + "'"
                : "the actions are " + String.join(", ", actions);
    }

    private static String firstLine(Exception exception) {
        String message = exception.getMessage() == null ? exception.getClass().getSimpleName()
                : exception.getMessage();
        int newline = message.indexOf('\n');
        return (newline < 0 ? message : message.substring(0, newline)).strip();
    }

    /**
     * Gives every command of the tree under {@code command} the same help layout: flags in the
     * order they are declared, written {@code --flag VALUE}, then the examples, then the exit codes.
     */
    private static void document(CommandLine command) {
        command.setUsageHelpWidth(100);
        command.setSeparator(" ");
        command.getCommandSpec().usageMessage().sortOptions(false).sortSynopsis(false)
                .descriptionHeading("%n").parameterListHeading("%nArguments:%n").optionListHeading("%nFlags:%n")
                .commandListHeading("%nCommands:%n");
        List<String> examples;
        Map<ExitCode, String> exitCodes;
        if (command.getCommand() instanceof Subcommand subcommand) {
            examples = subcommand.examples();
            exitCodes = subcommand.exitCodes();
        } else {
            // picocli's own help subcommand
            examples = List.of("dirkms help enroll", "the flags of 'dirkms enroll', as 'dirkms enroll --help'");
            exitCodes = Map.of();
        }
        List<String> footer = new ArrayList<>();
        for (int i = 0; i + 1 < examples.size(); i += 2) {
            footer.add("  " + examples.get(i));
            footer.add("      " + examples.get(i + 1));
        }
        // The exit codes are one table, the same in every command's help and in the README
        // ("Exit codes"); what a code means in more detail for this command follows it.
        Map<String, String> notes = new LinkedHashMap<>();
        exitCodes.forEach((code, meaning) -> {
            if (!meaning.equals(code.meaning())) {
                notes.put(Integer.toString(code.code()), meaning.replace("%", "%%"));
            }
        });
        command.getCommandSpec().usageMessage()
                .footerHeading("%nExamples:%n")
                .footer(footer.stream().map(line -> line.replace("%", "%%")).toArray(String[]::new))
                .exitCodeListHeading("%nExit codes:%n")
                .exitCodeList(exitCodeTable());
        List<String> sections = new ArrayList<>(command.getHelpSectionKeys());
        // Examples before the exit codes: what a reader looks for first.
        sections.removeAll(List.of(CommandLine.Model.UsageMessageSpec.SECTION_KEY_FOOTER_HEADING,
                CommandLine.Model.UsageMessageSpec.SECTION_KEY_FOOTER));
        int at = sections.indexOf(CommandLine.Model.UsageMessageSpec.SECTION_KEY_EXIT_CODE_LIST_HEADING);
        sections.addAll(at, List.of(CommandLine.Model.UsageMessageSpec.SECTION_KEY_FOOTER_HEADING,
                CommandLine.Model.UsageMessageSpec.SECTION_KEY_FOOTER));
        if (!notes.isEmpty()) {
            sections.add(sections.indexOf(CommandLine.Model.UsageMessageSpec.SECTION_KEY_EXIT_CODE_LIST) + 1,
                    EXIT_CODE_NOTES);
            String heading = "%nFor '" + command.getCommandSpec().qualifiedName() + "' in particular:%n";
            command.getHelpSectionMap().put(EXIT_CODE_NOTES,
                    help -> help.createHeading(heading) + help.createTextTable(notes).toString());
        }
        command.setHelpSectionKeys(sections);
        for (CommandLine subcommand : command.getSubcommands().values()) {
            document(subcommand);
        }
    }

    /** The help section after the exit codes saying what they mean for one command. */
    private static final String EXIT_CODE_NOTES = "exitCodeNotes";

    /**
     * The exit codes and what they mean, as every command's help lists them after "Exit codes:"
     * and the README's table: {@link ExitCode}'s, in order.
     */
    static Map<String, String> exitCodeTable() {
        Map<String, String> codes = new LinkedHashMap<>();
        for (ExitCode code : ExitCode.values()) {
            codes.put(Integer.toString(code.code()), code.meaning());
        }
        return codes;
    }

    /** Without a subcommand: the overview on standard error, exit code 2. */
    @Override
    int run() {
        spec.commandLine().usage(err());
        return USAGE;
    }

    @Override
    List<String> examples() {
        return List.of("dirkms serve", "the embedded directory with its KMS, on loopback (ports 10389 and 10636)",
                "dirkms roles add kms-administrators uid=alice,ou=People,dc=example,dc=com",
                "give alice the KMS administrator's role",
                "dirkms serve --help", "every flag of 'dirkms serve'");
    }
}
