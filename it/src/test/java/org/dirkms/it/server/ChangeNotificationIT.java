package org.dirkms.it.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.apache.directory.api.ldap.extras.controls.SynchronizationModeEnum;
import org.apache.directory.api.ldap.extras.controls.syncrepl.syncDone.SyncDoneValue;
import org.apache.directory.api.ldap.extras.controls.syncrepl.syncRequest.SyncRequestValue;
import org.apache.directory.api.ldap.extras.controls.syncrepl.syncRequest.SyncRequestValueImpl;
import org.apache.directory.api.ldap.extras.controls.syncrepl.syncState.SyncStateTypeEnum;
import org.apache.directory.api.ldap.extras.controls.syncrepl.syncState.SyncStateValue;
import org.apache.directory.api.ldap.model.cursor.SearchCursor;
import org.apache.directory.api.ldap.model.entry.DefaultEntry;
import org.apache.directory.api.ldap.model.message.Response;
import org.apache.directory.api.ldap.model.message.SearchRequest;
import org.apache.directory.api.ldap.model.message.SearchRequestImpl;
import org.apache.directory.api.ldap.model.message.SearchResultDone;
import org.apache.directory.api.ldap.model.message.SearchResultEntry;
import org.apache.directory.api.ldap.model.message.SearchScope;
import org.apache.directory.api.ldap.model.message.controls.ChangeType;
import org.apache.directory.api.ldap.model.message.controls.PersistentSearch;
import org.apache.directory.api.ldap.model.message.controls.PersistentSearchImpl;
import org.apache.directory.api.ldap.model.name.Dn;
import org.apache.directory.ldap.client.api.LdapConnection;
import org.dirkms.it.support.LdapTools;
import org.dirkms.it.support.TestDirectory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The two ways a client follows the directory: the syncrepl provider (RFC 4533; what the KMS
 * agent uses, resuming from a saved cookie; also with OpenLDAP's {@code ldapsearch -E sync=rp}) and
 * persistent search, with the Apache LDAP API.
 */
class ChangeNotificationIT {

    @RegisterExtension
    static final TestDirectory directory = new TestDirectory();

    @Test
    void syncreplRefreshFromASavedCookieReturnsOnlyWhatChanged() throws Exception {
        String base = directory.layout().people();
        try (LdapConnection connection = directory.agentConnection()) {
            Refresh first = refresh(connection, base, null);
            assertTrue(first.dns().contains(base), "initial content: " + first.dns());
            assertNotNull(first.cookie(), "a cookie to resume from");

            String added = "uid=sync-user," + base;
            connection.add(new DefaultEntry(added, "objectClass: inetOrgPerson", "uid: sync-user", "cn: Sync User",
                    "sn: User", "mail: sync@example.com"));

            // ApacheDS AM27's EventInterceptor hands a change to the syncrepl journal on its own
            // executor, after the add has answered: a refresh right after the add may find the
            // journal without it yet. Refresh from the same cookie until the journal has it.
            Refresh second = refresh(connection, base, first.cookie());
            for (Instant deadline = Instant.now().plusSeconds(10); second.dns().isEmpty()
                    && Instant.now().isBefore(deadline); ) {
                Thread.sleep(50); // polling the server's journal, not waiting for time to pass
                second = refresh(connection, base, first.cookie());
            }
            assertEquals(List.of(added), second.dns(), "only the change since the cookie");
            assertEquals(List.of(SyncStateTypeEnum.ADD), second.states());
            assertNotNull(second.cookie());
        }
    }

    @Test
    void ldapsearchSyncRefreshAndPersistSeesALaterAdd() throws Exception {
        String base = directory.layout().groups();
        List<String> command = new ArrayList<>(List.of(LdapTools.executable("ldapsearch"), "-H", directory.ldapUrl(),
                "-ZZ", "-x", "-D", directory.agentDn(), "-y", directory.agentPasswordFile().toString(),
                "-o", "ldif-wrap=no", "-b", base, "-E", "sync=rp", "(objectClass=*)", "cn"));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().put("LDAPTLS_CACERT", directory.tlsCertificateFile().toString());
        builder.environment().put("LDAPCONF", "/dev/null");
        Process consumer = builder.start();
        // A consumer that never sees what it waits for must fail the test, not hang it.
        Thread watchdog = new Thread(() -> {
            try {
                if (!consumer.waitFor(60, TimeUnit.SECONDS)) {
                    consumer.destroyForcibly();
                }
            } catch (InterruptedException e) {
                consumer.destroyForcibly();
            }
        }, "sync-rp-watchdog");
        watchdog.setDaemon(true);
        watchdog.start();
        try (BufferedReader out = new BufferedReader(
                new InputStreamReader(consumer.getInputStream(), StandardCharsets.UTF_8))) {
            // RFC 4533 section 3.4: the refresh phase ends with a Sync Info message carrying a
            // cookie; from then on changes are pushed.
            String seen = readUntil(out, "# SyncInfo Received");
            assertTrue(seen.contains("dn: " + base), seen);
            String added = "cn=rp-group," + base;
            try (LdapConnection writer = directory.adminConnection()) {
                writer.add(new DefaultEntry(added, "objectClass: groupOfNames", "cn: rp-group",
                        "member: " + directory.adminDn()));
            }
            String pushed = readUntil(out, "dn: " + added);
            assertTrue(pushed.contains("dn: " + added), pushed);
        } finally {
            consumer.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        }
    }

    /** Reads lines until one starts with {@code prefix}; fails if the process ends first. */
    private static String readUntil(BufferedReader out, String prefix) throws IOException {
        StringBuilder text = new StringBuilder();
        for (String line = out.readLine(); line != null; line = out.readLine()) {
            text.append(line).append('\n');
            if (line.startsWith(prefix)) {
                return text.toString();
            }
        }
        throw new AssertionError("ldapsearch ended before '" + prefix + "':\n" + text);
    }

    @Test
    void persistentSearchReportsAnAdd() throws Exception {
        String base = directory.layout().people();
        try (LdapConnection listener = directory.agentConnection();
                LdapConnection writer = directory.adminConnection()) {
            listener.setTimeOut(60_000);
            SearchRequest request = new SearchRequestImpl().setBase(new Dn(base)).setFilter("(objectClass=*)")
                    .setScope(SearchScope.SUBTREE).addAttributes("cn");
            PersistentSearch psearch = new PersistentSearchImpl();
            psearch.setChangesOnly(true);
            psearch.setReturnECs(true);
            psearch.setChangeTypes(ChangeType.ADD.getValue());
            request.addControl(psearch);
            SearchCursor cursor = listener.search(request);

            // The server registers the listener some moments after the request: keep adding
            // entries (one at a time) until the first notification arrives.
            CountDownLatch notified = new CountDownLatch(1);
            CompletableFuture<Integer> writes = CompletableFuture.supplyAsync(() -> {
                int count = 0;
                try {
                    while (count < 50 && !notified.await(100, TimeUnit.MILLISECONDS)) {
                        writer.add(new DefaultEntry("uid=psearch-" + count + "," + base, "objectClass: inetOrgPerson",
                                "uid: psearch-" + count, "cn: Psearch " + count, "sn: Psearch"));
                        count++;
                    }
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
                return count;
            });
            assertTrue(cursor.next(), "a persistent search notification");
            notified.countDown();
            Response response = cursor.get();
            assertTrue(response instanceof SearchResultEntry, response.toString());
            String dn = ((SearchResultEntry) response).getObjectName().getName();
            assertTrue(dn.startsWith("uid=psearch-") && dn.endsWith(base), dn);
            assertTrue(writes.get(60, TimeUnit.SECONDS) >= 1);
            listener.abandon(request.getMessageId());
        }
    }

    private record Refresh(List<String> dns, List<SyncStateTypeEnum> states, byte[] cookie) {
    }

    private static Refresh refresh(LdapConnection connection, String base, byte[] cookie) throws Exception {
        SearchRequest request = new SearchRequestImpl().setBase(new Dn(base)).setFilter("(objectClass=*)")
                .setScope(SearchScope.SUBTREE).addAttributes("*");
        SyncRequestValue sync = new SyncRequestValueImpl();
        sync.setMode(SynchronizationModeEnum.REFRESH_ONLY);
        sync.setCookie(cookie);
        request.addControl(sync);
        List<String> dns = new ArrayList<>();
        List<SyncStateTypeEnum> states = new ArrayList<>();
        try (SearchCursor cursor = connection.search(request)) {
            while (cursor.next()) {
                Response response = cursor.get();
                if (response instanceof SearchResultEntry entry) {
                    dns.add(entry.getObjectName().getName());
                    SyncStateValue state = (SyncStateValue) entry.getControl(SyncStateValue.OID);
                    assertNotNull(state, "sync state control on " + entry.getObjectName());
                    states.add(state.getSyncStateType());
                }
            }
            SearchResultDone done = cursor.getSearchResultDone();
            SyncDoneValue syncDone = (SyncDoneValue) done.getControl(SyncDoneValue.OID);
            assertNotNull(syncDone, "sync done control");
            return new Refresh(dns, states, syncDone.getCookie());
        }
    }
}
