package org.dirkms.it.enroll;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.apache.directory.ldap.client.api.LdapNetworkConnection;
import org.dirkms.agent.directory.EnrollmentRecords;
import org.dirkms.agent.directory.LdapEnrollmentRecords;
import org.dirkms.it.support.People;
import org.dirkms.it.support.TestDirectory;
import org.dirkms.schema.EnrollmentState;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The agent's listings follow the paged-results cookie (RFC 2696) over several pages of 200: on
 * dirkms' own server (no size limit) {@value #USERS} requested users come back complete, with
 * their attributes and as DNs only. Stopping after the first page, or asking a plain ApacheDS AM27
 * for no attributes ("1.1", which it answers with one page and a final success; dirkms' server
 * works around that, see NoAttributesSearchIT), would list 200.
 */
class PagedListingIT {
    private static final int USERS = 450;

    @RegisterExtension
    static final TestDirectory directory = new TestDirectory();

    @BeforeAll
    static void manyRequestedUsers() {
        addRequestedUsers(directory, "paged", USERS);
    }

    @Test
    void everyPageIsRead() throws Exception {
        assertListsEveryUser(directory, "paged", USERS);
    }

    /** Adds {@code count} requested users uid=&lt;prefix&gt;N with one mail each, in one ldapadd. */
    static void addRequestedUsers(TestDirectory directory, String prefix, int count) {
        StringBuilder ldif = new StringBuilder();
        for (int i = 0; i < count; i++) {
            ldif.append("dn: uid=").append(prefix).append(i).append(',').append(directory.layout().people())
                    .append("\nobjectClass: inetOrgPerson\nobjectClass: kmsUser\nuid: ").append(prefix).append(i)
                    .append("\ncn: Paged ").append(i).append("\nsn: Paged\nmail: ").append(prefix).append(i)
                    .append("@example.com\nkmsEnrollmentState: requested\n\n");
        }
        People.addAndEnroll(directory, ldif.toString());
    }

    /** The agent's listings return each of the {@code count} users once, with attributes and as DNs only. */
    static void assertListsEveryUser(TestDirectory directory, String prefix, int count) throws Exception {
        try (LdapNetworkConnection connection = directory.secureAgentConnection()) {
            EnrollmentRecords records = new LdapEnrollmentRecords(connection, directory.layout());
            List<EnrollmentRecords.UserEntry> users = records.usersInState(EnrollmentState.REQUESTED);
            Set<String> distinct = new HashSet<>();
            for (EnrollmentRecords.UserEntry user : users) {
                distinct.add(user.dn().toLowerCase(Locale.ROOT));
                assertEquals(1, user.mail().size(), user.dn() + " came with its attributes");
            }
            assertEquals(count, users.size());
            assertEquals(count, distinct.size(), "no user listed twice");
            List<String> dns = records.findDns(directory.layout().people(), "(uid=" + prefix + "*)");
            assertEquals(count, dns.size(), "DNs only: every user");
            assertEquals(count, new HashSet<>(dns.stream().map(dn -> dn.toLowerCase(Locale.ROOT)).toList()).size());
        }
    }
}
