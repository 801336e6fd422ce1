package org.dirkms.dist;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.AutoComplete;
import picocli.CommandLine;

/**
 * The bash completion script the build generates ({@code target/dirkms_completion}, made by
 * picocli's AutoComplete right after compiling: README, "Shell completion") is there, and it
 * completes every subcommand and every flag of the command line as it is now.
 */
class CompletionScriptTest {

    private static final Path SCRIPT = Path.of("target", "dirkms_completion");

    @Test
    void theBuildGeneratedTheScriptForEveryCommandAndFlag() throws Exception {
        assertTrue(Files.isRegularFile(SCRIPT), SCRIPT.toAbsolutePath() + " is made in the process-classes phase");
        String script = Files.readString(SCRIPT);
        assertTrue(script.contains("complete -F _complete_dirkms"), "registers the completion of 'dirkms'");
        CommandLine root = DirkmsCommand.commandLine(System.out, System.err);
        for (String word : words(root)) {
            assertTrue(script.contains(word), "the script completes " + word);
        }
    }

    @Test
    void theScriptCanBeRegeneratedFromTheCommandClasses() {
        String script = AutoComplete.bash("dirkms", DirkmsCommand.commandLine(System.out, System.err));
        assertTrue(script.contains("roles add"), "nested subcommands");
        assertTrue(script.contains("kms-administrators"), "the role names complete ROLE");
    }

    /** Every subcommand name and every flag of the tree. */
    private static List<String> words(CommandLine command) {
        List<String> words = new ArrayList<>();
        command.getCommandSpec().options().forEach(option -> words.addAll(List.of(option.names())));
        for (var entry : command.getSubcommands().entrySet()) {
            words.add(entry.getKey());
            words.addAll(words(entry.getValue()));
        }
        return words;
    }
}
