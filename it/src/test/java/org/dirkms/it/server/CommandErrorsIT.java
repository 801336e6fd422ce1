package org.dirkms.it.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.dirkms.it.support.LdapTools;
import org.dirkms.it.support.ProjectFiles;
import org.dirkms.it.support.ServeProcess;
import org.dirkms.schema.DataFolder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Failures as an administrator meets them, through the {@code ./dirkms} script and the
 * distribution's own logging: a server certificate the {@code --ca-cert} file does not trust (it
 * printed 49 lines, mostly MINA's stack trace), a directory that cannot be reached, and
 * {@code dirkms serve} on an LDAP or LDAPS port in use (20 lines ending in ApacheDS's ERR_171).
 * Each is at most two lines on standard error saying what to do, exit code 1; with
 * {@code --verbose} the stack trace follows.
 */
class CommandErrorsIT {

    private static final Pattern LDAP_URL = Pattern.compile("LDAP \\(StartTLS\\): (ldap://\\S+)");
    private static final Pattern LDAPS_URL = Pattern.compile("LDAPS: +(ldaps://\\S+)");
    /** A stack frame, as Throwable.printStackTrace writes it. */
    private static final Pattern STACK_FRAME = Pattern.compile("(?m)^\\s+at [\\w.$]+\\(");

    @TempDir
    static Path temporary;

    private static ServeProcess serve;
    private static Path data;
    private static String ldapUrl;
    private static String ldapsUrl;
    private static Path otherCa;

    @BeforeAll
    static void startServerAndMakeAnotherCa() throws Exception {
        data = temporary.resolve("data");
        serve = ServeProcess.start(temporary, "--data", data.toString(), "--ldap-port", "0", "--ldaps-port", "0",
                "--no-http");
        String banner = serve.awaitBanner();
        ldapUrl = find(LDAP_URL, banner);
        ldapsUrl = find(LDAPS_URL, banner);
        // A CA of someone else's, as an administrator might pick up by mistake.
        otherCa = temporary.resolve("other-ca.pem");
        LdapTools.run(List.of("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                "-nodes", "-keyout", temporary.resolve("other-ca.key").toString(), "-out", otherCa.toString(),
                "-subj", "/CN=Another CA", "-days", "2"), Map.of(), null).assertSuccess();
    }

    @AfterAll
    static void stopServer() throws Exception {
        if (serve != null) {
            serve.terminate();
            serve.close();
        }
    }

    @Test
    void aServerCertificateTheCaFileDoesNotTrustIsOneLineNamingTheFile() {
        for (String url : List.of(ldapsUrl, ldapUrl)) {
            LdapTools.Result run = dirkms("roles", "list", "--data", data.toString(), "--url", url, "--ca-cert",
                    otherCa.toString());
            assertOneOrTwoLines(run);
            assertEquals("dirkms roles: cannot reach the directory at " + url + ": the server's certificate is not"
                    + " trusted by CA file " + otherCa + ": unable to find valid certification path to requested"
                    + " target; give --ca-cert with the CA that issued it (data/tls/ca.crt of the server's data"
                    + " folder)", run.stderr().strip(), run.describe("the one line"));
        }
        // The right CA file works: the failure was the trust, nothing else.
        LdapTools.Result trusted = dirkms("roles", "list", "--data", data.toString(), "--url", ldapsUrl, "--ca-cert",
                DataFolder.of(data).caCertificate().toString());
        assertEquals(0, trusted.exitCode(), trusted.describe("roles list with the server's CA"));

        LdapTools.Result verbose = dirkms("--verbose", "roles", "list", "--data", data.toString(), "--url", ldapsUrl,
                "--ca-cert", otherCa.toString());
        assertEquals(1, verbose.exitCode(), verbose.describe("exit 1"));
        assertTrue(verbose.stderr().startsWith("dirkms roles: cannot reach the directory at " + ldapsUrl
                + ": the server's certificate is not trusted"), verbose.describe("the line first"));
        assertTrue(STACK_FRAME.matcher(verbose.stderr()).find()
                && verbose.stderr().contains("LdapTlsHandshakeException"), verbose.describe("the stack trace"));
    }

    @Test
    void anUnreachableDirectoryIsOneLineSayingWhatToCheck() throws IOException {
        int closed;
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closed = probe.getLocalPort();
        }
        String url = "ldap://127.0.0.1:" + closed;
        LdapTools.Result refused = dirkms("roles", "list", "--data", data.toString(), "--url", url);
        assertOneOrTwoLines(refused);
        assertEquals("dirkms roles: cannot reach the directory at " + url + ": connection refused; is 'dirkms serve'"
                + " running there? check --url", refused.stderr().strip(), refused.describe("the one line"));

        LdapTools.Result unknown = dirkms("enroll", "--group", "cn=nobody", "--data", data.toString(), "--url",
                "ldaps://no-such-host.invalid:10636");
        assertOneOrTwoLines(unknown);
        assertEquals("dirkms enroll: cannot reach the directory at ldaps://no-such-host.invalid:10636: unknown host"
                + " 'no-such-host.invalid'; check --url", unknown.stderr().strip(), unknown.describe("the one line"));

        LdapTools.Result verbose = dirkms("roles", "list", "--verbose", "--data", data.toString(), "--url", url);
        assertEquals(1, verbose.exitCode(), verbose.describe("exit 1"));
        assertTrue(STACK_FRAME.matcher(verbose.stderr()).find(), verbose.describe("the stack trace"));
    }

    @Test
    void serveOnAPortInUseIsOneLineNamingThePortAndTheFlag() throws Exception {
        for (String listener : List.of("ldap", "ldaps")) {
            Path folder = temporary.resolve("in-use-" + listener);
            try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
                String port = Integer.toString(taken.getLocalPort());
                List<String> flags = new ArrayList<>(List.of("--data", folder.toString(), "--no-http",
                        "--ldap-port", "0", "--ldaps-port", "0"));
                flags.set(flags.indexOf("--" + listener + "-port") + 1, port);
                try (ServeProcess refused = ServeProcess.start(temporary, flags.toArray(String[]::new))) {
                    assertEquals(1, refused.awaitExit(), refused.stderr());
                    String stderr = refused.stderr();
                    assertTrue(stderr.strip().lines().count() <= 2 && !STACK_FRAME.matcher(stderr).find()
                            && !stderr.contains("ERR_171"), stderr);
                    assertEquals("dirkms serve: the " + listener.toUpperCase(java.util.Locale.ROOT) + " port 127.0.0.1:"
                            + port + " is in use by another program; choose another --" + listener + "-port (0 = any"
                            + " free port), or stop the program listening there", stderr.strip());
                    assertFalse(Files.exists(DataFolder.of(folder).adminPassword()),
                            "nothing was set up on a refused start");
                }
                flags.add(0, "--verbose");
                try (ServeProcess verbose = ServeProcess.start(temporary, flags.toArray(String[]::new))) {
                    assertEquals(1, verbose.awaitExit(), verbose.stderr());
                    assertTrue(STACK_FRAME.matcher(verbose.stderr()).find()
                            && verbose.stderr().contains("PortInUseException"), verbose.stderr());
                }
            }
        }
    }

    /** Runs {@code ./dirkms arguments...} as a process, the distribution's logging configuration and all. */
    private static LdapTools.Result dirkms(String... arguments) {
        List<String> command = new ArrayList<>(List.of(ProjectFiles.file("dirkms").toString()));
        command.addAll(List.of(arguments));
        return LdapTools.run(command, Map.of(), null);
    }

    private static void assertOneOrTwoLines(LdapTools.Result run) {
        assertEquals(1, run.exitCode(), run.describe("exit code 1"));
        assertEquals("", run.stdout(), run.describe("nothing on standard output"));
        long lines = run.stderr().strip().lines().count();
        assertTrue(lines >= 1 && lines <= 2, run.describe("one or two lines on standard error, not " + lines));
        assertFalse(STACK_FRAME.matcher(run.stderr()).find(), run.describe("no stack trace without --verbose"));
    }

    private static String find(Pattern pattern, String text) {
        Matcher matcher = pattern.matcher(text);
        assertTrue(matcher.find(), pattern + " in\n" + text);
        return matcher.group(1);
    }
}
