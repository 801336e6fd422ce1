package org.dirkms.agent.directory;

import static org.dirkms.schema.AttributeNames.ASSIGNED_SERVER;
import static org.dirkms.schema.AttributeNames.CERTIFICATE_FORMAT;
import static org.dirkms.schema.AttributeNames.CONTENT_ENCRYPTION_ALGORITHM;
import static org.dirkms.schema.AttributeNames.DEFAULT_GROUP;
import static org.dirkms.schema.AttributeNames.KEY_ALGORITHM;
import static org.dirkms.schema.AttributeNames.MESSAGE_FORMAT;
import static org.dirkms.schema.AttributeNames.OBJECT_CLASS;
import static org.dirkms.schema.AttributeNames.PACKAGE_FORMAT;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.directory.api.ldap.model.entry.Entry;
import org.apache.directory.api.ldap.model.message.SearchScope;
import org.dirkms.agent.directory.EnrollmentRecords.GroupEntry;
import org.dirkms.schema.CertificateFormat;
import org.dirkms.schema.ContentEncryptionAlgorithm;
import org.dirkms.schema.DirectoryLayout;
import org.dirkms.schema.KeyAlgorithm;
import org.dirkms.schema.LdapEnumeration;
import org.dirkms.schema.MessageFormat;
import org.dirkms.schema.ObjectClassNames;
import org.dirkms.schema.PackageFormat;

/**
 * Administrative groups ({@code kmsAdminGroup}) under {@code ou=Administrative Groups}, read
 * into validated {@link GroupEntry} records. An attribute left out takes the default of the
 * bootstrap's default group (RSA-2048, AES-256-CBC, S/MIME 3.2, PBES2/AES-256, X.509 version 3); a value that is
 * not one of the accepted ones is an error naming the entry and the attribute.
 */
final class LdapGroupEntries {
    private static final String[] ATTRIBUTES = {OBJECT_CLASS, ASSIGNED_SERVER, KEY_ALGORITHM,
        CONTENT_ENCRYPTION_ALGORITHM, MESSAGE_FORMAT, PACKAGE_FORMAT, DEFAULT_GROUP, CERTIFICATE_FORMAT};

    private final LdapEntries entries;
    private final DirectoryLayout layout;

    LdapGroupEntries(LdapEntries entries, DirectoryLayout layout) {
        this.entries = entries;
        this.layout = layout;
    }

    Optional<GroupEntry> read(String dn) {
        return entries.read(dn, ATTRIBUTES)
                .filter(entry -> LdapEntries.strings(entry, OBJECT_CLASS).stream()
                        .anyMatch(oc -> oc.equalsIgnoreCase(ObjectClassNames.ADMIN_GROUP)))
                .map(LdapGroupEntries::group);
    }

    List<GroupEntry> list() {
        List<GroupEntry> groups = new ArrayList<>();
        for (Entry entry : entries.search(layout.administrativeGroups(),
                "(" + OBJECT_CLASS + "=" + ObjectClassNames.ADMIN_GROUP + ")", SearchScope.SUBTREE, ATTRIBUTES)) {
            groups.add(group(entry));
        }
        return groups;
    }

    private static GroupEntry group(Entry entry) {
        String dn = entry.getDn().getName();
        return new GroupEntry(dn, LdapEntries.first(entry, ASSIGNED_SERVER),
                value(entry, KeyAlgorithm.class, KEY_ALGORITHM, KeyAlgorithm.RSA_2048),
                value(entry, ContentEncryptionAlgorithm.class, CONTENT_ENCRYPTION_ALGORITHM,
                        ContentEncryptionAlgorithm.AES_256_CBC),
                value(entry, MessageFormat.class, MESSAGE_FORMAT, MessageFormat.SMIME_3_2),
                value(entry, PackageFormat.class, PACKAGE_FORMAT, PackageFormat.PBES2_AES_256),
                "TRUE".equalsIgnoreCase(LdapEntries.first(entry, DEFAULT_GROUP)),
                value(entry, CertificateFormat.class, CERTIFICATE_FORMAT, CertificateFormat.X509_V3));
    }

    private static <E extends Enum<E> & LdapEnumeration> E value(Entry entry, Class<E> type, String attribute,
            E fallback) {
        String raw = LdapEntries.first(entry, attribute);
        if (raw == null) {
            return fallback;
        }
        try {
            return LdapEnumeration.parse(type, attribute, raw);
        } catch (IllegalArgumentException e) {
            throw new DirectoryAccessException("administrative group " + entry.getDn().getName() + ": " + e.getMessage());
        }
    }

}
