package org.dirkms.agent.directory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Proxy;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import org.apache.directory.api.ldap.model.entry.Modification;
import org.apache.directory.api.ldap.model.entry.ModificationOperation;
import org.apache.directory.ldap.client.api.LdapConnection;
import org.dirkms.schema.AttributeNames;
import org.dirkms.schema.DirectoryLayout;
import org.junit.jupiter.api.Test;

/**
 * The modifications the user records send, seen on a connection that only records them: what
 * each test-and-set deletes (and so tests) and what it leaves alone.
 */
class LdapUserEntriesTest {

    /** A connection that records each modify and answers success; any other call is a test error. */
    private static LdapConnection recording(List<Modification[]> modifies) {
        return (LdapConnection) Proxy.newProxyInstance(LdapConnection.class.getClassLoader(),
                new Class<?>[] {LdapConnection.class}, (proxy, method, arguments) -> {
                    if (method.getName().equals("modify") && arguments.length == 2 && arguments[0] instanceof String) {
                        modifies.add((Modification[]) arguments[1]);
                        return null;
                    }
                    throw new UnsupportedOperationException(method.toString());
                });
    }

    @Test
    void anAmendedClaimKeepsNamingTheAttemptsItReplacedUntilTheirCleanUpIsDone() {
        List<Modification[]> modifies = new ArrayList<>();
        LdapUserEntries users = new LdapUserEntries(new LdapEntries(recording(modifies)),
                new DirectoryLayout(DirectoryLayout.DEFAULT_SUFFIX));
        Claim held = new Claim("successor #1", Instant.parse("2030-01-01T00:00:00Z"), "20300101000000Z", List.of(),
                List.of("dead #1", "older #3"));

        assertTrue(users.amendClaim("uid=a,ou=People,dc=example,dc=com", held, List.of(new byte[] {1, 2})));

        assertEquals(1, modifies.size(), "one modify");
        Modification[] changes = modifies.get(0);
        assertEquals(ModificationOperation.REMOVE_ATTRIBUTE, changes[0].getOperation(), "the test: the attempt is deleted");
        assertEquals(AttributeNames.CLAIMED_BY, changes[0].getAttribute().getUpId());
        assertEquals("successor #1", changes[0].getAttribute().get().getString());
        for (Modification change : changes) {
            assertTrue(!change.getAttribute().getUpId().equalsIgnoreCase(AttributeNames.REPLACED_ATTEMPT),
                    "the dead attempts stay named until the clean-up after this write is done: " + change);
        }
        assertTrue(java.util.Arrays.stream(changes).anyMatch(change -> change.getOperation()
                == ModificationOperation.REPLACE_ATTRIBUTE
                && change.getAttribute().getUpId().equalsIgnoreCase(AttributeNames.SUPERSEDED_CERTIFICATE)));
    }
}
