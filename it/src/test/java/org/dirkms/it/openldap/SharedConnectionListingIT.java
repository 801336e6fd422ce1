package org.dirkms.it.openldap;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.apache.directory.ldap.client.api.LdapNetworkConnection;
import org.dirkms.agent.directory.EnrollmentRecords;
import org.dirkms.agent.directory.LdapEnrollmentRecords;
import org.dirkms.schema.EnrollmentState;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent's listings, made by several threads at once over the one connection they share (the
 * agent's sweep beside its workers), each get every entry from slapd. slapd keeps one paged
 * search per connection: a second paged search on it makes the first one's next page "paged
 * results cookie is invalid" (protocolError), which failed the sweep of an agent on OpenLDAP now
 * and then. Listings larger than one page (RFC 2696) are therefore needed here.
 */
class SharedConnectionListingIT {

    /** More than two pages of the agent's listings. */
    private static final int USERS = 450;
    private static final int THREADS = 4;
    private static final int ROUNDS = 8;

    @TempDir
    Path work;

    @Test
    void listingsOnOneConnectionFromSeveralThreadsEachGetEveryEntry() throws Exception {
        try (Slapd slapd = Slapd.start(work, Slapd.Options.defaults())) {
            StringBuilder bulk = new StringBuilder();
            for (int i = 0; i < USERS; i++) {
                String uid = String.format(Locale.ROOT, "listed%04d", i);
                bulk.append("dn: uid=").append(uid).append(',').append(slapd.layout().people())
                        .append("\nobjectClass: inetOrgPerson\nobjectClass: kmsUser\nuid: ").append(uid)
                        .append("\ncn: ").append(uid).append("\nsn: ").append(i).append("\nmail: ").append(uid)
                        .append("@example.com\nkmsEnrollmentState: requested\n\n");
            }
            slapd.asRoot().add(bulk.toString()).assertSuccess();

            try (LdapNetworkConnection connection = slapd.agentConnection()) {
                EnrollmentRecords records = new LdapEnrollmentRecords(connection, slapd.layout());
                ExecutorService pool = Executors.newFixedThreadPool(THREADS);
                try {
                    List<Callable<Integer>> listings = new ArrayList<>();
                    for (int i = 0; i < THREADS * ROUNDS; i++) {
                        listings.add(() -> records.usersInState(EnrollmentState.REQUESTED).size());
                    }
                    for (Future<Integer> listed : pool.invokeAll(listings)) {
                        assertEquals(USERS, listed.get(), "every requested user, in every listing");
                    }
                } finally {
                    pool.shutdownNow();
                }
            }
        }
    }
}
