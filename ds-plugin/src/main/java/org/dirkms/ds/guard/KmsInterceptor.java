package org.dirkms.ds.guard;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.apache.directory.api.ldap.model.cursor.Cursor;
import org.apache.directory.api.ldap.model.cursor.CursorException;
import org.apache.directory.api.ldap.model.entry.Attribute;
import org.apache.directory.api.ldap.model.entry.DefaultEntry;
import org.apache.directory.api.ldap.model.entry.DefaultModification;
import org.apache.directory.api.ldap.model.entry.Entry;
import org.apache.directory.api.ldap.model.entry.Modification;
import org.apache.directory.api.ldap.model.entry.ModificationOperation;
import org.apache.directory.api.ldap.model.entry.Value;
import org.apache.directory.api.ldap.model.exception.LdapException;
import org.apache.directory.api.ldap.model.exception.LdapInvalidDnException;
import org.apache.directory.api.ldap.model.exception.LdapNoPermissionException;
import org.apache.directory.api.ldap.model.exception.LdapNoSuchObjectException;
import org.apache.directory.api.ldap.model.exception.LdapOperationException;
import org.apache.directory.api.ldap.model.exception.LdapOtherException;
import org.apache.directory.api.ldap.model.filter.BranchNode;
import org.apache.directory.api.ldap.model.filter.ExprNode;
import org.apache.directory.api.ldap.model.filter.FilterParser;
import org.apache.directory.api.ldap.model.filter.LeafNode;
import org.apache.directory.api.ldap.model.message.AliasDerefMode;
import org.apache.directory.api.ldap.model.message.SearchScope;
import org.apache.directory.api.ldap.model.name.Ava;
import org.apache.directory.api.ldap.model.name.Dn;
import org.apache.directory.api.ldap.model.name.Rdn;
import org.apache.directory.api.ldap.model.schema.AttributeType;
import org.apache.directory.server.core.api.CoreSession;
import org.apache.directory.server.core.api.DirectoryService;
import org.apache.directory.server.core.api.LdapPrincipal;
import org.apache.directory.server.core.api.filtering.EntryFilter;
import org.apache.directory.server.core.api.filtering.EntryFilteringCursor;
import org.apache.directory.server.core.api.InterceptorEnum;
import org.apache.directory.server.core.api.interceptor.BaseInterceptor;
import org.apache.directory.server.core.api.interceptor.Interceptor;
import org.apache.directory.server.core.api.interceptor.context.AddOperationContext;
import org.apache.directory.server.core.api.interceptor.context.CompareOperationContext;
import org.apache.directory.server.core.api.interceptor.context.DeleteOperationContext;
import org.apache.directory.server.core.api.interceptor.context.LookupOperationContext;
import org.apache.directory.server.core.api.interceptor.context.ModifyOperationContext;
import org.apache.directory.server.core.api.interceptor.context.MoveAndRenameOperationContext;
import org.apache.directory.server.core.api.interceptor.context.MoveOperationContext;
import org.apache.directory.server.core.api.interceptor.context.OperationContext;
import org.apache.directory.server.core.api.interceptor.context.RenameOperationContext;
import org.apache.directory.server.core.api.interceptor.context.SearchOperationContext;
import org.dirkms.ds.audit.AuditChainException;
import org.dirkms.schema.audit.AuditHead;
import org.dirkms.schema.audit.AuditLog;
import org.dirkms.schema.audit.AuditRecord;
import org.dirkms.ds.audit.AuditStartCheck;
import org.dirkms.schema.AttributeNames;
import org.dirkms.schema.DirectoryLayout;
import org.dirkms.schema.ObjectClassNames;
import org.dirkms.schema.RecoveryState;
import org.dirkms.schema.RequiredApprovals;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The KMS interceptor: applies the {@link AccessPolicy} and the {@link WriteValidator} to every
 * operation, strips from every search result and lookup the attributes the caller may not read,
 * and appends every successful write to KMS objects to the hash-chained {@link AuditLog}.
 *
 * <p>It must sit in the chain right after ApacheDS's schema interceptor (so it sees normalised,
 * schema-checked requests) and be inserted into {@code getInterceptors()} before the directory
 * service starts. Paths that bypass interceptors (persistent search, syncrepl, error
 * diagnostics) are guarded by the {@link WireGuard}, which uses this interceptor's
 * {@link #identityOf}, {@link #guardEntry} and {@link #filterRefusal}.
 *
 * <p>Internal operations of the server (those made through
 * {@link DirectoryService#getAdminSession()}: bootstrap, schema, the audit anchor) are the
 * {@link Role#SERVER} and are neither restricted nor stripped; they are audited like any write
 * to KMS objects, except the anchor itself.
 *
 * <p>The audit log is opened by {@link #openAuditLog}, once the partition holding its anchor is
 * open and before anything is appended: the whole chain is checked against the anchored head
 * first ({@link AuditStartCheck}), and a KMS write before that is refused rather than left
 * unaudited. The audit head is anchored in the directory at {@link DirectoryLayout#auditHead()}
 * every {@value #ANCHOR_EVERY} records, every {@value #ANCHOR_PERIOD_SECONDS} seconds when the
 * head moved, and whenever {@link #anchorNow()} is called. At shutdown the {@link WireGuard}
 * calls it when the LDAP transports stop, because ApacheDS destroys partitions before
 * interceptors, so {@link #destroy()} would be too late.
 */
public final class KmsInterceptor extends BaseInterceptor {

    /** Name of this interceptor in the chain. */
    public static final String NAME = "kmsInterceptor";
    /** Records between two anchors of the audit head. */
    public static final int ANCHOR_EVERY = 100;
    /** Seconds between two timed anchors of the audit head, when it moved. */
    public static final int ANCHOR_PERIOD_SECONDS = 10;

    private static final Logger LOG = LoggerFactory.getLogger(KmsInterceptor.class);

    /** The workflow states whose new value the audit log records beside the attribute's name. */
    private static final Set<String> AUDITED_STATES = Set.of(
            AttributeNames.RECOVERY_STATE.toLowerCase(Locale.ROOT));

    private final Map<String, String> lowerNames = new ConcurrentHashMap<>();
    private final DirectoryLayout layout;
    private final Path auditDirectory;
    private final Clock clock;
    private final RefusalMessages refusals = new RefusalMessages();

    private RoleDirectory roles;
    private AccessPolicy policy;
    private WriteValidator validator;
    private AuditLog auditLog;
    private ScheduledExecutorService anchorExecutor;
    private String auditHeadDn;
    private String rootDseDn;
    private String subschemaDn;
    private long anchoredSequence;
    private AccessCheckInterceptor accessCheck;

    /**
     * @param layout         the directory tree the interceptor guards
     * @param auditDirectory folder of the hash-chained audit log (created when missing)
     */
    public KmsInterceptor(DirectoryLayout layout, Path auditDirectory) {
        this(layout, auditDirectory, Clock.systemUTC());
    }

    /**
     * @param layout         the directory tree the interceptor guards
     * @param auditDirectory folder of the hash-chained audit log (created when missing)
     * @param clock          source of audit record times
     */
    public KmsInterceptor(DirectoryLayout layout, Path auditDirectory, Clock clock) {
        super(NAME);
        this.layout = layout;
        this.auditDirectory = auditDirectory;
        this.clock = clock;
    }

    /**
     * The access check that must sit right after ApacheDS's authentication interceptor, before
     * its exception and schema interceptors (see {@link AccessCheckInterceptor}); the same
     * object on every call. {@link #init} refuses to start without it in that place.
     */
    public synchronized AccessCheckInterceptor accessCheck() {
        if (accessCheck == null) {
            accessCheck = new AccessCheckInterceptor(this);
        }
        return accessCheck;
    }

    /** The directory tree this interceptor guards. */
    public DirectoryLayout layout() {
        return layout;
    }

    /** Folder of the audit log. */
    public Path auditDirectory() {
        return auditDirectory;
    }

    /** The messages of the guard's recent refusals (used by the {@link WireGuard}). */
    public RefusalMessages refusals() {
        return refusals;
    }

    /** The head of the audit chain as appended so far. */
    public AuditHead auditHead() {
        return openLog().head();
    }

    /** Prepares the policy; called by ApacheDS at start-up. The audit log opens later: {@link #openAuditLog}. */
    @Override
    public void init(DirectoryService directoryService) throws LdapException {
        super.init(directoryService);
        requireAccessCheckFirst(directoryService.getInterceptors());
        roles = new RoleDirectory(layout, this::normalise, this::membersOf);
        policy = new AccessPolicy(layout, this::normalise, roles::isRoleHolder);
        validator = new WriteValidator(this::isKmsServer, this::exists);
        auditHeadDn = normalise(layout.auditHead());
        rootDseDn = "";
        subschemaDn = normalise("cn=schema");
        anchoredSequence = -1;
    }

    /**
     * Checks the whole audit log against the head anchored in the directory and opens it, or
     * refuses to: see {@link AuditStartCheck} for the exact rules and the operator's way out.
     * Call it once, after the partition of the suffix is open and before any write to KMS
     * entries. When a broken chain is accepted, the new chain's first record is anchored at once
     * and a warning is logged.
     *
     * @param firstStart   whether this is the data folder's first start (nothing bootstrapped yet)
     * @param acceptBroken the operator's explicit acceptance of a broken chain
     * @throws AuditChainException with a one-line message saying what is wrong and what to do
     * @throws IOException when the log cannot be read, set aside or opened
     * @throws LdapException when the anchor cannot be read or the new head cannot be anchored
     */
    public synchronized void openAuditLog(boolean firstStart, boolean acceptBroken)
            throws AuditChainException, IOException, LdapException {
        if (auditLog != null) {
            throw new IllegalStateException("the audit log " + auditLog.file() + " is open already");
        }
        AuditStartCheck.Opened opened = AuditStartCheck.open(auditDirectory, anchoredHead(), firstStart, acceptBroken,
                AuditRecord.SERVER_ACTOR, layout.auditHead(), clock);
        auditLog = opened.log();
        if (opened.repairNote() != null) {
            LOG.warn("audit log: {}", opened.repairNote());
        }
        if (opened.restart().isPresent()) {
            AuditRecord first = opened.restart().get();
            anchorNow();
            LOG.warn("AUDIT LOG BROKEN, accepted by {}: {}. The broken log {}. A new chain starts in {} with record {}"
                    + " ({}: {}), anchored at once. Keep what was set aside as evidence; start without {} from now on",
                    AuditStartCheck.ACCEPT_FLAG, String.join("; ", first.attributes()),
                    opened.setAside().map(path -> "is kept as " + path).orElse("was missing"), auditLog.file(),
                    first.sequence(), first.operation(), first.target(), AuditStartCheck.ACCEPT_FLAG);
        }
        anchorExecutor = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "dirkms-audit-anchor");
            thread.setDaemon(true);
            return thread;
        });
        anchorExecutor.scheduleWithFixedDelay(this::anchorInBackground, ANCHOR_PERIOD_SECONDS,
                ANCHOR_PERIOD_SECONDS, TimeUnit.SECONDS);
        LOG.info("KMS guard ready; audit log {} checked against its anchor, resumes after record {}", auditLog.file(),
                auditLog.head().sequence());
    }

    /**
     * Without its access check in front of the schema and exception interceptors the guard
     * would judge writes too late (see {@link AccessCheckInterceptor}): refuse to start.
     */
    private void requireAccessCheckFirst(List<Interceptor> chain) throws LdapException {
        int check = -1;
        int schema = -1;
        int exception = -1;
        for (int i = 0; i < chain.size(); i++) {
            Interceptor interceptor = chain.get(i);
            if (interceptor instanceof AccessCheckInterceptor found && found.guard() == this) {
                check = i;
            } else if (InterceptorEnum.SCHEMA_INTERCEPTOR.getName().equals(interceptor.getName())) {
                schema = i;
            } else if (InterceptorEnum.EXCEPTION_INTERCEPTOR.getName().equals(interceptor.getName())) {
                exception = i;
            }
        }
        if (check < 0 || (schema >= 0 && check > schema) || (exception >= 0 && check > exception)) {
            throw new LdapOtherException("the KMS guard's access check (KmsInterceptor.accessCheck()) must be in the"
                    + " interceptor chain before ApacheDS's exception and schema interceptors");
        }
    }

    private AuditLog openLog() {
        if (auditLog == null) {
            throw new IllegalStateException("the audit log in " + auditDirectory + " is not open yet (openAuditLog)");
        }
        return auditLog;
    }

    /** Stops anchoring and closes the audit log (the directory is gone by now: see {@link #anchorNow()}). */
    @Override
    public void destroy() {
        if (anchorExecutor != null) {
            anchorExecutor.shutdownNow();
        }
        if (auditLog != null) {
            try {
                auditLog.close();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot close the audit log " + auditLog.file(), e);
            }
        }
    }

    // ================================================================== identities

    /**
     * The identity behind a core session: {@link Identity#SERVER} for the server's own admin
     * session, anonymous when unbound, otherwise the bound DN with its current roles.
     */
    public Identity identityOf(CoreSession session) {
        if (session == null || session == directoryService.getAdminSession()) {
            return Identity.SERVER;
        }
        LdapPrincipal principal = session.getEffectivePrincipal();
        if (principal == null || principal.getDn() == null || principal.getDn().isEmpty() || session.isAnonymous()) {
            return Identity.ANONYMOUS;
        }
        return roles.identify(normalise(principal.getDn()));
    }

    private Identity identify(OperationContext context) {
        return identityOf(context.getSession());
    }

    // ================================================================== reads

    /**
     * Why {@code who} may not test these attributes in a filter or a compare, or {@code null}.
     *
     * @param attributeIds attribute descriptions as sent (names or OIDs, options allowed)
     */
    public String filterRefusal(Identity who, Collection<String> attributeIds) {
        List<String> names = new ArrayList<>();
        for (String id : attributeIds) {
            names.add(canonicalName(id));
        }
        String refusal = policy.filterRefusal(who, names);
        return refusal == null ? null : refusals.remember(refusal);
    }

    /**
     * The entry as {@code who} may see it: {@code entry} itself when nothing is hidden,
     * otherwise a copy without the attributes {@code who} may not read. Never changes
     * {@code entry}, which may be shared.
     */
    public Entry guardEntry(Identity who, Entry entry) {
        if (who.has(Role.SERVER) || entry == null) {
            return entry;
        }
        List<Attribute> hidden = hiddenAttributes(who, entry);
        if (hidden.isEmpty()) {
            return entry;
        }
        Entry copy = entry.clone();
        removeAll(copy, hidden);
        return copy;
    }

    /**
     * The entry without any secret attribute: {@code entry} itself when it holds none, otherwise
     * a copy. Used for connections without TLS, over which no secret travels.
     */
    public Entry withoutSecrets(Entry entry) {
        if (entry == null) {
            return null;
        }
        List<Attribute> secrets = new ArrayList<>();
        for (Attribute attribute : entry.getAttributes()) {
            if (AccessPolicy.isSecret(canonicalName(attribute))) {
                secrets.add(attribute);
            }
        }
        if (secrets.isEmpty()) {
            return entry;
        }
        Entry copy = entry.clone();
        removeAll(copy, secrets);
        return copy;
    }

    /** The attributes of {@code entry} that {@code who} may not read. */
    private List<Attribute> hiddenAttributes(Identity who, Entry entry) {
        List<Attribute> hidden = new ArrayList<>();
        if (who.isTrusted()) {
            // KMS agents read everything but the password, which nobody reads.
            Attribute password = entry.get(AttributeNames.USER_PASSWORD);
            if (password != null) {
                hidden.add(password);
            }
            return hidden;
        }
        String dn = null;
        boolean serverMetadata = false;
        String[] requester = new String[1];
        for (Attribute attribute : entry.getAttributes()) {
            String name = canonicalName(attribute);
            if (!AccessPolicy.dependsOnTarget(name) && policy.mayRead(who, name, null, null)) {
                continue; // the common case, judged without the entry's DN
            }
            if (dn == null) {
                dn = normalise(entry.getDn());
                serverMetadata = dn.equals(rootDseDn) || dn.equals(subschemaDn);
            }
            boolean readable = serverMetadata && !AccessPolicy.isSecret(name)
                    || policy.mayRead(who, name, dn, () -> requester[0] != null ? requester[0]
                            : (requester[0] = recoveryRequester(entry)));
            if (!readable) {
                hidden.add(attribute);
            }
        }
        return hidden;
    }

    private static void removeAll(Entry entry, List<Attribute> attributes) {
        for (Attribute attribute : attributes) {
            if (attribute.getAttributeType() != null) {
                entry.removeAttributes(attribute.getAttributeType());
            } else {
                entry.removeAttributes(attribute.getUpId());
            }
        }
    }

    /**
     * Refuses a filter that tests what the caller may not test, and strips from every result
     * the attributes the caller may not read.
     */
    @Override
    public EntryFilteringCursor search(SearchOperationContext context) throws LdapException {
        Identity who = identify(context);
        if (who.has(Role.SERVER)) {
            return next(context);
        }
        String refusal = filterRefusal(who, filterAttributes(context.getFilter()));
        if (refusal != null) {
            throw new LdapNoPermissionException(refusal);
        }
        EntryFilteringCursor cursor = next(context);
        cursor.addEntryFilter(new StrippingFilter(who));
        return cursor;
    }

    /** Returns the entry without the attributes the caller may not read. */
    @Override
    public Entry lookup(LookupOperationContext context) throws LdapException {
        Entry entry = next(context);
        return guardEntry(identify(context), entry);
    }

    /**
     * Compares only what the caller may read: a compare is a one-bit read, so comparing a
     * secret (or, anonymously, a non-public attribute) without the right to read it is refused
     * with insufficientAccessRights rather than answered.
     */
    @Override
    public boolean compare(CompareOperationContext context) throws LdapException {
        Identity who = identify(context);
        if (!who.has(Role.SERVER)) {
            String id = context.getAttributeType() != null ? context.getAttributeType().getOid() : context.getOid();
            String name = canonicalName(id);
            String dn = normalise(context.getDn());
            if (!policy.mayRead(who, name, dn, () -> recoveryRequester(dn))) {
                throw new LdapNoPermissionException(refusals.remember("you may not compare "
                        + AccessPolicy.display(name) + (AccessPolicy.isSecret(name)
                                ? ": it is a secret attribute you are not entitled to read"
                                : ": you are not entitled to read it")));
            }
        }
        return next(context);
    }

    /** Strips unreadable attributes from each search result (entries here are per-result clones). */
    private final class StrippingFilter implements EntryFilter {
        private final Identity who;

        StrippingFilter(Identity who) {
            this.who = who;
        }

        @Override
        public boolean accept(SearchOperationContext context, Entry entry) {
            // A search for no attributes ("1.1", RFC 4511 section 4.5.1.8) returns none: nothing
            // to strip, and ApacheDS's own projection of such a result fails on an entry from
            // which an attribute was removed.
            if (!who.has(Role.SERVER) && !context.isNoAttributes()) {
                // The cursor hands each filter its own ClonedServerEntry: strip in place.
                removeAll(entry, hiddenAttributes(who, entry));
            }
            return true;
        }

        @Override
        public String toString(String tabs) {
            return tabs + "KMS secret stripping filter for " + (who.dn().isEmpty() ? who.roles() : who.dn());
        }
    }

    // ================================================================== writes

    /**
     * Decides whether the caller may make the write, before any other interceptor compares its
     * values with the entry: the {@link AccessCheckInterceptor}, which sits right after
     * authentication, calls it, so that an unauthorised write is refused with the same result
     * code whether or not a value it names is there (no value oracle). For a new recovery
     * request it also records who asked and that it is pending. Values that are too large are
     * refused here too, before they reach the partition or the replication log.
     */
    void authorize(OperationContext context) throws LdapException {
        Identity who = identify(context);
        if (who.has(Role.SERVER)) {
            return;
        }
        Write write = describe(context, who);
        try {
            policy.checkWrite(who, write.target(), write.changes());
            ValueLimits.check(who, context.getDn(), write.changes());
        } catch (LdapOperationException e) {
            throw refused(context, write, e);
        }
        if (context instanceof AddOperationContext add && !who.isTrusted()
                && write.target().is(ObjectClassNames.RECOVERY_REQUEST)) {
            recordRequester(add.getEntry(), context);
        }
    }

    /** Judges the new entry's values, adds it, and audits it when it concerns the KMS. */
    @Override
    public void add(AddOperationContext context) throws LdapException {
        Write write = validated(context);
        next(context);
        written(context, write, "add");
    }

    /** Judges every modification's values against the entry as it is, applies them, and audits. */
    @Override
    public void modify(ModifyOperationContext context) throws LdapException {
        Write write = validated(context);
        next(context);
        written(context, write, "modify");
    }

    /** Deletes the entry (already authorised) and audits deletions of KMS objects. */
    @Override
    public void delete(DeleteOperationContext context) throws LdapException {
        Write write = validated(context);
        next(context);
        written(context, write, "delete");
    }

    /** Renames the entry (already authorised; the new RDN's values are judged), audited like a write. */
    @Override
    public void rename(RenameOperationContext context) throws LdapException {
        Write write = validated(context);
        next(context);
        written(context, write, "rename");
    }

    /** Moves the entry (already authorised), audited like a write. */
    @Override
    public void move(MoveOperationContext context) throws LdapException {
        Write write = validated(context);
        next(context);
        written(context, write, "move");
    }

    /** A move and a rename at once, judged as both. */
    @Override
    public void moveAndRename(MoveAndRenameOperationContext context) throws LdapException {
        Write write = validated(context);
        next(context);
        written(context, write, "move-and-rename");
    }

    /** A write as the guard judges it: who, the entry, and the attribute changes. */
    private record Write(Identity who, WriteTarget target, List<AttributeChange> changes, Entry original) {
    }

    private Write validated(OperationContext context) throws LdapException {
        Identity who = identify(context);
        Write write = describe(context, who);
        if (!who.has(Role.SERVER)) {
            try {
                validator.validate(who, write.target(), write.changes());
            } catch (LdapOperationException e) {
                throw refused(context, write, e);
            }
        }
        return write;
    }

    /**
     * Remembers a refusal for the wire guard's diagnostics and, for a write to a recovery
     * request, audits it (docs/security.md: every step of a recovery is in the audit log, the
     * refused ones too): who, which entry, the attributes, and the result code, never a value.
     */
    private LdapOperationException refused(OperationContext context, Write write, LdapOperationException e) {
        WriteTarget target = write.target();
        refusals.remember(e.getMessage());
        LOG.debug("refused {} of {} by {}: {}", target.kind(), target.dn(), write.who().dn(), e.getMessage());
        boolean recovery = policy.zoneOf(target.dn()) == AccessPolicy.Zone.RECOVERY_REQUESTS
                || (target.newDn() != null && policy.zoneOf(target.newDn()) == AccessPolicy.Zone.RECOVERY_REQUESTS);
        if (recovery && auditLog != null) {
            List<String> names = new ArrayList<>(attributeNames(write.changes()));
            names.add("result=" + e.getResultCode().getMessage());
            try {
                auditLog.append(actorOf(context), "refused-" + target.kind().name().toLowerCase(Locale.ROOT),
                        context.getDn().getName(), names);
            } catch (UncheckedIOException failure) {
                LOG.error("the refused {} of {} by {} could not be audited: {}", target.kind(), target.dn(),
                        actorOf(context), failure.getCause().getMessage());
            }
        }
        return e;
    }

    /**
     * The attribute names of {@code changes} as the audit log records them: the schema spelling,
     * each once, and for the workflow states the state set ({@code kmsRecoveryState=approved}),
     * which is no secret and tells the steps of a workflow apart.
     */
    private static Set<String> attributeNames(List<AttributeChange> changes) {
        Set<String> names = new LinkedHashSet<>();
        for (AttributeChange change : changes) {
            names.add(AccessPolicy.display(change.attribute()));
        }
        for (AttributeChange change : changes) {
            if (AUDITED_STATES.contains(change.attribute()) && change.operation() != AttributeChange.Operation.REMOVE) {
                for (int i = 0; i < change.values().size(); i++) {
                    names.add(AccessPolicy.display(change.attribute()) + "=" + change.text(i));
                }
            }
        }
        return names;
    }

    /** The write of {@code context} in the guard's terms; the entry is read only when the operation lacks it. */
    private Write describe(OperationContext context, Identity who) throws LdapException {
        Entry original = context.getEntry();
        if (context instanceof AddOperationContext add) {
            Entry entry = add.getEntry();
            List<AttributeChange> changes = new ArrayList<>();
            for (Attribute attribute : entry.getAttributes()) {
                changes.add(new AttributeChange(canonicalName(attribute), AttributeChange.Operation.ADD,
                        bytes(attribute)));
            }
            return new Write(who, new WriteTarget(WriteTarget.Kind.ADD, normalise(context.getDn()), null,
                    objectClasses(entry), Map.of(), context.getDn().getName()), changes, entry);
        }
        if (original == null && !who.has(Role.SERVER)) {
            original = internalLookup(context.getDn());
        }
        String dn = normalise(context.getDn());
        if (context instanceof ModifyOperationContext modify) {
            List<AttributeChange> changes = new ArrayList<>();
            for (Modification modification : modify.getModItems()) {
                changes.add(new AttributeChange(canonicalName(modification.getAttribute()),
                        operation(modification.getOperation()), bytes(modification.getAttribute())));
            }
            return new Write(who, new WriteTarget(WriteTarget.Kind.MODIFY, dn, null, objectClasses(original),
                    currentValues(original), context.getDn().getName()), changes, original);
        }
        if (context instanceof DeleteOperationContext) {
            // The judged values too: a trusted partner is not deleted while it holds a cross-certificate.
            return new Write(who, new WriteTarget(WriteTarget.Kind.DELETE, dn, null, objectClasses(original),
                    currentValues(original), context.getDn().getName()), List.of(), original);
        }
        Dn newDn;
        Rdn newRdn = null;
        if (context instanceof RenameOperationContext rename) {
            newDn = rename.getNewDn();
            newRdn = rename.getNewRdn();
        } else if (context instanceof MoveAndRenameOperationContext moveAndRename) {
            newDn = moveAndRename.getNewDn();
            newRdn = moveAndRename.getNewRdn();
        } else if (context instanceof MoveOperationContext move) {
            newDn = move.getNewDn();
        } else {
            throw new IllegalArgumentException("not a write: " + context.getClass().getSimpleName());
        }
        return new Write(who, new WriteTarget(WriteTarget.Kind.RENAME, dn, newDn == null ? null : normalise(newDn),
                objectClasses(original), currentValues(original), context.getDn().getName()
                        + (newDn == null ? "" : " (to " + newDn.getName() + ")")), rdnChanges(newRdn), original);
    }

    /** The attribute values a new RDN puts into the entry (RFC 4511 section 4.9). */
    private List<AttributeChange> rdnChanges(Rdn newRdn) {
        List<AttributeChange> changes = new ArrayList<>();
        if (newRdn != null) {
            for (Ava ava : newRdn) {
                changes.add(new AttributeChange(canonicalName(ava.getType()), AttributeChange.Operation.ADD,
                        List.of(ava.getValue().getBytes())));
            }
        }
        return changes;
    }

    /**
     * A new recovery request names who asked, starts pending, and needs the number of approvals
     * the KMS server's configuration requires: the directory writes all three
     * (docs/administrator-contract.md, 5), so that no client can claim to be someone else, skip a
     * state or ask for fewer approvals.
     */
    private void recordRequester(Entry request, OperationContext context) throws LdapException {
        String requester = actorOf(context);
        request.removeAttributes(AttributeNames.RECOVERY_REQUESTER);
        request.add(schemaManager.lookupAttributeTypeRegistry(AttributeNames.RECOVERY_REQUESTER), requester);
        if (request.get(AttributeNames.RECOVERY_STATE) == null) {
            request.add(schemaManager.lookupAttributeTypeRegistry(AttributeNames.RECOVERY_STATE),
                    RecoveryState.PENDING.ldapValue());
        }
        Attribute target = request.get(AttributeNames.RECOVERY_TARGET);
        request.removeAttributes(AttributeNames.REQUIRED_APPROVALS);
        request.add(schemaManager.lookupAttributeTypeRegistry(AttributeNames.REQUIRED_APPROVALS),
                Integer.toString(requiredApprovals(target == null || target.get() == null ? null
                        : target.get().getString())));
    }

    /**
     * The {@code kmsRequiredApprovals} of the KMS server that serves {@code targetDn}: the server
     * its {@code kmsAdministrativeGroup} names in {@code kmsAssignedServer}, or the default
     * group's when it names none; {@link RequiredApprovals#DEFAULT} when that server's entry has
     * no count (or the target or its server cannot be found: the validator refuses a target that
     * names no entry). A value that is not a count (only KMS agents write it, and the validator
     * checks them) counts as the default or more, never less.
     */
    private int requiredApprovals(String targetDn) {
        try {
            Entry target = targetDn == null ? null : internalLookup(new Dn(schemaManager, targetDn));
            Attribute named = target == null ? null : target.get(AttributeNames.ADMINISTRATIVE_GROUP);
            Entry group = named != null && named.get() != null
                    ? internalLookup(new Dn(schemaManager, named.get().getString())) : defaultGroup();
            Attribute server = group == null ? null : group.get(AttributeNames.ASSIGNED_SERVER);
            Entry serverEntry = server == null || server.get() == null ? null
                    : internalLookup(new Dn(schemaManager, server.get().getString()));
            Attribute count = serverEntry == null ? null : serverEntry.get(AttributeNames.REQUIRED_APPROVALS);
            if (count == null || count.get() == null) {
                return RequiredApprovals.DEFAULT;
            }
            try {
                return RequiredApprovals.parse(count.get().getString(), serverEntry.getDn().getName());
            } catch (IllegalArgumentException e) {
                LOG.warn("{}; recovery requests need {} approvals until it is corrected", e.getMessage(),
                        RequiredApprovals.DEFAULT);
                return RequiredApprovals.DEFAULT;
            }
        } catch (LdapException e) {
            return RequiredApprovals.DEFAULT; // not a DN: the validator refuses the target
        }
    }

    /** The administrative group marked {@code kmsDefaultGroup: TRUE}, or {@code null}. */
    private Entry defaultGroup() throws LdapException {
        Dn groups = new Dn(schemaManager, layout.administrativeGroups());
        try (Cursor<Entry> cursor = directoryService.getAdminSession().search(groups, SearchScope.ONELEVEL,
                FilterParser.parse(schemaManager, "(" + AttributeNames.DEFAULT_GROUP + "=TRUE)"),
                AliasDerefMode.NEVER_DEREF_ALIASES, AttributeNames.ASSIGNED_SERVER)) {
            return cursor.next() ? cursor.get() : null;
        } catch (LdapNoSuchObjectException e) {
            return null;
        } catch (CursorException | IOException | java.text.ParseException e) {
            throw new LdapOtherException("cannot find the default administrative group: " + e.getMessage(), e);
        }
    }

    /**
     * After a successful write: refresh role caches and audit it when it concerns the KMS, is a
     * password change, or is made by the directory administrator (whose every use of its power
     * is recorded: docs/security.md).
     */
    private void written(OperationContext context, Write write, String operation) throws LdapException {
        Identity who = write.who();
        WriteTarget target = write.target();
        List<AttributeChange> changes = write.changes();
        Entry original = write.original();
        if (roles.isRoleGroup(target.dn()) || (target.newDn() != null && roles.isRoleGroup(target.newDn()))) {
            roles.invalidate();
        }
        if (who.has(Role.SERVER) && target.dn().equals(auditHeadDn)) {
            return; // the anchor itself is not audited: it would chain forever
        }
        boolean kmsUser = target.is(ObjectClassNames.KMS_USER)
                || (original != null && original.hasObjectClass(ObjectClassNames.KMS_USER));
        boolean touchesKms = who.has(Role.DIRECTORY_ADMINISTRATOR);
        Set<String> names = attributeNames(changes);
        for (AttributeChange change : changes) {
            touchesKms |= AccessPolicy.isKmsAttribute(change.attribute())
                    || change.attribute().equals(AttributeNames.USER_PASSWORD.toLowerCase(Locale.ROOT));
            if (change.attribute().equals("objectclass")) {
                for (int i = 0; i < change.values().size(); i++) {
                    touchesKms |= change.text(i).toLowerCase(Locale.ROOT).startsWith("kms");
                }
            }
        }
        boolean auditable = policy.isKmsEntry(target.dn()) || (target.newDn() != null && policy.isKmsEntry(target.newDn()))
                || roles.isRoleGroup(target.dn()) || kmsUser || touchesKms;
        if (!auditable) {
            return;
        }
        String actor = who.has(Role.SERVER) ? AuditRecord.SERVER_ACTOR : actorOf(context);
        String targetDn = context.getDn().getName();
        if (target.newDn() != null) {
            names.add("newDn=" + target.newDn());
        }
        if (auditLog == null) {
            // Only the server itself writes before the log is open; a KMS write then is a bug.
            LOG.error("the {} of {} by {} was applied before the audit log was opened", operation, targetDn, actor);
            throw new LdapOtherException("the change was applied, but the audit log is not open yet");
        }
        long sequence;
        try {
            sequence = auditLog.append(actor, operation, targetDn, List.copyOf(names)).sequence();
        } catch (UncheckedIOException e) {
            LOG.error("the {} of {} by {} was applied but could not be audited: {}", operation, targetDn, actor,
                    e.getCause().getMessage());
            throw new LdapOtherException("the change was applied, but the audit log could not be written; "
                    + "the server's audit directory needs attention");
        }
        if (sequence % ANCHOR_EVERY == 0) {
            anchorExecutor.execute(this::anchorInBackground);
        }
    }

    private static String actorOf(OperationContext context) {
        LdapPrincipal principal = context.getEffectivePrincipal();
        return principal == null || principal.getDn() == null ? "" : principal.getDn().getName();
    }

    // ================================================================== audit anchor

    /**
     * Forces the audit log to the disk and writes its head (sequence and hash) to
     * {@link DirectoryLayout#auditHead()}, creating that entry when missing. Call it before
     * shutting the directory service down.
     *
     * @return the head now anchored
     * @throws LdapException when the directory refuses the write (e.g. {@code ou=Audit} is missing)
     */
    public synchronized AuditHead anchorNow() throws LdapException {
        AuditHead head;
        try {
            head = openLog().force();
        } catch (IOException e) {
            throw new LdapOtherException("cannot force the audit log to the disk: " + e.getMessage(), e);
        }
        if (head.sequence() == anchoredSequence || head.sequence() == 0) {
            return head;
        }
        CoreSession server = directoryService.getAdminSession();
        Dn dn = new Dn(schemaManager, layout.auditHead());
        AttributeType sequenceType = schemaManager.lookupAttributeTypeRegistry(AttributeNames.AUDIT_SEQUENCE);
        AttributeType hashType = schemaManager.lookupAttributeTypeRegistry(AttributeNames.AUDIT_HASH);
        try {
            server.modify(dn, List.of(
                    new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, sequenceType,
                            Long.toString(head.sequence())),
                    new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, hashType, head.hash())));
        } catch (LdapNoSuchObjectException e) {
            server.add(new DefaultEntry(schemaManager, dn,
                    "objectClass: top",
                    "objectClass: " + ObjectClassNames.AUDIT_RECORD,
                    "cn: head",
                    AttributeNames.AUDIT_SEQUENCE + ": " + head.sequence(),
                    AttributeNames.AUDIT_HASH + ": " + head.hash()));
        }
        anchoredSequence = head.sequence();
        return head;
    }

    /** The head anchored in the directory, if the anchor entry exists. */
    public Optional<AuditHead> anchoredHead() throws LdapException {
        Entry entry = internalLookup(new Dn(schemaManager, layout.auditHead()));
        if (entry == null || entry.get(AttributeNames.AUDIT_SEQUENCE) == null || entry.get(AttributeNames.AUDIT_HASH) == null) {
            return Optional.empty();
        }
        return Optional.of(new AuditHead(Long.parseLong(entry.get(AttributeNames.AUDIT_SEQUENCE).get().getString()),
                entry.get(AttributeNames.AUDIT_HASH).get().getString()));
    }

    private void anchorInBackground() {
        try {
            anchorNow();
        } catch (LdapException e) {
            // The chain on disk is intact; the next period or the shutdown anchor retries.
            LOG.warn("could not anchor the audit head in {}: {}", layout.auditHead(), e.getMessage());
        }
    }

    // ================================================================== helpers

    private String normalise(String dn) {
        try {
            return new Dn(schemaManager, dn).getNormName();
        } catch (LdapInvalidDnException e) {
            throw new IllegalArgumentException("not a DN: " + e.getMessage(), e);
        }
    }

    private String normalise(Dn dn) {
        if (dn == null || dn.isEmpty()) {
            return "";
        }
        if (dn.isSchemaAware()) {
            return dn.getNormName();
        }
        return normalise(dn.getName());
    }

    private Set<String> membersOf(String groupDn) {
        Entry group;
        try {
            group = internalLookup(new Dn(schemaManager, groupDn));
        } catch (LdapException e) {
            throw new IllegalStateException("cannot read the KMS role group " + groupDn + ": " + e.getMessage(), e);
        }
        Set<String> members = new HashSet<>();
        Attribute member = group == null ? null : group.get(AttributeNames.MEMBER);
        if (member != null) {
            for (Value value : member) {
                try {
                    members.add(normalise(value.getString()));
                } catch (IllegalArgumentException e) {
                    LOG.warn("ignoring a member of {} that is not a DN", groupDn);
                }
            }
        }
        return members;
    }

    private boolean exists(String dn) {
        try {
            return internalLookup(new Dn(schemaManager, dn)) != null;
        } catch (LdapException e) {
            return false; // not a DN: it names nothing
        }
    }

    private boolean isKmsServer(String dn) {
        try {
            Entry entry = internalLookup(new Dn(schemaManager, dn));
            return entry != null && entry.hasObjectClass(ObjectClassNames.SERVER);
        } catch (LdapException e) {
            return false; // not a DN, or unreadable: it does not name a server
        }
    }

    private String recoveryRequester(Entry entry) {
        Attribute requester = entry.get(AttributeNames.RECOVERY_REQUESTER);
        if (requester == null) {
            return recoveryRequester(normalise(entry.getDn()));
        }
        return normaliseOrNull(requester.get() == null ? null : requester.get().getString());
    }

    private String recoveryRequester(String normalisedDn) {
        try {
            Entry stored = internalLookup(new Dn(schemaManager, normalisedDn));
            Attribute requester = stored == null ? null : stored.get(AttributeNames.RECOVERY_REQUESTER);
            return requester == null ? null : normaliseOrNull(requester.getString());
        } catch (LdapException e) {
            return null; // no requester can be established: nobody but agents is entitled
        }
    }

    private String normaliseOrNull(String dn) {
        if (dn == null) {
            return null;
        }
        try {
            return normalise(dn);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** Reads an entry with the server's own session; {@code null} when it does not exist. */
    private Entry internalLookup(Dn dn) throws LdapException {
        try {
            return directoryService.getAdminSession().lookup(dn, "*", "+");
        } catch (LdapNoSuchObjectException e) {
            return null;
        }
    }

    /** The values of the attributes judged against the entry ({@link WriteTarget#JUDGED}). */
    private Map<String, List<byte[]>> currentValues(Entry entry) {
        Map<String, List<byte[]>> values = new HashMap<>();
        if (entry != null) {
            for (Attribute attribute : entry.getAttributes()) {
                String name = canonicalName(attribute);
                if (WriteTarget.JUDGED.contains(name)) {
                    values.put(name, bytes(attribute));
                }
            }
        }
        return values;
    }

    private static Set<String> objectClasses(Entry entry) {
        Set<String> classes = new HashSet<>();
        Attribute objectClass = entry == null ? null : entry.get(AttributeNames.OBJECT_CLASS);
        if (objectClass != null) {
            for (Value value : objectClass) {
                classes.add(value.getString());
            }
        }
        return classes;
    }

    private static List<byte[]> bytes(Attribute attribute) {
        List<byte[]> values = new ArrayList<>();
        for (Value value : attribute) {
            values.add(value.getBytes());
        }
        return values;
    }

    private static AttributeChange.Operation operation(ModificationOperation operation) {
        return switch (operation) {
            case ADD_ATTRIBUTE -> AttributeChange.Operation.ADD;
            case REMOVE_ATTRIBUTE -> AttributeChange.Operation.REMOVE;
            default -> AttributeChange.Operation.REPLACE; // replace, and increment (RFC 4525)
        };
    }

    /** Lower-case primary name of an attribute (schema-aware or not). */
    String canonicalName(Attribute attribute) {
        AttributeType type = attribute.getAttributeType();
        return type != null ? lowerName(type) : canonicalName(attribute.getUpId());
    }

    /** Lower-case primary name of an attribute description (name or OID, options ignored). */
    String canonicalName(String attributeId) {
        String base = attributeId;
        int options = base.indexOf(';');
        if (options >= 0) {
            base = base.substring(0, options);
        }
        AttributeType type = schemaManager.getAttributeType(base);
        return type != null ? lowerName(type) : base.toLowerCase(Locale.ROOT);
    }

    /**
     * The lower-case primary name of a schema attribute type, computed once per type: every
     * attribute of every search result is judged by name, so this is on the hot path of every
     * look-up. The cache is bounded by the schema (only defined types enter it).
     */
    private String lowerName(AttributeType type) {
        return lowerNames.computeIfAbsent(type.getOid(), oid -> type.getName().toLowerCase(Locale.ROOT));
    }

    /** Attribute descriptions tested by a filter. */
    static List<String> filterAttributes(ExprNode filter) {
        List<String> attributes = new ArrayList<>();
        collect(filter, attributes);
        return attributes;
    }

    private static void collect(ExprNode node, List<String> attributes) {
        if (node instanceof BranchNode branch) {
            for (ExprNode child : branch.getChildren()) {
                collect(child, attributes);
            }
        } else if (node instanceof LeafNode leaf) {
            if (leaf.getAttributeType() != null) {
                attributes.add(leaf.getAttributeType().getOid());
            } else if (leaf.getAttribute() != null) {
                attributes.add(leaf.getAttribute());
            }
        }
    }
}
