package org.dirkms.agent.enroll;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.dirkms.agent.enroll.EnrollmentFixture.Agent;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a bulk enrollment ({@code dirkms enroll}) leaves alone: a report that exists is kept,
 * with nobody enrolled, unless the run was asked to replace it.
 */
class BulkEnrollmentTest {
    @TempDir
    static Path pkiFolder;
    private static EnrollmentFixture.Pki pki;

    @TempDir
    Path work;

    private EnrollmentFixture kms;
    private Agent agent;

    @BeforeAll
    static void pki() {
        pki = EnrollmentFixture.pki(pkiFolder);
    }

    @BeforeEach
    void kms() {
        kms = new EnrollmentFixture(pki);
        agent = kms.issuingAgent();
    }

    @Test
    void aReportThatExistsIsKeptAndNobodyEnrolledUnlessAskedToReplaceIt() throws Exception {
        Path report = Files.writeString(work.resolve("tokens.tsv"), "# dn\tmail\tstate\ttoken\tdetail\n"
                + "uid=earlier\tearlier@example.com\tenrolled\tTOKEN-NOT-HANDED-OUT\t\n");
        String before = Files.readString(report);
        String dn = kms.addPerson("waiting", "waiting@example.com");

        assertThrows(FileAlreadyExistsException.class,
                () -> new BulkEnrollment(agent.service(), 2).run(List.of(dn), report, done -> { }));
        assertEquals(before, Files.readString(report), "the earlier tokens are kept");
        assertEquals(null, kms.user(dn).state(), "nobody is enrolled when the report cannot be written");

        BulkEnrollment.Summary replaced = new BulkEnrollment(agent.service(), 2).run(List.of(dn), report,
                EnrollmentReport.Existing.REPLACE, done -> { });
        assertEquals(1, replaced.enrolled());
        String now = Files.readString(report);
        assertTrue(now.contains(dn + "\twaiting@example.com\tenrolled\t"), now);
        assertTrue(!now.contains("TOKEN-NOT-HANDED-OUT"), now);
    }
}
