package org.dirkms.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The exit codes are one table: the README's "Exit codes" table is {@link ExitCode}'s, and
 * every command's {@code --help} lists that same table; every command takes {@code --verbose}.
 */
class ExitCodeTableTest {

    private static final Path README = Path.of("..", "README.md");

    @Test
    void theReadmeTableIsExitCodes() throws IOException {
        List<String> lines = Files.readAllLines(README, StandardCharsets.UTF_8);
        int header = lines.indexOf("| code | meaning |");
        assertTrue(header > 0, "README has the exit code table");
        Map<String, String> table = new LinkedHashMap<>();
        for (int i = header + 2; i < lines.size() && lines.get(i).startsWith("|"); i++) {
            String[] cells = lines.get(i).split("\\|");
            table.put(cells[1].strip(), cells[2].strip());
        }
        assertEquals(DirkmsCommand.exitCodeTable(), table);
        assertEquals(ExitCode.values().length, table.size());
    }

    @Test
    void everyCommandsHelpListsTheSameTable() {
        String expected = exitCodeBlock(help(List.of()));
        assertTrue(expected.startsWith("Exit codes:\n  0   done"), expected);
        for (ExitCode code : ExitCode.values()) {
            assertTrue(expected.contains("\n  " + code.code() + "   "), code + " in\n" + expected);
        }
        List<List<String>> paths = new ArrayList<>();
        collect(DirkmsCommand.commandLine(System.out, System.err), new ArrayList<>(), paths);
        assertTrue(paths.size() >= 20, paths.toString());
        for (List<String> path : paths) {
            String text = help(path);
            assertEquals(expected, exitCodeBlock(text), String.join(" ", path) + ":\n" + text);
        }
    }

    @Test
    void everyCommandTakesVerboseBeforeOrAfterItsName() {
        List<List<String>> paths = new ArrayList<>();
        collect(DirkmsCommand.commandLine(System.out, System.err), new ArrayList<>(), paths);
        for (List<String> path : paths) {
            if (path.equals(List.of("help"))) {
                continue;
            }
            List<String> after = new ArrayList<>(path);
            after.addAll(List.of("--verbose", "--help"));
            List<String> before = new ArrayList<>(List.of("--verbose"));
            before.addAll(path);
            before.add("--help");
            for (List<String> arguments : List.of(after, before)) {
                ByteArrayOutputStream err = new ByteArrayOutputStream();
                int code = DirkmsCommand.run(arguments, new PrintStream(new ByteArrayOutputStream(), true,
                        StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
                assertEquals(0, code, arguments + ": " + err.toString(StandardCharsets.UTF_8));
            }
        }
    }

    @Test
    void verboseAddsTheStackTraceAfterTheLine() {
        for (List<String> arguments : List.of(List.of("roles", "list"), List.of("--verbose", "roles", "list"),
                List.of("roles", "list", "--verbose"))) {
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            CommandLine root = DirkmsCommand.commandLine(System.out, new PrintStream(err, true, StandardCharsets.UTF_8));
            CommandLine list = root.getSubcommands().get("roles").getSubcommands().get("list");
            root.parseArgs(arguments.toArray(String[]::new));
            IllegalStateException failure = new IllegalStateException("the directory went away");
            assertEquals(ExitCode.FAILED.code(), DirkmsCommand.reportFailure(list,
                    CommandFailure.describe(null, failure, null), failure));
            List<String> lines = err.toString(StandardCharsets.UTF_8).lines().toList();
            assertEquals("dirkms roles: the directory went away", lines.get(0));
            if (arguments.contains("--verbose")) {
                assertTrue(lines.size() > 2 && lines.get(1).startsWith(IllegalStateException.class.getName())
                        && lines.get(2).strip().startsWith("at "), String.join("\n", lines));
            } else {
                assertEquals(1, lines.size(), String.join("\n", lines));
            }
        }
    }

    private static String help(List<String> path) {
        List<String> arguments = new ArrayList<>(path);
        if (!path.equals(List.of("help"))) {
            arguments.add("--help");
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int code = DirkmsCommand.run(arguments, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
        assertEquals(0, code, arguments.toString());
        return out.toString(StandardCharsets.UTF_8);
    }

    /** From "Exit codes:" to the blank line after the table. */
    private static String exitCodeBlock(String help) {
        int start = help.indexOf("Exit codes:\n");
        assertFalse(start < 0, help);
        int end = help.indexOf("\n\n", start);
        return (end < 0 ? help.substring(start) : help.substring(start, end)).stripTrailing();
    }

    private static void collect(CommandLine command, List<String> path, List<List<String>> paths) {
        paths.add(List.copyOf(path));
        for (var entry : command.getSubcommands().entrySet()) {
            List<String> next = new ArrayList<>(path);
            next.add(entry.getKey());
            collect(entry.getValue(), next, paths);
        }
    }
}
