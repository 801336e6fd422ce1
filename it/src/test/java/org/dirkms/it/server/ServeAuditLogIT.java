package org.dirkms.it.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.dirkms.it.support.DirkmsRun;
import org.dirkms.it.support.LdapTools;
import org.dirkms.it.support.ServeProcess;
import org.dirkms.schema.DataFolder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The audit log as an operator meets it with {@code ./dirkms serve} (the shipped jar and its
 * logging configuration): in a data folder made beforehand with mode 0755, which serve takes to
 * 0700; {@code dirkms audit verify} without {@code --url} reads the anchor from the server
 * running in another process (its endpoint file, LDAPS, the administrator's password file,
 * {@code tls/ca.crt}) and from the stopped folder; a deleted log stops the next serve with one
 * line saying what is wrong and what to do; {@code --accept-broken-audit-log} starts it with a
 * new chain, loudly.
 */
class ServeAuditLogIT {

    private static final Pattern LDAP_URL = Pattern.compile("LDAP \\(StartTLS\\): (ldap://\\S+)");
    private static final String[] FREE_PORTS = {"--ldap-port", "0", "--ldaps-port", "0", "--http-port", "0"};

    private static String[] serveArguments(Path data, String... more) {
        String[] arguments = new String[2 + FREE_PORTS.length + more.length];
        arguments[0] = "--data";
        arguments[1] = data.toString();
        System.arraycopy(FREE_PORTS, 0, arguments, 2, FREE_PORTS.length);
        System.arraycopy(more, 0, arguments, 2 + FREE_PORTS.length, more.length);
        return arguments;
    }

    @Test
    void aDeletedLogStopsServeUntilTheOperatorAcceptsIt(@TempDir Path temporary) throws Exception {
        Path data = Files.createDirectory(temporary.resolve("data"),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
        String duplicate = "SHIPPED-LOGGING-CHECK-6f0d";
        try (ServeProcess serve = ServeProcess.start(temporary, serveArguments(data))) {
            String banner = serve.awaitBanner();
            assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(data)));

            DirkmsRun running = DirkmsRun.of("audit", "verify", "--data", data.toString());
            assertEquals(0, running.code(), running.toString());
            assertTrue(running.out().contains("(read from the server running on " + data + " at ldaps://"),
                    running.toString());
            // Every command finds the server running on the folder, whatever ports it was given, without --url.
            DirkmsRun roles = DirkmsRun.of("roles", "list", "--data", data.toString());
            assertEquals(0, roles.code(), roles.toString());
            assertTrue(roles.out().contains("kms-administrators"), roles.toString());

            // A value added twice: ApacheDS's ERR_54 line would show it; the shipped configuration silences it.
            Matcher url = LDAP_URL.matcher(banner);
            assertTrue(url.find(), banner);
            LdapTools admin = LdapTools.against(url.group(1), DataFolder.of(data).caCertificate())
                    .asWithPasswordFile("uid=admin,ou=system", DataFolder.of(data).adminPassword()).withArguments("-ZZ");
            String add = "dn: ou=People,dc=example,dc=com\nchangetype: modify\nadd: description\ndescription: "
                    + duplicate + "\n-\n";
            admin.modify(add).assertSuccess();
            admin.modify(add).assertExitCode(20);
            assertEquals(143, serve.terminate());
            assertFalse(serve.stderr().contains("ERR_54") || serve.stderr().contains("0x53 0x48 0x49 0x50"),
                    serve.stderr());
        }
        assertEquals(0, DirkmsRun.of("audit", "verify", "--data", data.toString()).code(), "stopped and sound");

        Files.delete(DataFolder.of(data).auditLog());
        DirkmsRun deleted = DirkmsRun.of("audit", "verify", "--data", data.toString());
        assertEquals(1, deleted.code(), deleted.toString());
        assertTrue(deleted.err().contains("audit.log is missing"), deleted.toString());

        try (ServeProcess refused = ServeProcess.start(temporary, serveArguments(data))) {
            assertEquals(1, refused.awaitExit(), refused.stderr());
            String last = refused.stderr().strip().lines().reduce((first, second) -> second).orElse("");
            assertTrue(last.startsWith("dirkms serve: the audit log " + DataFolder.of(data).auditLog()
                    + " is broken at record 1: the log file") && last.contains("is missing but the directory anchors")
                    && last.contains("start once with --accept-broken-audit-log"), refused.stderr());
        }

        try (ServeProcess accepted = ServeProcess.start(temporary, serveArguments(data, "--accept-broken-audit-log"))) {
            accepted.awaitBanner();
            assertTrue(accepted.stderr().contains("WARN org.dirkms.ds.guard.KmsInterceptor - AUDIT LOG BROKEN, accepted"
                    + " by --accept-broken-audit-log"), accepted.stderr());
            DirkmsRun verified = DirkmsRun.of("audit", "verify", "--data", data.toString());
            assertEquals(0, verified.code(), verified.toString());
            assertTrue(verified.out().contains("record 1 began this chain after a broken one"), verified.toString());
            assertEquals(143, accepted.terminate());
        }
        assertEquals(0, DirkmsRun.of("audit", "verify", "--data", data.toString()).code(), "stopped, new chain");
    }
}
