package org.dirkms.agent.enroll;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Stream;

import org.dirkms.agent.enroll.EnrollmentResult.Outcome;
import org.dirkms.schema.EnrollmentState;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The report of a bulk enrollment holds one-time tokens: it is created with mode 0600, never
 * replaced unless asked, and, when asked, replaced in one rename, so that its path holds the old
 * report or the whole new one.
 */
class EnrollmentReportTest {
    private static final String HEADER = "# dn\tmail\tstate\ttoken\tdetail\n";

    @TempDir
    Path work;

    private static EnrollmentResult enrolled(String token) {
        return new EnrollmentResult("uid=a,ou=People,dc=example,dc=com", List.of("a@example.com"), Outcome.ENROLLED,
                EnrollmentState.ENROLLED, null, token.toCharArray());
    }

    private static String mode(Path file) throws Exception {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(file));
    }

    @Test
    void aNewReportIsCreatedWithMode0600() throws Exception {
        Path file = work.resolve("report.tsv");
        try (EnrollmentReport report = EnrollmentReport.open(file, EnrollmentReport.Existing.REFUSE)) {
            assertEquals("rw-------", mode(file));
            report.write(enrolled("T1"));
        }
        assertEquals(HEADER + "uid=a,ou=People,dc=example,dc=com\ta@example.com\tenrolled\tT1\t\n",
                Files.readString(file));
    }

    @Test
    void anExistingFileOrLinkIsRefusedAndLeftAsItIs() throws Exception {
        Path file = Files.writeString(work.resolve("report.tsv"), "earlier tokens\n");
        assertThrows(FileAlreadyExistsException.class, () -> EnrollmentReport.open(file, EnrollmentReport.Existing.REFUSE));
        assertEquals("earlier tokens\n", Files.readString(file));

        Path link = Files.createSymbolicLink(work.resolve("link.tsv"), work.resolve("elsewhere.tsv"));
        assertThrows(FileAlreadyExistsException.class, () -> EnrollmentReport.open(link, EnrollmentReport.Existing.REFUSE));
        assertEquals(false, Files.exists(work.resolve("elsewhere.tsv")), "nothing written through the link");
    }

    @Test
    void replacingKeepsTheOldReportUntilTheNewOneIsCompleteThenRenamesIt() throws Exception {
        Path file = Files.writeString(work.resolve("report.tsv"), "earlier tokens\n");
        try (EnrollmentReport report = EnrollmentReport.open(file, EnrollmentReport.Existing.REPLACE)) {
            report.write(enrolled("T2"));
            assertEquals("earlier tokens\n", Files.readString(file), "the old report until the new one is done");
        }
        assertEquals(HEADER + "uid=a,ou=People,dc=example,dc=com\ta@example.com\tenrolled\tT2\t\n",
                Files.readString(file));
        assertEquals("rw-------", mode(file));
        try (Stream<Path> left = Files.list(work)) {
            assertEquals(List.of(file), left.toList(), "no temporary file left");
        }
    }
}
