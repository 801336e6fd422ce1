package org.dirkms.it.guard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.apache.directory.api.ldap.model.cursor.SearchCursor;
import org.apache.directory.api.ldap.model.entry.DefaultEntry;
import org.apache.directory.api.ldap.model.message.Response;
import org.apache.directory.api.ldap.model.message.ResultCodeEnum;
import org.apache.directory.api.ldap.model.message.SearchRequest;
import org.apache.directory.api.ldap.model.message.SearchRequestImpl;
import org.apache.directory.api.ldap.model.message.SearchResultDone;
import org.apache.directory.api.ldap.model.message.SearchResultEntry;
import org.apache.directory.api.ldap.model.message.SearchScope;
import org.apache.directory.api.ldap.model.message.controls.ChangeType;
import org.apache.directory.api.ldap.model.message.controls.EntryChange;
import org.apache.directory.api.ldap.model.message.controls.PagedResults;
import org.apache.directory.api.ldap.model.message.controls.PagedResultsImpl;
import org.apache.directory.api.ldap.model.message.controls.PersistentSearch;
import org.apache.directory.api.ldap.model.message.controls.PersistentSearchImpl;
import org.apache.directory.api.ldap.model.name.Dn;
import org.apache.directory.ldap.client.api.LdapConnection;
import org.apache.directory.ldap.client.api.LdapNetworkConnection;
import org.dirkms.ds.guard.AccessPolicy;
import org.dirkms.it.support.LdapTools;
import org.dirkms.it.support.TestDirectory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Searches for no attributes ({@code "1.1"}, RFC 4511 section 4.5.1.8), the way integrators list
 * DNs with standard tooling, over a real socket. ApacheDS AM27 on its own answers a paged one
 * (RFC 2696) with its first page and a final success without a cookie, and a plain one that
 * reaches a size limit with other (80) instead of sizeLimitExceeded (4); the server's
 * {@code NoAttributesSearchFilter} keeps ApacheDS from seeing "1.1". Checked with and without
 * the KMS guard, with {@code ldapsearch} and the Apache LDAP API; a persistent search for "1.1"
 * reports names only; lists mixing "1.1" with other selectors keep returning those attributes.
 */
class NoAttributesSearchIT {

    private static final int USERS = 150;
    private static final int PAGE = 5;

    @RegisterExtension
    static final TestDirectory directory = new TestDirectory();

    /** The bug is ApacheDS's own: the server without the KMS guard must be fixed too. */
    @RegisterExtension
    static final TestDirectory unguarded = new TestDirectory(settings -> settings.withKmsGuard(false));

    @BeforeAll
    static void manyUsers() {
        for (TestDirectory each : List.of(directory, unguarded)) {
            StringBuilder ldif = new StringBuilder();
            for (int i = 0; i < USERS; i++) {
                ldif.append("dn: uid=names").append(i).append(',').append(each.layout().people())
                        .append("\nobjectClass: inetOrgPerson\nuid: names").append(i).append("\ncn: Names ")
                        .append(i).append("\nsn: Names\nmail: names").append(i).append("@example.com\n\n");
            }
            LdapTools.against(each).asAdmin().add(ldif.toString()).assertSuccess();
        }
    }

    @Test
    void aPagedSearchForNoAttributesListsEveryName() {
        for (TestDirectory each : List.of(directory, unguarded)) {
            LdapTools.Result paged = LdapTools.against(each).asAdmin().searchRaw("-LLL", "-o", "ldif-wrap=no",
                    "-E", "pr=" + PAGE + "/noprompt", "-b", each.layout().people(), "(uid=names*)", "1.1")
                    .assertSuccess();
            assertEquals(USERS, distinctNames(paged), paged.describe("every name, over " + USERS / PAGE + " pages"));
            assertNoAttributes(paged);
        }
    }

    @Test
    void anAnonymousSearchForNoAttributesStopsAtTheCapWithSizeLimitExceeded() {
        // ldapsearch exits with the result code: 4 is sizeLimitExceeded (RFC 4511 section 4.1.9).
        LdapTools.Result anonymous = LdapTools.against(directory).anonymous().searchRaw("-LLL", "-o",
                "ldif-wrap=no", "-b", directory.layout().people(), "(uid=names*)", "1.1").assertExitCode(4);
        assertEquals(AccessPolicy.ANONYMOUS_SIZE_LIMIT, distinctNames(anonymous), anonymous.describe("the cap"));
        assertNoAttributes(anonymous);
    }

    @Test
    void anAnonymousPagedSearchForNoAttributesEndsLikeOneForAnAttribute() {
        // Pages past the anonymous cap end as ApacheDS ends any paged search there; "1.1" must
        // change nothing but the attributes.
        LdapTools anonymous = LdapTools.against(directory).anonymous();
        String base = directory.layout().people();
        LdapTools.Result names = anonymous.searchRaw("-LLL", "-o", "ldif-wrap=no", "-E", "pr=" + PAGE + "/noprompt",
                "-b", base, "(uid=names*)", "1.1");
        LdapTools.Result mails = anonymous.searchRaw("-LLL", "-o", "ldif-wrap=no", "-E", "pr=" + PAGE + "/noprompt",
                "-b", base, "(uid=names*)", "mail");
        assertEquals(mails.exitCode(), names.exitCode(), names.describe("the exit code of the mail search, "
                + mails.exitCode()));
        assertEquals(distinctNames(mails), distinctNames(names), names.describe("as many names as with mail"));
        assertEquals(AccessPolicy.ANONYMOUS_SIZE_LIMIT, distinctNames(names), names.describe("the cap"));
        assertNoAttributes(names);
    }

    @Test
    void aSearchForNoAttributesWithTheClientsSizeLimitEndsWithSizeLimitExceeded() {
        LdapTools.Result limited = LdapTools.against(unguarded).asAdmin().searchRaw("-LLL", "-o", "ldif-wrap=no",
                "-z", "10", "-b", unguarded.layout().people(), "(uid=names*)", "1.1").assertExitCode(4);
        assertEquals(10, distinctNames(limited), limited.describe("ten names"));
        assertNoAttributes(limited);
    }

    @Test
    void theJavaClientPagesThroughNamesAndSeesTheSizeLimit() throws Exception {
        try (LdapConnection connection = directory.adminConnection()) {
            LdapNetworkConnection network = (LdapNetworkConnection) connection;
            Set<String> names = new HashSet<>();
            byte[] cookie = null;
            int pages = 0;
            do {
                PagedResults paging = new PagedResultsImpl();
                paging.setSize(PAGE);
                paging.setCookie(cookie);
                SearchRequest request = namesRequest().addControl(paging);
                SearchResultDone done = null;
                try (SearchCursor cursor = network.search(request)) {
                    while (cursor.next()) {
                        Response response = cursor.get();
                        if (response instanceof SearchResultEntry entry) {
                            assertEquals(0, entry.getEntry().size(), entry.getObjectName() + " came with attributes");
                            names.add(entry.getObjectName().getNormName());
                        }
                    }
                    done = cursor.getSearchResultDone();
                }
                assertNotNull(done, "every page ends with a SearchResultDone");
                assertEquals(ResultCodeEnum.SUCCESS, done.getLdapResult().getResultCode());
                PagedResults answer = (PagedResults) done.getControl(PagedResults.OID);
                assertNotNull(answer, "page " + pages + " carries the paged results control");
                cookie = answer.getCookie();
                pages++;
            } while (cookie != null && cookie.length > 0);
            assertEquals(USERS, names.size());
            assertTrue(pages >= USERS / PAGE, pages + " pages");

            SearchRequest limited = namesRequest().setSizeLimit(10);
            int entries = 0;
            SearchResultDone done;
            try (SearchCursor cursor = network.search(limited)) {
                while (cursor.next()) {
                    if (cursor.get() instanceof SearchResultEntry) {
                        entries++;
                    }
                }
                done = cursor.getSearchResultDone();
            }
            assertEquals(ResultCodeEnum.SIZE_LIMIT_EXCEEDED, done.getLdapResult().getResultCode(),
                    String.valueOf(done.getLdapResult().getDiagnosticMessage()));
            assertEquals(10, entries);
        }
    }

    @Test
    void noAttributesBesideOtherSelectorsIsIgnored() {
        // RFC 4511 section 4.5.1.8: "1.1" with other selectors is ignored; the others are served.
        String base = directory.layout().people();
        LdapTools admin = LdapTools.against(directory).asAdmin();
        String mail = admin.search(base, "(uid=names7)", "1.1", "mail").assertSuccess().stdout();
        assertTrue(mail.contains("mail: names7@example.com"), mail);
        assertFalse(mail.contains("cn: "), mail);
        String operational = admin.search(base, "(uid=names7)", "1.1", "+").assertSuccess().stdout();
        assertTrue(operational.contains("entryUUID: "), operational);
        assertFalse(operational.contains("mail: "), operational);
        String user = admin.search(base, "(uid=names7)", "*", "1.1").assertSuccess().stdout();
        assertTrue(user.contains("mail: names7@example.com") && user.contains("cn: Names 7"), user);
        String twice = admin.search(base, "(uid=names7)", "1.1", "1.1").assertSuccess().stdout();
        assertEquals("dn: uid=names7," + base, twice.strip(), twice);
    }

    @Test
    void aPersistentSearchForNoAttributesReportsNamesOnly() throws Exception {
        String base = directory.layout().people();
        try (LdapConnection listener = directory.adminConnection();
                LdapConnection writer = directory.adminConnection()) {
            listener.setTimeOut(60_000);
            PersistentSearch psearch = new PersistentSearchImpl();
            psearch.setChangesOnly(true);
            psearch.setReturnECs(true);
            psearch.setChangeTypes(ChangeType.ADD.getValue());
            SearchRequest request = new SearchRequestImpl().setBase(new Dn(base)).setFilter("(objectClass=*)")
                    .setScope(SearchScope.SUBTREE).addAttributes("1.1").addControl(psearch);
            SearchCursor cursor = listener.search(request);
            // The server registers the listener some moments after the request: add entries,
            // one at a time, until the first notification arrives.
            CountDownLatch notified = new CountDownLatch(1);
            CompletableFuture<Integer> writes = CompletableFuture.supplyAsync(() -> {
                int count = 0;
                try {
                    while (count < 50 && !notified.await(100, TimeUnit.MILLISECONDS)) {
                        writer.add(new DefaultEntry("uid=watched" + count + "," + base, "objectClass: inetOrgPerson",
                                "uid: watched" + count, "cn: Watched " + count, "sn: Watched"));
                        count++;
                    }
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
                return count;
            });
            assertTrue(cursor.next(), "a persistent search notification");
            notified.countDown();
            SearchResultEntry added = (SearchResultEntry) cursor.get();
            assertTrue(added.getObjectName().getName().startsWith("uid=watched"), added.getObjectName().getName());
            assertEquals(0, added.getEntry().size(), added.getEntry().toString());
            assertNotNull(added.getControl(EntryChange.OID), "the entry change notification control stays");
            assertTrue(writes.get(60, TimeUnit.SECONDS) >= 1);
            listener.abandon(request.getMessageId());
        }
    }

    private SearchRequest namesRequest() throws Exception {
        return new SearchRequestImpl().setBase(new Dn(directory.layout().people())).setFilter("(uid=names*)")
                .setScope(SearchScope.SUBTREE).addAttributes("1.1");
    }

    private static long distinctNames(LdapTools.Result result) {
        return result.stdout().lines().filter(line -> line.startsWith("dn: "))
                .map(line -> line.toLowerCase(Locale.ROOT)).distinct().count();
    }

    /** Only DNs, blank lines and ldapsearch's own comments: no attribute line. */
    private static void assertNoAttributes(LdapTools.Result result) {
        List<String> attributes = result.stdout().lines()
                .filter(line -> !line.isBlank() && !line.startsWith("dn: ") && !line.startsWith("#")).toList();
        assertEquals(List.of(), attributes, result.describe("no attributes"));
    }
}
