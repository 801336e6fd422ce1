package org.dirkms.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code dirkms enroll} never replaces a report silently: the report of an earlier run may hold
 * one-time tokens not yet handed out. A report that exists is a usage error naming the file and
 * the way out, found before the command connects to anything, so nobody is enrolled.
 */
class EnrollCommandReportTest {

    @TempDir
    Path work;

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
    void aReportThatExistsIsAUsageErrorAndIsKept() throws Exception {
        Path report = Files.writeString(work.resolve("sales.tsv"), "uid=a\ta@example.com\tenrolled\tTOKEN\t\n");
        // No server at this address: the check comes before any connection.
        Run run = run(List.of("enroll", "--data", work.toString(), "--url", "ldap://127.0.0.1:1", "--group",
                "cn=Sales,ou=Administrative Groups,dc=example,dc=com", "--report", report.toString()));
        assertEquals(ExitCode.USAGE.code(), run.code(), run.toString());
        assertEquals("dirkms enroll: the report " + report + " exists and may hold tokens not yet handed out: give"
                + " --report NEW-FILE, or --force to replace it\n'dirkms enroll --help' lists the flags.\n",
                run.err().replace("\r\n", "\n"));
        assertEquals("", run.out());
        assertEquals("uid=a\ta@example.com\tenrolled\tTOKEN\t\n", Files.readString(report));
    }

    @Test
    void aReportInADirectoryThatDoesNotExistIsAUsageError() {
        Path report = work.resolve("missing").resolve("sales.tsv");
        Run run = run(List.of("enroll", "--data", work.toString(), "--url", "ldap://127.0.0.1:1", "--filter",
                "(uid=a)", "--report", report.toString(), "--force"));
        assertEquals(ExitCode.USAGE.code(), run.code(), run.toString());
        assertEquals("dirkms enroll: --report " + report + ": the directory " + report.getParent()
                + " does not exist", run.err().lines().findFirst().orElseThrow());
    }
}
