package org.dirkms.agent.directory;

import static org.dirkms.schema.AttributeNames.AGENT_IDENTITY;
import static org.dirkms.schema.AttributeNames.HEARTBEAT;
import static org.dirkms.schema.AttributeNames.OBJECT_CLASS;
import static org.dirkms.schema.AttributeNames.REQUIRED_APPROVALS;
import static org.dirkms.schema.AttributeNames.SYNC_COOKIE;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.directory.api.ldap.model.entry.DefaultModification;
import org.apache.directory.api.ldap.model.entry.Entry;
import org.apache.directory.api.ldap.model.entry.ModificationOperation;
import org.apache.directory.api.ldap.model.message.SearchScope;
import org.dirkms.agent.directory.EnrollmentRecords.ServerEntry;
import org.dirkms.schema.DirectoryLayout;
import org.dirkms.schema.ObjectClassNames;
import org.dirkms.schema.RequiredApprovals;

/**
 * KMS server entries ({@code kmsServer}) under {@code ou=Servers,ou=KMS}: who serves them, the
 * saved syncrepl cookie, the heartbeat, the approvals a recovery needs.
 */
final class LdapServerEntries {
    private final LdapEntries entries;
    private final DirectoryLayout layout;

    LdapServerEntries(LdapEntries entries, DirectoryLayout layout) {
        this.entries = entries;
        this.layout = layout;
    }

    List<ServerEntry> list() {
        List<ServerEntry> servers = new ArrayList<>();
        for (Entry entry : entries.search(layout.servers(), "(" + OBJECT_CLASS + "=" + ObjectClassNames.SERVER + ")",
                SearchScope.ONELEVEL, AGENT_IDENTITY, SYNC_COOKIE)) {
            List<String> agent = LdapEntries.strings(entry, AGENT_IDENTITY);
            List<byte[]> cookie = LdapEntries.bytes(entry, SYNC_COOKIE);
            servers.add(new ServerEntry(entry.getDn().getName(), agent.isEmpty() ? null : agent.get(0),
                    cookie.isEmpty() ? null : cookie.get(0)));
        }
        return servers;
    }

    /** Every server with its recovery configuration; a count that is not one names the entry. */
    List<RecoveryRecords.KmsServer> recoveryConfigurations() {
        List<RecoveryRecords.KmsServer> servers = new ArrayList<>();
        for (Entry entry : entries.search(layout.servers(), "(" + OBJECT_CLASS + "=" + ObjectClassNames.SERVER + ")",
                SearchScope.ONELEVEL, AGENT_IDENTITY, REQUIRED_APPROVALS)) {
            String dn = entry.getDn().getName();
            List<String> agent = LdapEntries.strings(entry, AGENT_IDENTITY);
            List<String> count = LdapEntries.strings(entry, REQUIRED_APPROVALS);
            try {
                servers.add(new RecoveryRecords.KmsServer(dn, agent.isEmpty() ? null : agent.get(0),
                        RequiredApprovals.parse(count.isEmpty() ? null : count.get(0), dn)));
            } catch (IllegalArgumentException e) {
                throw new DirectoryAccessException(e.getMessage());
            }
        }
        return servers;
    }

    void setRequiredApprovals(String dn, int count) {
        entries.modify(dn, new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, REQUIRED_APPROVALS,
                Integer.toString(count)));
    }

    void heartbeat(String dn, Instant now) {
        entries.modify(dn, new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, HEARTBEAT,
                LdapTimes.format(now)));
    }
}
