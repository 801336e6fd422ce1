package org.dirkms.it.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.dirkms.dist.DirkmsCommand;
import org.dirkms.it.support.LdapTools;
import org.dirkms.it.support.ProjectFiles;
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
    private static final Pattern CERTIFICATE = Pattern.compile("TLS certificate: +(\\S+)");

    @Test
    void serveStartsPrintsWhereItIsAndStopsOnSigterm(@TempDir Path temporary) throws Exception {
        Path script = ProjectFiles.file("dirkms");
        assertTrue(Files.isExecutable(script), script + " must be executable");
        Path data = temporary.resolve("data");
        ProcessBuilder builder = new ProcessBuilder(script.toString(), "serve", "--data", data.toString(),
                "--ldap-port", "0", "--ldaps-port", "0");
        builder.redirectError(temporary.resolve("serve.err").toFile());
        Process process = builder.start();
        BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader out = new BufferedReader(
                    new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line = out.readLine(); line != null; line = out.readLine()) {
                    lines.add(line);
                }
            } catch (IOException e) {
                lines.add("(output closed: " + e.getMessage() + ")");
            }
        }, "serve-output");
        reader.start();
        try {
            StringBuilder banner = new StringBuilder();
            String line;
            do {
                line = lines.poll(120, TimeUnit.SECONDS);
                assertNotNull(line, "no 'Stop with Ctrl-C.' within 120 s; printed so far:\n" + banner
                        + "\nstderr:\n" + Files.readString(temporary.resolve("serve.err")));
                banner.append(line).append('\n');
            } while (!line.equals("Stop with Ctrl-C."));
            String text = banner.toString();
            String ldapUrl = find(LDAP_URL, text);
            String ldapsUrl = find(LDAPS_URL, text);
            assertEquals(data.resolve("admin.password").toString(), find(PASSWORD_FILE, text));
            assertEquals(data.resolve("tls/server.crt").toString(), find(CERTIFICATE, text));
            assertTrue(text.contains("admin DN:        uid=admin,ou=system"), text);
            String password = Files.readString(data.resolve("admin.password"));
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

            // SIGTERM through kill(1): Process.destroy() would also close the output we still read.
            // The script exec'd java, so the signal reaches the JVM itself.
            LdapTools.run(List.of("kill", "-TERM", Long.toString(process.pid())), Map.of(), null).assertSuccess();
            assertTrue(process.waitFor(60, TimeUnit.SECONDS), "serve did not stop within 60 s of SIGTERM");
            reader.join(10_000);
            StringBuilder rest = new StringBuilder();
            lines.forEach(remaining -> rest.append(remaining).append('\n'));
            assertTrue(rest.toString().contains("dirkms directory stopped"), "after SIGTERM:\n" + rest);
            assertEquals(143, process.exitValue(), "exit status of a JVM ended by SIGTERM");
        } finally {
            if (process.isAlive()) {
                process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            }
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
        assertEquals(2, DirkmsCommand.run(List.of("serve", "--verbose"), stdout, stderr));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("unknown flag '--verbose'"));
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
