package org.dirkms.agent.directory;

import static org.dirkms.schema.AttributeNames.CAPACITY;
import static org.dirkms.schema.AttributeNames.CA_STATE;
import static org.dirkms.schema.AttributeNames.CLAIMED_BY;
import static org.dirkms.schema.AttributeNames.CN;
import static org.dirkms.schema.AttributeNames.EXPIRES_TIME;
import static org.dirkms.schema.AttributeNames.HEARTBEAT;
import static org.dirkms.schema.AttributeNames.INSTALLED_TEMPLATE;
import static org.dirkms.schema.AttributeNames.LAST_ERROR;
import static org.dirkms.schema.AttributeNames.LEASE_EXPIRES;
import static org.dirkms.schema.AttributeNames.OBJECT_CLASS;
import static org.dirkms.schema.AttributeNames.PRIORITY;
import static org.dirkms.schema.AttributeNames.REQUESTED_TIME;
import static org.dirkms.schema.AttributeNames.REQUEST_STATE;
import static org.dirkms.schema.AttributeNames.REQUEST_SUBJECT;
import static org.dirkms.schema.AttributeNames.REQUEST_TEMPLATE;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import org.apache.directory.api.ldap.model.entry.Entry;
import org.apache.directory.api.ldap.model.message.SearchScope;
import org.apache.directory.ldap.client.api.LdapConnection;
import org.dirkms.agent.names.DistinguishedNames;
import org.dirkms.schema.DirectoryLayout;
import org.dirkms.schema.ObjectClassNames;

/**
 * Reads the certificate request queue into a {@link QueueSnapshot}: the request entries under
 * {@code ou=Requests}, the CA entries under {@code ou=Certification Authorities} and the template
 * entries under {@code ou=Certificate Templates}, each with one paged one-level search
 * ({@link PagedSearch}), so that a queue of any length is read whole.
 *
 * <p>It asks only for names, states and times — never {@code kmsPkcs10Request},
 * {@code userCertificate} or a CA's certificates — so it reads as little as the listing shows, and
 * every attribute it asks for is one any authenticated identity may read (docs/security.md, the
 * access model): a KMS administrator or recovery agent sees the same queue as the KMS agent.
 */
public final class LdapQueueReadings {

    private final LdapEntries entries;
    private final DirectoryLayout layout;
    private final Clock clock;

    /** Readings over {@code connection} (bound as any authenticated identity); {@code clock} dates each read. */
    public LdapQueueReadings(LdapConnection connection, DirectoryLayout layout, Clock clock) {
        this.entries = new LdapEntries(connection);
        this.layout = layout;
        this.clock = clock;
    }

    /**
     * The whole queue, its CAs and the templates, read now.
     *
     * @throws DirectoryAccessException if the directory cannot be read, or a stored time is not
     *         a GeneralizedTime (the message names the entry and the attribute)
     */
    public QueueSnapshot read() {
        List<QueueSnapshot.Authority> authorities = authorities();
        List<String> templates = templates();
        return new QueueSnapshot(clock.instant(), requests(), authorities, templates);
    }

    /**
     * The CAs and the templates only, without the requests: what changing a CA's templates or
     * capacity needs to check its arguments against, read now.
     *
     * @throws DirectoryAccessException if the directory cannot be read
     */
    public QueueSnapshot readAuthorities() {
        List<QueueSnapshot.Authority> authorities = authorities();
        return new QueueSnapshot(clock.instant(), List.of(), authorities, templates());
    }

    private List<QueueSnapshot.Request> requests() {
        List<QueueSnapshot.Request> requests = new ArrayList<>();
        for (Entry entry : entries.search(layout.requests(), "(" + OBJECT_CLASS + "="
                + ObjectClassNames.CERTIFICATE_REQUEST + ")", SearchScope.ONELEVEL, CN, REQUEST_STATE,
                REQUEST_SUBJECT, REQUEST_TEMPLATE, REQUESTED_TIME, EXPIRES_TIME, CLAIMED_BY, LEASE_EXPIRES,
                LAST_ERROR)) {
            String dn = entry.getDn().getName();
            requests.add(new QueueSnapshot.Request(dn, name(entry, dn), LdapEntries.first(entry, REQUEST_STATE),
                    LdapEntries.first(entry, REQUEST_SUBJECT), LdapEntries.first(entry, REQUEST_TEMPLATE),
                    LdapTimes.parse(LdapEntries.first(entry, REQUESTED_TIME), dn, REQUESTED_TIME),
                    LdapTimes.parse(LdapEntries.first(entry, EXPIRES_TIME), dn, EXPIRES_TIME),
                    LdapEntries.first(entry, CLAIMED_BY),
                    LdapTimes.parse(LdapEntries.first(entry, LEASE_EXPIRES), dn, LEASE_EXPIRES),
                    LdapEntries.first(entry, LAST_ERROR)));
        }
        return requests;
    }

    private List<QueueSnapshot.Authority> authorities() {
        List<QueueSnapshot.Authority> authorities = new ArrayList<>();
        for (Entry entry : entries.search(layout.certificationAuthorities(), "(" + OBJECT_CLASS + "="
                + ObjectClassNames.CERTIFICATION_AUTHORITY + ")", SearchScope.ONELEVEL, CN, CA_STATE, PRIORITY,
                INSTALLED_TEMPLATE, CAPACITY, HEARTBEAT)) {
            String dn = entry.getDn().getName();
            authorities.add(new QueueSnapshot.Authority(dn, name(entry, dn), LdapEntries.first(entry, CA_STATE),
                    integer(LdapEntries.first(entry, PRIORITY)), LdapEntries.strings(entry, INSTALLED_TEMPLATE),
                    integer(LdapEntries.first(entry, CAPACITY)),
                    LdapTimes.parse(LdapEntries.first(entry, HEARTBEAT), dn, HEARTBEAT)));
        }
        return authorities;
    }

    private List<String> templates() {
        List<String> templates = new ArrayList<>();
        for (Entry entry : entries.search(layout.certificateTemplates(), "(" + OBJECT_CLASS + "="
                + ObjectClassNames.CERTIFICATE_TEMPLATE + ")", SearchScope.ONELEVEL, CN)) {
            templates.add(entry.getDn().getName());
        }
        return templates;
    }

    /** The entry's naming {@code cn} (the RDN's value), else its first {@code cn}, else the DN. */
    private static String name(Entry entry, String dn) {
        String leaf = DistinguishedNames.leafValue(dn, CN);
        if (leaf != null) {
            return leaf;
        }
        String cn = LdapEntries.first(entry, CN);
        return cn != null ? cn : dn;
    }

    /** An INTEGER (RFC 4517 section 3.3.16) value, or null when absent or too large for an int. */
    private static Integer integer(String value) {
        if (value == null) {
            return null;
        }
        try {
            return Integer.valueOf(value.strip());
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
