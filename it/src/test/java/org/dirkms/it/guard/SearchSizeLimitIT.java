package org.dirkms.it.guard;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.apache.directory.api.ldap.model.entry.DefaultEntry;
import org.apache.directory.ldap.client.api.LdapConnection;
import org.dirkms.it.support.LdapTools;
import org.dirkms.it.support.TestDirectory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Anonymous searches are cut at {@link org.dirkms.ds.guard.AccessPolicy#ANONYMOUS_SIZE_LIMIT}
 * entries, while the KMS agent (and any authenticated identity) reads the whole tree: the agent
 * reconciles every waiting user in one search, whatever their number.
 */
class SearchSizeLimitIT {

    private static final int USERS = 130;

    @RegisterExtension
    static final TestDirectory directory = new TestDirectory();

    @BeforeAll
    static void manyUsers() throws Exception {
        try (LdapConnection agent = directory.agentConnection()) {
            for (int i = 0; i < USERS; i++) {
                agent.add(new DefaultEntry("uid=many" + i + "," + directory.layout().people(),
                        "objectClass: inetOrgPerson", "uid: many" + i, "cn: Many " + i, "sn: Many",
                        "mail: many" + i + "@example.com"));
            }
        }
    }

    @Test
    void anonymousSearchesStopAtTheLimitAndAuthenticatedOnesDoNot() {
        String base = directory.layout().people();
        // ldapsearch exits 4 for sizeLimitExceeded (RFC 4511 section 4.1.9).
        LdapTools.Result anonymous = LdapTools.against(directory).anonymous()
                .searchRaw("-LLL", "-b", base, "(mail=many*)", "mail").assertExitCode(4);
        assertEquals(org.dirkms.ds.guard.AccessPolicy.ANONYMOUS_SIZE_LIMIT, count(anonymous.stdout()),
                anonymous.stderr());
        LdapTools.Result agent = LdapTools.against(directory).asAgent().withArguments("-ZZ")
                .searchRaw("-LLL", "-b", base, "(mail=many*)", "mail").assertSuccess();
        assertEquals(USERS, count(agent.stdout()));
        LdapTools.Result admin = LdapTools.against(directory).asAdmin()
                .searchRaw("-LLL", "-b", base, "(mail=many*)", "mail").assertSuccess();
        assertEquals(USERS, count(admin.stdout()));
    }

    private static long count(String ldif) {
        return ldif.lines().filter(line -> line.startsWith("dn: ")).count();
    }
}
