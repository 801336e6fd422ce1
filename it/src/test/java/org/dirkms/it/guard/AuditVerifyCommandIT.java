package org.dirkms.it.guard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.dirkms.it.support.DirkmsRun;
import org.dirkms.it.support.LdapTools;
import org.dirkms.it.support.TestDirectory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code dirkms audit verify} when it cannot check, or is asked wrongly: one line saying why, and
 * an exit code apart from "broken" (3: the anchor could not be read; 2: usage). An
 * {@code ldap://} URL is protected by StartTLS before the bind: a CA that did not issue the
 * server's certificate fails the command, where a plain bind would have gone through.
 */
class AuditVerifyCommandIT {

    @RegisterExtension
    static final TestDirectory directory = new TestDirectory();

    private static DirkmsRun verify(String... flags) {
        List<String> arguments = new java.util.ArrayList<>(List.of("audit", "verify", "--data",
                directory.dataDirectory().toString()));
        arguments.addAll(List.of(flags));
        return DirkmsRun.of(arguments);
    }

    private static void assertOneLine(DirkmsRun run, int code, String words) {
        assertEquals(code, run.code(), run.toString());
        assertEquals(1, run.err().lines().filter(line -> line.startsWith("dirkms audit:")).count(), run.toString());
        assertTrue(run.err().contains(words), run.toString());
    }

    @Test
    void anLdapUrlUsesStartTlsBeforeTheBind(@TempDir Path temporary) {
        Path otherCa = temporary.resolve("other-ca.crt");
        LdapTools.run(List.of(LdapTools.requireTool("openssl", "openssl"), "req", "-x509", "-newkey", "ec",
                "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=not the directory's CA", "-days", "1",
                "-keyout", temporary.resolve("other-ca.key").toString(), "-out", otherCa.toString()), Map.of(), null)
                .assertSuccess();
        assertOneLine(verify("--url", directory.ldapUrl(), "--ca-cert", otherCa.toString()), 3,
                "cannot read the anchor cn=head,ou=Audit,ou=KMS,dc=example,dc=com");
        DirkmsRun trusted = verify("--url", directory.ldapUrl(), "--ca-cert", directory.tlsCertificateFile().toString());
        assertEquals(0, trusted.code(), trusted.toString());
    }

    @Test
    void whatCannotBeCheckedSaysWhy(@TempDir Path temporary) {
        assertOneLine(verify("--url", "ldap://127.0.0.1:1", "--ca-cert", directory.tlsCertificateFile().toString()), 3,
                "cannot read the anchor");
        assertOneLine(verify("--url", directory.ldapsUrl(), "--ca-cert", directory.tlsCertificateFile().toString(),
                "--password-file", temporary.resolve("no-such-file").toString()), 3, "no-such-file");
        assertOneLine(DirkmsRun.of("audit", "verify", "--data", temporary.resolve("nothing-here").toString()), 3,
                "there is no data folder");
        assertOneLine(verify("--url", "http://127.0.0.1:1"), 2, "--url must be ldaps://HOST:PORT, or ldap://HOST:PORT");
        assertOneLine(verify("--frobnicate"), 2, "unknown flag '--frobnicate'");
        assertOneLine(DirkmsRun.of("audit", "check"), 2, "unknown action 'check'");
    }
}
