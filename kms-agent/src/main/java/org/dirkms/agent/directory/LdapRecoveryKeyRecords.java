package org.dirkms.agent.directory;

import java.util.List;
import java.util.Optional;
import org.apache.directory.ldap.client.api.LdapNetworkConnection;
import org.dirkms.agent.directory.EnrollmentRecords.ArchivedKeyEntry;
import org.dirkms.schema.DirectoryLayout;

/**
 * {@link RecoveryKeyRecords} over one LDAP connection: the key recovery agent's entry
 * ({@code LdapRecoveryAgentEntries}) and the archive ({@code LdapArchiveEntries}). Thread-safe as
 * the connection is: several workers may re-wrap over one connection.
 */
public final class LdapRecoveryKeyRecords implements RecoveryKeyRecords {
    private final LdapRecoveryAgentEntries recoveryAgent;
    private final LdapArchiveEntries archive;

    /** Records below {@code layout}'s suffix over {@code connection}. */
    public LdapRecoveryKeyRecords(LdapNetworkConnection connection, DirectoryLayout layout) {
        LdapEntries.declareBinaryAttributes(connection);
        LdapEntries entries = new LdapEntries(connection);
        this.recoveryAgent = new LdapRecoveryAgentEntries(entries, layout);
        this.archive = new LdapArchiveEntries(entries, layout);
    }

    @Override
    public Optional<byte[]> currentRecoveryCertificate() {
        return recoveryAgent.current();
    }

    @Override
    public void publishRecoveryCertificate(byte[] certificate) {
        recoveryAgent.publish(certificate);
    }

    @Override
    public List<ArchiveRecordName> archiveRecordNames() {
        return archive.names();
    }

    @Override
    public List<ArchivedKeyEntry> readArchivedKeys(List<String> dns) {
        return archive.named(dns);
    }

    @Override
    public boolean replaceWrappedKey(String dn, byte[] expected, byte[] wrappedKey, String wrappingAlgorithm,
            String wrappingKeyId) {
        return archive.replaceWrappedKey(dn, expected, wrappedKey, wrappingAlgorithm, wrappingKeyId);
    }
}
