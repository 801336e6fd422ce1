package org.dirkms.agent.directory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Proxy;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import org.apache.directory.api.ldap.model.entry.Entry;
import org.apache.directory.api.ldap.model.entry.Modification;
import org.apache.directory.api.ldap.model.exception.LdapEntryAlreadyExistsException;
import org.apache.directory.api.ldap.model.entry.ModificationOperation;
import org.apache.directory.ldap.client.api.LdapConnection;
import org.dirkms.schema.AttributeNames;
import org.dirkms.schema.CertificatePurpose;
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

    /**
     * A connection that records each add (or refuses it: the entry exists) and each modify; any
     * other call is a test error.
     */
    private static LdapConnection recording(List<Entry> adds, boolean exists, List<Modification[]> modifies) {
        return (LdapConnection) Proxy.newProxyInstance(LdapConnection.class.getClassLoader(),
                new Class<?>[] {LdapConnection.class}, (proxy, method, arguments) -> {
                    if (method.getName().equals("add") && arguments.length == 1 && arguments[0] instanceof Entry entry) {
                        if (exists) {
                            throw new LdapEntryAlreadyExistsException("exists");
                        }
                        adds.add(entry);
                        return null;
                    }
                    if (method.getName().equals("modify") && arguments.length == 2 && arguments[0] instanceof String) {
                        modifies.add((Modification[]) arguments[1]);
                        return null;
                    }
                    throw new UnsupportedOperationException(method.toString());
                });
    }

    @Test
    void aPublishedCertificateChildCarriesNoMailAndTheSigningOneIsNamedAfterTheAddresses() throws Exception {
        List<Entry> adds = new ArrayList<>();
        LdapUserEntries users = new LdapUserEntries(new LdapEntries(recording(adds, false, new ArrayList<>())),
                new DirectoryLayout(DirectoryLayout.DEFAULT_SUFFIX));
        List<String> mail = List.of("jane.doe@example.com", "jd@example.com");

        users.putPublishedCertificate("uid=jdoe,ou=People,dc=example,dc=com", CertificatePurpose.SIGNING.ldapValue(),
                mail, new byte[] {1});
        users.putPublishedCertificate("uid=jdoe,ou=People,dc=example,dc=com",
                CertificatePurpose.ENCRYPTION.ldapValue(), mail, new byte[] {2});

        assertEquals(2, adds.size());
        for (Entry child : adds) {
            assertTrue(child.get(AttributeNames.MAIL) == null, "a search (mail=...) finds the user alone: " + child);
        }
        assertEquals("cn=signing,uid=jdoe,ou=People,dc=example,dc=com", adds.get(0).getDn().getName());
        assertTrue(adds.get(0).contains(AttributeNames.CN, "signing", "signing certificate of jane.doe@example.com",
                "signing certificate of jd@example.com"), "found by gpgsm's substring search on cn: " + adds.get(0));
        assertEquals(1, adds.get(1).get(AttributeNames.CN).size(), "the encryption child: its purpose only, "
                + "gpgsm finds the encryption certificate as the user's first value: " + adds.get(1));
    }

    @Test
    void aChildWrittenAgainLosesTheMailAnEarlierLayoutGaveIt() throws Exception {
        List<Modification[]> modifies = new ArrayList<>();
        LdapUserEntries users = new LdapUserEntries(new LdapEntries(recording(new ArrayList<>(), true, modifies)),
                new DirectoryLayout(DirectoryLayout.DEFAULT_SUFFIX));

        users.putPublishedCertificate("uid=jdoe,ou=People,dc=example,dc=com", CertificatePurpose.SIGNING.ldapValue(),
                List.of("jane.doe@example.com"), new byte[] {1});

        assertEquals(1, modifies.size(), "one modify");
        Modification mail = java.util.Arrays.stream(modifies.get(0))
                .filter(change -> change.getAttribute().getUpId().equalsIgnoreCase(AttributeNames.MAIL)).findFirst()
                .orElseThrow(() -> new AssertionError("mail is removed"));
        assertEquals(ModificationOperation.REPLACE_ATTRIBUTE, mail.getOperation());
        assertEquals(0, mail.getAttribute().size(), "a replace without values removes it (RFC 4511 section 4.6)");
        Modification names = java.util.Arrays.stream(modifies.get(0))
                .filter(change -> change.getAttribute().getUpId().equalsIgnoreCase(AttributeNames.CN)).findFirst()
                .orElseThrow(() -> new AssertionError("the names are written"));
        assertEquals(2, names.getAttribute().size(), "the purpose (its DN's value) and the address: " + names);
    }
}
