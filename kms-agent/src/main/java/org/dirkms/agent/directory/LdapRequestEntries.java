package org.dirkms.agent.directory;

import static org.dirkms.schema.AttributeNames.CLAIMED_BY;
import static org.dirkms.schema.AttributeNames.CN;
import static org.dirkms.schema.AttributeNames.LAST_ERROR;
import static org.dirkms.schema.AttributeNames.LEASE_EXPIRES;
import static org.dirkms.schema.AttributeNames.OBJECT_CLASS;
import static org.dirkms.schema.AttributeNames.PKCS10_REQUEST;
import static org.dirkms.schema.AttributeNames.REQUESTED_TIME;
import static org.dirkms.schema.AttributeNames.REQUEST_STATE;
import static org.dirkms.schema.AttributeNames.REQUEST_SUBJECT;
import static org.dirkms.schema.AttributeNames.REQUEST_TEMPLATE;
import static org.dirkms.schema.AttributeNames.USER_CERTIFICATE;

import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import org.apache.directory.api.ldap.model.entry.DefaultEntry;
import org.apache.directory.api.ldap.model.entry.DefaultModification;
import org.apache.directory.api.ldap.model.entry.Entry;
import org.apache.directory.api.ldap.model.entry.ModificationOperation;
import org.apache.directory.api.ldap.model.exception.LdapException;
import org.apache.directory.api.ldap.model.exception.LdapNoSuchAttributeException;
import org.apache.directory.api.ldap.model.message.SearchScope;
import org.apache.directory.api.ldap.model.name.Dn;
import org.dirkms.agent.ca.CaRecords.RequestEntry;
import org.dirkms.schema.DirectoryLayout;
import org.dirkms.schema.ObjectClassNames;
import org.dirkms.schema.RequestState;

/** Certificate request queue entries ({@code kmsCertificateRequest}) under {@code ou=Requests}. */
final class LdapRequestEntries {
    /** RFC 4517 section 3.3.13 GeneralizedTime, in UTC. */
    private static final DateTimeFormatter GENERALIZED_TIME = DateTimeFormatter.ofPattern("yyyyMMddHHmmss'Z'")
            .withZone(ZoneOffset.UTC);

    private final LdapEntries entries;
    private final DirectoryLayout layout;
    private final Clock clock;
    private final Duration lease;

    LdapRequestEntries(LdapEntries entries, DirectoryLayout layout, Clock clock, Duration lease) {
        this.entries = entries;
        this.layout = layout;
        this.clock = clock;
        this.lease = lease;
    }

    void add(String dn, String templateDn, String subjectDn, byte[] pkcs10) {
        try {
            entries.add(request(dn, RequestState.PENDING, templateDn, subjectDn, pkcs10));
        } catch (LdapException e) {
            throw LdapEntries.failure("queue the certificate request", dn, e);
        }
    }

    /**
     * Adds a request entry already issued: one add, so that no CA serving the queue ever sees
     * it pending (only KMS agents may add a request in another state than pending).
     */
    void addIssued(String dn, String templateDn, String subjectDn, byte[] pkcs10, byte[] certificate) {
        try {
            Entry entry = request(dn, RequestState.ISSUED, templateDn, subjectDn, pkcs10);
            entry.add(USER_CERTIFICATE + ";binary", certificate);
            entries.add(entry);
        } catch (LdapException e) {
            throw LdapEntries.failure("record the issued certificate", dn, e);
        }
    }

    /** A request entry in {@code state}, requested now. */
    private Entry request(String dn, RequestState state, String templateDn, String subjectDn, byte[] pkcs10)
            throws LdapException {
        Dn parsed = new Dn(dn);
        Entry entry = new DefaultEntry(parsed);
        entry.add(OBJECT_CLASS, ObjectClassNames.TOP, ObjectClassNames.CERTIFICATE_REQUEST);
        entry.add(CN, parsed.getRdn().getValue());
        entry.add(REQUEST_STATE, state.ldapValue());
        entry.add(REQUEST_TEMPLATE, templateDn);
        entry.add(REQUEST_SUBJECT, subjectDn);
        entry.add(PKCS10_REQUEST, pkcs10);
        entry.add(REQUESTED_TIME, GENERALIZED_TIME.format(clock.instant()));
        return entry;
    }

    List<RequestEntry> pending() {
        List<RequestEntry> pending = new ArrayList<>();
        for (Entry entry : entries.search(layout.requests(), "(&(" + OBJECT_CLASS + "=" + ObjectClassNames.CERTIFICATE_REQUEST
                + ")(" + REQUEST_STATE + "=" + RequestState.PENDING.ldapValue() + "))", SearchScope.ONELEVEL,
                REQUEST_TEMPLATE, REQUEST_SUBJECT, PKCS10_REQUEST)) {
            List<String> template = LdapEntries.strings(entry, REQUEST_TEMPLATE);
            List<String> subject = LdapEntries.strings(entry, REQUEST_SUBJECT);
            List<byte[]> pkcs10 = LdapEntries.bytes(entry, PKCS10_REQUEST);
            pending.add(new RequestEntry(entry.getDn().getName(), template.isEmpty() ? null : template.get(0),
                    subject.isEmpty() ? null : subject.get(0), pkcs10.isEmpty() ? new byte[0] : pkcs10.get(0)));
        }
        return pending;
    }

    boolean claim(String dn, String owner) {
        try {
            // Test-and-set: deleting the value 'pending' fails with noSuchAttribute when another
            // agent already changed the state, so exactly one claimant wins.
            entries.modifyOrThrow(dn,
                    new DefaultModification(ModificationOperation.REMOVE_ATTRIBUTE, REQUEST_STATE, RequestState.PENDING.ldapValue()),
                    new DefaultModification(ModificationOperation.ADD_ATTRIBUTE, REQUEST_STATE, RequestState.CLAIMED.ldapValue()),
                    new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, CLAIMED_BY, owner),
                    new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, LEASE_EXPIRES,
                            GENERALIZED_TIME.format(clock.instant().plus(lease))));
            return true;
        } catch (LdapNoSuchAttributeException e) {
            return false;
        } catch (LdapException e) {
            throw LdapEntries.failure("claim the certificate request", dn, e);
        }
    }

    void complete(String dn, byte[] certificate) {
        entries.modify(dn,
                new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, USER_CERTIFICATE + ";binary", certificate),
                new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, REQUEST_STATE, RequestState.ISSUED.ldapValue()),
                new DefaultModification(ModificationOperation.REMOVE_ATTRIBUTE, LEASE_EXPIRES));
    }

    void fail(String dn, String subjectDn, String reason) {
        entries.modify(dn,
                new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, LAST_ERROR, reason),
                new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, REQUEST_STATE, RequestState.FAILED.ldapValue()),
                new DefaultModification(ModificationOperation.REMOVE_ATTRIBUTE, LEASE_EXPIRES));
        // The user entry carries kmsLastError only if it is a kmsUser (the schema allows it nowhere else).
        if (subjectDn != null && entries.read(subjectDn, OBJECT_CLASS)
                .map(entry -> LdapEntries.strings(entry, OBJECT_CLASS).stream()
                        .anyMatch(oc -> oc.equalsIgnoreCase(ObjectClassNames.KMS_USER)))
                .orElse(false)) {
            entries.modify(subjectDn, new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, LAST_ERROR, reason));
        }
    }
}
