package org.dirkms.it.enroll;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.apache.directory.ldap.client.api.LdapNetworkConnection;
import org.dirkms.agent.directory.EnrollmentRecords;
import org.dirkms.agent.directory.LdapEnrollmentRecords;
import org.dirkms.it.support.LdapTools;
import org.dirkms.it.support.TestDirectory;
import org.dirkms.schema.EnrollmentState;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A size limit above the page size: ApacheDS pages (200, then 20) and ends the paged search with
 * sizeLimitExceeded at {@value #LIMIT} entries while a cookie is outstanding; the agent releases
 * that search (page size 0, RFC 2696 section 3), splits by entryUUID, and lists all
 * {@value #USERS} requested users, with their attributes and as DNs only.
 */
class PagedPastTheLimitIT {
    private static final int USERS = 300;
    private static final int LIMIT = 220;

    @RegisterExtension
    static final TestDirectory directory = new TestDirectory(settings -> settings.withSearchSizeLimit(LIMIT));

    @BeforeAll
    static void manyRequestedUsers() {
        StringBuilder ldif = new StringBuilder();
        for (int i = 0; i < USERS; i++) {
            ldif.append("dn: uid=past").append(i).append(',').append(directory.layout().people())
                    .append("\nobjectClass: inetOrgPerson\nobjectClass: kmsUser\nuid: past").append(i)
                    .append("\ncn: Paged ").append(i).append("\nsn: Paged\nmail: past").append(i)
                    .append("@example.com\nkmsEnrollmentState: requested\n\n");
        }
        LdapTools.against(directory).asAdmin().withArguments("-ZZ").add(ldif.toString()).assertSuccess();
    }

    @Test
    void everyPageIsRead() throws Exception {
        try (LdapNetworkConnection connection = (LdapNetworkConnection) directory.secureAgentConnection()) {
            EnrollmentRecords records = new LdapEnrollmentRecords(connection, directory.layout());
            List<EnrollmentRecords.UserEntry> users = records.usersInState(EnrollmentState.REQUESTED);
            Set<String> distinct = new HashSet<>();
            for (EnrollmentRecords.UserEntry user : users) {
                distinct.add(user.dn().toLowerCase(Locale.ROOT));
                assertEquals(1, user.mail().size(), user.dn() + " came with its attributes");
            }
            assertEquals(USERS, users.size());
            assertEquals(USERS, distinct.size(), "no user listed twice");
            List<String> dns = records.findDns(directory.layout().people(), "(uid=past*)");
            assertEquals(USERS, dns.size(), "DNs only: every user");
            assertEquals(USERS, new HashSet<>(dns.stream().map(dn -> dn.toLowerCase(Locale.ROOT)).toList()).size());
        }
    }
}
