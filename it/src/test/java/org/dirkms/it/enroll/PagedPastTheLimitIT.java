package org.dirkms.it.enroll;

import org.dirkms.it.support.TestDirectory;
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
        PagedListingIT.addRequestedUsers(directory, "past", USERS);
    }

    @Test
    void everyPageIsRead() throws Exception {
        PagedListingIT.assertListsEveryUser(directory, "past", USERS);
    }
}
