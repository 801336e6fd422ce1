package org.dirkms.it.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.dirkms.dist.DirkmsCommand;
import org.dirkms.it.support.LdapTools;
import org.dirkms.it.support.ServeProcess;
import org.dirkms.schema.DataFolder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ./dirkms serve} as an administrator runs it: the script starts the server, which prints
 * its URLs, admin DN, password file and certificate; ldapsearch works with exactly what was
 * printed; SIGTERM stops it cleanly. Also the command line's help and usage errors, in-process.
 */
class ServeCommandIT {

    private static final Pattern LDAP_URL = Pattern.compile("LDAP \\(StartTLS\\): (ldap://\\S+)");
    private static final Pattern LDAPS_URL = Pattern.compile("LDAPS: +(ldaps://\\S+)");
    private static final Pattern PASSWORD_FILE = Pattern.compile("admin password: +(\\S+)");
    private static final Pattern CERTIFICATE = Pattern.compile("CA certificate: +(\\S+)");

    @Test
    void serveStartsPrintsWhereItIsAndStopsOnSigterm(@TempDir Path temporary) throws Exception {
        Path data = temporary.resolve("data");
        try (ServeProcess serve = ServeProcess.start(temporary, "--data", data.toString(), "--ldap-port", "0",
                "--ldaps-port", "0", "--http-port", "0")) {
            String text = serve.awaitBanner();
            String ldapUrl = find(LDAP_URL, text);
            String ldapsUrl = find(LDAPS_URL, text);
            assertEquals(DataFolder.of(data).adminPassword().toString(), find(PASSWORD_FILE, text));
            assertEquals(DataFolder.of(data).caCertificate().toString(), find(CERTIFICATE, text));
            assertTrue(text.contains("admin DN:        uid=admin,ou=system"), text);
            String password = Files.readString(DataFolder.of(data).adminPassword());
            assertTrue(!text.contains(password), "the banner must not show the password");

            Map<String, String> env = new HashMap<>();
            env.put("LDAPTLS_CACERT", find(CERTIFICATE, text));
            env.put("LDAPCONF", "/dev/null");
            String ldapsearch = LdapTools.executable("ldapsearch");
            for (List<String> connect : List.of(List.of("-H", ldapUrl, "-ZZ"), List.of("-H", ldapsUrl))) {
                List<String> command = new ArrayList<>(List.of(ldapsearch));
                command.addAll(connect);
                command.addAll(List.of("-x", "-D", "uid=admin,ou=system", "-y", find(PASSWORD_FILE, text), "-LLL",
                        "-b", "dc=example,dc=com", "-s", "base", "1.1"));
                LdapTools.Result result = LdapTools.run(command, env, null).assertSuccess();
                assertTrue(result.stdout().contains("dn: dc=example,dc=com"), result.stdout());
            }

            assertEquals(143, serve.terminate(), "exit status of a JVM ended by SIGTERM");
            assertTrue(serve.remainingOutput().contains("dirkms directory stopped"),
                    "after SIGTERM:\n" + serve.remainingOutput());
        }
    }

    @Test
    void helpAndUsageErrors() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream stdout = new PrintStream(out, true, StandardCharsets.UTF_8);
        PrintStream stderr = new PrintStream(err, true, StandardCharsets.UTF_8);

        assertEquals(0, DirkmsCommand.run(List.of("--help"), stdout, stderr));
        assertTrue(out.toString(StandardCharsets.UTF_8).contains("serve "), out.toString(StandardCharsets.UTF_8));
        out.reset();
        assertEquals(0, DirkmsCommand.run(List.of("serve", "--help"), stdout, stderr));
        assertTrue(out.toString(StandardCharsets.UTF_8).contains("--no-anonymous"));
        assertTrue(out.toString(StandardCharsets.UTF_8).contains("--accept-broken-audit-log"));

        assertEquals(2, DirkmsCommand.run(List.of("serve", "--ldap-port", "seventy"), stdout, stderr));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("--ldap-port 'seventy' is not a port number"),
                err.toString(StandardCharsets.UTF_8));
        err.reset();
        assertEquals(2, DirkmsCommand.run(List.of("serve", "--suffix"), stdout, stderr));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("--suffix needs a value"));
        err.reset();
        assertEquals(2, DirkmsCommand.run(List.of("serve", "--bind", "example.org"), stdout, stderr));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("must be an IP address literal"));
        err.reset();
        // (--verbose is every command's flag: CommandErrorsIT.)
        assertEquals(2, DirkmsCommand.run(List.of("serve", "--loud"), stdout, stderr));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("unknown flag '--loud'"));
        err.reset();
        assertEquals(2, DirkmsCommand.run(List.of("frobnicate"), stdout, stderr));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("unknown subcommand 'frobnicate'"));
    }

    private static String find(Pattern pattern, String text) {
        Matcher matcher = pattern.matcher(text);
        assertTrue(matcher.find(), pattern + " not in:\n" + text);
        return matcher.group(1);
    }
}
