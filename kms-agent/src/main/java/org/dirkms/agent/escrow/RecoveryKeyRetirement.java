package org.dirkms.agent.escrow;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.dirkms.agent.archive.KeyRecoverer;
import org.dirkms.agent.archive.KeyRecoveryException;
import org.dirkms.agent.directory.EnrollmentRecords.ArchivedKeyEntry;
import org.dirkms.agent.directory.RecoveryKeyRecords;
import org.dirkms.agent.directory.RecoveryKeyRecords.ArchiveRecordName;
import org.dirkms.agent.keys.RecoveryKey;

/**
 * Whether an old recovery key may leave the store: only when no archive record in the directory
 * is wrapped to it any more, judged from each record's CMS recipient identifier (RFC 5652 section
 * 6.2), not from the {@code kmsWrappingKeyId} it says it has, and without decrypting anything.
 * What {@code dirkms archive retire} checks before it removes the key, so that afterwards every
 * record still unwraps with the keys left (docs/reliability.md, "Rotating the recovery key").
 */
public final class RecoveryKeyRetirement {
    /** Records read with one search. */
    static final int BATCH_SIZE = 200;

    private final RecoveryKeyRecords records;
    private final KeyRecoverer recoverer;

    /**
     * A check over the archive in {@code records}, telling recipients apart among
     * {@code recoverer}'s keys (every key of the store, the one to retire included).
     */
    public RecoveryKeyRetirement(RecoveryKeyRecords records, KeyRecoverer recoverer) {
        this.records = records;
        this.recoverer = recoverer;
    }

    /**
     * What the archive says about retiring a key.
     *
     * @param records      the archive records read
     * @param wrappedToKey the records still wrapped to the key (they must be re-wrapped first)
     * @param unreadable   the records whose wrapped key is not CMS EnvelopedData, which may be
     *                     wrapped to anything (the archive check reports them)
     */
    public record Verdict(int records, List<String> wrappedToKey, List<String> unreadable) {
        /** Copies the lists. */
        public Verdict {
            wrappedToKey = List.copyOf(wrappedToKey);
            unreadable = List.copyOf(unreadable);
        }

        /** True when no record is, or may be, wrapped to the key. */
        public boolean mayRetire() {
            return wrappedToKey.isEmpty() && unreadable.isEmpty();
        }
    }

    /**
     * Reads every archive record and finds those wrapped to {@code key}.
     *
     * @throws org.dirkms.agent.directory.DirectoryAccessException when the directory fails
     */
    public Verdict check(RecoveryKey key) {
        List<String> dns = records.archiveRecordNames().stream().map(ArchiveRecordName::dn).toList();
        List<String> wrapped = new ArrayList<>();
        List<String> unreadable = new ArrayList<>();
        for (int from = 0; from < dns.size(); from += BATCH_SIZE) {
            for (ArchivedKeyEntry record : records.readArchivedKeys(dns.subList(from, Math.min(dns.size(),
                    from + BATCH_SIZE)))) {
                try {
                    Optional<RecoveryKey> recipient = recoverer.recipient(record.wrappedKey());
                    if (recipient.isPresent() && recipient.get().keyId().equals(key.keyId())) {
                        wrapped.add(record.dn());
                    }
                } catch (KeyRecoveryException e) {
                    unreadable.add(record.dn());
                }
            }
        }
        return new Verdict(dns.size(), wrapped, unreadable);
    }
}
