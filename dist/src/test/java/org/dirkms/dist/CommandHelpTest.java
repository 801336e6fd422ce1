package org.dirkms.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * Every command's {@code --help} renders, with at least one example and the exit codes; the
 * version is the project's; a usage error is one line and the hint, exit code 2, no stack trace.
 */
class CommandHelpTest {

    /** Every command of the tree, by its qualified name without the leading "dirkms". */
    private static List<List<String>> commandPaths() {
        List<List<String>> paths = new ArrayList<>();
        collect(DirkmsCommand.commandLine(System.out, System.err), new ArrayList<>(), paths);
        return paths;
    }

    private static void collect(CommandLine command, List<String> path, List<List<String>> paths) {
        paths.add(List.copyOf(path));
        for (var entry : command.getSubcommands().entrySet()) {
            List<String> next = new ArrayList<>(path);
            next.add(entry.getKey());
            collect(entry.getValue(), next, paths);
        }
    }

    private record Run(int code, String out, String err) {
    }

    private static Run run(List<String> arguments) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = DirkmsCommand.run(arguments, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void everyCommandHasHelpWithAnExampleAndTheExitCodes() {
        List<List<String>> paths = commandPaths();
        assertTrue(paths.size() >= 20, "dirkms, serve, ca and its 4 actions, audit verify, agent, enroll, archive"
                + " check, roles and its 3 actions, recovery and its 3 actions, help: " + paths);
        for (List<String> path : paths) {
            List<String> arguments = new ArrayList<>(path);
            if (!path.equals(List.of("help"))) {
                arguments.add("--help");
            }
            Run help = run(arguments);
            String name = String.join(" ", path);
            assertEquals(0, help.code(), name + ": " + help);
            assertEquals("", help.err(), name);
            String text = help.out();
            assertTrue(text.startsWith("Usage: dirkms"), name + ":\n" + text);
            int examples = text.indexOf("\nExamples:\n");
            assertTrue(examples > 0, name + " has examples:\n" + text);
            assertTrue(text.substring(examples).lines().anyMatch(line -> line.startsWith("  dirkms ")),
                    name + " has an example command line:\n" + text);
            assertTrue(text.contains("\nExit codes:\n  0   "), name + " lists its exit codes:\n" + text);
            assertTrue(text.contains("-h, --help"), name);
        }
    }

    @Test
    void theFlagsOfEveryCommandAreAsBefore() {
        assertFlags(List.of("serve"), "--data", "--ldap-port", "--ldaps-port", "--suffix", "--bind", "--no-anonymous",
                "--allow-plain-binds", "--accept-broken-audit-log", "--public-url", "--http-port", "--http-bind",
                "--public-http-url", "--no-http", "--lease-seconds", "--sweep-seconds");
        assertFlags(List.of("ca", "init"), "--subordinate", "--key-algorithm", "--name", "--validity-days",
                "--priority", "--public-url", "--csr-out", "--data", "--url", "--suffix", "--passphrase-file");
        assertFlags(List.of("ca", "install"), "--cert", "--chain", "--name", "--data", "--url", "--suffix",
                "--passphrase-file");
        assertFlags(List.of("ca", "revoke"), "--serial", "--reason", "--name", "--data", "--url", "--suffix",
                "--passphrase-file");
        assertFlags(List.of("ca", "crl"), "--name", "--out", "--data", "--url", "--suffix", "--passphrase-file");
        assertFlags(List.of("ca", "serve"), "--name", "--period-ms", "--lease-seconds", "--data", "--url", "--suffix",
                "--passphrase-file");
        assertFlags(List.of("audit", "verify"), "--data", "--url", "--bind-dn", "--password-file", "--ca-cert",
                "--suffix", "--json", "--log");
        List<String> agent = List.of("--data", "--url", "--bind-dn", "--password-file", "--ca-cert", "--suffix",
                "--ca-name", "--passphrase-file", "--workers", "--lease-seconds", "--sweep-seconds");
        assertFlags(List.of("agent"), concat(agent, "--recovery-cert", "--accept-missing-audit-log", "--home-url"));
        assertFlags(List.of("enroll"), concat(agent, "--group", "--filter", "--file", "--report", "--force",
                "--include-revoked"));
        List<String> connection = List.of("--data", "--url", "--bind-dn", "--password-file", "--ca-cert", "--suffix");
        assertFlags(List.of("archive", "check"), concat(connection, "--recovery-key", "--recovery-passphrase-file",
                "--json", "--wait-minutes"));
        assertFlags(List.of("archive", "rekey"), concat(connection, "--ca-name", "--passphrase-file", "--key-algorithm",
                "--wait-minutes"));
        assertFlags(List.of("archive", "rewrap"), concat(connection, "--batch-size", "--workers", "--wait-minutes"));
        assertFlags(List.of("archive", "retire"), concat(connection, "--key", "--wait-minutes"));
        assertFlags(List.of("archive", "custody"), concat(connection, "--agents", "--threshold", "--wait-minutes"));
        assertFlags(List.of("roles", "list"), concat(connection, "--json"));
        for (String action : List.of("add", "remove")) {
            assertFlags(List.of("roles", action), connection.toArray(String[]::new));
        }
        assertFlags(List.of("recovery", "list"), concat(connection, "--all", "--json"));
        assertFlags(List.of("queue"), concat(connection, "--all", "--json", "--set-lifetime-hours"));
        assertFlags(List.of("ca", "templates"), "--name", "--data", "--url", "--suffix", "--passphrase-file");
        assertFlags(List.of("ca", "capacity"), "--name", "--data", "--url", "--suffix", "--passphrase-file");
        assertFlags(List.of("recovery", "fetch"), concat(connection, "--out", "--token-out"));
        assertFlags(List.of("smime", "sign"), "--key-package", "--token-file", "--in", "--out");
        assertFlags(List.of("smime", "decrypt"), "--key-package", "--token-file", "--in", "--out");
        List<String> encrypt = new ArrayList<>(List.of("--key-package", "--token-file", "--in", "--out"));
        encrypt.addAll(connection);
        assertFlags(List.of("smime", "encrypt"), concat(encrypt, "--anonymous", "--to", "--sign",
                "--content-encryption"));
        List<String> verify = new ArrayList<>(List.of("--in", "--out"));
        verify.addAll(connection);
        assertFlags(List.of("smime", "verify"), concat(verify, "--anonymous", "--trust"));
        assertFlags(List.of("recovery", "required-approvals"), concat(connection, "--server"));
        assertFlags(List.of("export"), concat(connection, "--to", "--filter", "--group", "--out", "--days",
                "--wait-minutes"));
        assertFlags(List.of("import"), concat(connection, "--trust", "--dry-run"));
        assertFlags(List.of("transfer", "certificate"), concat(connection, "--out"));
        assertFlags(List.of("openldap", "config"), "--suffix", "--agent-dn", "--out", "--directory-admin-dn",
                "--database-number", "--database-directory", "--agent-password-file", "--directory-admin-password-file",
                "--replicator-password-file", "--server-id", "--peer", "--peer-ca-cert");
    }

    private static String[] concat(List<String> first, String... more) {
        List<String> all = new ArrayList<>(first);
        all.addAll(List.of(more));
        return all.toArray(String[]::new);
    }

    private static void assertFlags(List<String> path, String... flags) {
        CommandLine command = DirkmsCommand.commandLine(System.out, System.err);
        for (String name : path) {
            command = command.getSubcommands().get(name);
        }
        List<String> declared = new ArrayList<>();
        command.getCommandSpec().options().forEach(option -> declared.add(option.longestName()));
        declared.remove("--help");
        declared.remove("--verbose"); // every command's (ExitCodeTableTest)
        assertEquals(List.of(flags).stream().sorted().toList(), declared.stream().sorted().toList(),
                String.join(" ", path));
    }

    @Test
    void versionIsTheProjectVersion() {
        Run version = run(List.of("--version"));
        assertEquals(0, version.code());
        assertTrue(version.out().matches("dirkms \\d+\\.\\d+\\.\\d+\\S*\\R"), version.out());
    }

    @Test
    void aUsageErrorIsOneLineAndTheHintNeverAStackTrace() {
        assertUsageError(List.of("serve", "--ldap-port", "seventy"), "dirkms serve: --ldap-port 'seventy' is not a"
                + " port number", "'dirkms serve --help' lists the flags.");
        assertUsageError(List.of("serve", "--suffix"), "dirkms serve: --suffix needs a value",
                "'dirkms serve --help' lists the flags.");
        assertUsageError(List.of("serve", "--public-url", "ldap:///"), "dirkms serve: --public-url: the LDAP URL"
                + " 'ldap:///' names no host: give ldap://host:port, the address clients reach the directory at",
                "'dirkms serve --help' lists the flags.");
        assertUsageError(List.of("serve", "--public-http-url", "https://pki.example.com"), "dirkms serve:"
                + " --public-http-url: 'https://pki.example.com' is not an http:// URL (give http://host:port)",
                "'dirkms serve --help' lists the flags.");
        assertUsageError(List.of("serve", "--public-http-url", "http://pki.example.com/ocsp"), "dirkms serve:"
                + " --public-http-url: give the HTTP base as http://host:port, without '/ocsp'",
                "'dirkms serve --help' lists the flags.");
        assertUsageError(List.of("serve", "--http-port", "80000"), "dirkms serve: --http-port 80000 is out of range"
                + " 0..65535", "'dirkms serve --help' lists the flags.");
        assertUsageError(List.of("serve", "--http-bind", "pki.example.com"), "dirkms serve: --http-bind"
                + " 'pki.example.com' is not an IP address", "'dirkms serve --help' lists the flags.");
        assertUsageError(List.of("serve", "--no-http", "--http-port", "8080"), "dirkms serve: --no-http serves no"
                + " HTTP: leave out --http-port, --http-bind and --public-http-url",
                "'dirkms serve --help' lists the flags.");
        assertUsageError(List.of("frobnicate"), "dirkms: unknown subcommand 'frobnicate'",
                "'dirkms --help' lists the subcommands.");
        assertUsageError(List.of("audit", "check"), "dirkms audit: unknown action 'check'; the action is 'verify'",
                "'dirkms audit --help' lists the flags.");
        assertUsageError(List.of("ca", "init", "--workers", "2"), "dirkms ca init: unknown flag '--workers'",
                "'dirkms ca init --help' lists the flags.");
        assertUsageError(List.of("roles", "add"), "dirkms roles: 'roles add' needs a ROLE and a DN",
                "'dirkms roles add --help' lists the flags.");
        assertUsageError(List.of("enroll", "--group", "g", "--filter", "(uid=x)"),
                "dirkms enroll: give exactly one of --group, --filter, --file", "'dirkms enroll --help' lists the flags.");
        assertUsageError(List.of("agent", "--workers", "many"), "dirkms agent: --workers 'many' is not a number",
                "'dirkms agent --help' lists the flags.");
        assertUsageError(List.of("ca"), "dirkms ca: the action is missing; the actions are init, install, list, sign,"
                + " revoke, crl, templates, capacity, serve", "'dirkms ca --help' lists the flags.");
        assertUsageError(List.of("ca", "sign", "--template", "subordinate-ca"), "dirkms ca sign: --csr is required",
                "'dirkms ca sign --help' lists the flags.");
        assertUsageError(List.of("archive"), "dirkms archive: the action is missing; the actions are check, rekey,"
                + " rewrap, retire, custody", "'dirkms archive --help' lists the flags.");
        assertUsageError(List.of("archive", "retire"), "dirkms archive: --key is required",
                "'dirkms archive retire --help' lists the flags.");
        assertUsageError(List.of("archive", "rewrap", "--batch-size", "0"), "dirkms archive: --batch-size must be"
                + " between 1 and 10000", "'dirkms archive rewrap --help' lists the flags.");
        assertUsageError(List.of("archive", "rekey", "--key-algorithm", "DSA"), "dirkms archive: --key-algorithm 'DSA'"
                + " is not one of: RSA-2048, RSA-3072, EC-P256, EC-P384", "'dirkms archive rekey --help' lists the flags.");
        assertUsageError(List.of("recovery"), "dirkms recovery: the action is missing; the actions are list, fetch,"
                + " required-approvals, approve", "'dirkms recovery --help' lists the flags.");
        assertUsageError(List.of("recovery", "fetch", "recover-jdoe"), "dirkms recovery: --out is required",
                "'dirkms recovery fetch --help' lists the flags.");
        assertUsageError(List.of("recovery", "fetch", "recover-jdoe", "--out", "jdoe.p12"), "dirkms recovery: give"
                + " --bind-dn: the package is fetched by its requester, bound as themselves",
                "'dirkms recovery fetch --help' lists the flags.");
        assertUsageError(List.of("archive", "custody", "--agents", "uid=bob,dc=example,dc=com", "uid=carol,dc=example,dc=com",
                "--threshold", "1"), "dirkms archive: --threshold 1 would let any one recovery agent open the archive"
                + " alone; custody takes at least 2", "'dirkms archive custody --help' lists the flags.");
        assertUsageError(List.of("archive", "custody", "--agents", "uid=bob,dc=example,dc=com", "uid=carol,dc=example,dc=com",
                "--threshold", "3"), "dirkms archive: --threshold 3 is more than the 2 agents named: the keys could"
                + " never be rebuilt", "'dirkms archive custody --help' lists the flags.");
        assertUsageError(List.of("archive", "custody", "--agents", "uid=bob,dc=example,dc=com", "UID=Bob,DC=example,DC=com",
                "--threshold", "2"), "dirkms archive: --agents names UID=Bob,DC=example,DC=com twice: each agent holds"
                + " one share", "'dirkms archive custody --help' lists the flags.");
        assertUsageError(List.of("recovery", "approve", "recover-jdoe"), "dirkms recovery: give --bind-dn: a recovery"
                + " agent approves bound as themselves", "'dirkms recovery approve --help' lists the flags.");
        assertUsageError(List.of("recovery", "required-approvals", "0"), "dirkms recovery: COUNT must be between 1"
                + " and 100", "'dirkms recovery required-approvals --help' lists the flags.");
    }

    private static void assertUsageError(List<String> arguments, String line, String hint) {
        Run run = run(arguments);
        assertEquals(ExitCode.USAGE.code(), run.code(), run.toString());
        assertEquals(line + "\n" + hint + "\n", run.err().replace("\r\n", "\n"), String.join(" ", arguments));
        assertEquals("", run.out());
        assertFalse(run.err().contains("\tat "), "no stack trace");
    }

    @Test
    void withoutASubcommandTheOverviewGoesToStandardErrorWithExitCode2() {
        Run bare = run(List.of());
        assertEquals(2, bare.code());
        assertTrue(bare.err().contains("serve"), bare.err());
    }
}
