package org.dirkms.agent.enroll;

import static org.dirkms.agent.enroll.InMemoryDirectory.Change.add;
import static org.dirkms.agent.enroll.InMemoryDirectory.Change.replace;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.List;
import org.dirkms.agent.directory.EnrollmentRecords.MailCarryingChild;
import org.dirkms.agent.enroll.EnrollmentFixture.Agent;
import org.dirkms.agent.enroll.EnrollmentResult.Outcome;
import org.dirkms.agent.enroll.InMemoryDirectory.Session;
import org.dirkms.schema.AttributeNames;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What an earlier version published (the signing certificate first on the user's entry,
 * children carrying mail) is brought to the layout of docs/directory-layout.md once, and a
 * writer that changed an entry meanwhile wins.
 */
class PublishedLayoutUpgradeTest {
    @TempDir
    static Path work;
    private static EnrollmentFixture.Pki pki;

    private EnrollmentFixture kms;
    private Agent agent;
    private String dn;

    @BeforeAll
    static void pki() {
        pki = EnrollmentFixture.pki(work);
    }

    @BeforeEach
    void userPublishedAsBefore() {
        kms = new EnrollmentFixture(pki);
        agent = kms.issuingAgent();
        dn = kms.requestedUser("old");
        assertEquals(Outcome.ENROLLED, agent.service().handle(dn).outcome());
        List<byte[]> certificates = kms.user(dn).certificates();
        Session before = kms.directory.session("an earlier version");
        before.modify(dn, replace(AttributeNames.USER_CERTIFICATE, certificates.get(1), certificates.get(0)));
        for (String purpose : List.of("signing", "encryption")) {
            before.modify("cn=" + purpose + "," + dn, add(AttributeNames.MAIL, "old@example.com"));
        }
        assertFalse(isEncryption(kms.user(dn).certificates().get(0)), "the signing certificate first, as before");
    }

    @Test
    void theEncryptionCertificateComesFirstAndTheChildrenLoseTheirMailOnce() {
        assertEquals(2, new PublishedLayoutUpgrade(agent.records()).run());

        List<byte[]> certificates = kms.user(dn).certificates();
        assertTrue(isEncryption(certificates.get(0)), "the encryption certificate first");
        assertFalse(isEncryption(certificates.get(1)));
        for (String purpose : List.of("signing", "encryption")) {
            assertTrue(kms.entry("cn=" + purpose + "," + dn).strings(AttributeNames.MAIL).isEmpty(), purpose);
        }
        assertEquals(2, agent.records().publishedCertificates(dn).size(), "the children keep their certificates");
        assertEquals(0, new PublishedLayoutUpgrade(agent.records()).run(), "nothing left to do");
    }

    @Test
    void aChildWhoseMailChangedMeanwhileIsLeftToItsWriter() {
        List<MailCarryingChild> read = agent.records().publishedCertificatesWithMail();
        assertEquals(2, read.size());
        kms.directory.session("another writer").modify(read.get(0).dn(),
                replace(AttributeNames.MAIL, List.of()));
        assertFalse(agent.records().removeMailOfPublishedCertificate(read.get(0)), "its mail is gone already");
        assertTrue(agent.records().removeMailOfPublishedCertificate(read.get(1)));
        assertFalse(agent.records().putEncryptionCertificateFirst(dn, new byte[] {1}, new byte[] {2}),
                "values the entry does not hold: nothing changes");
        assertFalse(isEncryption(kms.user(dn).certificates().get(0)));
    }

    private static boolean isEncryption(byte[] der) {
        X509Certificate certificate = Enrollment.parse(der, "test");
        return certificate.getKeyUsage()[2] || certificate.getKeyUsage()[4];
    }
}
