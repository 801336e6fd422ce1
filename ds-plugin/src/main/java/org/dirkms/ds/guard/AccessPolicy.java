package org.dirkms.ds.guard;

import static org.dirkms.schema.AttributeNames.*;

import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.apache.directory.api.ldap.model.exception.LdapException;
import org.apache.directory.api.ldap.model.exception.LdapNoPermissionException;
import org.dirkms.schema.DirectoryLayout;
import org.dirkms.schema.KmsSchema;
import org.dirkms.schema.ObjectClassNames;

/**
 * The directory's access control. ApacheDS access control (ACIs) is off; this class is the one
 * place that says who may read, test and write what. The {@link KmsInterceptor} applies it to
 * every operation and the {@link WireGuard} to what bypasses interceptors.
 *
 * <h2>Who</h2>
 * Roles come from the bound DN ({@link RoleDirectory}): anonymous; authenticated; KMS
 * administrator (member of {@code cn=KMS Administrators}, or {@code uid=admin,ou=system});
 * recovery agent (member of {@code cn=Recovery Agents}); KMS agent (member of
 * {@code cn=KMS Agents}); and the server itself (internal operations: bootstrap, schema, the
 * audit anchor). "Self" means the bound DN is the target entry's DN. Roles add up.
 *
 * <h2>Reading</h2>
 * <ul>
 * <li>The server and KMS agents read everything.</li>
 * <li>Secrets ({@link KmsSchema#secretAttributeNames()}) are read only by: {@code kmsKeyPackage}
 * — self; {@code kmsEnrollmentToken} — KMS administrators; {@code kmsWrappedKey} — nobody else;
 * {@code kmsRecoveryPackage} and {@code kmsRecoveryToken} — the request's
 * {@code kmsRecoveryRequester}. The superuser is a KMS administrator but never reads a private
 * key.</li>
 * <li>{@code userPassword} is read by self and KMS administrators only.</li>
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
 * {@code (kmsKeyPackage=*)} tells nobody else who has a package; an anonymous filter may test
 * public attributes only (and {@link #REPLICATION_BOOKKEEPING}, which syncrepl needs). A
 * server-side sort key counts as a filter term. A refused filter fails the whole search with
 * insufficientAccessRights (it is not quietly evaluated as false, which would still leak).
 * Compare is allowed exactly when reading the attribute is.
 *
 * <h2>Writing</h2>
 * <ul>
 * <li>The server and KMS agents write everything, except that the audit anchor under
 * {@code ou=Audit} is written by the server alone.</li>
 * <li>Anonymous clients write nothing.</li>
 * <li>Secrets are written by KMS agents only, with one exception: a user deletes their own
 * {@code kmsKeyPackage} to confirm they fetched it.</li>
 * <li>Agent-only attributes ({@link #AGENT_ONLY}): the KMS's own bookkeeping (leases, errors,
 * heartbeats, cookies, signed trust lists, key archive fields, audit fields) and the states
 * that only the KMS advances ({@code kmsRequestState}, {@code kmsRecoveryState}; an
 * administrator may give a new request the state {@code pending}). The archive
 * ({@code ou=Key Archive}) is written by agents only.</li>
 * <li>KMS administrators write the rest of the directory: entries and attributes, including
 * {@code kmsEnrollmentState} and {@code kmsCAState}, whose values {@link WriteValidator}
 * restricts by role.</li>
 * <li>A recovery agent adds or removes their own DN, and only that, in
 * {@code kmsRecoveryApproval} of a {@code kmsRecoveryRequest}.</li>
 * <li>An authenticated user modifies their own entry: any non-KMS attribute except
 * {@code objectClass}, plus setting or removing their {@code kmsSigningRequest}, and removing
 * their {@code kmsKeyPackage}.</li>
 * </ul>
 * Every refusal is insufficientAccessRights with a message that names the attribute or the
 * entry and who may write it.
 */
public final class AccessPolicy {

    /** What anonymous clients may read and test: lower-case attribute names. */
    public static final Set<String> PUBLIC_ATTRIBUTES = lower(OBJECT_CLASS, CN, SN, "givenName", "displayName", "o",
            OU, DC, MAIL, UID, DESCRIPTION, USER_CERTIFICATE, USER_SMIME_CERTIFICATE, CA_CERTIFICATE,
            CERTIFICATE_REVOCATION_LIST, AUTHORITY_REVOCATION_LIST, DELTA_REVOCATION_LIST, CROSS_CERTIFICATE_PAIR,
            SIGNED_TRUST_LIST, TRUST_LIST_SEQUENCE, PARTNER_DOMAIN, CERTIFICATE_PURPOSE);

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

    /** Attributes only KMS agents (and the server) write: lower-case names. */
    public static final Set<String> AGENT_ONLY = lower(CLAIMED_BY, LEASE_EXPIRES, LAST_ERROR, KEY_PACKAGE_EXPIRES,
            HEARTBEAT, SYNC_COOKIE, SIGNED_TRUST_LIST, TRUST_LIST_SEQUENCE, REQUEST_STATE, RECOVERY_STATE, KEY_OWNER,
            WRAPPING_ALGORITHM, WRAPPING_KEY_ID, AUDIT_SEQUENCE, AUDIT_HASH, AUDIT_PREVIOUS_HASH, AUDIT_ACTOR,
            AUDIT_OPERATION, AUDIT_TARGET, AUDIT_TIME);

    private static final Set<String> SECRETS = KmsSchema.secretAttributeNames();
    private static final String KEY_PACKAGE_LC = KEY_PACKAGE.toLowerCase(Locale.ROOT);
    private static final String ENROLLMENT_TOKEN_LC = ENROLLMENT_TOKEN.toLowerCase(Locale.ROOT);
    private static final String RECOVERY_PACKAGE_LC = RECOVERY_PACKAGE.toLowerCase(Locale.ROOT);
    private static final String RECOVERY_TOKEN_LC = RECOVERY_TOKEN.toLowerCase(Locale.ROOT);
    private static final String USER_PASSWORD_LC = USER_PASSWORD.toLowerCase(Locale.ROOT);
    private static final String SIGNING_REQUEST_LC = SIGNING_REQUEST.toLowerCase(Locale.ROOT);
    private static final String RECOVERY_APPROVAL_LC = RECOVERY_APPROVAL.toLowerCase(Locale.ROOT);
    private static final String OBJECT_CLASS_LC = OBJECT_CLASS.toLowerCase(Locale.ROOT);

    private final String kmsDn;
    private final String keyArchiveDn;
    private final String auditDn;
    private final String administrativeGroupsDn;
    private final Function<String, String> normaliser;

    /**
     * @param layout     the tree the policy protects
     * @param normaliser turns a DN string into the normalised form used for comparisons (the
     *                   same one the {@link RoleDirectory} and the interceptor use)
     */
    public AccessPolicy(DirectoryLayout layout, Function<String, String> normaliser) {
        this.normaliser = normaliser;
        this.kmsDn = normaliser.apply(layout.kms());
        this.keyArchiveDn = normaliser.apply(layout.keyArchive());
        this.auditDn = normaliser.apply(layout.audit());
        this.administrativeGroupsDn = normaliser.apply(layout.administrativeGroups());
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

    // ------------------------------------------------------------------ reading

    /**
     * Whether reading {@code attribute} depends on the entry it is in (secrets and
     * {@code userPassword}); for every other attribute {@link #mayRead} needs neither the target
     * DN nor the recovery requester, and may be given {@code null} for both.
     */
    public static boolean dependsOnTarget(String attribute) {
        return isSecret(attribute) || attribute.equals(USER_PASSWORD_LC);
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
            return false; // kmsWrappedKey, and any secret added to the schema later
        }
        if (attribute.equals(USER_PASSWORD_LC)) {
            return who.isSelf(targetDn) || who.has(Role.KMS_ADMINISTRATOR);
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
     * Checks that {@code who} may make the write; the values themselves are judged by
     * {@link WriteValidator}.
     *
     * @throws LdapNoPermissionException (insufficientAccessRights) saying what is refused
     */
    public void checkWrite(Identity who, WriteTarget target, List<AttributeChange> changes) throws LdapException {
        if (who.has(Role.SERVER)) {
            return;
        }
        if (isAuditEntry(target.dn()) || (target.newDn() != null && isAuditEntry(target.newDn()))) {
            throw refuse("the audit anchor under " + display(auditDn) + " is written by the directory server only");
        }
        if (who.has(Role.ANONYMOUS)) {
            throw refuse("anonymous clients may not write to the directory; bind first");
        }
        if (who.has(Role.KMS_AGENT)) {
            return;
        }
        boolean archive = within(target.dn(), keyArchiveDn)
                || (target.newDn() != null && within(target.newDn(), keyArchiveDn));
        if (archive) {
            throw refuse("the key archive is written by KMS agents only");
        }
        switch (target.kind()) {
            case ADD, DELETE, RENAME -> {
                if (!who.has(Role.KMS_ADMINISTRATOR)) {
                    throw refuse("only KMS administrators may " + target.kind().name().toLowerCase(Locale.ROOT)
                            + " entries; " + (who.isSelf(target.dn()) ? "you may modify your own entry" : "ask one"));
                }
            }
            case MODIFY -> {
                // judged per attribute below
            }
        }
        for (AttributeChange change : changes) {
            checkChange(who, target, change);
        }
    }

    private void checkChange(Identity who, WriteTarget target, AttributeChange change) throws LdapException {
        String attribute = change.attribute();
        boolean self = who.isSelf(target.dn());
        if (isSecret(attribute)) {
            if (attribute.equals(KEY_PACKAGE_LC) && self && change.operation() == AttributeChange.Operation.REMOVE) {
                return; // the user confirms they fetched their keys (DESIGN.md, operation 3)
            }
            throw refuse(display(attribute) + " is a secret attribute: only KMS agents write it"
                    + (attribute.equals(KEY_PACKAGE_LC) ? " (its owner may only delete it)" : ""));
        }
        if (AGENT_ONLY.contains(attribute)) {
            if (target.kind() == WriteTarget.Kind.ADD && who.has(Role.KMS_ADMINISTRATOR)
                    && (attribute.equals(REQUEST_STATE.toLowerCase(Locale.ROOT))
                            || attribute.equals(RECOVERY_STATE.toLowerCase(Locale.ROOT)))) {
                return; // a new request may start as pending; WriteValidator checks the value
            }
            throw refuse(display(attribute) + " is written by KMS agents only");
        }
        if (who.has(Role.KMS_ADMINISTRATOR)) {
            return;
        }
        if (who.has(Role.RECOVERY_AGENT) && attribute.equals(RECOVERY_APPROVAL_LC)
                && target.is(ObjectClassNames.RECOVERY_REQUEST) && change.operation() != AttributeChange.Operation.REPLACE
                && !change.values().isEmpty()) {
            boolean ownDnOnly = true;
            for (int i = 0; i < change.values().size(); i++) {
                ownDnOnly &= who.dn().equals(normalise(change.text(i)));
            }
            if (ownDnOnly) {
                return;
            }
            throw refuse("a recovery agent may add or remove only their own DN in " + RECOVERY_APPROVAL);
        }
        if (self) {
            if (attribute.equals(SIGNING_REQUEST_LC)) {
                return;
            }
            if (attribute.equals(OBJECT_CLASS_LC)) {
                throw refuse("the object classes of your entry are managed by KMS administrators");
            }
            if (!isKmsAttribute(attribute)) {
                return;
            }
            throw refuse(display(attribute) + " of your entry is managed by the KMS; you may set "
                    + SIGNING_REQUEST + " and delete " + KEY_PACKAGE);
        }
        throw refuse("you may modify only your own entry" + (who.has(Role.RECOVERY_AGENT)
                ? " and approve recovery requests (" + RECOVERY_APPROVAL + ")" : "")
                + "; " + display(attribute) + " of this entry is written by KMS administrators");
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

    private static final java.util.Map<String, String> STANDARD_SPELLING = Stream.of(OBJECT_CLASS, CN, SN, UID, OU, DC,
            DESCRIPTION, MEMBER, USER_PASSWORD, MAIL, USER_CERTIFICATE, USER_SMIME_CERTIFICATE, CA_CERTIFICATE,
            CERTIFICATE_REVOCATION_LIST, AUTHORITY_REVOCATION_LIST, DELTA_REVOCATION_LIST, CROSS_CERTIFICATE_PAIR,
            "givenName", "displayName", "o").collect(Collectors.toUnmodifiableMap(n -> n.toLowerCase(Locale.ROOT), n -> n));

    /** The schema spelling of a lower-case attribute name, for messages. */
    static String display(String attribute) {
        return KmsSchema.attributeType(attribute).map(t -> t.name())
                .orElse(STANDARD_SPELLING.getOrDefault(attribute, attribute));
    }

    private static Set<String> lower(String... names) {
        return Stream.of(names).map(n -> n.toLowerCase(Locale.ROOT)).collect(Collectors.toUnmodifiableSet());
    }
}
