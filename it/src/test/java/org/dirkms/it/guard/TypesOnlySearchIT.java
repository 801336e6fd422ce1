package org.dirkms.it.guard;

import static org.dirkms.it.guard.GuardFixture.ALICE_PASSWORD;
import static org.dirkms.it.guard.GuardFixture.alice;
import static org.dirkms.it.guard.GuardFixture.bob;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;

import org.apache.directory.api.ldap.model.cursor.SearchCursor;
import org.apache.directory.api.ldap.model.entry.Attribute;
import org.apache.directory.api.ldap.model.entry.Entry;
import org.apache.directory.api.ldap.model.message.Response;
import org.apache.directory.api.ldap.model.message.ResultCodeEnum;
import org.apache.directory.api.ldap.model.message.SearchRequestImpl;
import org.apache.directory.api.ldap.model.message.SearchResultDone;
import org.apache.directory.api.ldap.model.message.SearchResultEntry;
import org.apache.directory.api.ldap.model.message.SearchScope;
import org.apache.directory.api.ldap.model.name.Dn;
import org.apache.directory.ldap.client.api.LdapConnection;
import org.dirkms.it.support.TestDirectory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A search for attribute types only (typesOnly, RFC 4511 section 4.5.1.6; {@code ldapsearch -A})
 * over entries holding attributes the reader may not see. Found by the fuzz suite: ApacheDS AM27
 * empties the values in place ({@code ServerEntryUtils.filterContents}), walking the attribute
 * types of the entry as stored and clearing them in the entry the KMS guard stripped, so the
 * first hidden attribute (a secret, a password) made it fail: other (80) after the first entry.
 * The reader gets every entry, attribute names without values, and no hidden attribute's name.
 */
class TypesOnlySearchIT {

    @RegisterExtension
    static final TestDirectory directory = new TestDirectory();

    @BeforeAll
    static void users() {
        GuardFixture.addUsers(directory);
        GuardFixture.enrollAlice(directory, "TYPES-ONLY-PACKAGE-1a2b", "TYPES-ONLY-TOKEN-3c4d");
    }

    /** Attribute names by entry DN, as a typesOnly search gives them to {@code connection}; the search must succeed. */
    private static Map<String, Set<String>> typesOnly(LdapConnection connection) throws Exception {
        Map<String, Set<String>> names = new HashMap<>();
        SearchCursor cursor = connection.search(new SearchRequestImpl().setBase(new Dn(directory.layout().people()))
                .setScope(SearchScope.SUBTREE).setFilter("(objectClass=*)").addAttributes("*").setTypesOnly(true));
        try (cursor) {
            while (cursor.next()) {
                Response response = cursor.get();
                if (response instanceof SearchResultEntry result) {
                    Entry entry = result.getEntry();
                    Set<String> types = new java.util.TreeSet<>(String.CASE_INSENSITIVE_ORDER);
                    for (Attribute attribute : entry) {
                        assertEquals(0, attribute.size(), "no value of " + attribute.getUpId());
                        types.add(attribute.getUpId());
                    }
                    names.put(entry.getDn().getName().toLowerCase(), types);
                }
            }
            SearchResultDone done = cursor.getSearchResultDone();
            assertEquals(ResultCodeEnum.SUCCESS, done.getLdapResult().getResultCode(),
                    done.getLdapResult().getDiagnosticMessage());
        }
        return names;
    }

    @Test
    void anonymousClientsAndUsersGetEveryEntryWithTheTypesTheyMaySee() throws Exception {
        try (LdapConnection anonymous = directory.secureConnection(null, null)) {
            Map<String, Set<String>> names = typesOnly(anonymous);
            Set<String> aliceTypes = names.get(alice(directory).toLowerCase());
            assertTrue(aliceTypes.contains("mail"), aliceTypes.toString());
            assertFalse(aliceTypes.contains("userPassword") || aliceTypes.contains("kmsKeyPackage")
                    || aliceTypes.contains("kmsEnrollmentState"), aliceTypes.toString());
            assertTrue(names.containsKey(bob(directory).toLowerCase()), "every entry: " + names.keySet());
        }
        try (LdapConnection alice = directory.secureConnection(alice(directory), ALICE_PASSWORD)) {
            Map<String, Set<String>> names = typesOnly(alice);
            assertTrue(names.get(alice(directory).toLowerCase()).contains("kmsKeyPackage"), "her own package's type");
            Set<String> bobTypes = names.get(bob(directory).toLowerCase());
            assertFalse(bobTypes.contains("userPassword"), bobTypes.toString());
        }
        try (LdapConnection agent = directory.secureAgentConnection()) {
            assertTrue(typesOnly(agent).get(alice(directory).toLowerCase()).contains("kmsEnrollmentToken"));
        }
    }
}
