package org.dirkms.schema.audit;

import java.util.Objects;

/**
 * The head of the audit chain: the sequence number of a record and its hash. This is what is
 * anchored in the directory ({@code kmsAuditSequence} and {@code kmsAuditHash} on the
 * {@code cn=head} entry), so that truncating or rewriting the file shows.
 *
 * @param sequence sequence number of the record, 0 for the empty chain
 * @param hash     lower-case hex SHA-256 of that record ({@link AuditRecord#GENESIS_HASH} for 0)
 */
public record AuditHead(long sequence, String hash) {

    /** The head of a chain without records. */
    public static final AuditHead EMPTY = new AuditHead(0, AuditRecord.GENESIS_HASH);

    /** Checks the fields. */
    public AuditHead {
        Objects.requireNonNull(hash, "hash");
        if (sequence < 0) {
            throw new IllegalArgumentException("an audit sequence is never negative: " + sequence);
        }
    }
}
