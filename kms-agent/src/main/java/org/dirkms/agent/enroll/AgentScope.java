package org.dirkms.agent.enroll;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.dirkms.agent.names.DistinguishedNames;
import org.dirkms.agent.directory.EnrollmentRecords;
import org.dirkms.agent.directory.EnrollmentRecords.GroupEntry;
import org.dirkms.agent.directory.EnrollmentRecords.ServerEntry;
import org.dirkms.agent.directory.EnrollmentRecords.UserEntry;
import org.dirkms.agent.smime.ClientLimits;
import org.dirkms.schema.AttributeNames;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which users an agent serves (docs/administrator-contract.md, 6): the users of the
 * administrative groups whose {@code kmsAssignedServer} is a KMS server entry naming this agent
 * in {@code kmsAgentIdentity}; a user without {@code kmsAdministrativeGroup} belongs to the
 * group marked {@code kmsDefaultGroup: TRUE}. A user whose group cannot be resolved is reported
 * (failed) by the agent of the default group, so that exactly one agent answers. The groups and
 * servers are re-read when older than the refresh period, and at once when the running agent is
 * told of a change to one ({@link #forget}), so a configuration change is seen without a restart. A group of this agent whose configuration its mail clients cannot use
 * ({@link ClientLimits}) is warned about in the log, once per configuration.
 */
final class AgentScope {
    private static final Logger LOG = LoggerFactory.getLogger(AgentScope.class);

    private final EnrollmentRecords records;
    private final String agentDn;
    private final Clock clock;
    private final Duration refresh;
    private List<GroupEntry> groups;
    /** The DNs of the server entries naming this agent, as the directory spells them (to write to). */
    private List<String> myServers;
    /** The same, normalised (to compare with). */
    private java.util.Set<String> myServerKeys;
    private Instant loaded;
    /** The warnings logged already, each with its group's normalised DN. */
    private final java.util.Set<String> warned = new java.util.HashSet<>();

    AgentScope(EnrollmentRecords records, String agentDn, Clock clock, Duration refresh) {
        this.records = records;
        this.agentDn = normal(agentDn);
        this.clock = clock;
        this.refresh = refresh;
    }

    /**
     * The group of {@code user} when this agent serves it, empty when another agent does.
     *
     * @throws EnrollmentFailure when the user's group cannot be resolved and this agent is the one to say so
     */
    synchronized Optional<GroupEntry> groupOf(UserEntry user) throws EnrollmentFailure {
        load(false);
        try {
            return resolve(user);
        } catch (EnrollmentFailure e) {
            // Never fail a user on a stale view: a group added a moment ago must be found.
            load(true);
            return resolve(user);
        }
    }

    private Optional<GroupEntry> resolve(UserEntry user) throws EnrollmentFailure {
        Optional<GroupEntry> defaultGroup = groups.stream().filter(GroupEntry::defaultGroup).findFirst();
        boolean reporter = defaultGroup.map(this::mine).orElse(!myServers.isEmpty());
        GroupEntry group;
        if (user.groupDn() == null) {
            if (defaultGroup.isEmpty()) {
                return unresolved(reporter, "no administrative group is marked " + AttributeNames.DEFAULT_GROUP
                        + " TRUE, so a user without " + AttributeNames.ADMINISTRATIVE_GROUP + " has none: name a group"
                        + " in " + AttributeNames.ADMINISTRATIVE_GROUP + " or mark one group as the default");
            }
            group = defaultGroup.get();
        } else {
            String wanted = normal(user.groupDn());
            Optional<GroupEntry> named = groups.stream().filter(g -> normal(g.dn()).equals(wanted)).findFirst();
            if (named.isEmpty()) {
                return unresolved(reporter, AttributeNames.ADMINISTRATIVE_GROUP + " '" + user.groupDn()
                        + "' is not an administrative group: create it under ou=Administrative Groups"
                        + " (see ldif/samples/10-create-administrative-group.ldif) or remove "
                        + AttributeNames.ADMINISTRATIVE_GROUP + " to use the default group; then set "
                        + AttributeNames.ENROLLMENT_STATE + ": requested again");
            }
            group = named.get();
        }
        if (group.assignedServer() == null) {
            return unresolved(reporter, "administrative group " + group.dn() + " names no KMS server ("
                    + AttributeNames.ASSIGNED_SERVER + "): assign one under ou=Servers,ou=KMS, then set "
                    + AttributeNames.ENROLLMENT_STATE + ": requested again");
        }
        return mine(group) ? Optional.of(group) : Optional.empty();
    }

    /**
     * Forgets the groups and servers read so far: the next question reads them again. The running
     * agent calls it when the directory tells it that an administrative group or a KMS server entry
     * changed, so that a user asked for after an administrator changed the group's configuration is
     * enrolled as the group now says, not as it said up to a refresh period ago.
     */
    synchronized void forget() {
        loaded = null;
    }

    /** Whether this agent serves at least one KMS server entry. */
    synchronized boolean servesAnything() {
        load(false);
        return !myServers.isEmpty();
    }

    /** The DNs of the KMS server entries that name this agent, as the directory spells them. */
    synchronized List<String> myServers() {
        load(false);
        return myServers;
    }

    private boolean mine(GroupEntry group) {
        return group.assignedServer() != null && myServerKeys.contains(normal(group.assignedServer()));
    }

    private void load(boolean force) {
        Instant now = clock.instant();
        if (!force && loaded != null && now.isBefore(loaded.plus(refresh))) {
            return;
        }
        groups = records.groups();
        myServers = records.servers().stream().filter(s -> s.agentIdentity() != null
                && normal(s.agentIdentity()).equals(agentDn)).map(ServerEntry::dn).toList();
        myServerKeys = myServers.stream().map(AgentScope::normal).collect(java.util.stream.Collectors.toSet());
        loaded = now;
        for (GroupEntry group : groups) {
            if (!mine(group)) {
                continue; // its own agent warns
            }
            for (String warning : ClientLimits.warnings(group.keyAlgorithm(), group.packageFormat())) {
                if (warned.add(normal(group.dn()) + "\n" + warning)) {
                    LOG.warn("administrative group {}: {}", group.dn(), warning);
                }
            }
        }
    }

    /** The agent of the default group reports an unresolvable group; every other agent leaves the user alone. */
    private static Optional<GroupEntry> unresolved(boolean reporter, String reason) throws EnrollmentFailure {
        if (reporter) {
            throw new EnrollmentFailure(reason);
        }
        return Optional.empty();
    }

    /** DNs as written by people, in the one normalised form ({@link DistinguishedNames}). */
    static String normal(String dn) {
        return DistinguishedNames.normal(dn);
    }
}
