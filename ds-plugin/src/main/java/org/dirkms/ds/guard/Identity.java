package org.dirkms.ds.guard;

import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;

/**
 * Who performs an operation: the normalised bound DN and the roles that DN holds now.
 *
 * @param dn    normalised DN of the bound identity; {@code ""} for anonymous and for the server
 * @param roles the roles held, never empty
 */
public record Identity(String dn, Set<Role> roles) {

    /** An anonymous client. */
    public static final Identity ANONYMOUS = new Identity("", EnumSet.of(Role.ANONYMOUS));
    /** The directory server's own internal operations. */
    public static final Identity SERVER = new Identity("", EnumSet.of(Role.SERVER));

    /** Copies the roles. */
    public Identity {
        Objects.requireNonNull(dn, "dn");
        roles = roles.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(roles));
        if (roles.isEmpty()) {
            throw new IllegalArgumentException("an identity holds at least one role");
        }
    }

    /** Whether the identity holds {@code role}. */
    public boolean has(Role role) {
        return roles.contains(role);
    }

    /** Whether this is the server itself or a KMS agent: the identities that may do everything. */
    public boolean isTrusted() {
        return has(Role.SERVER) || has(Role.KMS_AGENT);
    }

    /** Whether this identity is the entry {@code normalisedTargetDn} ("self"). */
    public boolean isSelf(String normalisedTargetDn) {
        return !dn.isEmpty() && dn.equals(normalisedTargetDn);
    }
}
