package org.dirkms.agent.enroll;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.dirkms.agent.enroll.EnrollmentFixture.Agent;
import org.dirkms.agent.enroll.EnrollmentResult.Outcome;
import org.dirkms.agent.enroll.EnrollmentService.RevokedUsers;
import org.dirkms.schema.EnrollmentState;
import org.dirkms.schema.RevocationReason;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a bulk enrollment ({@code dirkms enroll}) leaves alone: a revoked user stays revoked,
 * counted and explained in the summary and the report, unless the run was asked to enroll
 * revoked users again (docs/state-machines.md: only an administrator takes a revoked user back);
 * and a report that exists is kept, with nobody enrolled, unless the run was asked to replace it.
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

    /** Two enrolled users, one of them then revoked for keyCompromise. */
    private List<String> enrolledThenOneRevoked() throws Exception {
        List<String> dns = List.of(kms.addPerson("stays", "stays@example.com"),
                kms.addPerson("compromised", "compromised@example.com"));
        BulkEnrollment.Summary first = new BulkEnrollment(agent.service(), 2).run(dns, work.resolve("first.tsv"),
                done -> { });
        assertEquals(new BulkEnrollment.Summary(2, 0, 0, 0, 0), first);
        kms.requestRevocation(dns.get(1), RevocationReason.KEY_COMPROMISE);
        assertEquals(Outcome.REVOKED, agent.service().handle(dns.get(1)).outcome());
        return dns;
    }

    @Test
    void aRevokedUserIsSkippedCountedAndExplainedUnlessAskedFor() throws Exception {
        List<String> dns = enrolledThenOneRevoked();
        String newcomer = kms.addPerson("newcomer", "newcomer@example.com");
        List<String> all = new ArrayList<>(dns);
        all.add(newcomer);

        Path report = work.resolve("again.tsv");
        BulkEnrollment.Summary again = new BulkEnrollment(agent.service(), 2).run(all, report, done -> { });
        assertEquals(new BulkEnrollment.Summary(1, 2, 1, 0, 0), again, "the newcomer enrolled, the revoked user skipped");
        assertEquals(EnrollmentState.REVOKED, kms.user(dns.get(1)).state(), "the revocation stands");
        String[] row = Files.readAllLines(report).stream().filter(line -> line.startsWith(dns.get(1)))
                .findFirst().orElseThrow().split("\t", -1);
        assertEquals("revoked", row[2]);
        assertEquals("", row[3], "no token");
        assertEquals("revoked (keyCompromise), not enrolled again unless asked", row[4]);

        BulkEnrollment.Summary asked = new BulkEnrollment(agent.service(), 2, RevokedUsers.ENROLL_AGAIN).run(all,
                work.resolve("asked.tsv"), done -> { });
        assertEquals(new BulkEnrollment.Summary(1, 2, 0, 0, 0), asked, "the revoked user enrolled, the others were");
        assertEquals(EnrollmentState.ENROLLED, kms.user(dns.get(1)).state());
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
