package org.dirkms.agent.directory;

import java.util.List;
import java.util.Optional;
import org.dirkms.schema.ContentEncryptionAlgorithm;

/**
 * What a mail client reads from the directory to send and read S/MIME mail: the entries that
 * hold an address and the certificates they publish, the content encryption of a sender's
 * administrative group, and the certification authorities with their CRLs. Certificates and CRLs
 * cross this boundary as DER bytes; the S/MIME code decides which certificate to use.
 */
public interface MailDirectory {

    /**
     * An entry found by address: its DN and the values of its {@code userCertificate;binary} in
     * the order the directory returns them (dirkms publishes the encryption certificate first).
     *
     * @param dn the entry's DN
     * @param certificates the DER of each published certificate
     * @param administrativeGroup the entry's {@code kmsAdministrativeGroup}, or null when it names none
     */
    record MailEntry(String dn, List<byte[]> certificates, String administrativeGroup) {
        /** Copies the list. */
        public MailEntry {
            certificates = List.copyOf(certificates);
        }
    }

    /**
     * A certification authority of the directory (under {@code ou=Certification Authorities}).
     *
     * @param dn the CA entry's DN
     * @param certificates the DER of each value of its {@code cACertificate;binary}
     * @param crl the DER of its {@code certificateRevocationList;binary}, or null when it publishes none
     */
    record Authority(String dn, List<byte[]> certificates, byte[] crl) {
        /** Copies the list. */
        public Authority {
            certificates = List.copyOf(certificates);
        }
    }

    /**
     * Every entry whose {@code mail} is {@code address} (compared as the directory compares
     * {@code mail}, without case); an empty list when there is none. Child entries of published
     * certificates carry no mail (docs/directory-layout.md), so a dirkms user is found once.
     */
    List<MailEntry> findByMail(String address);

    /**
     * The content encryption of the administrative group that {@code entry} names, or of the
     * default group ({@code kmsDefaultGroup: TRUE}) when it names none; empty when there is no such
     * group or the group sets no {@code kmsContentEncryptionAlgorithm}.
     *
     * @throws DirectoryAccessException when the group's value is not one of the accepted ones
     */
    Optional<ContentEncryptionAlgorithm> contentEncryption(MailEntry entry);

    /** The certification authorities of the directory with their certificates and CRLs. */
    List<Authority> authorities();
}
