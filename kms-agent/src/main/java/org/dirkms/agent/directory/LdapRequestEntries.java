package org.dirkms.agent.directory;

import static org.dirkms.schema.AttributeNames.CLAIMED_BY;
import static org.dirkms.schema.AttributeNames.CN;
import static org.dirkms.schema.AttributeNames.EXPIRES_TIME;
import static org.dirkms.schema.AttributeNames.LAST_ERROR;
import static org.dirkms.schema.AttributeNames.LEASE_EXPIRES;
import static org.dirkms.schema.AttributeNames.OBJECT_CLASS;
import static org.dirkms.schema.AttributeNames.PKCS10_REQUEST;
import static org.dirkms.schema.AttributeNames.REQUESTED_TIME;
import static org.dirkms.schema.AttributeNames.REQUEST_STATE;
import static org.dirkms.schema.AttributeNames.REQUEST_LIFETIME;
import static org.dirkms.schema.AttributeNames.REQUEST_SUBJECT;
import static org.dirkms.schema.AttributeNames.REQUEST_TEMPLATE;
import static org.dirkms.schema.AttributeNames.USER_CERTIFICATE;

import java.time.Clock;
import java.time.Instant;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.directory.api.ldap.model.entry.DefaultEntry;
import org.apache.directory.api.ldap.model.entry.DefaultModification;
import org.apache.directory.api.ldap.model.entry.Entry;
import org.apache.directory.api.ldap.model.entry.ModificationOperation;
import org.apache.directory.api.ldap.model.exception.LdapException;
import org.apache.directory.api.ldap.model.exception.LdapNoSuchAttributeException;
import org.apache.directory.api.ldap.model.exception.LdapNoSuchObjectException;
import org.apache.directory.api.ldap.model.message.SearchScope;
import org.apache.directory.api.ldap.model.name.Dn;
import org.dirkms.agent.ca.CaRecords.RequestEntry;
import org.dirkms.schema.DirectoryLayout;
import org.dirkms.schema.ObjectClassNames;
import org.dirkms.schema.RequestState;

/** Certificate request queue entries ({@code kmsCertificateRequest}) under {@code ou=Requests}. */
final class LdapRequestEntries {
    /** How long a queued request waits for a CA when {@code ou=Requests} names no lifetime. */
    static final Duration DEFAULT_LIFETIME = Duration.ofHours(24);

    private final LdapEntries entries;
    private final DirectoryLayout layout;
    private final Clock clock;

    LdapRequestEntries(LdapEntries entries, DirectoryLayout layout, Clock clock) {
        this.entries = entries;
        this.layout = layout;
        this.clock = clock;
    }

    /**
     * Queues a pending request whose deadline ({@code kmsExpiresTime}) is the queue's lifetime
     * from now.
     */
    void add(String dn, String templateDn, String subjectDn, byte[] pkcs10) {
        try {
            Entry entry = request(dn, RequestState.PENDING, templateDn, subjectDn, pkcs10);
            entry.add(EXPIRES_TIME, LdapTimes.format(clock.instant().plus(lifetime())));
            entries.add(entry);
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
        entry.add(REQUESTED_TIME, LdapTimes.format(clock.instant()));
        return entry;
    }

    /**
     * How long a queued request waits for a CA: {@code kmsRequestLifetime} (hours) of
     * {@code ou=Requests}, else {@link #DEFAULT_LIFETIME}. A value that is not a positive number
     * of hours counts as absent.
     */
    Duration lifetime() {
        String hours = entries.read(layout.requests(), REQUEST_LIFETIME)
                .map(entry -> LdapEntries.first(entry, REQUEST_LIFETIME)).orElse(null);
        try {
            long parsed = hours == null ? 0 : Long.parseLong(hours.trim());
            return parsed > 0 ? Duration.ofHours(parsed) : DEFAULT_LIFETIME;
        } catch (NumberFormatException e) {
            return DEFAULT_LIFETIME;
        }
    }

    /**
     * Sets how long queued requests wait for a CA, in hours, on {@code ou=Requests} (adding the
     * auxiliary class {@code kmsRequestQueue} when it lacks it). Requests queued before keep
     * their deadline.
     */
    void setLifetime(long hours) {
        boolean hasClass = entries.read(layout.requests(), OBJECT_CLASS)
                .map(entry -> LdapEntries.strings(entry, OBJECT_CLASS).stream()
                        .anyMatch(oc -> oc.equalsIgnoreCase(ObjectClassNames.REQUEST_QUEUE)))
                .orElse(false);
        List<DefaultModification> changes = new ArrayList<>();
        if (!hasClass) {
            changes.add(new DefaultModification(ModificationOperation.ADD_ATTRIBUTE, OBJECT_CLASS,
                    ObjectClassNames.REQUEST_QUEUE));
        }
        changes.add(new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, REQUEST_LIFETIME,
                Long.toString(hours)));
        entries.modify(layout.requests(), changes.toArray(new DefaultModification[0]));
    }

    /**
     * How many open requests a CA reads in one round: one search without paging, so that a CA
     * process killed in the middle of its round leaves no paged search open in the server (the
     * embedded server's storage was seen to fail on one); beyond it, a round acts on part of the
     * queue and the next round sees the rest as requests leave it.
     */
    static final int OPEN_REQUESTS_PER_ROUND = 2000;

    /** The requests pending or claimed, with their claims and deadlines ({@link #OPEN_REQUESTS_PER_ROUND} at most). */
    List<RequestEntry> open() {
        List<RequestEntry> open = new ArrayList<>();
        for (Entry entry : entries.searchUpTo(OPEN_REQUESTS_PER_ROUND, layout.requests(), "(&(" + OBJECT_CLASS + "=" + ObjectClassNames.CERTIFICATE_REQUEST
                + ")(|(" + REQUEST_STATE + "=" + RequestState.PENDING.ldapValue() + ")(" + REQUEST_STATE + "="
                + RequestState.CLAIMED.ldapValue() + ")))", SearchScope.ONELEVEL,
                REQUEST_STATE, REQUEST_TEMPLATE, REQUEST_SUBJECT, PKCS10_REQUEST, CLAIMED_BY, LEASE_EXPIRES, EXPIRES_TIME)) {
            String dn = entry.getDn().getName();
            List<byte[]> pkcs10 = LdapEntries.bytes(entry, PKCS10_REQUEST);
            String lease = LdapEntries.first(entry, LEASE_EXPIRES);
            String expires = LdapEntries.first(entry, EXPIRES_TIME);
            open.add(new RequestEntry(dn, LdapEntries.first(entry, REQUEST_TEMPLATE),
                    LdapEntries.first(entry, REQUEST_SUBJECT), pkcs10.isEmpty() ? new byte[0] : pkcs10.get(0),
                    state(LdapEntries.first(entry, REQUEST_STATE)), LdapEntries.first(entry, CLAIMED_BY),
                    lease == null ? null : LdapTimes.parse(lease, dn, LEASE_EXPIRES),
                    expires == null ? null : LdapTimes.parse(expires, dn, EXPIRES_TIME)));
        }
        return open;
    }

    /** The known state spelled {@code value}, or null. */
    static RequestState state(String value) {
        if (value == null) {
            return null;
        }
        for (RequestState state : RequestState.values()) {
            if (state.ldapValue().equalsIgnoreCase(value)) {
                return state;
            }
        }
        return null;
    }

    boolean claim(String dn, String attempt, Instant leaseExpires) {
        // Test-and-set: deleting the value 'pending' fails with noSuchAttribute when another
        // CA already changed the state, so exactly one claimant wins.
        return testAndSet("claim the certificate request", dn,
                new DefaultModification(ModificationOperation.REMOVE_ATTRIBUTE, REQUEST_STATE, RequestState.PENDING.ldapValue()),
                new DefaultModification(ModificationOperation.ADD_ATTRIBUTE, REQUEST_STATE, RequestState.CLAIMED.ldapValue()),
                new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, CLAIMED_BY, attempt),
                new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, LEASE_EXPIRES, LdapTimes.format(leaseExpires)));
    }

    boolean takeOver(String dn, Instant expiredLease, String attempt, Instant leaseExpires) {
        // Test-and-set on exactly the stored lease: of two CAs taking over, one deletes it first.
        return testAndSet("take over the certificate request", dn,
                new DefaultModification(ModificationOperation.REMOVE_ATTRIBUTE, LEASE_EXPIRES, LdapTimes.format(expiredLease)),
                new DefaultModification(ModificationOperation.ADD_ATTRIBUTE, LEASE_EXPIRES, LdapTimes.format(leaseExpires)),
                new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, CLAIMED_BY, attempt));
    }

    boolean complete(String dn, String attempt, byte[] certificate) {
        return testAndSet("record the certificate of the request", dn,
                new DefaultModification(ModificationOperation.REMOVE_ATTRIBUTE, CLAIMED_BY, attempt),
                new DefaultModification(ModificationOperation.REMOVE_ATTRIBUTE, REQUEST_STATE, RequestState.CLAIMED.ldapValue()),
                new DefaultModification(ModificationOperation.ADD_ATTRIBUTE, REQUEST_STATE, RequestState.ISSUED.ldapValue()),
                new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, USER_CERTIFICATE + ";binary", certificate),
                new DefaultModification(ModificationOperation.REMOVE_ATTRIBUTE, LEASE_EXPIRES));
    }

    boolean fail(String dn, String attempt, String subjectDn, String reason) {
        if (!testAndSet("refuse the certificate request", dn,
                new DefaultModification(ModificationOperation.REMOVE_ATTRIBUTE, CLAIMED_BY, attempt),
                new DefaultModification(ModificationOperation.REMOVE_ATTRIBUTE, REQUEST_STATE, RequestState.CLAIMED.ldapValue()),
                new DefaultModification(ModificationOperation.ADD_ATTRIBUTE, REQUEST_STATE, RequestState.FAILED.ldapValue()),
                new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, LAST_ERROR, reason),
                new DefaultModification(ModificationOperation.REMOVE_ATTRIBUTE, LEASE_EXPIRES))) {
            return false;
        }
        // The user entry carries kmsLastError only if it is a kmsUser (the schema allows it nowhere else).
        if (subjectDn != null && entries.read(subjectDn, OBJECT_CLASS)
                .map(entry -> LdapEntries.strings(entry, OBJECT_CLASS).stream()
                        .anyMatch(oc -> oc.equalsIgnoreCase(ObjectClassNames.KMS_USER)))
                .orElse(false)) {
            entries.modify(subjectDn, new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, LAST_ERROR, reason));
        }
        return true;
    }

    /**
     * Expires a request no CA served by {@code deadline}, by the enrollment that queued it: one
     * modify that deletes the state pending, or, for a request whose CA died holding it, the
     * state claimed and exactly its expired lease, so that a CA claiming it at the same moment
     * and the expiry never both win.
     *
     * @return false if the request changed meanwhile (a CA claimed or served it)
     */
    boolean expire(String dn, RequestState state, Instant expiredLease) {
        List<DefaultModification> changes = new ArrayList<>();
        changes.add(new DefaultModification(ModificationOperation.REMOVE_ATTRIBUTE, REQUEST_STATE, state.ldapValue()));
        changes.add(new DefaultModification(ModificationOperation.ADD_ATTRIBUTE, REQUEST_STATE,
                RequestState.EXPIRED.ldapValue()));
        if (state == RequestState.CLAIMED) {
            changes.add(new DefaultModification(ModificationOperation.REMOVE_ATTRIBUTE, LEASE_EXPIRES,
                    LdapTimes.format(expiredLease)));
            changes.add(new DefaultModification(ModificationOperation.REMOVE_ATTRIBUTE, CLAIMED_BY));
        }
        return testAndSet("expire the certificate request", dn, changes.toArray(new DefaultModification[0]));
    }

    /** A modify whose first deletions are its test: false when a value it deletes is gone (or the entry). */
    private boolean testAndSet(String operation, String dn, DefaultModification... changes) {
        try {
            entries.modifyOrThrow(dn, changes);
            return true;
        } catch (LdapNoSuchAttributeException | LdapNoSuchObjectException e) {
            return false;
        } catch (LdapException e) {
            throw LdapEntries.failure(operation, dn, e);
        }
    }
}
