package org.dirkms.agent.directory;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.apache.directory.ldap.client.api.LdapNetworkConnection;
import org.dirkms.schema.AttributeNames;
import org.dirkms.schema.DirectoryLayout;
import org.dirkms.schema.EnrollmentState;
import org.dirkms.schema.RequestState;

/**
 * {@link EnrollmentRecords} over LDAP with the Apache LDAP API client, on a connection the
 * caller opened, protected (StartTLS or LDAPS: the records carry secrets), bound as a KMS agent,
 * and closes. Each kind of record has its own class. Thread-safe as far as the connection is:
 * the Apache LDAP API connection multiplexes requests from several threads.
 */
public final class LdapEnrollmentRecords implements EnrollmentRecords {
    private final LdapUserEntries users;
    private final LdapGroupEntries groups;
    private final LdapServerEntries servers;
    private final LdapArchiveEntries archive;
    private final LdapRequestEntries requests;
    private final LdapEntries entries;
    private final DirectoryLayout layout;

    /**
     * Records below {@code layout}'s suffix over {@code connection}. The attributes that hold DER
     * or secrets are declared binary to the connection's codec, so that they are never decoded as
     * UTF-8 when the connection has not loaded the server's schema.
     */
    public LdapEnrollmentRecords(LdapNetworkConnection connection, DirectoryLayout layout) {
        this(connection, layout, java.time.Clock.systemUTC());
    }

    /**
     * Records as {@link #LdapEnrollmentRecords(LdapNetworkConnection, DirectoryLayout)}, with
     * {@code clock} stamping the {@code kmsRequestedTime} of queued certificate requests.
     */
    public LdapEnrollmentRecords(LdapNetworkConnection connection, DirectoryLayout layout, java.time.Clock clock) {
        LdapEntries.declareBinaryAttributes(connection);
        LdapEntries entries = new LdapEntries(connection);
        this.users = new LdapUserEntries(entries, layout);
        this.groups = new LdapGroupEntries(entries, layout);
        this.servers = new LdapServerEntries(entries, layout);
        this.archive = new LdapArchiveEntries(entries, layout);
        // The lease is the CA's claim on a request; this side never claims one.
        this.requests = new LdapRequestEntries(entries, layout, clock);
        this.entries = entries;
        this.layout = layout;
    }

    @Override
    public Optional<UserEntry> readUser(String dn) {
        return users.read(dn);
    }

    @Override
    public List<UserEntry> usersInState(EnrollmentState... states) {
        StringBuilder filter = new StringBuilder("(|");
        for (EnrollmentState state : states) {
            filter.append('(').append(AttributeNames.ENROLLMENT_STATE).append('=').append(state.ldapValue()).append(')');
        }
        return users.search(filter.append(')').toString());
    }

    @Override
    public List<UserEntry> claimedUsersIn(EnrollmentState... states) {
        StringBuilder filter = new StringBuilder("(&(" + AttributeNames.CLAIMED_BY + "=*)(|");
        for (EnrollmentState state : states) {
            filter.append('(').append(AttributeNames.ENROLLMENT_STATE).append('=').append(state.ldapValue()).append(')');
        }
        return users.search(filter.append("))").toString());
    }

    @Override
    public List<UserEntry> usersWithPackage() {
        return users.search("(" + AttributeNames.KEY_PACKAGE_EXPIRES + "=*)");
    }

    @Override
    public List<String> findDns(String baseDn, String filter) {
        return users.findDns(baseDn, filter);
    }

    @Override
    public List<AddressHolder> entriesWithMail(List<String> addresses) {
        return users.entriesWithMail(addresses);
    }

    @Override
    public boolean claim(String dn, EnrollmentState from, Claim claim) {
        return users.claim(dn, from, claim);
    }

    @Override
    public boolean claimFrom(String dn, EnrollmentState from, boolean addKmsUserClass, Claim claim) {
        return users.claimFrom(dn, from, addKmsUserClass, claim);
    }

    @Override
    public char[] readEnrollmentToken(String dn) {
        return users.readToken(dn);
    }

    @Override
    public boolean takeOver(String dn, Claim expired, Claim successor) {
        return users.takeOver(dn, expired, successor);
    }

    @Override
    public void requestEnrollment(String dn) {
        users.requestEnrollment(dn);
    }

    @Override
    public boolean publish(String dn, Claim held, Publication publication) {
        return users.publish(dn, held, publication);
    }

    @Override
    public boolean renewLease(String dn, Claim held, Instant newLease) {
        return users.renewLease(dn, held, newLease);
    }

    @Override
    public boolean amendClaim(String dn, Claim held, List<byte[]> superseded) {
        return users.amendClaim(dn, held, superseded);
    }

    @Override
    public boolean endClaim(String dn, Claim held) {
        return users.endClaim(dn, held);
    }

    @Override
    public void putPublishedCertificate(String userDn, String purpose, List<String> mail, byte[] certificate) {
        users.putPublishedCertificate(userDn, purpose, mail, certificate);
    }

    @Override
    public List<byte[]> publishedCertificates(String userDn) {
        return users.publishedCertificates(userDn);
    }

    @Override
    public List<MailCarryingChild> publishedCertificatesWithMail() {
        return users.publishedCertificatesWithMail();
    }

    @Override
    public boolean removeMailOfPublishedCertificate(MailCarryingChild child) {
        return users.removeMailOfPublishedCertificate(child);
    }

    @Override
    public boolean putEncryptionCertificateFirst(String userDn, byte[] encryption, byte[] signing) {
        return users.putEncryptionCertificateFirst(userDn, encryption, signing);
    }

    @Override
    public int removePublishedCertificates(String userDn) {
        return users.removePublishedCertificates(userDn);
    }

    @Override
    public void fail(String dn, String reason) {
        users.fail(dn, reason);
    }

    @Override
    public void failKeepingClaim(String dn, String reason, Claim held, List<byte[]> stillToRevoke) {
        users.failKeepingClaim(dn, reason, held, stillToRevoke);
    }

    @Override
    public void markRevoked(String dn) {
        users.markRevoked(dn);
    }

    @Override
    public void removeKeyPackage(String dn) {
        users.removeKeyPackage(dn);
    }

    @Override
    public Optional<GroupEntry> readGroup(String dn) {
        return groups.read(dn);
    }

    @Override
    public List<GroupEntry> groups() {
        return groups.list();
    }

    @Override
    public List<ServerEntry> servers() {
        return servers.list();
    }

    @Override
    public void heartbeat(String serverDn, Instant now) {
        servers.heartbeat(serverDn, now);
    }

    @Override
    public void addArchivedKey(ArchivedKeyEntry entry) {
        archive.add(entry);
    }

    @Override
    public List<ArchivedKeyEntry> archivedKeys(String ownerDn) {
        return archive.ofOwner(ownerDn);
    }

    @Override
    public List<ArchivedKeyEntry> allArchivedKeys() {
        return archive.all();
    }

    @Override
    public void abandonArchivedKey(String dn) {
        archive.abandon(dn);
    }

    @Override
    public String archivedKeyDn(String userDn, String attempt) {
        return archive.dn(userDn, attempt);
    }

    @Override
    public String requestDn(String userDn, String attempt, String purpose) {
        return EnrollmentNames.requestDn(layout, userDn, attempt, purpose);
    }

    @Override
    public void queueRequest(String dn, String templateName, String subjectDn, byte[] pkcs10) {
        requests.add(dn, AttributeNames.CN + "=" + org.apache.directory.api.ldap.model.name.Rdn.escapeValue(templateName)
                + "," + layout.certificateTemplates(), subjectDn, pkcs10);
    }

    @Override
    public Optional<QueuedRequest> readRequest(String dn) {
        return entries.read(dn, AttributeNames.REQUEST_STATE, AttributeNames.USER_CERTIFICATE + ";binary",
                AttributeNames.LAST_ERROR, AttributeNames.REQUESTED_TIME, AttributeNames.EXPIRES_TIME,
                AttributeNames.LEASE_EXPIRES).map(entry -> {
                    List<byte[]> certificate = LdapEntries.bytes(entry, AttributeNames.USER_CERTIFICATE);
                    String name = entry.getDn().getName();
                    return new QueuedRequest(name, LdapRequestEntries.state(
                            LdapEntries.first(entry, AttributeNames.REQUEST_STATE)),
                            certificate.isEmpty() ? null : certificate.get(0),
                            LdapEntries.first(entry, AttributeNames.LAST_ERROR),
                            LdapTimes.parse(LdapEntries.first(entry, AttributeNames.REQUESTED_TIME), name,
                                    AttributeNames.REQUESTED_TIME),
                            LdapTimes.parse(LdapEntries.first(entry, AttributeNames.EXPIRES_TIME), name,
                                    AttributeNames.EXPIRES_TIME),
                            LdapTimes.parse(LdapEntries.first(entry, AttributeNames.LEASE_EXPIRES), name,
                                    AttributeNames.LEASE_EXPIRES));
                });
    }

    @Override
    public boolean expireRequest(QueuedRequest request) {
        return requests.expire(request.dn(), request.state(), request.leaseExpires());
    }

    @Override
    public void deleteRequest(String dn) {
        entries.delete(dn);
    }

    @Override
    public void attachArchivedCertificate(String archiveDn, byte[] certificate) {
        entries.modify(archiveDn, new org.apache.directory.api.ldap.model.entry.DefaultModification(
                org.apache.directory.api.ldap.model.entry.ModificationOperation.REPLACE_ATTRIBUTE,
                AttributeNames.USER_CERTIFICATE + ";binary", certificate));
    }

    @Override
    public List<byte[]> caCertificates(String caDn) {
        return entries.read(caDn, AttributeNames.CA_CERTIFICATE + ";binary")
                .map(entry -> LdapEntries.bytes(entry, AttributeNames.CA_CERTIFICATE)).orElse(List.of());
    }
}
