package org.dirkms.ds.guard;

import static org.dirkms.schema.AttributeNames.*;

import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.apache.directory.api.ldap.model.exception.LdapAttributeInUseException;
import org.apache.directory.api.ldap.model.exception.LdapException;
import org.apache.directory.api.ldap.model.exception.LdapNoPermissionException;
import org.apache.directory.api.ldap.model.exception.LdapUnwillingToPerformException;
import org.dirkms.schema.DirectoryLayout;
import org.dirkms.schema.KmsSchema;
import org.dirkms.schema.ObjectClassNames;
import org.dirkms.schema.RecoveryState;

/**
 * The directory's access control. ApacheDS access control (ACIs) is off; this class is the one
 * place that says who may read, test and write what (docs/security.md, the access model). The
 * {@link KmsInterceptor} applies it to every operation, deciding a write before anything
 * compares its values with the entry (so that result codes tell nothing about values the caller
 * may not read), and the {@link WireGuard} to what bypasses interceptors.
 *
 * <h2>Who</h2>
 * Roles come from the bound DN ({@link RoleDirectory}): anonymous; authenticated; the directory
 * administrator ({@code uid=admin,ou=system}, which owns identities and holds no KMS role); KMS
 * administrator (member of {@code cn=KMS Administrators}); recovery agent (member of
 * {@code cn=Recovery Agents}); KMS agent (member of {@code cn=KMS Agents}); and the server itself
 * (internal operations: bootstrap, schema, the audit anchor). "Self" means the bound DN is the
 * target entry's DN. Roles add up. No single role can obtain a user's private key or a
 * certificate binding another person's name or address to a key it holds: the directory
 * administrator can reset a user's password but reads no token; a KMS administrator reads
 * tokens but changes no password, name, address or role.
 *
 * <h2>Reading</h2>
 * <ul>
 * <li>The server and KMS agents read everything but {@code userPassword}, which nobody reads
 * (it is stored hashed; binds check it).</li>
 * <li>Secrets ({@link KmsSchema#secretAttributeNames()}) are read only by: {@code kmsKeyPackage}
 * — self; {@code kmsEnrollmentToken} — KMS administrators; {@code kmsWrappedKey} and
 * {@code kmsSealedRecoveryKeys} (the recovery keys under threshold custody, docs/custody.md) —
 * nobody else; {@code kmsRecoveryPackage} and {@code kmsRecoveryToken} — the request's
 * {@code kmsRecoveryRequester}.</li>
 * <li>Anonymous clients read only {@link #PUBLIC_ATTRIBUTES}: what a mail client needs to find
 * a certificate, a CA, a CRL or a trust list (plus the {@link #REPLICATION_BOOKKEEPING} that
 * syncrepl needs); the root DSE and {@code cn=schema} are readable by all.</li>
 * <li>Any other authenticated identity reads every other attribute.</li>
 * </ul>
 * An attribute that may not be read is left out of the entry, as if absent. Over a connection
 * without TLS no secret is sent or accepted at all, whoever asks (the {@link WireGuard} answers
 * confidentialityRequired).
 *
 * <h2>Testing (filters and compare)</h2>
 * A filter may test a secret attribute only when the server or a KMS agent sends it, so
 * {@code (kmsKeyPackage=*)} tells nobody else who has a package; {@code userPassword} is tested
 * by nobody (a filter would be a password oracle); an anonymous filter may test public
 * attributes only. A server-side sort key counts as a filter term. A refused filter fails the
 * whole search with insufficientAccessRights. Compare is allowed exactly when reading is.
 *
 * <h2>Writing</h2>
 * The tree has zones, each with its writers:
 * <ul>
 * <li>{@code ou=Audit}: the server alone writes its anchor {@code cn=head}; a KMS agent adds and
 * modifies its own audit anchor beside it (any other entry directly under {@code ou=Audit});
 * nobody deletes or renames an anchor. The KMS schema ({@code cn=dirkms,ou=schema}): the
 * server alone.</li>
 * <li>the rest of {@code ou=KMS} (servers, CAs, templates, the request queue, the key archive,
 * the agent's identity), the three role groups, and the {@code kmsPublishedCertificate}
 * entries: KMS agents only, that is the KMS and the {@code dirkms} commands run where it runs.
 * The key archive is append-only: no record is ever deleted, by anyone, and once added a record
 * changes only to re-wrap its key to another recovery key, to be marked abandoned or to get its
 * certificate; its owner never changes and it never loses its wrapped key. Nothing under
 * {@code ou=KMS} is ever renamed or moved, and no entry is moved into it.</li>
 * <li>{@code ou=Recovery Requests}: KMS administrators add a request (a name, a description,
 * the target, optionally the one certificate whose key to recover; the directory records the
 * requester, the state and the number of approvals the KMS server's configuration requires) and
 * may withdraw it; each recovery agent adds or removes their own DN in
 * {@code kmsRecoveryApproval} of a pending request that another person asked for, and adds or
 * deletes values of {@code kmsRecoveryShare} (their custody share sealed to the request key,
 * docs/custody.md) under the same conditions, one value at a time and never replacing the
 * attribute; the requester deletes the recovered package to confirm the fetch. A custody
 * session ({@code kmsCustodySession}: a dirkms command waiting for shares) is made, changed and
 * deleted by KMS agents only, but for the approvals and shares recovery agents give it while it
 * is pending (or has no state yet).</li>
 * <li>{@code ou=Trust} and {@code ou=Administrative Groups}: KMS administrators (the signed
 * trust list, its sequence and next update, a partner's recorded subject and last error, and the
 * cross-certificates the enterprise CA issued, {@code crossCertificatePair}, are the KMS's).</li>
 * <li>everything else (people, other groups): the directory administrator adds, deletes and
 * renames entries and writes their non-KMS attributes, including {@code mail} and passwords,
 * except the entries of role holders (their passwords and names are theirs and the KMS's) and
 * the DNs of KMS users (the subject of their certificates); KMS administrators write the KMS
 * requests on people ({@code kmsUser}, {@code kmsEnrollmentState}, {@code kmsAdministrativeGroup},
 * {@code kmsRevocationReason}); a user writes their own non-KMS attributes except
 * {@code objectClass} and {@code mail}, their own {@code kmsSigningRequest} and
 * {@code kmsDeliveryKey}, and deletes their own {@code kmsKeyPackage}. Certificates on an entry
 * that is not a KMS user may be written by its owner and the directory administrator (the
 * {@link WriteValidator} checks they name the entry's addresses); on a KMS user only the KMS
 * writes them.</li>
 * <li>Agent-only attributes ({@link #AGENT_ONLY}) are written by KMS agents wherever they are.</li>
 * </ul>
 * Every refusal is insufficientAccessRights (or unwillingToPerform for what nobody may do, or
 * attributeOrValueExists for a second approval) with a message that names what is refused and
 * who may do it.
 */
public final class AccessPolicy {

    /** What anonymous clients may read and test: lower-case attribute names. */
    public static final Set<String> PUBLIC_ATTRIBUTES = lower(OBJECT_CLASS, CN, SN, "givenName", "displayName", "o",
            OU, DC, MAIL, UID, DESCRIPTION, USER_CERTIFICATE, USER_SMIME_CERTIFICATE, CA_CERTIFICATE,
            CERTIFICATE_REVOCATION_LIST, AUTHORITY_REVOCATION_LIST, DELTA_REVOCATION_LIST, CROSS_CERTIFICATE_PAIR,
            SIGNED_TRUST_LIST, TRUST_LIST_SEQUENCE, TRUST_LIST_NEXT_UPDATE, PARTNER_DOMAIN, PARTNER_SUBJECT,
            CERTIFICATE_PURPOSE);

    /**
     * Operational attributes anonymous clients may read and test besides the public ones: the
     * syncrepl provider (RFC 4533) adds {@code entryCSN} to the filter of every sync search and
     * needs each entry's {@code entryUUID} for its sync state; they tell nothing about content.
     */
    public static final Set<String> REPLICATION_BOOKKEEPING = lower("entryCSN", "entryUUID");

    /**
     * The most entries one anonymous search returns (the server answers sizeLimitExceeded past
     * it); authenticated searches have no server-side limit.
     */
    public static final int ANONYMOUS_SIZE_LIMIT = 100;

    /**
     * Attributes only KMS agents (and the server) write, wherever they are: lower-case names.
     * The one exception: on a pending recovery request or custody session a recovery agent adds
     * or removes their own {@code kmsRecoveryApproval} and their {@code kmsRecoveryShare}.
     */
    public static final Set<String> AGENT_ONLY = lower(CLAIMED_BY, LEASE_EXPIRES, SUPERSEDED_CERTIFICATE,
            REPLACED_ATTEMPT, LAST_ERROR, KEY_PACKAGE_EXPIRES,
            HEARTBEAT, SYNC_COOKIE, SIGNED_TRUST_LIST, TRUST_LIST_SEQUENCE, TRUST_LIST_NEXT_UPDATE, PARTNER_SUBJECT,
            REQUEST_STATE, RECOVERY_STATE, KEY_OWNER,
            WRAPPING_ALGORITHM, WRAPPING_KEY_ID, ARCHIVE_STATE, ARCHIVE_RECORD, AUDIT_SEQUENCE, AUDIT_HASH,
            AUDIT_PREVIOUS_HASH, AUDIT_ACTOR, AUDIT_OPERATION, AUDIT_TARGET, AUDIT_TIME, RECOVERY_REQUESTER,
            RECOVERY_APPROVAL, REQUIRED_APPROVALS, RECOVERY_TARGET, CERTIFICATE_REVOCATION_LIST,
            AUTHORITY_REVOCATION_LIST, DELTA_REVOCATION_LIST, CERTIFICATE_PURPOSE, TRANSPORT_CERTIFICATE,
            AGENT_IDENTITY, INSTALLED_TEMPLATE, CA_STATE, PRIORITY, CAPACITY, CRL_DISTRIBUTION_POINT, OCSP_URL, CA_ISSUERS_URL,
            PKCS10_REQUEST,
            REQUEST_SUBJECT, REQUEST_TEMPLATE, REQUESTED_TIME, EXPIRES_TIME, REQUEST_LIFETIME,
            // threshold custody of the recovery keys (docs/custody.md)
            REQUEST_KEY, RECOVERY_SHARE, CUSTODY_ID, CUSTODY_THRESHOLD, SEALED_RECOVERY_KEYS, SHARE_HOLDER, SHARE_INDEX,
            SEALED_SHARE, SHARE_DIGEST);

    /** What KMS administrators write on people: the KMS requests (DESIGN contract 1 and 4); lower-case names. */
    public static final Set<String> KMS_REQUESTS = lower(ENROLLMENT_STATE, ADMINISTRATIVE_GROUP, REVOCATION_REASON);

    /** What a user writes on their own entry among the KMS attributes: what their client made; lower-case names. */
    public static final Set<String> CLIENT_MADE = lower(SIGNING_REQUEST, DELIVERY_KEY);

    /**
     * What a KMS administrator gives a new recovery request, lower-case names; the rest the
     * directory and the KMS set.
     */
    public static final Set<String> RECOVERY_REQUEST_INPUT = lower(OBJECT_CLASS, CN, DESCRIPTION, RECOVERY_TARGET, RECOVERY_STATE,
            RECOVERY_CERTIFICATE);

    /** What an agent may rewrite in an archive record besides its wrapped key (see checkArchiveRecordChange). */
    private static final Set<String> ARCHIVE_REWRITABLE = lower(WRAPPING_ALGORITHM, WRAPPING_KEY_ID, ARCHIVE_STATE,
            USER_CERTIFICATE);
    private static final String WRAPPED_KEY_LC = lc(WRAPPED_KEY);

    private static final Set<String> SECRETS = KmsSchema.secretAttributeNames();
    private static final Set<String> CERTIFICATES = lower(USER_CERTIFICATE, USER_SMIME_CERTIFICATE);
    private static final String KEY_PACKAGE_LC = lc(KEY_PACKAGE);
    private static final String ENROLLMENT_TOKEN_LC = lc(ENROLLMENT_TOKEN);
    private static final String RECOVERY_PACKAGE_LC = lc(RECOVERY_PACKAGE);
    private static final String RECOVERY_TOKEN_LC = lc(RECOVERY_TOKEN);
    private static final String USER_PASSWORD_LC = lc(USER_PASSWORD);
    private static final String RECOVERY_APPROVAL_LC = lc(RECOVERY_APPROVAL);
    private static final String RECOVERY_SHARE_LC = lc(RECOVERY_SHARE);
    private static final String OBJECT_CLASS_LC = lc(OBJECT_CLASS);
    private static final String MAIL_LC = lc(MAIL);
    private static final String CROSS_CERTIFICATE_PAIR_LC = lc(CROSS_CERTIFICATE_PAIR);
    private static final String KMS_USER_LC = lc(ObjectClassNames.KMS_USER);
    /** Where the KMS schema lives in ApacheDS: changed by the server's own installer only. */
    static final String KMS_SCHEMA_DN = "cn=" + KmsSchema.SCHEMA_NAME + ",ou=schema";

    /** The zones of the tree, each with its writers (see the class documentation). */
    enum Zone {
        AUDIT, KMS_SCHEMA, KMS, RECOVERY_REQUESTS, TRUST, ADMINISTRATIVE_GROUPS, ROLE_GROUPS, PEOPLE_AND_OTHERS
    }

    private final String kmsDn;
    private final String keyArchiveDn;
    private final String auditDn;
    private final String auditHeadDn;
    private final String recoveryRequestsDn;
    private final String trustDn;
    private final String administrativeGroupsDn;
    private final String kmsSchemaDn;
    private final Set<String> roleGroups;
    /** Entries whose renaming would rename a protected zone or every person (their ancestors). */
    private final List<String> structural;
    private final List<String> structuralNames;
    private final DirectoryLayout layout;
    private final Function<String, String> normaliser;
    private final Predicate<String> roleHolder;

    /**
     * @param layout     the tree the policy protects
     * @param normaliser turns a DN string into the normalised form used for comparisons (the
     *                   same one the {@link RoleDirectory} and the interceptor use)
     * @param roleHolder whether a normalised DN is a member of a KMS role group
     */
    public AccessPolicy(DirectoryLayout layout, Function<String, String> normaliser, Predicate<String> roleHolder) {
        this.normaliser = normaliser;
        this.roleHolder = roleHolder;
        this.kmsDn = normaliser.apply(layout.kms());
        this.keyArchiveDn = normaliser.apply(layout.keyArchive());
        this.auditDn = normaliser.apply(layout.audit());
        this.auditHeadDn = normaliser.apply(layout.auditHead());
        this.recoveryRequestsDn = normaliser.apply(layout.recoveryRequests());
        this.trustDn = normaliser.apply(layout.trust());
        this.administrativeGroupsDn = normaliser.apply(layout.administrativeGroups());
        this.kmsSchemaDn = normaliser.apply(KMS_SCHEMA_DN);
        this.roleGroups = Set.of(normaliser.apply(layout.kmsAdministratorsGroup()),
                normaliser.apply(layout.recoveryAgentsGroup()), normaliser.apply(layout.kmsAgentsGroup()));
        this.structuralNames = List.of(layout.kms(), layout.administrativeGroups(), layout.people(), layout.groups());
        this.structural = structuralNames.stream().map(normaliser).toList();
        this.layout = layout;
    }

    /**
     * Whether {@code target} is a KMS agent adding or modifying its own audit anchor: an entry
     * directly under {@code ou=Audit} other than the server's {@code cn=head} (the standalone
     * agent's audit trail, {@code org.dirkms.agent.audit.AgentAuditTrail}). An anchor is never
     * deleted or renamed over LDAP, by anyone, so the evidence of a chain stays.
     */
    private boolean isAgentAnchorWrite(Identity who, WriteTarget target) {
        if (!who.has(Role.KMS_AGENT) || target.newDn() != null
                || !(target.kind() == WriteTarget.Kind.ADD || target.kind() == WriteTarget.Kind.MODIFY)) {
            return false;
        }
        String dn = target.dn();
        if (!dn.endsWith("," + auditDn) || dn.equals(auditHeadDn)) {
            return false;
        }
        String rdn = dn.substring(0, dn.length() - auditDn.length() - 1);
        return !rdn.isEmpty() && !rdn.contains(",");
    }

    /** Whether {@code attribute} (lower-case name) is a secret. */
    public static boolean isSecret(String attribute) {
        return SECRETS.contains(attribute);
    }

    /** Whether {@code attribute} (lower-case name) is defined by the KMS schema. */
    public static boolean isKmsAttribute(String attribute) {
        return KmsSchema.attributeType(attribute).isPresent();
    }

    /** Whether the normalised DN is in the KMS subtree or under {@code ou=Administrative Groups}. */
    public boolean isKmsEntry(String dn) {
        return within(dn, kmsDn) || within(dn, administrativeGroupsDn);
    }

    /** Whether the normalised DN is the audit anchor's subtree, written by the server alone. */
    public boolean isAuditEntry(String dn) {
        return within(dn, auditDn);
    }

    /** The zone of a normalised DN. */
    Zone zoneOf(String dn) {
        if (within(dn, auditDn)) {
            return Zone.AUDIT;
        }
        if (within(dn, kmsSchemaDn)) {
            return Zone.KMS_SCHEMA;
        }
        if (within(dn, recoveryRequestsDn)) {
            return Zone.RECOVERY_REQUESTS;
        }
        if (within(dn, trustDn)) {
            return Zone.TRUST;
        }
        if (within(dn, kmsDn)) {
            return Zone.KMS;
        }
        if (within(dn, administrativeGroupsDn)) {
            return Zone.ADMINISTRATIVE_GROUPS;
        }
        if (roleGroups.contains(dn)) {
            return Zone.ROLE_GROUPS;
        }
        return Zone.PEOPLE_AND_OTHERS;
    }

    // ------------------------------------------------------------------ reading

    /**
     * Whether reading {@code attribute} depends on the entry it is in (secrets); for every other
     * attribute {@link #mayRead} needs neither the target DN nor the recovery requester, and
     * may be given {@code null} for both.
     */
    public static boolean dependsOnTarget(String attribute) {
        return isSecret(attribute);
    }

    /**
     * Whether {@code who} may read {@code attribute} of the entry {@code targetDn}.
     *
     * @param attribute          lower-case name of the attribute type
     * @param targetDn           normalised DN of the entry
     * @param recoveryRequester  the entry's {@code kmsRecoveryRequester}, normalised (read only
     *                           when needed; may give {@code null})
     */
    public boolean mayRead(Identity who, String attribute, String targetDn, Supplier<String> recoveryRequester) {
        if (attribute.equals(USER_PASSWORD_LC)) {
            return who.has(Role.SERVER);
        }
        if (who.isTrusted()) {
            return true;
        }
        if (isSecret(attribute)) {
            if (attribute.equals(KEY_PACKAGE_LC)) {
                return who.isSelf(targetDn);
            }
            if (attribute.equals(ENROLLMENT_TOKEN_LC)) {
                return who.has(Role.KMS_ADMINISTRATOR);
            }
            if (attribute.equals(RECOVERY_PACKAGE_LC) || attribute.equals(RECOVERY_TOKEN_LC)) {
                String requester = recoveryRequester.get();
                return requester != null && !who.dn().isEmpty() && who.dn().equals(requester);
            }
            return false; // kmsWrappedKey, kmsSealedRecoveryKeys, and any secret added to the schema later
        }
        if (who.has(Role.ANONYMOUS)) {
            return PUBLIC_ATTRIBUTES.contains(attribute) || REPLICATION_BOOKKEEPING.contains(attribute);
        }
        return true;
    }

    /**
     * Why {@code who} may not use a filter (or compare) testing {@code attributes}, or
     * {@code null} when it may.
     */
    public String filterRefusal(Identity who, Collection<String> attributes) {
        for (String attribute : attributes) {
            if (attribute.equals(USER_PASSWORD_LC) && !who.has(Role.SERVER)) {
                return "a filter may not test " + USER_PASSWORD + ": passwords are checked by binding, never by search";
            }
        }
        if (who.isTrusted()) {
            return null;
        }
        for (String attribute : attributes) {
            if (isSecret(attribute)) {
                return "a filter may not test " + display(attribute)
                        + ": it is a secret attribute, and only KMS agents may search by it";
            }
            if (who.has(Role.ANONYMOUS) && !PUBLIC_ATTRIBUTES.contains(attribute)
                    && !REPLICATION_BOOKKEEPING.contains(attribute)) {
                return "anonymous clients may search by public attributes only, not by " + display(attribute)
                        + "; bind to search by it";
            }
        }
        return null;
    }

    // ------------------------------------------------------------------ writing

    /**
     * Checks that {@code who} may make the write. It looks at who writes, where, and which
     * attributes with which operations, never at whether a value matches the entry; the values
     * themselves are judged by {@link WriteValidator} afterwards.
     *
     * @throws LdapNoPermissionException (insufficientAccessRights), or unwillingToPerform for
     *         what nobody may do, saying what is refused
     */
    public void checkWrite(Identity who, WriteTarget target, List<AttributeChange> changes) throws LdapException {
        if (who.has(Role.SERVER)) {
            return;
        }
        Zone zone = zoneOf(target.dn());
        Zone destination = target.newDn() == null ? zone : zoneOf(target.newDn());
        if (zone == Zone.AUDIT || destination == Zone.AUDIT) {
            if (isAgentAnchorWrite(who, target)) {
                return;
            }
            throw refuse("the audit anchors under " + layout.audit() + " are written by the directory server (its"
                    + " cn=head) and KMS agents (each its own, added or modified, never deleted or renamed) only");
        }
        if (zone == Zone.KMS_SCHEMA || destination == Zone.KMS_SCHEMA) {
            throw nobody("the KMS schema " + KMS_SCHEMA_DN + " is installed and kept by the server; it is not "
                    + "changed over LDAP");
        }
        if (target.kind() == WriteTarget.Kind.RENAME) {
            checkRename(target, zone, destination);
        }
        if (target.kind() == WriteTarget.Kind.DELETE && within(target.dn(), keyArchiveDn)) {
            throw nobody("the key archive is append-only: no record is ever deleted over LDAP, by anyone");
        }
        if (who.has(Role.ANONYMOUS)) {
            throw refuse("anonymous clients may not write to the directory; bind first");
        }
        if (who.has(Role.KMS_AGENT)) {
            if (target.kind() == WriteTarget.Kind.MODIFY && !target.dn().equals(keyArchiveDn)
                    && within(target.dn(), keyArchiveDn)) {
                checkArchiveRecordChange(target, changes);
            }
            return;
        }
        switch (zone) {
            case KMS -> throw refuse(target.name() + " is in the KMS subtree, written by the KMS only "
                    + "(its agents and the dirkms commands run where it runs)");
            case ROLE_GROUPS -> throw refuse("membership of the KMS role groups changes only with 'dirkms roles' run "
                    + "where the KMS runs, never over LDAP");
            case RECOVERY_REQUESTS -> checkRecoveryRequest(who, target, changes);
            case TRUST, ADMINISTRATIVE_GROUPS -> checkKmsConfiguration(who, target, changes);
            default -> checkPeopleAndOthers(who, target, changes);
        }
    }

    /**
     * What even a KMS agent may change in an archive record once it is added (the archive is
     * append-only, docs/security.md): re-wrap its key to another recovery key
     * ({@code kmsWrappedKey}, {@code kmsWrappingAlgorithm}, {@code kmsWrappingKeyId}), mark it
     * abandoned ({@code kmsArchiveState}) and attach the certificate of its key
     * ({@code userCertificate}). Its owner and name are fixed when it is added, and no change may
     * leave it without a wrapped key: {@code kmsWrappedKey} is replaced by one value, or one value
     * is deleted and one added in the same modify (the test-and-set of {@code dirkms archive
     * rewrap}, RFC 4511 section 4.6: the whole modify fails if the deleted value is not there).
     */
    private static void checkArchiveRecordChange(WriteTarget target, List<AttributeChange> changes)
            throws LdapException {
        int wrappedKeysRemoved = 0;
        int wrappedKeysAdded = 0;
        for (AttributeChange change : changes) {
            String attribute = change.attribute();
            if (attribute.equals(WRAPPED_KEY_LC)) {
                switch (change.operation()) {
                    case REPLACE -> {
                        if (change.values().size() != 1) {
                            throw nobody(target.name() + ": " + WRAPPED_KEY + " is replaced by exactly one wrapped key;"
                                    + " an archive record never loses its key");
                        }
                    }
                    case REMOVE -> wrappedKeysRemoved += change.values().isEmpty() ? 2 : change.values().size();
                    case ADD -> wrappedKeysAdded += change.values().size();
                    default -> throw new IllegalStateException("unknown operation " + change.operation());
                }
            } else if (ARCHIVE_REWRITABLE.contains(attribute)) {
                if (change.removesOnly()) {
                    throw nobody(target.name() + ": " + display(attribute) + " of an archive record is replaced, never"
                            + " removed");
                }
            } else {
                throw nobody(target.name() + ": " + display(attribute) + " of an archive record is fixed when the key"
                        + " is archived (the archive is append-only); the KMS only re-wraps the key (" + WRAPPED_KEY
                        + ", " + WRAPPING_ALGORITHM + ", " + WRAPPING_KEY_ID + "), marks the record abandoned ("
                        + ARCHIVE_STATE + ") or attaches its certificate (" + USER_CERTIFICATE + ")");
            }
        }
        if (wrappedKeysRemoved != wrappedKeysAdded || wrappedKeysRemoved > 1) {
            throw nobody(target.name() + ": deleting " + WRAPPED_KEY + " takes exactly one value and the add of exactly"
                    + " one new value in the same modify; an archive record never loses its key");
        }
    }

    /** Renames and moves: never in or into the KMS subtree, never of what other zones hang on. */
    private void checkRename(WriteTarget target, Zone zone, Zone destination) throws LdapException {
        if (zone == Zone.KMS || zone == Zone.RECOVERY_REQUESTS || zone == Zone.TRUST || destination == Zone.KMS
                || destination == Zone.RECOVERY_REQUESTS || destination == Zone.TRUST) {
            throw nobody("nothing in the KMS subtree " + layout.kms() + " is renamed or moved, and nothing is "
                    + "moved into it: its DNs are what the archive, the CRLs and the certificates name");
        }
        for (int i = 0; i < structural.size(); i++) {
            if (within(structural.get(i), target.dn())) {
                throw nobody(target.name() + " holds the " + structuralNames.get(i)
                        + " subtree, whose DNs the KMS names: it is not renamed or moved");
            }
        }
        if (zone == Zone.ROLE_GROUPS || destination == Zone.ROLE_GROUPS) {
            throw nobody("the KMS role groups keep their names");
        }
        if (target.is(ObjectClassNames.KMS_USER)) {
            throw nobody(target.name() + " is a KMS user: its DN is the subject of its certificates and the "
                    + "owner of its archived keys; revoke it and enroll the entry under its new name instead");
        }
    }

    /**
     * Recovery requests: KMS administrators add and withdraw them; recovery agents approve and
     * give their custody shares. Custody sessions: the KMS's, but for the approvals and shares.
     */
    private void checkRecoveryRequest(Identity who, WriteTarget target, List<AttributeChange> changes)
            throws LdapException {
        if (target.is(ObjectClassNames.CUSTODY_SESSION)) {
            checkCustodySession(who, target, changes);
            return;
        }
        switch (target.kind()) {
            case ADD -> {
                if (!who.has(Role.KMS_ADMINISTRATOR)) {
                    throw refuse("only KMS administrators may request a key recovery");
                }
                for (AttributeChange change : changes) {
                    if (RECOVERY_REQUEST_INPUT.contains(change.attribute())) {
                        continue;
                    }
                    if (change.attribute().equals(RECOVERY_APPROVAL_LC)) {
                        throw refuse("a new recovery request carries no approvals: each recovery agent adds their own "
                                + RECOVERY_APPROVAL + " once the request exists");
                    }
                    if (change.attribute().equals(lc(RECOVERY_REQUESTER))) {
                        throw refuse(RECOVERY_REQUESTER + " is set by the directory to the identity that adds the "
                                + "request; leave it out");
                    }
                    if (change.attribute().equals(lc(REQUIRED_APPROVALS))) {
                        throw refuse(REQUIRED_APPROVALS + " comes from the KMS server's configuration, which only "
                                + "'dirkms' run where the KMS runs changes; leave it out");
                    }
                    if (change.attribute().equals(lc(REQUEST_KEY))) {
                        throw refuse(REQUEST_KEY + " is the KMS's one-use key, published by the KMS when it takes up"
                                + " the request; leave it out");
                    }
                    if (change.attribute().equals(RECOVERY_SHARE_LC)) {
                        throw refuse("a new recovery request carries no custody shares: each recovery agent adds their"
                                + " own " + RECOVERY_SHARE + " with their approval once the KMS published the request key");
                    }
                    throw refuse("a new recovery request holds objectClass, cn, description, "
                            + RECOVERY_TARGET + " and optionally " + RECOVERY_CERTIFICATE + " only, not "
                            + display(change.attribute()));
                }
            }
            case DELETE -> {
                if (!who.has(Role.KMS_ADMINISTRATOR)) {
                    throw refuse("only KMS administrators may withdraw a recovery request");
                }
            }
            case MODIFY -> {
                for (AttributeChange change : changes) {
                    if (change.attribute().equals(RECOVERY_APPROVAL_LC)) {
                        checkApproval(who, target, change);
                    } else if (change.attribute().equals(RECOVERY_SHARE_LC)) {
                        checkShare(who, target, change);
                    } else if (change.attribute().equals(lc(DESCRIPTION)) && who.has(Role.KMS_ADMINISTRATOR)) {
                        continue;
                    } else if (change.attribute().equals(RECOVERY_PACKAGE_LC)) {
                        if (change.operation() != AttributeChange.Operation.REMOVE || !isRequester(who, target)) {
                            throw refuse(RECOVERY_PACKAGE + " is written by the KMS for the requester, who only"
                                    + " deletes it to confirm the fetch");
                        }
                    } else {
                        throw refuse(display(change.attribute()) + " of a recovery request is set when it is made and"
                                + " then by the KMS only" + (who.has(Role.RECOVERY_AGENT)
                                        ? "; a recovery agent adds their own DN to " + RECOVERY_APPROVAL + " and their "
                                                + RECOVERY_SHARE : ""));
                    }
                }
            }
            default -> throw nobody("recovery requests are not renamed");
        }
    }

    /**
     * Custody sessions (docs/custody.md): a dirkms command that uses the recovery keys under
     * custody opens one as the KMS agent, waits for the shares and deletes it; nobody else adds,
     * deletes or changes one, but recovery agents approve it and give their shares.
     */
    private void checkCustodySession(Identity who, WriteTarget target, List<AttributeChange> changes)
            throws LdapException {
        switch (target.kind()) {
            case ADD -> throw refuse("a custody session is opened by the KMS (a dirkms command using the recovery keys"
                    + " under custody, run where the KMS runs), not over LDAP by "
                    + (who.has(Role.KMS_ADMINISTRATOR) ? "a KMS administrator" : "you")
                    + "; KMS administrators ask for a key recovery with a " + ObjectClassNames.RECOVERY_REQUEST);
            case DELETE -> throw refuse("a custody session is closed by the KMS command that opened it, when it is"
                    + " done or stopped");
            case MODIFY -> {
                for (AttributeChange change : changes) {
                    if (change.attribute().equals(RECOVERY_APPROVAL_LC)) {
                        checkApproval(who, target, change);
                    } else if (change.attribute().equals(RECOVERY_SHARE_LC)) {
                        checkShare(who, target, change);
                    } else {
                        throw refuse(display(change.attribute()) + " of a custody session is written by the KMS only"
                                + (who.has(Role.RECOVERY_AGENT) ? "; a recovery agent adds their own DN to "
                                        + RECOVERY_APPROVAL + " and their " + RECOVERY_SHARE : ""));
                    }
                }
            }
            default -> throw nobody("custody sessions are not renamed");
        }
    }

    /** Whether {@code who} asked for the recovery request {@code target} (its {@code kmsRecoveryRequester}). */
    private boolean isRequester(Identity who, WriteTarget target) {
        String requester = target.currentValue(RECOVERY_REQUESTER);
        return requester != null && !who.dn().isEmpty() && who.dn().equals(normalise(requester));
    }

    /**
     * A recovery agent adds or removes their own approval of a pending request that someone
     * else asked for; a second approval by the same agent is refused (distinct agents count).
     */
    private void checkApproval(Identity who, WriteTarget target, AttributeChange change) throws LdapException {
        if (!who.has(Role.RECOVERY_AGENT)) {
            throw refuse("only members of the recovery agents group approve key recoveries");
        }
        requireApprovable(target, RECOVERY_APPROVAL);
        if (change.operation() == AttributeChange.Operation.REPLACE || change.values().isEmpty()) {
            throw refuse("add or delete your own DN in " + RECOVERY_APPROVAL
                    + "; replacing the attribute would touch other agents' approvals");
        }
        for (int i = 0; i < change.values().size(); i++) {
            if (!who.dn().equals(normalise(change.text(i)))) {
                throw refuse("a recovery agent may add or remove only their own DN in " + RECOVERY_APPROVAL
                        + ", the DN they are bound as");
            }
        }
        requirePending(target, "approvals are given or withdrawn");
        if (isRequester(who, target)) {
            throw refuse("you asked for this recovery: it must be approved by other recovery agents");
        }
        if (change.operation() == AttributeChange.Operation.ADD) {
            for (String approval : target.currentTexts(RECOVERY_APPROVAL)) {
                if (who.dn().equals(normalise(approval))) {
                    throw new LdapAttributeInUseException("you have approved this recovery request already: a recovery "
                            + "needs approvals by distinct agents");
                }
            }
        }
    }

    /**
     * A recovery agent adds or deletes a custody share (docs/custody.md): their share re-sealed
     * to the request key, on a pending request someone else asked for or a pending custody
     * session, one value at a time (their own share is one value) and never by replacing the
     * attribute or deleting it whole, which would take other agents' shares. Whose share a value
     * is, the guard cannot see (it is sealed to the request key): the KMS counts a share only when
     * it opens, names a recovery agent who approved, and matches that agent's share digest.
     */
    private void checkShare(Identity who, WriteTarget target, AttributeChange change) throws LdapException {
        if (!who.has(Role.RECOVERY_AGENT)) {
            throw refuse("only members of the recovery agents group give custody shares (" + RECOVERY_SHARE
                    + "); the KMS reads them");
        }
        requireApprovable(target, RECOVERY_SHARE);
        if (change.operation() == AttributeChange.Operation.REPLACE || change.values().isEmpty()) {
            throw refuse("add or delete your own value of " + RECOVERY_SHARE
                    + "; replacing or deleting the attribute would take other agents' shares");
        }
        if (change.operation() == AttributeChange.Operation.ADD && change.values().size() > 1) {
            throw refuse("a recovery agent adds one " + RECOVERY_SHARE + " at a time: their own custody share, sealed"
                    + " to the request key");
        }
        requirePending(target, "custody shares are given or withdrawn");
        if (isRequester(who, target)) {
            throw refuse("you asked for this recovery: its custody shares come from other recovery agents");
        }
    }

    /** Approvals and shares go on recovery requests and custody sessions only. */
    private static void requireApprovable(WriteTarget target, String attribute) throws LdapException {
        if (!target.is(ObjectClassNames.RECOVERY_REQUEST) && !target.is(ObjectClassNames.CUSTODY_SESSION)) {
            throw refuse(attribute + " is written on " + ObjectClassNames.RECOVERY_REQUEST + " and "
                    + ObjectClassNames.CUSTODY_SESSION + " entries only");
        }
    }

    /**
     * Approvals and shares change only while the request or session is pending; a custody
     * session the KMS opened without a state yet counts as pending (docs/custody.md).
     */
    private static void requirePending(WriteTarget target, String what) throws LdapException {
        String state = target.currentValue(RECOVERY_STATE);
        if (state != null && !state.equals(RecoveryState.PENDING.ldapValue())) {
            String entry = target.is(ObjectClassNames.CUSTODY_SESSION) ? "custody session" : "recovery request";
            throw nobody("the " + entry + " is " + state + ": " + what + " only while it is "
                    + RecoveryState.PENDING.ldapValue());
        }
    }

    /** Administrative groups and partner trust: KMS administrators, except the KMS's own attributes. */
    private void checkKmsConfiguration(Identity who, WriteTarget target, List<AttributeChange> changes)
            throws LdapException {
        if (!who.has(Role.KMS_ADMINISTRATOR)) {
            throw refuse(target.name() + " is KMS configuration, written by KMS administrators");
        }
        if (target.kind() == WriteTarget.Kind.DELETE && !target.currentBytes(CROSS_CERTIFICATE_PAIR_LC).isEmpty()) {
            // Deleted, the partner entry would take the cross-certificate out of what the CA knows
            // it issued (docs/directory-layout.md), and it could no longer be revoked.
            throw refuse(target.name() + " holds a cross-certificate the enterprise CA issued: run 'dirkms trust"
                    + " revoke-cross' and then 'dirkms trust remove' where the KMS runs");
        }
        for (AttributeChange change : changes) {
            refuseSecretOrAgentOnly(change);
            if (change.attribute().equals(CROSS_CERTIFICATE_PAIR_LC)) {
                // What the enterprise CA certified: published by 'dirkms trust cross-certify' only.
                throw refuse(CROSS_CERTIFICATE_PAIR + " holds what the enterprise CA certified, written by the KMS only"
                        + " ('dirkms trust cross-certify' where the KMS runs)");
            }
        }
    }

    /** People and the rest of the directory. */
    private void checkPeopleAndOthers(Identity who, WriteTarget target, List<AttributeChange> changes)
            throws LdapException {
        boolean directoryAdministrator = who.has(Role.DIRECTORY_ADMINISTRATOR);
        boolean publishedCertificate = target.is(ObjectClassNames.PUBLISHED_CERTIFICATE);
        switch (target.kind()) {
            case ADD, RENAME -> {
                if (!directoryAdministrator) {
                    throw refuse("only the directory administrator adds, renames or moves people and other entries"
                            + (who.isSelf(target.dn()) ? "; you may modify your own entry" : ""));
                }
                String identity = target.newDn() != null ? target.newDn() : target.dn();
                if (roleHolder.test(target.dn()) || roleHolder.test(identity)) {
                    throw refuse(target.name() + " holds a KMS role: its entry is added, renamed or removed only "
                            + "after 'dirkms roles remove' where the KMS runs");
                }
                for (AttributeChange change : changes) {
                    if (change.attribute().equals(OBJECT_CLASS_LC)) {
                        refuseKmsObjectClasses(change, "the KMS makes KMS entries; enroll a person with "
                                + "objectClass kmsUser, set by a KMS administrator");
                    } else if (isKmsAttribute(change.attribute())) {
                        throw refuse(display(change.attribute()) + " is written by the KMS and KMS administrators, "
                                + "not when an entry is added");
                    }
                }
            }
            case DELETE -> {
                if (!directoryAdministrator) {
                    throw refuse("only the directory administrator removes people and other entries");
                }
                if (roleHolder.test(target.dn())) {
                    throw refuse(target.name() + " holds a KMS role: remove it with 'dirkms roles remove' "
                            + "where the KMS runs first");
                }
            }
            case MODIFY -> {
                if (publishedCertificate) {
                    throw refuse("published certificate entries are written by the KMS only");
                }
                for (AttributeChange change : changes) {
                    checkPersonChange(who, target, change);
                }
            }
        }
    }

    private void checkPersonChange(Identity who, WriteTarget target, AttributeChange change) throws LdapException {
        String attribute = change.attribute();
        boolean self = who.isSelf(target.dn());
        boolean directoryAdministrator = who.has(Role.DIRECTORY_ADMINISTRATOR);
        boolean kmsAdministrator = who.has(Role.KMS_ADMINISTRATOR);
        if (isSecret(attribute)) {
            if (attribute.equals(KEY_PACKAGE_LC) && self && change.operation() == AttributeChange.Operation.REMOVE) {
                return; // the user confirms they fetched their keys (DESIGN contract 3)
            }
            throw refuse(display(attribute) + " is a secret attribute: only KMS agents write it"
                    + (attribute.equals(KEY_PACKAGE_LC) ? " (its owner may only delete it)" : ""));
        }
        if (attribute.equals(USER_PASSWORD_LC)) {
            if (self) {
                return;
            }
            if (directoryAdministrator && !roleHolder.test(target.dn())) {
                return;
            }
            throw refuse(directoryAdministrator
                    ? target.name() + " holds a KMS role: only its owner changes its password"
                    : "only the owner of an entry and the directory administrator change its password");
        }
        if (attribute.equals(OBJECT_CLASS_LC)) {
            boolean kmsUserOnly = !change.values().isEmpty() && change.operation() != AttributeChange.Operation.REPLACE;
            for (int i = 0; i < change.values().size(); i++) {
                kmsUserOnly &= change.text(i).trim().toLowerCase(Locale.ROOT).equals(KMS_USER_LC);
            }
            if (kmsUserOnly) {
                if (kmsAdministrator) {
                    return; // enrolling a person (DESIGN contract 1)
                }
                throw refuse("a person becomes a KMS user when a KMS administrator enrolls them");
            }
            if (directoryAdministrator) {
                refuseKmsObjectClasses(change, "a KMS administrator adds or removes objectClass kmsUser");
                return;
            }
            throw refuse("the object classes of an entry are managed by the directory administrator");
        }
        if (KMS_REQUESTS.contains(attribute)) {
            if (kmsAdministrator) {
                return;
            }
            throw refuse(display(attribute) + " is a KMS request: only KMS administrators set it");
        }
        if (CLIENT_MADE.contains(attribute)) {
            if (self) {
                return;
            }
            throw refuse(display(attribute) + " is made by the user's own client: only the user writes it, bound as "
                    + "themselves");
        }
        if (isKmsAttribute(attribute) || AGENT_ONLY.contains(attribute)) {
            throw refuse(display(attribute) + " is written by the KMS only");
        }
        if (CERTIFICATES.contains(attribute)) {
            if (target.is(ObjectClassNames.KMS_USER)) {
                throw refuse("the certificates of a KMS user are published by the KMS only");
            }
            if (self || directoryAdministrator) {
                return; // WriteValidator checks that they name this entry's addresses
            }
            throw refuse("only the owner of an entry and the directory administrator publish certificates on it");
        }
        if (attribute.equals(MAIL_LC)) {
            if (directoryAdministrator) {
                return;
            }
            throw refuse(MAIL + " is what certificates certify: only the directory administrator changes it");
        }
        if (self || directoryAdministrator) {
            return;
        }
        throw refuse("you may modify only your own entry" + (who.has(Role.RECOVERY_AGENT)
                ? " and approve recovery requests (" + RECOVERY_APPROVAL + ")" : "")
                + (kmsAdministrator ? " and the KMS requests of people (" + String.join(", ", ENROLLMENT_STATE,
                        ADMINISTRATIVE_GROUP, REVOCATION_REASON) + ")" : "")
                + "; " + display(attribute) + " of this entry is written by the directory administrator");
    }

    private static void refuseSecretOrAgentOnly(AttributeChange change) throws LdapException {
        if (isSecret(change.attribute())) {
            throw refuse(display(change.attribute()) + " is a secret attribute: only KMS agents write it");
        }
        if (AGENT_ONLY.contains(change.attribute())) {
            throw refuse(display(change.attribute()) + " is written by the KMS only");
        }
    }

    private static void refuseKmsObjectClasses(AttributeChange change, String hint) throws LdapException {
        for (int i = 0; i < change.values().size(); i++) {
            String objectClass = change.text(i).trim();
            if (KmsSchema.objectClasses().stream().anyMatch(c -> c.name().equalsIgnoreCase(objectClass))) {
                throw refuse("objectClass " + objectClass + " is the KMS's: " + hint);
            }
        }
    }

    private String normalise(String dn) {
        try {
            return normaliser.apply(dn);
        } catch (IllegalArgumentException e) {
            return "";
        }
    }

    private static boolean within(String dn, String ancestor) {
        return dn != null && (dn.equals(ancestor) || dn.endsWith("," + ancestor));
    }

    private static LdapNoPermissionException refuse(String message) {
        return new LdapNoPermissionException(message);
    }

    private static LdapUnwillingToPerformException nobody(String message) {
        return new LdapUnwillingToPerformException(message);
    }

    private static final java.util.Map<String, String> STANDARD_SPELLING = Stream.of(OBJECT_CLASS, CN, SN, UID, OU, DC,
            DESCRIPTION, MEMBER, USER_PASSWORD, MAIL, USER_CERTIFICATE, USER_SMIME_CERTIFICATE, CA_CERTIFICATE,
            CERTIFICATE_REVOCATION_LIST, AUTHORITY_REVOCATION_LIST, DELTA_REVOCATION_LIST, CROSS_CERTIFICATE_PAIR,
            "givenName", "displayName", "o").collect(Collectors.toUnmodifiableMap(n -> n.toLowerCase(Locale.ROOT), n -> n));

    /** The schema spelling of a lower-case attribute name, for messages. */
    static String display(String attribute) {
        return KmsSchema.attributeType(attribute).map(t -> t.name())
                .orElse(STANDARD_SPELLING.getOrDefault(attribute, attribute));
    }

    private static String lc(String name) {
        return name.toLowerCase(Locale.ROOT);
    }

    private static Set<String> lower(String... names) {
        return Stream.of(names).map(AccessPolicy::lc).collect(Collectors.toUnmodifiableSet());
    }
}
