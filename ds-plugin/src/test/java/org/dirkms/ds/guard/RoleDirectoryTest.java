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
    void theSuperuserIsAnAdministratorAndAnonymousHasNoOtherRole() {
        assertTrue(roles.identify("uid=admin,ou=system").has(Role.KMS_ADMINISTRATOR));
        assertEquals(Identity.ANONYMOUS, roles.identify(""));
        assertEquals(Set.of(Role.AUTHENTICATED), roles.identify("uid=x,dc=example,dc=com").roles());
    }
}
