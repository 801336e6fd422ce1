package org.dirkms.ds.guard;

import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

import org.dirkms.schema.DirectoryLayout;

/**
 * Computes the roles of a bound DN: the directory superuser is the
 * {@link Role#DIRECTORY_ADMINISTRATOR} and nothing else, whatever groups name it (it owns the
 * directory's identities, so it must not also hold a KMS role: docs/security.md); every other
 * identity holds the roles of the KMS role groups that list it
 * ({@link DirectoryLayout#kmsAdministratorsGroup()}, {@link DirectoryLayout#recoveryAgentsGroup()},
 * {@link DirectoryLayout#kmsAgentsGroup()}). It caches the memberships: an operation costs a
 * set lookup, not a directory read. The cache is dropped by {@link #invalidate()}, which the
 * interceptor calls after every write to a group entry, and reloaded on the next use.
 *
 * <p>Members are the direct {@code member} values of each group (nested groups are not
 * followed). DNs are compared in normalised form, as given by the normaliser of the caller.
 * Thread-safe: a load that overlaps an invalidation is not kept.
 */
public final class RoleDirectory {

    private final String administrators;
    private final String recoveryAgents;
    private final String agents;
    private final String superuser;
    private final Function<String, Set<String>> membersOf;
    private final Object lock = new Object();
    private volatile Map<String, Set<String>> members;
    private long generation;

    /**
     * @param layout     the tree whose role groups count
     * @param normaliser turns a DN string into the normalised form used for comparisons
     * @param membersOf  reads the normalised member DNs of a group (given as its normalised DN);
     *                   an empty set when the group does not exist
     */
    public RoleDirectory(DirectoryLayout layout, Function<String, String> normaliser,
            Function<String, Set<String>> membersOf) {
        this.administrators = normaliser.apply(layout.kmsAdministratorsGroup());
        this.recoveryAgents = normaliser.apply(layout.recoveryAgentsGroup());
        this.agents = normaliser.apply(layout.kmsAgentsGroup());
        this.superuser = normaliser.apply(DirectoryLayout.ADMIN_DN);
        this.membersOf = membersOf;
    }

    /** Whether {@code normalisedDn} is one of the three role groups. */
    public boolean isRoleGroup(String normalisedDn) {
        return administrators.equals(normalisedDn) || recoveryAgents.equals(normalisedDn)
                || agents.equals(normalisedDn);
    }

    /** Drops the cached memberships; the next {@link #identify} reloads them. */
    public void invalidate() {
        synchronized (lock) {
            generation++;
            members = null;
        }
    }

    /**
     * The identity of a bound DN.
     *
     * @param normalisedDn the bound DN, normalised; {@code null} or empty for anonymous
     */
    public Identity identify(String normalisedDn) {
        if (normalisedDn == null || normalisedDn.isEmpty()) {
            return Identity.ANONYMOUS;
        }
        if (superuser.equals(normalisedDn)) {
            return new Identity(normalisedDn, EnumSet.of(Role.AUTHENTICATED, Role.DIRECTORY_ADMINISTRATOR));
        }
        Map<String, Set<String>> current = memberships();
        EnumSet<Role> roles = EnumSet.of(Role.AUTHENTICATED);
        if (current.get(administrators).contains(normalisedDn)) {
            roles.add(Role.KMS_ADMINISTRATOR);
        }
        if (current.get(recoveryAgents).contains(normalisedDn)) {
            roles.add(Role.RECOVERY_AGENT);
        }
        if (current.get(agents).contains(normalisedDn)) {
            roles.add(Role.KMS_AGENT);
        }
        return new Identity(normalisedDn, roles);
    }

    /**
     * Whether {@code normalisedDn} is a member of any KMS role group: such an entry's password,
     * name and existence are the KMS's to change, not the directory superuser's (whoever could
     * reset a KMS administrator's password, or re-create the entry under the same DN, would
     * hold the role).
     */
    public boolean isRoleHolder(String normalisedDn) {
        if (normalisedDn == null || normalisedDn.isEmpty()) {
            return false;
        }
        Map<String, Set<String>> current = memberships();
        return current.get(administrators).contains(normalisedDn) || current.get(recoveryAgents).contains(normalisedDn)
                || current.get(agents).contains(normalisedDn);
    }

    private Map<String, Set<String>> memberships() {
        Map<String, Set<String>> current = members;
        if (current != null) {
            return current;
        }
        long startedAt;
        synchronized (lock) {
            startedAt = generation;
        }
        Map<String, Set<String>> loaded = Map.of(
                administrators, Set.copyOf(membersOf.apply(administrators)),
                recoveryAgents, Set.copyOf(membersOf.apply(recoveryAgents)),
                agents, Set.copyOf(membersOf.apply(agents)));
        synchronized (lock) {
            if (generation == startedAt) {
                members = loaded;
            }
        }
        return loaded;
    }
}
