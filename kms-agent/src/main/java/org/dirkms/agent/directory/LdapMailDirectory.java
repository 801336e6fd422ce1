package org.dirkms.agent.directory;

import static org.dirkms.schema.AttributeNames.ADMINISTRATIVE_GROUP;
import static org.dirkms.schema.AttributeNames.CONTENT_ENCRYPTION_ALGORITHM;
import static org.dirkms.schema.AttributeNames.DEFAULT_GROUP;
import static org.dirkms.schema.AttributeNames.MAIL;
import static org.dirkms.schema.AttributeNames.OBJECT_CLASS;
import static org.dirkms.schema.AttributeNames.USER_CERTIFICATE;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.directory.api.ldap.model.entry.Entry;
import org.apache.directory.api.ldap.model.message.SearchScope;
import org.apache.directory.ldap.client.api.LdapNetworkConnection;
import org.dirkms.schema.ContentEncryptionAlgorithm;
import org.dirkms.schema.DirectoryLayout;
import org.dirkms.schema.LdapEnumeration;
import org.dirkms.schema.ObjectClassNames;

/**
 * {@link MailDirectory} over LDAP: searches by {@code mail} under the suffix (RFC 4524 section
 * 2.16), certificates from {@code userCertificate;binary} (RFC 4523 section 2.1), the group's
 * {@code kmsContentEncryptionAlgorithm}, and the CA entries' {@code cACertificate;binary} and
 * {@code certificateRevocationList;binary} (RFC 4523 sections 2.2 and 2.4).
 */
public final class LdapMailDirectory implements MailDirectory {
    private static final String CERTIFICATE_BINARY = USER_CERTIFICATE + ";binary";

    private final LdapEntries entries;
    private final DirectoryLayout layout;
    private final LdapCaEntries cas;

    /**
     * Look-ups over {@code connection}, bound or anonymous, below {@code layout}'s suffix.
     */
    public LdapMailDirectory(LdapNetworkConnection connection, DirectoryLayout layout) {
        LdapEntries.declareBinaryAttributes(connection);
        this.entries = new LdapEntries(connection);
        this.layout = layout;
        this.cas = new LdapCaEntries(entries, layout);
    }

    @Override
    public List<MailEntry> findByMail(String address) {
        List<MailEntry> found = new ArrayList<>();
        String filter = "(" + MAIL + "=" + LdapArchiveEntries.escapeFilter(address) + ")";
        for (Entry entry : entries.search(layout.suffix(), filter, SearchScope.SUBTREE, CERTIFICATE_BINARY,
                ADMINISTRATIVE_GROUP)) {
            found.add(new MailEntry(entry.getDn().getName(), LdapEntries.bytes(entry, USER_CERTIFICATE),
                    LdapEntries.first(entry, ADMINISTRATIVE_GROUP)));
        }
        return found;
    }

    @Override
    public Optional<ContentEncryptionAlgorithm> contentEncryption(MailEntry entry) {
        Optional<Entry> group;
        if (entry.administrativeGroup() != null) {
            group = entries.read(entry.administrativeGroup(), OBJECT_CLASS, CONTENT_ENCRYPTION_ALGORITHM);
        } else {
            group = entries.search(layout.administrativeGroups(), "(&(" + OBJECT_CLASS + "="
                    + ObjectClassNames.ADMIN_GROUP + ")(" + DEFAULT_GROUP + "=TRUE))", SearchScope.SUBTREE,
                    OBJECT_CLASS, CONTENT_ENCRYPTION_ALGORITHM).stream().findFirst();
        }
        return group.map(found -> {
            String raw = LdapEntries.first(found, CONTENT_ENCRYPTION_ALGORITHM);
            if (raw == null) {
                return null;
            }
            try {
                return LdapEnumeration.parse(ContentEncryptionAlgorithm.class, CONTENT_ENCRYPTION_ALGORITHM, raw);
            } catch (IllegalArgumentException e) {
                throw new DirectoryAccessException("administrative group " + found.getDn().getName() + ": "
                        + e.getMessage());
            }
        });
    }

    @Override
    public List<Authority> authorities() {
        return cas.list().stream().map(ca -> new Authority(ca.dn(), ca.certificates(), ca.crl())).toList();
    }
}
