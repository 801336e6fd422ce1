package org.dirkms.agent.recovery;

import java.util.List;
import java.util.Optional;

import org.dirkms.agent.directory.EnrollmentRecords.GroupEntry;
import org.dirkms.agent.directory.RecoveryRecords;
import org.dirkms.agent.directory.RecoveryRecords.KmsServer;
import org.dirkms.agent.directory.RecoveryRecords.TargetUser;
import org.dirkms.agent.names.DistinguishedNames;
import org.dirkms.schema.AttributeNames;

/**
 * Which agent recovers a user's keys, and with what configuration: the agent of the KMS server
 * that serves the user's administrative group (its {@code kmsAdministrativeGroup}, or the group
 * marked {@code kmsDefaultGroup: TRUE}), as for the user's enrollment (docs/administrator-contract.md,
 * 6); that server's {@code kmsRequiredApprovals}, and the group's package format. A request whose
 * user or group cannot be resolved is answered by the agent of the default group's server, so
 * that exactly one agent answers it.
 */
final class RecoveryScope {

    /**
     * Who serves a request.
     *
     * @param mine whether this agent is the one to act on it
     * @param group the user's administrative group, or null when it cannot be resolved
     * @param server its KMS server, or null when it cannot be resolved
     * @param unresolved why the user's group or server cannot be resolved, or null
     */
    record Serving(boolean mine, GroupEntry group, KmsServer server, String unresolved) {
        /** The approvals the serving server requires; the default when it cannot be resolved. */
        int requiredApprovals() {
            return server == null ? org.dirkms.schema.RequiredApprovals.DEFAULT : server.requiredApprovals();
        }
    }

    private final RecoveryRecords records;
    private final String agentDn;

    RecoveryScope(RecoveryRecords records, String agentDn) {
        this.records = records;
        this.agentDn = DistinguishedNames.normal(agentDn);
    }

    /** Who serves the recovery of {@code target} (empty when the target names no entry). */
    Serving of(Optional<TargetUser> target, String targetDn) {
        List<GroupEntry> groups = records.groups();
        List<KmsServer> servers = records.servers();
        Optional<GroupEntry> defaultGroup = groups.stream().filter(GroupEntry::defaultGroup).findFirst();
        boolean reporter = defaultGroup.map(group -> serverOf(group, servers).map(this::mine).orElse(false))
                .orElseGet(() -> servers.stream().anyMatch(this::mine));
        if (target.isEmpty()) {
            return new Serving(reporter, null, null, AttributeNames.RECOVERY_TARGET + " " + targetDn
                    + " names no entry (any more): there is nobody whose keys to recover");
        }
        GroupEntry group;
        if (target.get().groupDn() == null) {
            if (defaultGroup.isEmpty()) {
                return new Serving(reporter, null, null, "no administrative group is marked "
                        + AttributeNames.DEFAULT_GROUP + " TRUE and " + target.get().dn() + " names none in "
                        + AttributeNames.ADMINISTRATIVE_GROUP + ": no KMS server serves the user");
            }
            group = defaultGroup.get();
        } else {
            String wanted = DistinguishedNames.normal(target.get().groupDn());
            Optional<GroupEntry> named = groups.stream()
                    .filter(candidate -> DistinguishedNames.normal(candidate.dn()).equals(wanted)).findFirst();
            if (named.isEmpty()) {
                return new Serving(reporter, null, null, AttributeNames.ADMINISTRATIVE_GROUP + " '"
                        + target.get().groupDn() + "' of " + target.get().dn()
                        + " is not an administrative group: no KMS server serves the user");
            }
            group = named.get();
        }
        Optional<KmsServer> server = serverOf(group, servers);
        if (server.isEmpty()) {
            return new Serving(reporter, group, null, "administrative group " + group.dn() + " names no KMS server"
                    + " under ou=Servers,ou=KMS in " + AttributeNames.ASSIGNED_SERVER + ": no KMS server serves the user");
        }
        return new Serving(mine(server.get()), group, server.get(), null);
    }

    private static Optional<KmsServer> serverOf(GroupEntry group, List<KmsServer> servers) {
        if (group.assignedServer() == null) {
            return Optional.empty();
        }
        String wanted = DistinguishedNames.normal(group.assignedServer());
        return servers.stream().filter(server -> DistinguishedNames.normal(server.dn()).equals(wanted)).findFirst();
    }

    private boolean mine(KmsServer server) {
        return server.agentIdentity() != null && DistinguishedNames.normal(server.agentIdentity()).equals(agentDn);
    }
}
