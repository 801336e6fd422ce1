package org.dirkms.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.dirkms.ds.openldap.OpenLdapConfiguration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code dirkms openldap config}: writes the files and says where; every setting it cannot use
 * is one line naming the flag, exit code 2, and nothing written; the passwords it is given never
 * reach its output.
 */
class OpenLdapCommandTest {

    private static final String SUFFIX = "dc=example,dc=com";
    private static final String AGENT = "uid=kms-agent,ou=KMS," + SUFFIX;

    @TempDir
    Path work;

    private record Run(int code, String out, String err) {
    }

    private static Run run(String... arguments) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = DirkmsCommand.run(List.of(arguments), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void writesTheConfigurationAndNamesEveryFile() throws Exception {
        Path password = work.resolve("agent.password");
        Files.writeString(password, "agent-pass-77\n");
        Path out = work.resolve("slapd-kms");
        Run run = run("openldap", "config", "--suffix", SUFFIX, "--agent-dn", AGENT, "--agent-password-file",
                password.toString(), "--out", out.toString());
        assertEquals(0, run.code(), run.toString());
        assertEquals("", run.err());
        for (String file : List.of(OpenLdapConfiguration.SCHEMA_FILE, OpenLdapConfiguration.DATABASE_FILE,
                OpenLdapConfiguration.BOOTSTRAP_FILE, OpenLdapConfiguration.README_FILE)) {
            assertTrue(run.out().contains("wrote " + out.resolve(file)), run.out());
        }
        assertTrue(run.out().contains("olcDatabase={2}mdb,cn=config"), run.out());
        assertFalse(run.out().contains("agent-pass-77"), run.out());
        assertFalse(Files.readString(out.resolve(OpenLdapConfiguration.BOOTSTRAP_FILE)).contains("agent-pass-77"));

        Run again = run("openldap", "config", "--suffix", SUFFIX, "--agent-dn", AGENT, "--out", out.toString());
        assertEquals(2, again.code(), again.toString());
        assertTrue(again.err().contains("exists"), again.err());
    }

    @Test
    void settingsItCannotUseAreOneLineEachAndWriteNothing() throws Exception {
        Path out = work.resolve("never");
        List<List<String>> cases = List.of(
                List.of("--suffix", SUFFIX, "--agent-dn", "uid=kms-agent,dc=other"),
                List.of("--suffix", "not-a-dn", "--agent-dn", AGENT),
                List.of("--suffix", SUFFIX, "--agent-dn", AGENT, "--peer", "ldap://peer:389"),
                List.of("--suffix", SUFFIX, "--agent-dn", AGENT, "--server-id", "1", "--peer", "ldap://peer:389"),
                List.of("--suffix", SUFFIX, "--agent-dn", AGENT, "--agent-password-file", work.resolve("missing")
                        .toString()),
                List.of("--suffix", SUFFIX, "--agent-dn", AGENT, "--database-number", "0"));
        List<String> expected = List.of("is not below the suffix", "is not a DN", "--peer needs --server-id",
                "--peer-ca-cert", "does not exist", "database number");
        for (int i = 0; i < cases.size(); i++) {
            List<String> arguments = new ArrayList<>(List.of("openldap", "config"));
            arguments.addAll(cases.get(i));
            arguments.addAll(List.of("--out", out.toString()));
            Run run = run(arguments.toArray(String[]::new));
            assertEquals(2, run.code(), cases.get(i) + ": " + run);
            assertTrue(run.err().startsWith("dirkms openldap: ") && run.err().contains(expected.get(i)),
                    cases.get(i) + ": " + run.err());
            assertEquals(2, run.err().lines().count(), "one line and the hint: " + run.err());
            assertFalse(Files.exists(out), "nothing written for " + cases.get(i));
        }
    }
}
