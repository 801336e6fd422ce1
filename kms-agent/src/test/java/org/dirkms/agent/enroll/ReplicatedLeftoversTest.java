package org.dirkms.agent.enroll;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.security.cert.CRLReason;
import java.util.List;

import org.dirkms.agent.directory.EnrollmentRecords.ArchivedKeyEntry;
import org.dirkms.agent.enroll.EnrollmentFixture.Agent;
import org.dirkms.agent.enroll.EnrollmentFixture.Pki;
import org.dirkms.agent.enroll.InMemoryDirectory.Crash;
import org.dirkms.agent.names.DistinguishedNames;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two providers of a multi-provider set that each accepted a claim on one user before
 * replication brought either across (docs/reliability.md, "Replicated directories"): attempt B
 * published on the second provider; attempt A, on the first, archived its key and showed its
 * certificates in the children, and its provider was killed before it published. slapd's plain
 * syncrepl then keeps each entry whole, the copy with the newer entryCSN: the user as B published
 * it, the children as A wrote them last, both archive records. The clean-up after convergence
 * revokes A's certificates, marks its record abandoned and puts the children back.
 */
class ReplicatedLeftoversTest {
    @TempDir
    static Path work;
    private static Pki pki;

    @BeforeAll
    static void makePki() {
        pki = EnrollmentFixture.pki(work);
    }

    @Test
    void theAttemptReplicationDidNotKeepIsRevokedAbandonedAndItsChildrenGoBack() {
        EnrollmentFixture first = new EnrollmentFixture(pki);
        String dn = first.requestedUser("split");
        EnrollmentFixture second = first.copy(); // the second provider, before either claim came across

        Agent onSecond = second.issuingAgent();
        onSecond.service().handle(dn);
        new EnrollmentInvariants(second).assertEnrolled(dn, true);
        ArchivedKeyEntry kept = second.observer().archivedKeys(dn).get(0);

        // Write 4 is the encryption child: A showed both certificates, then its provider died.
        Agent onFirst = first.issuingAgent().crashAt(4, Crash.AFTER);
        assertThrows(RuntimeException.class, () -> onFirst.service().handle(dn));
        ArchivedKeyEntry lost = first.observer().archivedKeys(dn).get(0);
        List<byte[]> shownByLost = first.observer().publishedCertificates(dn);
        assertEquals(2, shownByLost.size());

        // Convergence, entry by entry, the newer copy whole: B's publication of the user (newer than
        // A's claim), A's children (written after B's), and each attempt's own archive record.
        first.directory.takeEntryFrom(second.directory, dn);
        first.directory.takeEntryFrom(second.directory, kept.dn());
        EnrollmentInvariants converged = new EnrollmentInvariants(first);
        assertThrows(AssertionError.class, converged::assertChildrenShowTheEntrysCertificates,
                "without the clean-up the children show the certificates of the attempt that lost");
        assertThrows(AssertionError.class, converged::assertNoArchiveOrphan,
                "without the clean-up the lost attempt's record is an orphan");

        Agent afterwards = first.issuingAgent();
        assertEquals(1, afterwards.service().cleanUpAfterReplication());

        converged.assertEnrolled(dn, true);
        converged.assertChildrenShowTheEntrysCertificates();
        converged.assertNoArchiveOrphan();
        converged.assertEveryPublishedKeyArchived(true);
        converged.assertArchiveAuditClean();
        converged.assertOnCrl(shownByLost, CRLReason.SUPERSEDED);
        assertTrue(first.observer().archivedKeys(dn).stream()
                .filter(r -> DistinguishedNames.same(r.dn(), lost.dn())).allMatch(ArchivedKeyEntry::abandoned));
        assertFalse(first.observer().archivedKeys(dn).stream()
                .filter(r -> DistinguishedNames.same(r.dn(), kept.dn())).anyMatch(ArchivedKeyEntry::abandoned),
                "the record of the publication the user holds stays");
        assertNotEquals(0, first.user(dn).archiveRecords().size());
        // A second run finds nothing left.
        assertEquals(0, first.issuingAgent().service().cleanUpAfterReplication());
    }

    @Test
    void anEnrollmentUnderWayIsLeftAlone() {
        EnrollmentFixture kms = new EnrollmentFixture(pki);
        String dn = kms.requestedUser("busy");
        // Claimed, archived and shown, not yet published: the holder is alive and goes on.
        Agent holder = kms.issuingAgent().crashAt(4, Crash.AFTER);
        assertThrows(RuntimeException.class, () -> holder.service().handle(dn));
        assertEquals(0, kms.issuingAgent().service().cleanUpAfterReplication());
        assertFalse(kms.observer().archivedKeys(dn).get(0).abandoned());
    }
}
