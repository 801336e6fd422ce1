package org.dirkms.agent.enroll;

import java.io.ByteArrayInputStream;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.dirkms.agent.directory.EnrollmentRecords;
import org.dirkms.agent.directory.EnrollmentRecords.MailCarryingChild;
import org.dirkms.agent.directory.EnrollmentRecords.UserEntry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Brings what an earlier version published to the layout of docs/directory-layout.md, "The
 * published-certificate children": the user's entry holds the encryption certificate first, and
 * its {@code kmsPublishedCertificate} children carry no {@code mail}. Every user such a version
 * enrolled has children with {@code mail}, so these are what is looked for; once none is left,
 * the look-up finds nothing and nothing is written.
 *
 * <p>Every write is a test-and-set on the values read (docs/reliability.md): an enrollment,
 * revocation or other agent that wrote the entry meanwhile wins, and its write is already in the
 * new layout. The user's entry is rewritten before its children, so that a crash in between
 * leaves children with {@code mail}, which the next run finds again.
 */
final class PublishedLayoutUpgrade {

    private static final Logger LOG = LoggerFactory.getLogger(PublishedLayoutUpgrade.class);

    private final EnrollmentRecords records;

    PublishedLayoutUpgrade(EnrollmentRecords records) {
        this.records = records;
    }

    /**
     * Upgrades every user whose children still carry {@code mail}.
     *
     * @return how many children it rewrote
     */
    int run() {
        List<MailCarryingChild> children = records.publishedCertificatesWithMail();
        if (children.isEmpty()) {
            return 0;
        }
        Set<String> users = new LinkedHashSet<>();
        children.forEach(child -> users.add(child.userDn()));
        int reordered = 0;
        for (String dn : users) {
            UserEntry user = records.readUser(dn).orElse(null);
            if (user == null || user.certificates().size() != 2) {
                continue; // revoked, gone, or not a dual-key publication: no order to fix
            }
            byte[] first = user.certificates().get(0);
            byte[] second = user.certificates().get(1);
            if (!isEncryption(first) && isEncryption(second) && records.putEncryptionCertificateFirst(dn, second, first)) {
                reordered++;
            }
        }
        int rewritten = 0;
        for (MailCarryingChild child : children) {
            if (records.removeMailOfPublishedCertificate(child)) {
                rewritten++;
            }
        }
        LOG.info("Published certificates in the current layout (docs/directory-layout.md): the encryption certificate"
                + " put first on {} users, mail removed from {} kmsPublishedCertificate children", reordered, rewritten);
        return rewritten;
    }

    /**
     * keyEncipherment (RSA) or keyAgreement (EC), RFC 5280 section 4.2.1.3: the encryption
     * certificate. A value that is no certificate is not one, and its entry keeps its order.
     */
    private static boolean isEncryption(byte[] der) {
        X509Certificate certificate;
        try {
            certificate = (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(new ByteArrayInputStream(der));
        } catch (CertificateException e) {
            return false;
        }
        boolean[] usage = certificate.getKeyUsage();
        return usage != null && (usage[2] || usage[4]);
    }
}
