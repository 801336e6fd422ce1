package org.dirkms.agent.audit;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import org.apache.directory.api.ldap.model.entry.Attribute;
import org.apache.directory.api.ldap.model.entry.DefaultEntry;
import org.apache.directory.api.ldap.model.entry.DefaultModification;
import org.apache.directory.api.ldap.model.entry.Entry;
import org.apache.directory.api.ldap.model.entry.ModificationOperation;
import org.apache.directory.api.ldap.model.exception.LdapException;
import org.apache.directory.api.ldap.model.exception.LdapNoSuchObjectException;
import org.apache.directory.api.ldap.model.name.Dn;
import org.apache.directory.ldap.client.api.LdapNetworkConnection;
import org.dirkms.agent.enroll.AgentConnection;
import org.dirkms.agent.enroll.WriteJournal;
import org.dirkms.schema.AttributeNames;
import org.dirkms.schema.DirectoryLayout;
import org.dirkms.schema.ObjectClassNames;
import org.dirkms.schema.audit.AuditHead;
import org.dirkms.schema.audit.AuditLog;
import org.dirkms.schema.audit.AuditRecord;
import org.dirkms.schema.audit.AuditVerifier;

/**
 * The standalone agent's hash-chained audit trail: a {@link WriteJournal} that appends one
 * {@link AuditRecord} per write the directory accepted from the agent (who, what, which entry,
 * the attribute names and workflow states, never a value) to its log file, and anchors the head
 * of the chain in the directory.
 *
 * <p><b>Anchor.</b> A new chain's first record (operation {@value #CHAIN_START}, by the agent)
 * names its anchor, {@code cn=agent-<16 hex digits>,ou=Audit,ou=KMS,<suffix>} (digits of a hash of
 * the agent's DN and where its log lives, {@link #anchorFor}), an entry of
 * class {@code kmsAuditRecord} that the agent adds at once with the record's head; only KMS
 * agents may write entries under {@code ou=Audit} (the embedded server's guard, and the OpenLDAP
 * access rules), and the server's own anchor {@code cn=head} is the server's alone. The head is
 * anchored again by {@link #anchorNow()}: the agent calls it every few seconds while the head
 * moves, and at shutdown; each anchor names only records forced to the disk first. Several agents
 * each keep their own log and anchor.
 *
 * <p><b>Start.</b> {@link #open} checks an existing log against its anchor with
 * {@link AuditVerifier} and refuses (with {@link AuditTrailException}) a log that is broken,
 * truncated, rewritten or whose anchor is gone, and a missing log whose anchor holds a head, before
 * the agent writes anything: the operator restores the log, or starts once with
 * {@value #ACCEPT_FLAG}, which sets a broken log aside and begins a new chain whose first record
 * names the lost head (refused when nothing was lost, so it cannot stay in a start script).
 * {@code dirkms audit verify --data DIR} checks the same.
 *
 * <p>Thread-safe: the workers append concurrently; appends are serialised by the log.
 */
public final class AgentAuditTrail implements WriteJournal, AutoCloseable {

    /** The operation of a chain's first record, whose target is the chain's anchor. */
    public static final String CHAIN_START = "agent-chain-start";
    /** The prefix of the RDN value of an agent's anchor under {@code ou=Audit}. */
    public static final String ANCHOR_PREFIX = "agent-";
    /** The operator's acceptance, for one start, of a lost or broken log. */
    public static final String ACCEPT_FLAG = "--accept-missing-audit-log";
    /** Between the log's name and the time in the name of a log set aside: {@code agent.log.broken-<UTC time>}. */
    public static final String SET_ASIDE_INFIX = ".broken-";
    private static final DateTimeFormatter SET_ASIDE_TIME = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'")
            .withZone(ZoneOffset.UTC);
    /** How long an anchor read or write may wait for the directory. */
    private static final long TIMEOUT_MILLIS = 30_000;

    private final AuditLog log;
    private final AgentConnection directory;
    private final String anchorDn;
    private long anchoredSequence;

    private AgentAuditTrail(AuditLog log, AgentConnection directory, String anchorDn, long anchoredSequence) {
        this.log = log;
        this.directory = directory;
        this.anchorDn = anchorDn;
        this.anchoredSequence = anchoredSequence;
    }

    /**
     * Opens the trail in {@code file}: checks an existing log against its anchor, or begins a new
     * chain and anchors its first record.
     *
     * @param file       the log ({@code DataFolder#agentAuditLog()})
     * @param layout     the directory's layout, for {@code ou=Audit}
     * @param directory  how the anchor is read and written: the agent's connection, without a journal
     * @param origin     where this log lives, e.g. {@code host:/var/lib/dirkms}: with the agent's DN it
     *                   names the anchor of a new chain ({@link #anchorFor}), so that a log deleted
     *                   from a folder is missed at its next start
     * @param acceptLoss the operator's explicit acceptance, for this start, of a broken, unanchored
     *                   or missing log: it is set aside (when there is one) and a new chain begins
     *                   whose first record names what was lost; refused when nothing was
     * @param clock      the source of record times
     * @throws AuditTrailException when the log and its anchor disagree, or the anchor cannot be read
     *         or written (one line saying what and what to do)
     * @throws IOException when the log cannot be read, set aside or written
     */
    public static AgentAuditTrail open(Path file, DirectoryLayout layout, AgentConnection directory, String origin,
            boolean acceptLoss, Clock clock) throws AuditTrailException, IOException {
        AgentConnection plain = directory.journaling(WriteJournal.NONE);
        String ownAnchor = anchorFor(directory.bindDn(), origin, layout);
        String cut = AuditLog.cutUnfinishedLastLine(file);
        Optional<AuditRecord> first = firstRecord(file);
        boolean present = Files.exists(file) && Files.size(file) > 0;
        if (!present) {
            Optional<AuditHead> anchored = readAnchor(plain, ownAnchor);
            if (anchored.isPresent() && anchored.get().sequence() > 0) {
                String lost = "the directory anchors record " + anchored.get().sequence() + " of this folder's chain at "
                        + ownAnchor + " but the log " + file + " is missing";
                if (!acceptLoss) {
                    throw new AuditTrailException(lost + ": restore it from a backup, or start once with "
                            + ACCEPT_FLAG + " to begin a new chain that records the lost one's head");
                }
                return begin(file, plain, ownAnchor, clock, List.of(lost, "lost head " + anchored.get().sequence()
                        + " " + anchored.get().hash()));
            }
            if (acceptLoss) {
                throw new AuditTrailException(ACCEPT_FLAG + " is refused: nothing was lost (no log, and no chain anchored"
                        + " at " + ownAnchor + "); start without it");
            }
            return begin(file, plain, ownAnchor, clock, List.of());
        }
        String problem;
        String anchorDn = null;
        Optional<AuditHead> anchor = Optional.empty();
        if (first.isEmpty()) {
            problem = "it has no readable first record";
        } else if (!CHAIN_START.equals(first.get().operation()) || !isAgentAnchor(first.get().target(), layout)) {
            problem = "it does not begin with an agent's chain (record 1 is '" + first.get().operation() + "' on "
                    + first.get().target() + ")";
        } else {
            anchorDn = first.get().target();
            anchor = readAnchor(plain, anchorDn);
            if (anchor.isEmpty()) {
                problem = "it is unanchored: the directory holds no head at " + anchorDn + ", which its first record names";
            } else {
                AuditVerifier.Report report = AuditVerifier.verifyFile(file, anchor);
                problem = report.valid() ? null : "it is broken at record " + report.badSequence() + ": " + report.problem();
            }
        }
        if (problem != null) {
            if (!acceptLoss) {
                throw new AuditTrailException("the audit log " + file + " cannot be continued: " + problem
                        + "; restore it from a backup, or start once with " + ACCEPT_FLAG + " to set it aside and begin a"
                        + " new chain");
            }
            Path setAside = file.resolveSibling(file.getFileName() + SET_ASIDE_INFIX
                    + SET_ASIDE_TIME.format(clock.instant()));
            Files.move(file, setAside);
            return begin(file, plain, ownAnchor, clock, List.of("the log " + file + " was set aside as " + setAside
                    + " because " + problem, anchor.map(head -> "lost head " + head.sequence() + " " + head.hash())
                            .orElse("no head was anchored")));
        }
        if (acceptLoss) {
            throw new AuditTrailException(ACCEPT_FLAG + " is refused: the audit log " + file + " is sound against its"
                    + " anchor " + anchorDn + "; start without it");
        }
        AgentAuditTrail trail = new AgentAuditTrail(AuditLog.openFile(file, clock), plain, anchorDn,
                anchor.get().sequence());
        restrict(file);
        if (cut != null) {
            trail.log.append(directory.bindDn(), "log-repaired", anchorDn, List.of(cut));
        }
        return trail;
    }

    /**
     * The anchor of a new chain of the agent {@code agentDn} whose log lives at {@code origin}:
     * {@code cn=agent-<the first 16 hex digits of SHA-256(agentDn, origin)>} under {@code ou=Audit}.
     * The same folder of the same agent always names the same anchor, so a deleted log is missed;
     * agents in other folders or on other hosts name others.
     */
    public static String anchorFor(String agentDn, String origin, DirectoryLayout layout) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest((agentDn + "\n" + origin)
                    .getBytes(StandardCharsets.UTF_8));
            return "cn=" + ANCHOR_PREFIX + HexFormat.of().formatHex(digest, 0, 8) + "," + layout.audit();
        } catch (NoSuchAlgorithmException e) {
            // Every Java SE platform must provide SHA-256 (java.security.MessageDigest Javadoc).
            throw new IllegalStateException("SHA-256 is missing from this Java runtime", e);
        }
    }

    /** Begins a new chain in {@code file} whose first record names its anchor (and {@code note}), and anchors it. */
    private static AgentAuditTrail begin(Path file, AgentConnection plain, String anchorDn, Clock clock,
            List<String> note) throws AuditTrailException, IOException {
        AuditLog log = AuditLog.openFile(file, clock);
        restrict(file);
        AgentAuditTrail trail = new AgentAuditTrail(log, plain, anchorDn, -1);
        log.append(plain.bindDn(), CHAIN_START, anchorDn, note);
        try {
            trail.anchorNow();
        } catch (AuditTrailException e) {
            // A chain nothing vouches for would be refused at the next start: begin none.
            log.close();
            Files.delete(file);
            throw e;
        }
        return trail;
    }

    /** Whether {@code dn} names an agent's anchor: {@code cn=agent-...} directly under {@code ou=Audit}. */
    public static boolean isAgentAnchor(String dn, DirectoryLayout layout) {
        try {
            Dn parsed = new Dn(dn);
            return parsed.getRdn().getType().equalsIgnoreCase("cn")
                    && parsed.getRdn().getValue().startsWith(ANCHOR_PREFIX)
                    && parsed.getParent().equals(new Dn(layout.audit()));
        } catch (LdapException e) {
            return false;
        }
    }

    /**
     * The anchor named by the first record of the log {@code file}, when that log is an agent's.
     *
     * @throws IOException when the file cannot be read
     */
    public static Optional<String> anchorOf(Path file, DirectoryLayout layout) throws IOException {
        return firstRecord(file).filter(record -> CHAIN_START.equals(record.operation())
                && isAgentAnchor(record.target(), layout)).map(AuditRecord::target);
    }

    /**
     * Reads the head anchored at {@code anchorDn}, if the entry holds one.
     *
     * @throws AuditTrailException when the directory cannot be reached or the value is not a head
     */
    public static Optional<AuditHead> readAnchor(AgentConnection directory, String anchorDn)
            throws AuditTrailException {
        try (LdapNetworkConnection connection = directory.open(TIMEOUT_MILLIS)) {
            Entry entry = connection.lookup(new Dn(anchorDn), AttributeNames.AUDIT_SEQUENCE, AttributeNames.AUDIT_HASH);
            Attribute sequence = entry == null ? null : entry.get(AttributeNames.AUDIT_SEQUENCE);
            Attribute hash = entry == null ? null : entry.get(AttributeNames.AUDIT_HASH);
            if (sequence == null || hash == null) {
                return Optional.empty();
            }
            return Optional.of(new AuditHead(Long.parseLong(sequence.getString()), hash.getString()));
        } catch (IOException | LdapException | GeneralSecurityException e) {
            throw new AuditTrailException("cannot read the audit anchor " + anchorDn + " from " + directory.url() + ": "
                    + e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            throw new AuditTrailException("the audit anchor " + anchorDn + " holds no valid head: " + e.getMessage(), e);
        }
    }

    /** The log file. */
    public Path file() {
        return log.file();
    }

    /** The DN of the entry this chain is anchored at. */
    public String anchorDn() {
        return anchorDn;
    }

    /** The head of the chain: the last record appended. */
    public AuditHead head() {
        return log.head();
    }

    /**
     * Appends the record of one write the directory accepted.
     *
     * @throws UncheckedIOException when the log cannot be written: the caller's step fails
     */
    @Override
    public void written(String actor, String operation, String target, List<String> attributes) {
        log.append(actor, operation, target, attributes);
    }

    /**
     * Forces the log to the disk and writes its head to the anchor when it moved since the last
     * anchor, adding the entry when it is missing.
     *
     * @return the head now anchored
     * @throws AuditTrailException when the directory refuses or cannot be reached (the chain on
     *         disk is intact: the next call tries again)
     */
    public synchronized AuditHead anchorNow() throws AuditTrailException {
        AuditHead head;
        try {
            head = log.force();
        } catch (IOException e) {
            throw new AuditTrailException("cannot force the audit log " + log.file() + " to the disk: " + e.getMessage(),
                    e);
        }
        if (head.sequence() == anchoredSequence) {
            return head;
        }
        try (LdapNetworkConnection connection = directory.open(TIMEOUT_MILLIS)) {
            try {
                connection.modify(new Dn(anchorDn),
                        new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, AttributeNames.AUDIT_SEQUENCE,
                                Long.toString(head.sequence())),
                        new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, AttributeNames.AUDIT_HASH,
                                head.hash()));
            } catch (LdapNoSuchObjectException missing) {
                connection.add(new DefaultEntry(anchorDn,
                        "objectClass: top",
                        "objectClass: " + ObjectClassNames.AUDIT_RECORD,
                        "cn: " + new Dn(anchorDn).getRdn().getValue(),
                        AttributeNames.AUDIT_SEQUENCE + ": " + head.sequence(),
                        AttributeNames.AUDIT_HASH + ": " + head.hash()));
            }
        } catch (IOException | LdapException | GeneralSecurityException e) {
            throw new AuditTrailException("cannot anchor the audit head (record " + head.sequence() + ") at " + anchorDn
                    + " in " + directory.url() + ": " + e.getMessage(), e);
        }
        anchoredSequence = head.sequence();
        return head;
    }

    /** Anchors the head a last time and closes the log. */
    @Override
    public void close() throws AuditTrailException, IOException {
        try {
            anchorNow();
        } finally {
            log.close();
        }
    }

    /** The log's folder 0700 and the log 0600, as every folder and file of a data folder (README). */
    private static void restrict(Path file) throws IOException {
        if (Files.getFileStore(file).supportsFileAttributeView(PosixFileAttributeView.class)) {
            Files.setPosixFilePermissions(file.toAbsolutePath().getParent(), PosixFilePermissions.fromString("rwx------"));
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        }
    }

    private static Optional<AuditRecord> firstRecord(Path file) throws IOException {
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        try (BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line = reader.readLine();
            if (line == null || line.isEmpty()) {
                return Optional.empty();
            }
            try {
                return Optional.of(AuditRecord.parse(line));
            } catch (IllegalArgumentException e) {
                return Optional.empty();
            }
        }
    }
}
