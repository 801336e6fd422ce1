package org.dirkms.schema.audit;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Checks a whole audit log: every line is a well-formed record, sequences run 1, 2, 3, ...,
 * each record names the hash of the one before, each hash is right, and the anchored head (when
 * given) is a record of the chain. It reports the first bad record by its sequence number. A
 * missing log file is never sound.
 *
 * <p>Reads the file once, line by line, in constant memory.
 */
public final class AuditVerifier {

    private AuditVerifier() {
    }

    /**
     * The outcome of a verification.
     *
     * @param valid        whether the chain and the anchor are sound
     * @param records      how many records were read before the first problem (all, when valid)
     * @param head         the last good record's head
     * @param badSequence  sequence number of the first bad record (the line number's expected
     *                     sequence when the line cannot even be read), or -1 when valid
     * @param problem      what is wrong, in words, or {@code ""} when valid
     */
    public record Report(boolean valid, long records, AuditHead head, long badSequence, String problem,
            long superuserRecords, AuditRecord lastSuperuserRecord) {

        /** A report without the uses of the superuser (none counted). */
        public Report(boolean valid, long records, AuditHead head, long badSequence, String problem) {
            this(valid, records, head, badSequence, problem, 0, null);
        }

        /** A one-line summary for a person. */
        public String summary() {
            return valid
                    ? "audit log OK: " + records + " records, head " + head.sequence() + " " + head.hash()
                    : "audit log BROKEN at record " + badSequence + ": " + problem;
        }

        /**
         * The uses of the directory superuser's power the log holds, for a person: the superuser
         * can do what nobody else may (it owns the directory), so each use is in the log and
         * shown here (docs/security.md).
         */
        public String superuserSummary() {
            return superuserRecords == 0
                    ? "the directory superuser " + SUPERUSER + " changed nothing"
                    : "the directory superuser " + SUPERUSER + " made " + superuserRecords + " of these changes; the last:"
                            + " record " + lastSuperuserRecord.sequence() + ", " + lastSuperuserRecord.time() + ", "
                            + lastSuperuserRecord.operation() + " " + lastSuperuserRecord.target()
                            + (lastSuperuserRecord.attributes().isEmpty() ? ""
                                    : " (" + String.join(", ", lastSuperuserRecord.attributes()) + ")");
        }
    }

    /** The directory superuser's DN, as the server writes it in the log. */
    static final String SUPERUSER = "uid=admin,ou=system";

    /**
     * Verifies the log in {@code auditDirectory} against an optional anchored head.
     *
     * @param auditDirectory the folder holding {@value AuditLog#FILE_NAME}
     * @param anchor         the head anchored in the directory, if it could be read
     * @throws IOException when the file cannot be read at all
     */
    public static Report verify(Path auditDirectory, Optional<AuditHead> anchor) throws IOException {
        return verifyFile(auditDirectory.resolve(AuditLog.FILE_NAME), anchor);
    }

    /**
     * Verifies the log {@code file} against an optional anchored head: as {@link #verify}, for a
     * log of any name (the standalone agent's {@link org.dirkms.schema.DataFolder#AGENT_AUDIT_LOG}).
     * A log without a single record is never sound: every writer's first record is written, and
     * anchored, before anything it audits.
     *
     * @throws IOException when the file cannot be read at all
     */
    public static Report verifyFile(Path file, Optional<AuditHead> anchor) throws IOException {
        if (!Files.exists(file)) {
            // A server appends its bootstrap at its first start, an agent its chain's first record,
            // and each anchors the head at once: a folder either ever wrote to has a log, so a
            // missing one was removed.
            return new Report(false, 0, AuditHead.EMPTY, 1, "the log file " + file + " is missing"
                    + anchor.filter(head -> head.sequence() > 0)
                            .map(head -> " but the directory anchors record " + head.sequence()).orElse(""));
        }
        AuditHead head = AuditHead.EMPTY;
        long superuserRecords = 0;
        AuditRecord lastSuperuserRecord = null;
        boolean anchorSeen = anchor.isEmpty() || anchor.get().sequence() == 0;
        try (BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                long expected = head.sequence() + 1;
                AuditRecord record;
                try {
                    record = AuditRecord.parse(line);
                } catch (IllegalArgumentException e) {
                    return new Report(false, head.sequence(), head, expected, "malformed line: " + e.getMessage());
                }
                if (record.sequence() != expected) {
                    return new Report(false, head.sequence(), head, expected,
                            "expected sequence " + expected + " but the line says " + record.sequence()
                                    + " (a record was removed, inserted or renumbered)");
                }
                if (!record.previousHash().equals(head.hash())) {
                    return new Report(false, head.sequence(), head, expected,
                            "its previous hash does not match the hash of record " + head.sequence());
                }
                if (!record.computedHash().equals(record.hash())) {
                    return new Report(false, head.sequence(), head, expected,
                            "its content does not match its hash (the record was edited)");
                }
                if (anchor.isPresent() && anchor.get().sequence() == record.sequence()) {
                    if (!anchor.get().hash().equals(record.hash())) {
                        return new Report(false, head.sequence(), head, expected,
                                "the hash anchored in the directory differs from this record's hash "
                                        + "(the log was rewritten from here on)");
                    }
                    anchorSeen = true;
                }
                if (record.actor().replace(" ", "").equalsIgnoreCase(SUPERUSER)) {
                    superuserRecords++;
                    lastSuperuserRecord = record;
                }
                head = record.head();
            }
        }
        if (head.sequence() == 0) {
            return new Report(false, 0, head, 1, "the log " + file + " holds no record: a log is never empty once"
                    + " begun, so its records were removed");
        }
        if (!anchorSeen) {
            return new Report(false, head.sequence(), head, head.sequence() + 1,
                    "the directory anchors record " + anchor.get().sequence() + " but the log ends at record "
                            + head.sequence() + " (the log was truncated)");
        }
        return new Report(true, head.sequence(), head, -1, "", superuserRecords, lastSuperuserRecord);
    }
}
