package org.dirkms.agent.directory;

import java.util.List;
import java.util.Optional;
import org.dirkms.agent.directory.EnrollmentRecords.ArchivedKeyEntry;

/**
 * The records of recovery-key rotation (docs/reliability.md, "Rotating the recovery key"): the
 * key recovery certificate published as current, which every KMS agent wraps new archives to,
 * and the archive's wrapped keys, listed by name, read in batches and re-wrapped one record at a
 * time with a test-and-set on the wrapped key they had. Certificates and wrapped keys cross this
 * interface as DER bytes.
 */
public interface RecoveryKeyRecords {

    /**
     * One archive record as the listing of a re-wrap sees it.
     *
     * @param dn            the record's DN
     * @param wrappingKeyId its {@code kmsWrappingKeyId}: the recovery key it says it is wrapped
     *                      to; null when it has none
     */
    record ArchiveRecordName(String dn, String wrappingKeyId) {
    }

    /** The published current key recovery certificate (DER); empty when none is published. */
    Optional<byte[]> currentRecoveryCertificate();

    /** Publishes {@code certificate} (DER) as the current key recovery certificate, replacing the one before. */
    void publishRecoveryCertificate(byte[] certificate);

    /** Every archive record under {@code ou=Key Archive}, by name, with the key it says it is wrapped to. */
    List<ArchiveRecordName> archiveRecordNames();

    /** The records named {@code dns} that exist, whole (wrapped key included), in any order. */
    List<ArchivedKeyEntry> readArchivedKeys(List<String> dns);

    /**
     * Replaces the wrapped key of record {@code dn} with {@code wrappedKey} (and its algorithm and
     * recovery key id) if, and only if, it still holds {@code expected}, in one atomic modify.
     *
     * @return false when the record no longer holds {@code expected} (another process changed
     *         it): nothing was written
     */
    boolean replaceWrappedKey(String dn, byte[] expected, byte[] wrappedKey, String wrappingAlgorithm,
            String wrappingKeyId);
}
