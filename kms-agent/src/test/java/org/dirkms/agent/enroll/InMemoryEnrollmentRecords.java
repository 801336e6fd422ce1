package org.dirkms.agent.enroll;

import static org.dirkms.agent.enroll.InMemoryDirectory.Change.add;
import static org.dirkms.agent.enroll.InMemoryDirectory.Change.delete;
import static org.dirkms.agent.enroll.InMemoryDirectory.Change.replace;
import static org.dirkms.schema.AttributeNames.ADMINISTRATIVE_GROUP;
import static org.dirkms.schema.AttributeNames.AGENT_IDENTITY;
import static org.dirkms.schema.AttributeNames.ARCHIVE_RECORD;
import static org.dirkms.schema.AttributeNames.ARCHIVE_STATE;
import static org.dirkms.schema.AttributeNames.ASSIGNED_SERVER;
import static org.dirkms.schema.AttributeNames.CA_CERTIFICATE;
import static org.dirkms.schema.AttributeNames.CERTIFICATE_PURPOSE;
import static org.dirkms.schema.AttributeNames.CLAIMED_BY;
import static org.dirkms.schema.AttributeNames.CN;
import static org.dirkms.schema.AttributeNames.CONTENT_ENCRYPTION_ALGORITHM;
import static org.dirkms.schema.AttributeNames.DEFAULT_GROUP;
import static org.dirkms.schema.AttributeNames.DELIVERY_KEY;
import static org.dirkms.schema.AttributeNames.ENROLLMENT_STATE;
import static org.dirkms.schema.AttributeNames.ENROLLMENT_TOKEN;
import static org.dirkms.schema.AttributeNames.HEARTBEAT;
import static org.dirkms.schema.AttributeNames.KEY_ALGORITHM;
import static org.dirkms.schema.AttributeNames.KEY_OWNER;
import static org.dirkms.schema.AttributeNames.KEY_PACKAGE;
import static org.dirkms.schema.AttributeNames.KEY_PACKAGE_EXPIRES;
import static org.dirkms.schema.AttributeNames.LAST_ERROR;
import static org.dirkms.schema.AttributeNames.LEASE_EXPIRES;
import static org.dirkms.schema.AttributeNames.MAIL;
import static org.dirkms.schema.AttributeNames.MESSAGE_FORMAT;
import static org.dirkms.schema.AttributeNames.OBJECT_CLASS;
import static org.dirkms.schema.AttributeNames.PACKAGE_FORMAT;
import static org.dirkms.schema.AttributeNames.PKCS10_REQUEST;
import static org.dirkms.schema.AttributeNames.REPLACED_ATTEMPT;
import static org.dirkms.schema.AttributeNames.REQUESTED_TIME;
import static org.dirkms.schema.AttributeNames.REQUEST_STATE;
import static org.dirkms.schema.AttributeNames.REQUEST_SUBJECT;
import static org.dirkms.schema.AttributeNames.REQUEST_TEMPLATE;
import static org.dirkms.schema.AttributeNames.REVOCATION_REASON;
import static org.dirkms.schema.AttributeNames.SIGNING_REQUEST;
import static org.dirkms.schema.AttributeNames.SUPERSEDED_CERTIFICATE;
import static org.dirkms.schema.AttributeNames.SYNC_COOKIE;
import static org.dirkms.schema.AttributeNames.USER_CERTIFICATE;
import static org.dirkms.schema.AttributeNames.USER_SMIME_CERTIFICATE;
import static org.dirkms.schema.AttributeNames.WRAPPED_KEY;
import static org.dirkms.schema.AttributeNames.WRAPPING_ALGORITHM;
import static org.dirkms.schema.AttributeNames.WRAPPING_KEY_ID;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.text.ParseException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.apache.directory.api.ldap.model.exception.LdapInvalidDnException;
import org.apache.directory.api.ldap.model.name.Dn;
import org.apache.directory.api.ldap.model.name.Rdn;
import org.apache.directory.api.util.GeneralizedTime;
import org.dirkms.agent.directory.Claim;
import org.dirkms.agent.directory.DirectoryAccessException;
import org.dirkms.agent.names.DistinguishedNames;
import org.dirkms.agent.directory.EnrollmentNames;
import org.dirkms.agent.directory.EnrollmentRecords;
import org.dirkms.agent.enroll.InMemoryDirectory.Change;
import org.dirkms.agent.enroll.InMemoryDirectory.Entry;
import org.dirkms.agent.enroll.InMemoryDirectory.OperationFailed;
import org.dirkms.agent.enroll.InMemoryDirectory.ResultCode;
import org.dirkms.agent.enroll.InMemoryDirectory.Session;
import org.dirkms.schema.ArchiveState;
import org.dirkms.schema.AttributeNames;
import org.dirkms.schema.ContentEncryptionAlgorithm;
import org.dirkms.schema.DirectoryLayout;
import org.dirkms.schema.EnrollmentState;
import org.dirkms.schema.KeyAlgorithm;
import org.dirkms.schema.LdapEnumeration;
import org.dirkms.schema.MessageFormat;
import org.dirkms.schema.ObjectClassNames;
import org.dirkms.schema.PackageFormat;
import org.dirkms.schema.RequestState;
import org.dirkms.schema.RevocationReason;

/**
 * {@link EnrollmentRecords} in an {@link InMemoryDirectory}, one process's {@link Session}: each
 * method sends the same operations, with the same modifications in the same order, as the LDAP
 * records ({@code LdapUserEntries}, {@code ClaimChanges}, {@code LdapArchiveEntries},
 * {@code LdapRequestEntries}), and reads their failures the same way: a test-and-set whose
 * modify deletes a value that is not there returns false and changes nothing; any other refused
 * write is a {@link DirectoryAccessException}. A write of a dead session throws
 * {@link InMemoryDirectory.SimulatedCrash}.
 */
final class InMemoryEnrollmentRecords implements EnrollmentRecords {
    /** RFC 4517 section 3.3.13 GeneralizedTime as the agent writes it: UTC, to the second. */
    private static final DateTimeFormatter GENERALIZED_TIME = DateTimeFormatter.ofPattern("yyyyMMddHHmmss'Z'")
            .withZone(ZoneOffset.UTC);

    private final Session session;
    private final DirectoryLayout layout;

    InMemoryEnrollmentRecords(Session session) {
        this.session = session;
        this.layout = session.directory().layout();
    }

    /** The session this process writes through (its write count, its crash switch). */
    Session session() {
        return session;
    }

    static String time(Instant instant) {
        return GENERALIZED_TIME.format(instant);
    }

    // ---- users ---------------------------------------------------------------------------

    @Override
    public Optional<UserEntry> readUser(String dn) {
        return session.read(dn).map(InMemoryEnrollmentRecords::user);
    }

    @Override
    public List<UserEntry> usersInState(EnrollmentState... states) {
        return users(entry -> Arrays.stream(states).anyMatch(s -> s.ldapValue().equals(entry.string(ENROLLMENT_STATE))));
    }

    @Override
    public List<UserEntry> claimedUsersIn(EnrollmentState... states) {
        return users(entry -> entry.has(CLAIMED_BY)
                && Arrays.stream(states).anyMatch(s -> s.ldapValue().equals(entry.string(ENROLLMENT_STATE))));
    }

    @Override
    public List<UserEntry> usersWithPackage() {
        return users(entry -> entry.has(KEY_PACKAGE_EXPIRES));
    }

    private List<UserEntry> users(java.util.function.Predicate<Entry> filter) {
        return session.search(layout.suffix(), entry -> entry.is(ObjectClassNames.KMS_USER) && filter.test(entry))
                .stream().map(InMemoryEnrollmentRecords::user).toList();
    }

    @Override
    public List<String> findDns(String baseDn, String filter) {
        throw new UnsupportedOperationException("the enrollment state machine searches no LDAP filter: " + filter);
    }

    @Override
    public List<AddressHolder> entriesWithMail(List<String> addresses) {
        if (addresses.isEmpty()) {
            return List.of();
        }
        List<AddressHolder> holders = new ArrayList<>();
        for (Entry entry : session.search(layout.suffix(), entry -> entry.strings(MAIL).stream()
                .anyMatch(value -> addresses.stream().anyMatch(value::equalsIgnoreCase)))) {
            List<String> matching = entry.strings(MAIL).stream()
                    .filter(value -> addresses.stream().anyMatch(value::equalsIgnoreCase)).toList();
            String holder = entry.dn();
            if (entry.is(ObjectClassNames.PUBLISHED_CERTIFICATE)) {
                holder = parent(entry.dn());
            }
            holders.add(new AddressHolder(entry.dn(), holder, matching));
        }
        return holders;
    }

    @Override
    public boolean claim(String dn, EnrollmentState from, Claim claim) {
        return testAndSet(dn, acquire(from.ldapValue(), claim));
    }

    @Override
    public boolean claimFrom(String dn, EnrollmentState from, boolean addKmsUserClass, Claim claim) {
        List<Change> changes = new ArrayList<>();
        if (addKmsUserClass) {
            changes.add(add(OBJECT_CLASS, ObjectClassNames.KMS_USER));
        }
        changes.addAll(acquire(from == null ? null : from.ldapValue(), claim));
        try {
            session.modify(dn, changes.toArray(Change[]::new));
            return true;
        } catch (OperationFailed e) {
            if (e.code() == ResultCode.NO_SUCH_ATTRIBUTE || e.code() == ResultCode.ATTRIBUTE_OR_VALUE_EXISTS
                    || e.code() == ResultCode.CONSTRAINT_VIOLATION) {
                return false;
            }
            throw failure("claim the enrollment of", dn, e);
        }
    }

    @Override
    public char[] readEnrollmentToken(String dn) {
        return session.read(dn).map(entry -> entry.bytes(ENROLLMENT_TOKEN)).filter(values -> !values.isEmpty())
                .map(values -> {
                    CharBuffer chars = StandardCharsets.UTF_8.decode(ByteBuffer.wrap(values.get(0)));
                    char[] token = new char[chars.remaining()];
                    chars.get(token);
                    return token;
                }).orElse(null);
    }

    @Override
    public boolean takeOver(String dn, Claim expired, Claim successor) {
        return testAndSet(dn, List.of(delete(LEASE_EXPIRES, stored(expired)),
                add(LEASE_EXPIRES, time(successor.leaseExpires())),
                replace(CLAIMED_BY, successor.attempt()),
                replace(SUPERSEDED_CERTIFICATE, successor.superseded()),
                replace(REPLACED_ATTEMPT, successor.replaced())));
    }

    @Override
    public void requestEnrollment(String dn) {
        Entry current = session.read(dn).orElseThrow(
                () -> new DirectoryAccessException("there is no entry " + dn + " to enroll"));
        List<Change> changes = new ArrayList<>();
        if (!current.is(ObjectClassNames.KMS_USER)) {
            changes.add(add(OBJECT_CLASS, ObjectClassNames.KMS_USER));
        }
        changes.add(replace(ENROLLMENT_STATE, EnrollmentState.REQUESTED.ldapValue()));
        modify(dn, changes.toArray(Change[]::new));
    }

    @Override
    public boolean publish(String dn, Claim held, Publication publication) {
        List<Change> changes = new ArrayList<>(publication.stillToRevoke().isEmpty() ? release(held)
                : keep(held, publication.stillToRevoke()));
        changes.add(replace(USER_CERTIFICATE, publication.certificates()));
        changes.add(replace(USER_SMIME_CERTIFICATE, publication.smimeBundle()));
        changes.add(replace(KEY_PACKAGE, publication.keyPackage()));
        changes.add(publication.token() == null ? replace(ENROLLMENT_TOKEN)
                : replace(ENROLLMENT_TOKEN, utf8(publication.token())));
        changes.add(replace(KEY_PACKAGE_EXPIRES, time(publication.packageExpires())));
        changes.add(replace(ENROLLMENT_STATE, EnrollmentState.ENROLLED.ldapValue()));
        changes.add(add(ARCHIVE_RECORD, publication.archiveRecord()));
        changes.add(replace(LAST_ERROR));
        changes.add(replace(REVOCATION_REASON));
        return testAndSet(dn, changes);
    }

    @Override
    public boolean renewLease(String dn, Claim held, Instant newLease) {
        List<Change> changes = holding(held);
        changes.add(delete(LEASE_EXPIRES, stored(held)));
        changes.add(add(LEASE_EXPIRES, time(newLease)));
        return testAndSet(dn, changes);
    }

    @Override
    public boolean amendClaim(String dn, Claim held, List<byte[]> superseded) {
        List<Change> changes = holding(held);
        changes.add(replace(SUPERSEDED_CERTIFICATE, superseded));
        return testAndSet(dn, changes);
    }

    @Override
    public boolean endClaim(String dn, Claim held) {
        return testAndSet(dn, release(held));
    }

    @Override
    public void putPublishedCertificate(String userDn, String purpose, List<String> mail, byte[] certificate) {
        // As the directory's: no mail on the child (the names LdapUserEntries gives the signing
        // child for name searches are no part of what these tests check).
        String dn = CN + "=" + Rdn.escapeValue(purpose) + "," + userDn;
        Map<String, List<Object>> attributes = new LinkedHashMap<>();
        attributes.put(OBJECT_CLASS, InMemoryDirectory.objectClasses(ObjectClassNames.PUBLISHED_CERTIFICATE));
        attributes.put(CN, List.of(purpose));
        attributes.put(CERTIFICATE_PURPOSE, List.of(purpose));
        attributes.put(USER_CERTIFICATE, List.of(certificate));
        try {
            session.add(dn, attributes);
        } catch (OperationFailed e) {
            if (e.code() != ResultCode.ENTRY_ALREADY_EXISTS) {
                throw failure("publish the " + purpose + " certificate at", dn, e);
            }
            modify(dn, replace(USER_CERTIFICATE, certificate), replace(MAIL, List.of()));
        }
    }

    @Override
    public List<byte[]> publishedCertificates(String userDn) {
        List<byte[]> certificates = new ArrayList<>();
        for (Entry child : session.children(userDn, entry -> entry.is(ObjectClassNames.PUBLISHED_CERTIFICATE))) {
            certificates.addAll(child.bytes(USER_CERTIFICATE));
        }
        return certificates;
    }

    @Override
    public List<MailCarryingChild> publishedCertificatesWithMail() {
        List<MailCarryingChild> children = new ArrayList<>();
        for (Entry child : session.search(layout.suffix(), entry -> entry.is(ObjectClassNames.PUBLISHED_CERTIFICATE)
                && !entry.strings(MAIL).isEmpty())) {
            List<String> purpose = child.strings(CERTIFICATE_PURPOSE);
            children.add(new MailCarryingChild(child.dn(), parent(child.dn()), purpose.isEmpty() ? null : purpose.get(0),
                    child.strings(MAIL)));
        }
        return children;
    }

    @Override
    public boolean removeMailOfPublishedCertificate(MailCarryingChild child) {
        return testAndSet(child.dn(), List.of(delete(MAIL, child.mail().toArray())));
    }

    @Override
    public boolean putEncryptionCertificateFirst(String userDn, byte[] encryption, byte[] signing) {
        return testAndSet(userDn, List.of(delete(USER_CERTIFICATE, signing, encryption),
                add(USER_CERTIFICATE, encryption, signing)));
    }

    @Override
    public int removePublishedCertificates(String userDn) {
        int removed = 0;
        for (Entry child : session.children(userDn, entry -> entry.is(ObjectClassNames.PUBLISHED_CERTIFICATE))) {
            deleteQuietly(child.dn());
            removed++;
        }
        return removed;
    }

    @Override
    public void fail(String dn, String reason) {
        List<Change> changes = new ArrayList<>(List.of(replace(ENROLLMENT_STATE, EnrollmentState.FAILED.ldapValue()),
                replace(LAST_ERROR, reason)));
        changes.addAll(clear());
        modify(dn, changes.toArray(Change[]::new));
    }

    @Override
    public void failKeepingClaim(String dn, String reason, Claim held, List<byte[]> stillToRevoke) {
        List<Change> changes = new ArrayList<>(List.of(replace(ENROLLMENT_STATE, EnrollmentState.FAILED.ldapValue()),
                replace(LAST_ERROR, reason)));
        changes.addAll(keep(held, stillToRevoke));
        modify(dn, changes.toArray(Change[]::new));
    }

    @Override
    public void markRevoked(String dn) {
        List<Change> changes = new ArrayList<>(List.of(replace(USER_CERTIFICATE), replace(USER_SMIME_CERTIFICATE),
                replace(KEY_PACKAGE), replace(ENROLLMENT_TOKEN), replace(KEY_PACKAGE_EXPIRES),
                replace(ENROLLMENT_STATE, EnrollmentState.REVOKED.ldapValue())));
        changes.addAll(clear());
        modify(dn, changes.toArray(Change[]::new));
    }

    @Override
    public void removeKeyPackage(String dn) {
        modify(dn, replace(KEY_PACKAGE), replace(ENROLLMENT_TOKEN), replace(KEY_PACKAGE_EXPIRES));
    }

    // ---- groups and servers --------------------------------------------------------------

    @Override
    public Optional<GroupEntry> readGroup(String dn) {
        return session.read(dn).filter(entry -> entry.is(ObjectClassNames.ADMIN_GROUP))
                .map(InMemoryEnrollmentRecords::group);
    }

    @Override
    public List<GroupEntry> groups() {
        return session.search(layout.administrativeGroups(), entry -> entry.is(ObjectClassNames.ADMIN_GROUP)).stream()
                .map(InMemoryEnrollmentRecords::group).toList();
    }

    @Override
    public List<ServerEntry> servers() {
        return session.children(layout.servers(), entry -> entry.is(ObjectClassNames.SERVER)).stream()
                .map(entry -> new ServerEntry(entry.dn(), entry.string(AGENT_IDENTITY),
                        entry.bytes(SYNC_COOKIE).isEmpty() ? null : entry.bytes(SYNC_COOKIE).get(0)))
                .toList();
    }

    @Override
    public void heartbeat(String serverDn, Instant now) {
        modify(serverDn, replace(HEARTBEAT, time(now)));
    }

    // ---- the key archive -----------------------------------------------------------------

    @Override
    public void addArchivedKey(ArchivedKeyEntry record) {
        Map<String, List<Object>> attributes = new LinkedHashMap<>();
        attributes.put(OBJECT_CLASS, InMemoryDirectory.objectClasses(ObjectClassNames.ARCHIVED_KEY));
        attributes.put(CN, List.of(rdnValue(record.dn())));
        attributes.put(KEY_OWNER, List.of(record.owner()));
        attributes.put(WRAPPED_KEY, List.of(record.wrappedKey()));
        if (record.certificate() != null) {
            attributes.put(USER_CERTIFICATE, List.of(record.certificate()));
        }
        attributes.put(WRAPPING_ALGORITHM, List.of(record.wrappingAlgorithm()));
        attributes.put(WRAPPING_KEY_ID, List.of(record.wrappingKeyId()));
        try {
            session.add(record.dn(), attributes);
        } catch (OperationFailed e) {
            throw new DirectoryAccessException("cannot archive the key at " + record.dn() + ": " + e.code());
        }
    }

    @Override
    public List<ArchivedKeyEntry> archivedKeys(String ownerDn) {
        return archive(entry -> entry.string(KEY_OWNER) != null && DistinguishedNames.same(entry.string(KEY_OWNER), ownerDn));
    }

    @Override
    public List<ArchivedKeyEntry> allArchivedKeys() {
        return archive(entry -> true);
    }

    private List<ArchivedKeyEntry> archive(java.util.function.Predicate<Entry> filter) {
        return session.children(layout.keyArchive(), entry -> entry.is(ObjectClassNames.ARCHIVED_KEY) && filter.test(entry))
                .stream().map(entry -> new ArchivedKeyEntry(entry.dn(),
                        entry.string(KEY_OWNER) == null ? "" : entry.string(KEY_OWNER),
                        entry.bytes(WRAPPED_KEY).isEmpty() ? new byte[0] : entry.bytes(WRAPPED_KEY).get(0),
                        entry.bytes(USER_CERTIFICATE).isEmpty() ? null : entry.bytes(USER_CERTIFICATE).get(0),
                        entry.string(WRAPPING_ALGORITHM), entry.string(WRAPPING_KEY_ID),
                        entry.strings(ARCHIVE_STATE).contains(ArchiveState.ABANDONED.ldapValue())))
                .toList();
    }

    @Override
    public void abandonArchivedKey(String dn) {
        modify(dn, replace(ARCHIVE_STATE, ArchiveState.ABANDONED.ldapValue()));
    }

    /** As the LDAP archive names a record: {@code key-} and 40 hex digits of a SHA-256 of the user and the attempt. */
    @Override
    public String archivedKeyDn(String userDn, String attempt) {
        String material = DistinguishedNames.normal(userDn) + "\n" + attempt;
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(material.getBytes(StandardCharsets.UTF_8));
            return CN + "=key-" + HexFormat.of().formatHex(digest).substring(0, 40) + "," + layout.keyArchive();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    // ---- the request queue ---------------------------------------------------------------

    @Override
    public String requestDn(String userDn, String attempt, String purpose) {
        return EnrollmentNames.requestDn(layout, userDn, attempt, purpose);
    }

    @Override
    public void queueRequest(String dn, String templateName, String subjectDn, byte[] pkcs10) {
        addRequest(session, dn, CN + "=" + Rdn.escapeValue(templateName) + "," + layout.certificateTemplates(),
                subjectDn, pkcs10);
    }

    /** Adds a request entry in state pending, as {@code LdapRequestEntries.add} does. */
    static void addRequest(Session session, String dn, String templateDn, String subjectDn, byte[] pkcs10) {
        Map<String, List<Object>> attributes = new LinkedHashMap<>();
        attributes.put(OBJECT_CLASS, InMemoryDirectory.objectClasses(ObjectClassNames.CERTIFICATE_REQUEST));
        attributes.put(CN, List.of(rdnValue(dn)));
        attributes.put(REQUEST_STATE, List.of(RequestState.PENDING.ldapValue()));
        attributes.put(REQUEST_TEMPLATE, List.of(templateDn));
        attributes.put(REQUEST_SUBJECT, List.of(subjectDn));
        attributes.put(PKCS10_REQUEST, List.of(pkcs10));
        attributes.put(REQUESTED_TIME, List.of(time(session.directory().clock().instant())));
        attributes.put(AttributeNames.EXPIRES_TIME, List.of(time(session.directory().clock().instant()
                .plus(java.time.Duration.ofHours(24)))));
        try {
            session.add(dn, attributes);
        } catch (OperationFailed e) {
            throw new DirectoryAccessException("cannot queue the certificate request " + dn + ": " + e.code());
        }
    }

    @Override
    public Optional<QueuedRequest> readRequest(String dn) {
        return session.read(dn).map(entry -> {
            String state = entry.string(REQUEST_STATE);
            RequestState parsed = state == null ? null : Arrays.stream(RequestState.values())
                    .filter(s -> s.ldapValue().equalsIgnoreCase(state)).findFirst().orElse(null);
            List<byte[]> certificate = entry.bytes(USER_CERTIFICATE);
            return new QueuedRequest(entry.dn(), parsed, certificate.isEmpty() ? null : certificate.get(0),
                    entry.string(LAST_ERROR), parseTime(entry.string(REQUESTED_TIME), entry.dn()),
                    parseTime(entry.string(AttributeNames.EXPIRES_TIME), entry.dn()),
                    parseTime(entry.string(LEASE_EXPIRES), entry.dn()));
        });
    }

    @Override
    public boolean expireRequest(QueuedRequest request) {
        List<Change> changes = new ArrayList<>();
        changes.add(delete(REQUEST_STATE, request.state().ldapValue()));
        changes.add(add(REQUEST_STATE, RequestState.EXPIRED.ldapValue()));
        if (request.state() == RequestState.CLAIMED) {
            changes.add(delete(LEASE_EXPIRES, time(request.leaseExpires())));
            changes.add(replace(CLAIMED_BY));
        }
        return testAndSet(request.dn(), changes);
    }

    @Override
    public void deleteRequest(String dn) {
        deleteQuietly(dn);
    }

    @Override
    public void attachArchivedCertificate(String archiveDn, byte[] certificate) {
        modify(archiveDn, replace(USER_CERTIFICATE, certificate));
    }

    @Override
    public List<byte[]> caCertificates(String caDn) {
        return session.read(caDn).map(entry -> entry.bytes(CA_CERTIFICATE)).orElse(List.of());
    }

    // ---- the modifications of a claim, as ClaimChanges makes them ------------------------

    private static List<Change> acquire(String from, Claim claim) {
        List<Change> changes = new ArrayList<>();
        if (from != null) {
            changes.add(delete(ENROLLMENT_STATE, from));
        }
        changes.add(add(ENROLLMENT_STATE, EnrollmentState.IN_PROGRESS.ldapValue()));
        changes.add(replace(CLAIMED_BY, claim.attempt()));
        changes.add(replace(LEASE_EXPIRES, time(claim.leaseExpires())));
        changes.add(replace(SUPERSEDED_CERTIFICATE, claim.superseded()));
        changes.add(replace(REPLACED_ATTEMPT, claim.replaced()));
        return changes;
    }

    private static List<Change> holding(Claim held) {
        return new ArrayList<>(List.of(delete(CLAIMED_BY, held.attempt()), add(CLAIMED_BY, held.attempt())));
    }

    private static List<Change> keep(Claim held, List<byte[]> superseded) {
        List<Change> changes = holding(held);
        changes.add(replace(SUPERSEDED_CERTIFICATE, superseded));
        changes.add(replace(REPLACED_ATTEMPT));
        return changes;
    }

    private static List<Change> release(Claim held) {
        List<Change> changes = new ArrayList<>();
        changes.add(delete(CLAIMED_BY, held.attempt()));
        changes.addAll(List.of(replace(LEASE_EXPIRES), replace(SUPERSEDED_CERTIFICATE), replace(REPLACED_ATTEMPT)));
        return changes;
    }

    private static List<Change> clear() {
        return List.of(replace(CLAIMED_BY), replace(LEASE_EXPIRES), replace(SUPERSEDED_CERTIFICATE),
                replace(REPLACED_ATTEMPT));
    }

    private static String stored(Claim claim) {
        return claim.storedLease() != null ? claim.storedLease() : time(claim.leaseExpires());
    }

    // ---- reading entries -----------------------------------------------------------------

    static UserEntry user(Entry entry) {
        String rawState = entry.string(ENROLLMENT_STATE);
        EnrollmentState state = null;
        if (rawState != null) {
            try {
                state = LdapEnumeration.parse(EnrollmentState.class, ENROLLMENT_STATE, rawState);
            } catch (IllegalArgumentException e) {
                state = null;
            }
        }
        String rawReason = entry.string(REVOCATION_REASON);
        RevocationReason reason = null;
        if (rawReason != null) {
            try {
                reason = LdapEnumeration.parse(RevocationReason.class, REVOCATION_REASON, rawReason);
            } catch (IllegalArgumentException e) {
                reason = RevocationReason.UNSPECIFIED;
            }
        }
        List<byte[]> signingRequest = entry.bytes(SIGNING_REQUEST);
        List<byte[]> deliveryKey = entry.bytes(DELIVERY_KEY);
        return new UserEntry(entry.dn(), state, rawState, entry.string(ADMINISTRATIVE_GROUP),
                signingRequest.isEmpty() ? null : signingRequest.get(0), entry.strings(MAIL), claim(entry),
                parseTime(entry.string(KEY_PACKAGE_EXPIRES), entry.dn()), entry.has(KEY_PACKAGE),
                entry.bytes(USER_CERTIFICATE), reason, entry.is(ObjectClassNames.KMS_USER), entry.strings(ARCHIVE_RECORD),
                deliveryKey.isEmpty() ? null : deliveryKey.get(0));
    }

    /** As {@code ClaimChanges.read}: a claim whose lease is missing is expired. */
    private static Claim claim(Entry entry) {
        String attempt = entry.string(CLAIMED_BY);
        if (attempt == null) {
            return null;
        }
        String lease = entry.string(LEASE_EXPIRES);
        Instant expires = lease == null ? Instant.EPOCH : parseTime(lease, entry.dn());
        return new Claim(attempt, expires, lease, entry.bytes(SUPERSEDED_CERTIFICATE), entry.strings(REPLACED_ATTEMPT));
    }

    static Instant parseTime(String value, String dn) {
        if (value == null) {
            return null;
        }
        try {
            return new GeneralizedTime(value).getDate().toInstant();
        } catch (ParseException e) {
            throw new DirectoryAccessException(dn + ": '" + value + "' is not a GeneralizedTime");
        }
    }

    private static GroupEntry group(Entry entry) {
        return new GroupEntry(entry.dn(), entry.string(ASSIGNED_SERVER),
                value(entry, KeyAlgorithm.class, KEY_ALGORITHM, KeyAlgorithm.RSA_2048),
                value(entry, ContentEncryptionAlgorithm.class, CONTENT_ENCRYPTION_ALGORITHM,
                        ContentEncryptionAlgorithm.AES_256_CBC),
                value(entry, MessageFormat.class, MESSAGE_FORMAT, MessageFormat.SMIME_3_2),
                value(entry, PackageFormat.class, PACKAGE_FORMAT, PackageFormat.PBES2_AES_256),
                "TRUE".equalsIgnoreCase(entry.string(DEFAULT_GROUP)),
                value(entry, org.dirkms.schema.CertificateFormat.class, org.dirkms.schema.AttributeNames.CERTIFICATE_FORMAT,
                        org.dirkms.schema.CertificateFormat.X509_V3));
    }

    private static <E extends Enum<E> & LdapEnumeration> E value(Entry entry, Class<E> type, String attribute,
            E fallback) {
        String raw = entry.string(attribute);
        return raw == null ? fallback : LdapEnumeration.parse(type, attribute, raw);
    }

    // ---- writing -------------------------------------------------------------------------

    /** A test-and-set: false, nothing changed, when a value to delete is not there (noSuchAttribute). */
    private boolean testAndSet(String dn, List<Change> changes) {
        try {
            session.modify(dn, changes.toArray(Change[]::new));
            return true;
        } catch (OperationFailed e) {
            if (e.code() == ResultCode.NO_SUCH_ATTRIBUTE) {
                return false;
            }
            throw failure("modify", dn, e);
        }
    }

    private void modify(String dn, Change... changes) {
        try {
            session.modify(dn, changes);
        } catch (OperationFailed e) {
            throw failure("modify", dn, e);
        }
    }

    /** A delete of an entry that is gone already counts as done, as {@code LdapEntries.delete} has it. */
    private void deleteQuietly(String dn) {
        try {
            session.delete(dn);
        } catch (OperationFailed e) {
            if (e.code() != ResultCode.NO_SUCH_OBJECT) {
                throw failure("delete", dn, e);
            }
        }
    }

    static DirectoryAccessException failure(String what, String dn, OperationFailed e) {
        return new DirectoryAccessException("cannot " + what + " " + dn + ": " + e.getMessage(), e);
    }

    private static byte[] utf8(char[] token) {
        ByteBuffer encoded = StandardCharsets.UTF_8.encode(CharBuffer.wrap(token));
        byte[] bytes = new byte[encoded.remaining()];
        encoded.get(bytes);
        return bytes;
    }

    static String rdnValue(String dn) {
        try {
            return new Dn(dn).getRdn().getValue();
        } catch (LdapInvalidDnException e) {
            throw new IllegalArgumentException(dn, e);
        }
    }

    private static String parent(String dn) {
        try {
            return new Dn(dn).getParent().getName();
        } catch (LdapInvalidDnException e) {
            throw new IllegalArgumentException(dn, e);
        }
    }
}
