package org.dirkms.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The manual pages ({@link ManPages}; the build writes them to {@code target/man/man1} after
 * compiling, and the distribution ships them in {@code man/man1}): one per command, each a
 * man(7) page naming every flag of its command, ASCII only.
 */
class ManPagesTest {

    @Test
    void everyCommandHasAPageWithEveryFlagItsExamplesAndExitCodes() {
        Map<String, String> pages = ManPages.pages();
        CommandLine root = DirkmsCommand.commandLine(System.out, System.err);
        check(root, pages);
        assertTrue(pages.containsKey("dirkms-roles-list.1") && pages.containsKey("dirkms-ca-init.1"),
                "nested subcommands have pages: " + pages.keySet());
        assertTrue(!pages.containsKey("dirkms-help.1"), "picocli's help command is not a page of its own");
    }

    private static void check(CommandLine command, Map<String, String> pages) {
        if (!(command.getCommand() instanceof Subcommand subcommand)) {
            return;
        }
        String name = command.getCommandSpec().qualifiedName("-");
        String page = pages.get(name + ".1");
        assertTrue(page != null, "a page for " + name);
        assertTrue(page.contains(".TH \"" + name.toUpperCase(java.util.Locale.ROOT) + "\" 1 \"\" \"dirkms "),
                name + ": the title line names the page, section 1 and the version");
        for (String section : new String[] {".SH NAME", ".SH SYNOPSIS", ".SH OPTIONS", ".SH EXAMPLES",
                ".SH EXIT STATUS"}) {
            assertTrue(page.contains(section + "\n"), name + " has " + section);
        }
        command.getCommandSpec().options().forEach(option -> {
            for (String flag : option.names()) {
                assertTrue(page.contains("\\fB" + flag.replace("-", "\\-") + "\\fR"), name + " documents " + flag);
            }
        });
        assertTrue(page.contains(ManPages.escape(subcommand.examples().get(0))), name + " shows its first example");
        assertTrue(page.chars().allMatch(c -> c < 128), name + " is ASCII (other characters as \\[uXXXX])");
        assertTrue(page.lines().noneMatch(line -> line.startsWith(".") && line.length() > 1
                && !Character.isLetter(line.charAt(1)) && line.charAt(1) != '\\'),
                name + ": no text line is read as a request");
        for (CommandLine child : command.getSubcommands().values()) {
            check(child, pages);
        }
    }

    @Test
    void troffSpecialCharactersAreEscaped() {
        assertEquals("\\-\\-data \\e \\[u2014]", ManPages.escape("--data \\ \u2014"));
    }

    @Test
    void theBuildWroteThePagesAfterCompiling() throws Exception {
        Path folder = Path.of("target", "man", "man1");
        assertTrue(Files.isDirectory(folder), folder.toAbsolutePath() + " is made in the process-classes phase");
        try (var files = Files.list(folder)) {
            assertEquals(ManPages.pages().keySet().stream().sorted().toList(),
                    files.map(file -> file.getFileName().toString()).sorted().toList(), "no page of another build");
        }
        for (Map.Entry<String, String> page : ManPages.pages().entrySet()) {
            assertEquals(page.getValue(), Files.readString(folder.resolve(page.getKey())), page.getKey()
                    + " is the page of the command classes as they are now");
        }
    }
}
