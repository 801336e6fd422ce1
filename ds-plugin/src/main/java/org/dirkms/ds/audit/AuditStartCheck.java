package org.dirkms.ds.audit;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

import org.dirkms.schema.DataFolder;
import org.dirkms.schema.audit.AuditHead;
import org.dirkms.schema.audit.AuditLog;
import org.dirkms.schema.audit.AuditRecord;
import org.dirkms.schema.audit.AuditVerifier;

/**
 * The check of the audit log at every start of the server, before anything is appended to it:
 * the whole chain is verified against the head anchored in the directory
 * ({@link AuditVerifier}), and the log is opened only when they agree. Otherwise the start is
 * refused, so that a deleted, truncated, rewritten or reordered log is never continued and its
 * evidence never overwritten by a new anchor.
 *
 * <p>The operator's one way out, {@code acceptBroken} ({@code dirkms serve
 * --accept-broken-audit-log}), is explicit and itself audited: the broken file is moved aside
 * to {@value #SET_ASIDE_PREFIX}{@code <UTC time>} (kept as evidence, never read again by the
 * server), and a new chain starts whose first record, operation {@value #CHAIN_RESTART},
 * names the old chain's anchored head, the file it was set aside to and what was wrong. The
 * caller anchors the new head at once. Acceptance is refused when the log is sound, so that the
 * flag cannot stay in a start command and silently accept a later tampering.
 *
 * <p>Semantics of a missing log: it is sound only at a data folder's first start (nothing
 * anchored, nothing bootstrapped yet); every later start finds the records of the first.
 */
public final class AuditStartCheck {

    /** The name of a broken log once set aside, before its UTC time ({@code yyyyMMdd'T'HHmmss'Z'}). */
    public static final String SET_ASIDE_PREFIX = DataFolder.auditLogSetAsidePrefix();
    /** The operation of the first record of a chain that replaced a broken one. */
    public static final String CHAIN_RESTART = "chain-restart";
    /** The flag of {@code dirkms serve} that accepts a broken chain, named in refusals. */
    public static final String ACCEPT_FLAG = "--accept-broken-audit-log";

    private static final DateTimeFormatter SET_ASIDE_TIME = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'")
            .withZone(ZoneOffset.UTC);

    private AuditStartCheck() {
    }

    /**
     * What the check found and did.
     *
     * @param log        the open log, ready for appends
     * @param repairNote what had to be cut (an unfinished last line), or {@code null}
     * @param restart    the first record of the new chain when a broken one was accepted
     * @param setAside   where the broken log was moved, when one was accepted and the file existed
     */
    public record Opened(AuditLog log, String repairNote, Optional<AuditRecord> restart, Optional<Path> setAside) {

        /** Checks the fields. */
        public Opened {
            Objects.requireNonNull(log, "log");
            Objects.requireNonNull(restart, "restart");
            Objects.requireNonNull(setAside, "setAside");
        }
    }

    /**
     * Checks the log in {@code auditDirectory} against {@code anchor} and opens it.
     *
     * @param auditDirectory the folder of {@value AuditLog#FILE_NAME}
     * @param anchor         the head anchored in the directory, if any
     * @param firstStart     whether this is the data folder's first start (a missing log is sound
     *                       then, and only then, when nothing is anchored either)
     * @param acceptBroken   the operator's acceptance of a broken chain
     * @param actor          who restarts the chain: the server's own identity
     * @param anchorDn       DN of the anchor entry, the target of a {@value #CHAIN_RESTART} record
     * @param clock          source of record times and of the set-aside file's name
     * @throws AuditChainException when the chain is broken and not accepted, or accepted but sound
     * @throws IOException when the log cannot be read, moved or opened
     */
    public static Opened open(Path auditDirectory, Optional<AuditHead> anchor, boolean firstStart,
            boolean acceptBroken, String actor, String anchorDn, Clock clock) throws AuditChainException, IOException {
        Path file = auditDirectory.resolve(AuditLog.FILE_NAME);
        // An unfinished last line is a crash's, never an anchored record's: the anchor is written
        // only after the records it covers were forced to the disk (see AuditLog).
        String repairNote = AuditLog.cutUnfinishedLastLine(file);
        boolean fresh = firstStart && anchor.isEmpty() && !Files.exists(file);
        AuditVerifier.Report report = fresh ? null : AuditVerifier.verify(auditDirectory, anchor);
        if (fresh || report.valid()) {
            if (acceptBroken) {
                throw new AuditChainException(ACCEPT_FLAG + " was given but the audit log " + file + " is sound ("
                        + (fresh ? "a new data folder" : report.summary()) + "): there is nothing to accept;"
                        + " start without " + ACCEPT_FLAG);
            }
            return new Opened(AuditLog.open(auditDirectory, clock), repairNote, Optional.empty(), Optional.empty());
        }
        String anchored = anchor.map(head -> "record " + head.sequence() + " " + head.hash())
                .orElse("no record (nothing was anchored)");
        if (!acceptBroken) {
            throw new AuditChainException("the audit log " + file + " is broken at record " + report.badSequence()
                    + ": " + report.problem() + "; the directory anchors " + anchored + ". Restore the log from a"
                    + " backup, or start once with " + ACCEPT_FLAG + " to set it aside and begin a new, audited chain");
        }
        Path setAside = null;
        if (Files.exists(file)) {
            setAside = auditDirectory.resolve(SET_ASIDE_PREFIX + SET_ASIDE_TIME.format(clock.instant()));
            // No REPLACE_EXISTING: an earlier set-aside file is evidence too.
            Files.move(file, setAside);
        }
        AuditLog log = AuditLog.open(auditDirectory, clock);
        AuditRecord first;
        try {
            // Attribute names are comma-separated in a record (see AuditRecord), hence "; ".
            first = log.append(actor, CHAIN_RESTART, anchorDn, List.of(
                    "brokenAnchor=" + anchored,
                    "setAside=" + (setAside == null ? "none (the log was missing)" : setAside.getFileName()),
                    "reason=broken at record " + report.badSequence() + ": " + report.problem().replace(',', ';')));
            log.force();
        } catch (IOException | RuntimeException e) {
            log.close();
            throw e;
        }
        return new Opened(log, repairNote, Optional.of(first), Optional.ofNullable(setAside));
    }
}
