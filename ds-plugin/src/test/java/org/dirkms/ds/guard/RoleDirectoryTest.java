package org.dirkms.ds.guard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

import org.dirkms.schema.DirectoryLayout;
import org.junit.jupiter.api.Test;

class RoleDirectoryTest {

    private static final DirectoryLayout LAYOUT = new DirectoryLayout("dc=example,dc=com");
    private final Map<String, Set<String>> groups = new HashMap<>();
    private final AtomicInteger loads = new AtomicInteger();
    private final RoleDirectory roles = new RoleDirectory(LAYOUT, dn -> dn.toLowerCase(Locale.ROOT), group -> {
        loads.incrementAndGet();
        return groups.getOrDefault(group, Set.of());
    });

    private void member(String group, String dn) {
        groups.computeIfAbsent(group.toLowerCase(Locale.ROOT), g -> new HashSet<>()).add(dn);
    }

    @Test
    void membershipsAreCachedUntilInvalidated() {
        String bob = "uid=bob,ou=people,dc=example,dc=com";
        member(LAYOUT.recoveryAgentsGroup(), bob);
        Identity first = roles.identify(bob);
        assertTrue(first.has(Role.RECOVERY_AGENT));
        assertFalse(first.has(Role.KMS_AGENT));
        int loadsAfterFirst = loads.get();
        for (int i = 0; i < 100; i++) {
            roles.identify(bob);
        }
        assertEquals(loadsAfterFirst, loads.get(), "no directory read per operation");

        member(LAYOUT.kmsAgentsGroup(), bob);
        assertFalse(roles.identify(bob).has(Role.KMS_AGENT), "cached until a group changes");
        roles.invalidate();
        assertTrue(roles.identify(bob).has(Role.KMS_AGENT));
        assertTrue(roles.isRoleGroup(LAYOUT.kmsAgentsGroup().toLowerCase(Locale.ROOT)));
    }

    @Test
    void theSuperuserIsTheDirectoryAdministratorOnlyAndAnonymousHasNoOtherRole() {
        // Even listed in every role group, the superuser holds no KMS role: it owns identities.
        member(LAYOUT.kmsAdministratorsGroup(), "uid=admin,ou=system");
        member(LAYOUT.recoveryAgentsGroup(), "uid=admin,ou=system");
        member(LAYOUT.kmsAgentsGroup(), "uid=admin,ou=system");
        assertEquals(Set.of(Role.AUTHENTICATED, Role.DIRECTORY_ADMINISTRATOR),
                roles.identify("uid=admin,ou=system").roles());
        assertEquals(Identity.ANONYMOUS, roles.identify(""));
        assertEquals(Set.of(Role.AUTHENTICATED), roles.identify("uid=x,dc=example,dc=com").roles());
    }

    @Test
    void roleHoldersAreTheMembersOfAnyRoleGroup() {
        member(LAYOUT.kmsAdministratorsGroup(), "uid=alice,ou=people,dc=example,dc=com");
        member(LAYOUT.recoveryAgentsGroup(), "uid=bob,ou=people,dc=example,dc=com");
        assertTrue(roles.isRoleHolder("uid=alice,ou=people,dc=example,dc=com"));
        assertTrue(roles.isRoleHolder("uid=bob,ou=people,dc=example,dc=com"));
        assertFalse(roles.isRoleHolder("uid=carol,ou=people,dc=example,dc=com"));
        assertFalse(roles.isRoleHolder(""));
    }
}
