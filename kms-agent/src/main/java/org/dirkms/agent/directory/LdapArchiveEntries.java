package org.dirkms.agent.directory;

import org.dirkms.agent.names.DistinguishedNames;
import static org.dirkms.schema.AttributeNames.ARCHIVE_STATE;
import static org.dirkms.schema.AttributeNames.CN;
import static org.dirkms.schema.AttributeNames.KEY_OWNER;
import static org.dirkms.schema.AttributeNames.OBJECT_CLASS;
import static org.dirkms.schema.AttributeNames.USER_CERTIFICATE;
import static org.dirkms.schema.AttributeNames.WRAPPED_KEY;
import static org.dirkms.schema.AttributeNames.WRAPPING_ALGORITHM;
import static org.dirkms.schema.AttributeNames.WRAPPING_KEY_ID;

import java.util.ArrayList;
import java.util.List;
import org.apache.directory.api.ldap.model.entry.DefaultAttribute;
import org.apache.directory.api.ldap.model.entry.DefaultEntry;
import org.apache.directory.api.ldap.model.entry.DefaultModification;
import org.apache.directory.api.ldap.model.entry.ModificationOperation;
import org.apache.directory.api.ldap.model.entry.Entry;
import org.apache.directory.api.ldap.model.exception.LdapException;
import org.apache.directory.api.ldap.model.exception.LdapNoSuchAttributeException;
import org.apache.directory.api.ldap.model.message.SearchScope;
import org.dirkms.agent.directory.EnrollmentRecords.ArchivedKeyEntry;
import org.dirkms.schema.ArchiveState;
import org.dirkms.schema.DirectoryLayout;
import org.dirkms.schema.ObjectClassNames;

/**
 * Archived keys ({@code kmsArchivedKey}) under {@code ou=Key Archive}. A record's {@code cn} is
 * derived from its owner and the identity of the enrollment attempt that wrote it (not its
 * lease, which a waiting attempt renews)
 * ({@code key-} and 40 hex digits of a SHA-256), so a process that takes over an expired claim
 * computes the DN of the dead attempt's record from the user entry and removes it if its
 * certificate was never published: no orphan stays. The owner's records are found by
 * {@code kmsKeyOwner}.
 */
final class LdapArchiveEntries {
    private static final String[] ATTRIBUTES = {KEY_OWNER, WRAPPED_KEY, USER_CERTIFICATE, WRAPPING_ALGORITHM, ARCHIVE_STATE,
        WRAPPING_KEY_ID};

    private final LdapEntries entries;
    private final DirectoryLayout layout;

    LdapArchiveEntries(LdapEntries entries, DirectoryLayout layout) {
        this.entries = entries;
        this.layout = layout;
    }

    String dn(String userDn, String attempt) {
        String material = DistinguishedNames.normal(userDn) + "\n"
                + attempt;
        try {
            byte[] digest = java.security.MessageDigest.getInstance("SHA-256")
                    .digest(material.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            return CN + "=key-" + java.util.HexFormat.of().formatHex(digest).substring(0, 40) + "," + layout.keyArchive();
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    void add(ArchivedKeyEntry record) {
        try {
            Entry entry = new DefaultEntry(record.dn());
            entry.add(OBJECT_CLASS, ObjectClassNames.TOP, ObjectClassNames.ARCHIVED_KEY);
            entry.add(CN, entry.getDn().getRdn().getValue());
            entry.add(KEY_OWNER, record.owner());
            entry.add(WRAPPED_KEY, record.wrappedKey());
            if (record.certificate() != null) {
                entry.add(new DefaultAttribute(USER_CERTIFICATE + ";binary", record.certificate()));
            }
            entry.add(WRAPPING_ALGORITHM, record.wrappingAlgorithm());
            entry.add(WRAPPING_KEY_ID, record.wrappingKeyId());
            entries.add(entry);
        } catch (LdapException e) {
            throw LdapEntries.secretWriteFailure("archive the key at", record.dn(), e);
        }
    }

    List<ArchivedKeyEntry> ofOwner(String ownerDn) {
        return list("(&(" + OBJECT_CLASS + "=" + ObjectClassNames.ARCHIVED_KEY + ")(" + KEY_OWNER + "="
                + escapeFilter(ownerDn) + "))");
    }

    /** The record at {@code dn}, if there is one. */
    java.util.Optional<ArchivedKeyEntry> read(String dn) {
        return entries.read(dn, ATTRIBUTES).filter(entry -> !LdapEntries.bytes(entry, WRAPPED_KEY).isEmpty())
                .map(LdapArchiveEntries::record);
    }

    /** Every record under {@code ou=Key Archive}, whoever owns it (the archive checker walks them all). */
    List<ArchivedKeyEntry> all() {
        return list("(" + OBJECT_CLASS + "=" + ObjectClassNames.ARCHIVED_KEY + ")");
    }

    private List<ArchivedKeyEntry> list(String filter) {
        List<ArchivedKeyEntry> found = new ArrayList<>();
        for (Entry entry : entries.search(layout.keyArchive(), filter, SearchScope.ONELEVEL, ATTRIBUTES)) {
            found.add(record(entry));
        }
        return found;
    }

    /** The name and {@code kmsWrappingKeyId} of every record: the small listing a re-wrap starts from. */
    List<RecoveryKeyRecords.ArchiveRecordName> names() {
        List<RecoveryKeyRecords.ArchiveRecordName> names = new ArrayList<>();
        for (Entry entry : entries.search(layout.keyArchive(), "(" + OBJECT_CLASS + "=" + ObjectClassNames.ARCHIVED_KEY
                + ")", SearchScope.ONELEVEL, WRAPPING_KEY_ID)) {
            List<String> keyId = LdapEntries.strings(entry, WRAPPING_KEY_ID);
            names.add(new RecoveryKeyRecords.ArchiveRecordName(entry.getDn().getName(), keyId.isEmpty() ? null
                    : keyId.get(0)));
        }
        return names;
    }

    /**
     * The records named {@code dns} that exist (each directly under {@code ou=Key Archive}), read
     * with one search: their {@code cn}s in one filter (RFC 4515), so that a batch costs one
     * round trip rather than one per record.
     */
    List<ArchivedKeyEntry> named(List<String> dns) {
        if (dns.isEmpty()) {
            return List.of();
        }
        StringBuilder filter = new StringBuilder("(&(" + OBJECT_CLASS + "=" + ObjectClassNames.ARCHIVED_KEY + ")(|");
        for (String dn : dns) {
            filter.append('(').append(CN).append('=').append(escapeFilter(rdnValue(dn))).append(')');
        }
        java.util.Set<String> wanted = new java.util.HashSet<>();
        dns.forEach(dn -> wanted.add(DistinguishedNames.normal(dn)));
        return list(filter.append("))").toString()).stream()
                .filter(record -> wanted.contains(DistinguishedNames.normal(record.dn()))).toList();
    }

    /**
     * Replaces the wrapped key of the record {@code dn} in one modify that deletes the value
     * {@code expected} and adds {@code replacement} (RFC 4511 section 4.6: the changes apply in
     * order and atomically, and deleting a value that is not there fails the whole modify with
     * noSuchAttribute, changing nothing), with its algorithm and key id.
     *
     * @return false when the record no longer holds {@code expected}: someone else changed it
     */
    boolean replaceWrappedKey(String dn, byte[] expected, byte[] replacement, String algorithm, String keyId) {
        try {
            entries.modifyOrThrow(dn, new DefaultModification(ModificationOperation.REMOVE_ATTRIBUTE, WRAPPED_KEY,
                    expected), new DefaultModification(ModificationOperation.ADD_ATTRIBUTE, WRAPPED_KEY, replacement),
                    new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, WRAPPING_ALGORITHM, algorithm),
                    new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, WRAPPING_KEY_ID, keyId));
            return true;
        } catch (LdapNoSuchAttributeException e) {
            return false;
        } catch (LdapException e) {
            throw LdapEntries.secretWriteFailure("re-wrap the archived key at", dn, e);
        }
    }

    private static String rdnValue(String dn) {
        try {
            return new org.apache.directory.api.ldap.model.name.Dn(dn).getRdn().getValue();
        } catch (LdapException e) {
            throw new IllegalArgumentException("not a DN: " + dn, e);
        }
    }

    private static ArchivedKeyEntry record(Entry entry) {
        List<byte[]> wrapped = LdapEntries.bytes(entry, WRAPPED_KEY);
        List<byte[]> certificate = LdapEntries.bytes(entry, USER_CERTIFICATE);
        List<String> owner = LdapEntries.strings(entry, KEY_OWNER);
        List<String> algorithm = LdapEntries.strings(entry, WRAPPING_ALGORITHM);
        List<String> keyId = LdapEntries.strings(entry, WRAPPING_KEY_ID);
        boolean abandoned = LdapEntries.strings(entry, ARCHIVE_STATE).contains(ArchiveState.ABANDONED.ldapValue());
        // kmsKeyOwner is required by the schema; an empty owner is shown as such rather than failing the listing.
        return new ArchivedKeyEntry(entry.getDn().getName(), owner.isEmpty() ? "" : owner.get(0),
                wrapped.isEmpty() ? new byte[0] : wrapped.get(0), certificate.isEmpty() ? null : certificate.get(0),
                algorithm.isEmpty() ? null : algorithm.get(0), keyId.isEmpty() ? null : keyId.get(0), abandoned);
    }

    /** Marks the record abandoned (the archive is append-only: records are never deleted). */
    void abandon(String dn) {
        entries.modify(dn, new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, ARCHIVE_STATE,
                ArchiveState.ABANDONED.ldapValue()));
    }

    /** RFC 4515 section 3: the characters that must be escaped in an assertion value. */
    static String escapeFilter(String value) {
        StringBuilder escaped = new StringBuilder();
        for (char c : value.toCharArray()) {
            switch (c) {
                case '*' -> escaped.append("\\2a");
                case '(' -> escaped.append("\\28");
                case ')' -> escaped.append("\\29");
                case '\\' -> escaped.append("\\5c");
                case '\0' -> escaped.append("\\00");
                default -> escaped.append(c);
            }
        }
        return escaped.toString();
    }
}
