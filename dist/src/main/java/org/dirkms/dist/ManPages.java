package org.dirkms.dist;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/**
 * The manual pages of the command line, section 1, written as troff (man(7) macros) straight
 * from the picocli model that parses the flags and renders {@code --help}: {@code dirkms.1},
 * {@code dirkms-serve.1}, {@code dirkms-ca-init.1}, ... one page per command, each with its
 * synopsis, description, arguments, flags, examples and exit status.
 *
 * <p>The build runs {@link #main} after compiling (exec-maven-plugin, next to the completion
 * script) into {@code target/man/man1}, which the distribution ships as {@code man/man1}. The
 * pages are made here rather than by picocli-codegen's ManPageGenerator because that writes
 * AsciiDoc, and turning AsciiDoc into troff needs asciidoctor (Ruby, or asciidoctorj with a
 * JRuby of some 30 MB in the build): this class needs only picocli and the JDK. The pages
 * carry no date, so the same sources give the same pages (reproducible builds).
 */
final class ManPages {

    private ManPages() {
    }

    /**
     * Writes every page into the folder {@code args[0]} (made when missing), replacing the pages
     * an earlier run left there.
     *
     * @param args the output folder, e.g. {@code target/man/man1}
     */
    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            throw new IllegalArgumentException("usage: ManPages OUTPUT-FOLDER");
        }
        Path folder = Files.createDirectories(Path.of(args[0]));
        // The pages of a command since removed must not ship: the folder holds this run's only.
        try (var old = Files.newDirectoryStream(folder, "*.1")) {
            for (Path page : old) {
                Files.delete(page);
            }
        }
        for (Map.Entry<String, String> page : pages().entrySet()) {
            Files.writeString(folder.resolve(page.getKey()), page.getValue(), StandardCharsets.UTF_8);
        }
    }

    /** Every page by its file name ({@code dirkms-roles-list.1}), the root first. */
    static Map<String, String> pages() {
        CommandLine root = DirkmsCommand.commandLine(new PrintStream(PrintStream.nullOutputStream()),
                new PrintStream(PrintStream.nullOutputStream()));
        Map<String, String> pages = new LinkedHashMap<>();
        collect(root, pages);
        return pages;
    }

    /** The page name of a command: its qualified name with '-' for ' ' ({@code dirkms-ca-init}). */
    static String pageName(CommandLine command) {
        return command.getCommandSpec().qualifiedName("-");
    }

    private static void collect(CommandLine command, Map<String, String> pages) {
        if (!(command.getCommand() instanceof Subcommand)) {
            return; // picocli's own 'help' command: 'dirkms help X' is 'dirkms X --help'
        }
        pages.put(pageName(command) + ".1", page(command));
        for (CommandLine subcommand : command.getSubcommands().values()) {
            collect(subcommand, pages);
        }
    }

    /** One page in troff. */
    static String page(CommandLine command) {
        CommandSpec spec = command.getCommandSpec();
        Subcommand subcommand = (Subcommand) command.getCommand();
        String name = pageName(command);
        StringBuilder page = new StringBuilder();
        page.append(".\\\" Generated from the dirkms command classes by org.dirkms.dist.ManPages; do not edit.\n");
        page.append(".TH ").append(quote(name.toUpperCase(Locale.ROOT))).append(" 1 \"\" ")
                .append(quote("dirkms " + DirkmsVersion.version())).append(" \"dirkms manual\"\n");
        List<String> description = paragraphs(spec.usageMessage().description());
        page.append(".SH NAME\n").append(escape(name)).append(" \\- ")
                .append(escape(description.isEmpty() ? spec.qualifiedName() : firstSentence(description.get(0))))
                .append('\n');

        page.append(".SH SYNOPSIS\n.B ").append(escape(spec.qualifiedName())).append('\n');
        for (OptionSpec option : spec.options()) {
            if (!option.hidden() && option.required()) {
                page.append(".RB ").append(quote(escape(option.longestName()))).append(option.arity().max() > 0
                        ? " \" \" \\fI" + escape(option.paramLabel()) + "\\fR" : "").append('\n');
            }
        }
        if (spec.options().stream().anyMatch(option -> !option.hidden() && !option.required())) {
            page.append("[\\fIflags\\fR]\n");
        }
        for (PositionalParamSpec parameter : spec.positionalParameters()) {
            if (!parameter.hidden()) {
                String label = "\\fI" + escape(parameter.paramLabel()) + "\\fR"
                        + (parameter.arity().max() > 1 ? "..." : "");
                page.append(parameter.arity().min() > 0 ? label : "[" + label + "]").append('\n');
            }
        }
        if (!command.getSubcommands().isEmpty()) {
            page.append("\\fIsubcommand\\fR [\\fIflags\\fR]\n");
        }

        if (!description.isEmpty()) {
            page.append(".SH DESCRIPTION\n");
            paragraphsOut(page, description);
        }
        List<PositionalParamSpec> parameters = spec.positionalParameters().stream().filter(p -> !p.hidden()).toList();
        if (!parameters.isEmpty()) {
            page.append(".SH ARGUMENTS\n");
            for (PositionalParamSpec parameter : parameters) {
                page.append(".TP\n.I ").append(escape(parameter.paramLabel())).append('\n')
                        .append(escapeLines(text(parameter))).append('\n');
            }
        }
        List<OptionSpec> options = spec.options().stream().filter(o -> !o.hidden()).toList();
        if (!options.isEmpty()) {
            page.append(".SH OPTIONS\n");
            for (OptionSpec option : options) {
                page.append(".TP\n").append(optionTag(option)).append('\n').append(escapeLines(text(option)))
                        .append('\n');
            }
        }
        if (!command.getSubcommands().isEmpty()) {
            page.append(".SH COMMANDS\n");
            for (CommandLine child : command.getSubcommands().values()) {
                if (child.getCommand() instanceof Subcommand) {
                    List<String> childDescription = paragraphs(child.getCommandSpec().usageMessage().description());
                    page.append(".TP\n.B ").append(escape(child.getCommandName())).append('\n')
                            .append(escapeLines(childDescription.isEmpty() ? "" : firstSentence(childDescription
                                    .get(0)))).append(".\nSee\n.BR ").append(escape(pageName(child)))
                            .append(" (1).\n");
                }
            }
        }
        List<String> examples = subcommand.examples();
        if (!examples.isEmpty()) {
            page.append(".SH EXAMPLES\n");
            for (int i = 0; i + 1 < examples.size(); i += 2) {
                page.append(".TP\n\\fB").append(escapeLines(examples.get(i))).append("\\fR\n")
                        .append(escapeLines(examples.get(i + 1))).append('\n');
            }
        }
        page.append(".SH EXIT STATUS\n");
        subcommand.exitCodes().forEach((code, meaning) -> page.append(".TP\n.B ").append(code.code()).append('\n')
                .append(escapeLines(meaning)).append('\n'));
        page.append(".SH SEE ALSO\n");
        List<String> related = new ArrayList<>();
        if (command.getParent() != null) {
            related.add(".BR " + escape(pageName(command.getParent())) + " (1)");
        }
        if (command.getParent() == null) {
            for (CommandLine child : command.getSubcommands().values()) {
                if (child.getCommand() instanceof Subcommand) {
                    related.add(".BR " + escape(pageName(child)) + " (1)");
                }
            }
        }
        related.add(".BR ldapmodify (1)");
        page.append(String.join(",\n", related)).append("\n.PP\nThe README of the distribution: installing,"
                + " running as a service, and the administrator's operations.\n");
        return page.toString();
    }

    /** {@code .BR "--data" " " "\fIDIR\fR"}-style tag: every name of the flag, then its value. */
    private static String optionTag(OptionSpec option) {
        StringBuilder tag = new StringBuilder();
        for (String optionName : option.names()) {
            tag.append(tag.length() == 0 ? "" : ", ").append("\\fB").append(escape(optionName)).append("\\fR");
        }
        if (option.arity().max() > 0) {
            tag.append(" \\fI").append(escape(option.paramLabel())).append("\\fR");
        }
        return tag.toString();
    }

    /** An argument's description as {@code --help} shows it, its variables filled in. */
    private static String text(ArgSpec arg) {
        String text = String.join(" ", arg.description());
        String defaultValue = arg.defaultValueString();
        text = text.replace("${DEFAULT-VALUE}", defaultValue == null ? "" : defaultValue);
        if (arg.completionCandidates() != null) {
            List<String> candidates = new ArrayList<>();
            arg.completionCandidates().forEach(candidates::add);
            text = text.replace("${COMPLETION-CANDIDATES}", String.join(", ", candidates));
        }
        return format(text);
    }

    /** The description strings as paragraphs: an empty string separates two. */
    private static List<String> paragraphs(String[] lines) {
        List<String> paragraphs = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        for (String line : lines) {
            for (String part : format(line).split("\n", -1)) {
                if (part.isBlank()) {
                    if (current.length() > 0) {
                        paragraphs.add(current.toString());
                        current.setLength(0);
                    }
                } else {
                    current.append(current.length() == 0 ? "" : "\n").append(part);
                }
            }
            if (current.length() > 0 && !line.contains("%n")) {
                paragraphs.add(current.toString());
                current.setLength(0);
            }
        }
        if (current.length() > 0) {
            paragraphs.add(current.toString());
        }
        return paragraphs;
    }

    private static void paragraphsOut(StringBuilder page, List<String> paragraphs) {
        for (String paragraph : paragraphs) {
            page.append(".PP\n");
            if (paragraph.contains("\n")) {
                // Laid out by hand in the help (lists, tables): kept as it is.
                page.append(".nf\n").append(escapeLines(paragraph)).append("\n.fi\n");
            } else {
                page.append(escapeLines(paragraph)).append('\n');
            }
        }
    }

    /** picocli's description format: {@code %n} a line end, {@code %%} a percent sign. */
    private static String format(String text) {
        return text.replace("%n", "\n").replace("%%", "%");
    }

    private static String firstSentence(String paragraph) {
        String line = paragraph.lines().findFirst().orElse("");
        return line.endsWith(".") ? line.substring(0, line.length() - 1) : line;
    }

    /**
     * Text for troff: backslashes and hyphens escaped, and every character beyond ASCII written
     * {@code \[uXXXX]}, so that the pages read the same whatever encoding man assumes.
     */
    static String escape(String text) {
        StringBuilder escaped = new StringBuilder();
        text.codePoints().forEach(c -> {
            if (c == '\\') {
                escaped.append("\\e");
            } else if (c == '-') {
                escaped.append("\\-");
            } else if (c > 127) {
                escaped.append(String.format(Locale.ROOT, "\\[u%04X]", c));
            } else {
                escaped.appendCodePoint(c);
            }
        });
        return escaped.toString();
    }

    private static String escapeLines(String text) {
        List<String> lines = new ArrayList<>();
        for (String line : text.split("\n", -1)) {
            String escaped = escape(line);
            lines.add(escaped.startsWith(".") || escaped.startsWith("'") ? "\\&" + escaped : escaped);
        }
        return String.join("\n", lines);
    }

    /** A macro argument in double quotes (a quote inside written as two, as groff reads it). */
    private static String quote(String text) {
        return "\"" + text.replace("\"", "\"\"") + "\"";
    }

}
