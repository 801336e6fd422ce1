package org.dirkms.agent.directory;

import java.util.List;
import java.util.Optional;

import org.apache.directory.ldap.client.api.LdapNetworkConnection;
import org.dirkms.agent.directory.EnrollmentRecords.ArchivedKeyEntry;
import org.dirkms.agent.directory.EnrollmentRecords.GroupEntry;
import org.dirkms.schema.AttributeNames;
import org.dirkms.schema.DirectoryLayout;
import org.dirkms.schema.RecoveryState;

/**
 * {@link RecoveryRecords} over LDAP with the Apache LDAP API client, on a connection the caller
 * opened, protected (StartTLS or LDAPS: the records carry secrets), and closes. The running agent
 * binds as a KMS agent; {@code dirkms recovery fetch} binds as the requester, who reads and
 * deletes the package of their own request and nothing else. Each kind of record has its own
 * class. Thread-safe as far as the connection is.
 */
public final class LdapRecoveryRecords implements RecoveryRecords {
    private final LdapRecoveryRequestEntries requests;
    private final LdapUserEntries users;
    private final LdapArchiveEntries archive;
    private final LdapGroupEntries groups;
    private final LdapServerEntries servers;
    private final LdapEntries entries;
    private final LdapCustodyRecords custody;

    /**
     * Records below {@code layout}'s suffix over {@code connection}; the attributes that hold DER
     * or secrets are declared binary to the connection's codec.
     */
    public LdapRecoveryRecords(LdapNetworkConnection connection, DirectoryLayout layout) {
        LdapEntries.declareBinaryAttributes(connection);
        this.entries = new LdapEntries(connection);
        this.requests = new LdapRecoveryRequestEntries(entries, layout);
        this.users = new LdapUserEntries(entries, layout);
        this.archive = new LdapArchiveEntries(entries, layout);
        this.groups = new LdapGroupEntries(entries, layout);
        this.servers = new LdapServerEntries(entries, layout);
        this.custody = new LdapCustodyRecords(connection, layout);
    }

    @Override
    public Optional<CustodyRecords.CustodyEntry> custody() {
        return custody.custody();
    }

    @Override
    public boolean claimWithRequestKey(String dn, Claim expired, Claim claim, byte[] requestKey,
            List<byte[]> voidShares, List<String> voidApprovals, String note) {
        return requests.claimWithRequestKey(dn, expired, claim, requestKey, voidShares, voidApprovals, note);
    }

    @Override
    public boolean renewClaim(String dn, Claim held, java.time.Instant until) {
        return requests.renew(dn, held, until);
    }

    @Override
    public boolean note(String dn, Claim held, String note) {
        return requests.note(dn, held, note);
    }

    @Override
    public Optional<RequestEntry> readRequest(String dn) {
        return requests.read(dn);
    }

    @Override
    public List<RequestEntry> requests() {
        return requests.search("");
    }

    @Override
    public List<RequestEntry> requestsIn(RecoveryState... states) {
        StringBuilder filter = new StringBuilder("(|");
        for (RecoveryState state : states) {
            filter.append('(').append(AttributeNames.RECOVERY_STATE).append('=').append(state.ldapValue()).append(')');
        }
        return requests.search(filter.append(')').toString());
    }

    @Override
    public Optional<TargetUser> readTarget(String dn) {
        return users.read(dn).map(user -> new TargetUser(user.dn(), user.mail(), user.groupDn(), user.archiveRecords()));
    }

    @Override
    public Optional<ArchivedKeyEntry> readArchivedKey(String dn) {
        return archive.read(dn);
    }

    @Override
    public List<ArchivedKeyEntry> archivedKeys(String ownerDn) {
        return archive.ofOwner(ownerDn);
    }

    @Override
    public List<byte[]> caCertificates(String caDn) {
        return entries.read(caDn, AttributeNames.CA_CERTIFICATE + ";binary")
                .map(entry -> LdapEntries.bytes(entry, AttributeNames.CA_CERTIFICATE)).orElse(List.of());
    }

    @Override
    public List<GroupEntry> groups() {
        return groups.list();
    }

    @Override
    public List<KmsServer> servers() {
        return servers.recoveryConfigurations();
    }

    @Override
    public List<String> groupMembers(String groupDn) {
        return entries.read(groupDn, AttributeNames.MEMBER).map(entry -> LdapEntries.strings(entry, AttributeNames.MEMBER))
                .orElse(List.of());
    }

    @Override
    public boolean claim(String dn, Claim claim) {
        return requests.claim(dn, claim);
    }

    @Override
    public boolean takeOver(String dn, Claim expired, Claim successor) {
        return requests.takeOver(dn, expired, successor);
    }

    @Override
    public boolean releaseClaim(String dn, Claim held) {
        return requests.release(dn, held);
    }

    @Override
    public boolean deliver(String dn, Claim held, List<String> approvals, Delivery delivery) {
        return requests.deliver(dn, held, approvals, delivery);
    }

    @Override
    public boolean fail(String dn, Claim held, String reason) {
        return requests.fail(dn, held, reason);
    }

    @Override
    public boolean expire(String dn, RecoveryState from, String reason) {
        return requests.expire(dn, from, reason);
    }

    @Override
    public boolean confirmDelivery(String dn) {
        return requests.confirmDelivery(dn);
    }

    @Override
    public Optional<Delivery> readDelivery(String dn) {
        return requests.readDelivery(dn);
    }

    @Override
    public void removePackage(String dn) {
        requests.removePackage(dn);
    }

    @Override
    public void setRequiredApprovals(String serverDn, int count) {
        servers.setRequiredApprovals(serverDn, count);
    }
}
