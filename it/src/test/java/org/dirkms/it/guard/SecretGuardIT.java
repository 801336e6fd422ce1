package org.dirkms.it.guard;

import static org.dirkms.it.guard.GuardFixture.ALICE_PASSWORD;
import static org.dirkms.it.guard.GuardFixture.BOB_PASSWORD;
import static org.dirkms.it.guard.GuardFixture.alice;
import static org.dirkms.it.guard.GuardFixture.base64;
import static org.dirkms.it.guard.GuardFixture.bob;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.directory.api.ldap.extras.controls.SynchronizationModeEnum;
import org.apache.directory.api.ldap.extras.controls.syncrepl.syncRequest.SyncRequestValueImpl;
import org.apache.directory.api.ldap.model.entry.DefaultModification;
import org.apache.directory.api.ldap.model.entry.Entry;
import org.apache.directory.api.ldap.model.entry.ModificationOperation;
import org.apache.directory.api.ldap.model.message.AddRequestImpl;
import org.apache.directory.api.ldap.model.message.AddResponse;
import org.apache.directory.api.ldap.model.message.CompareRequestImpl;
import org.apache.directory.api.ldap.model.message.CompareResponse;
import org.apache.directory.api.ldap.model.message.ModifyRequestImpl;
import org.apache.directory.api.ldap.model.message.ModifyResponse;
import org.apache.directory.api.ldap.model.message.Response;
import org.apache.directory.api.ldap.model.message.ResultCodeEnum;
import org.apache.directory.api.ldap.model.message.SearchRequest;
import org.apache.directory.api.ldap.model.message.SearchRequestImpl;
import org.apache.directory.api.ldap.model.message.SearchResultDone;
import org.apache.directory.api.ldap.model.message.SearchResultEntry;
import org.apache.directory.api.ldap.model.message.SearchScope;
import org.apache.directory.api.ldap.model.message.controls.PersistentSearchImpl;
import org.apache.directory.api.ldap.model.name.Dn;
import org.apache.directory.ldap.client.api.LdapConnection;
import org.apache.directory.ldap.client.api.LdapNetworkConnection;
import org.apache.directory.ldap.client.api.future.SearchFuture;
import org.dirkms.it.support.LdapTools;
import org.dirkms.it.support.People;
import org.dirkms.it.support.TestDirectory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Secrets reach no one but their entitled readers, on every read path, each asserted on its
 * own: search results, filters, compare, persistent search, syncrepl, and the diagnostics of
 * refused requests that carried a secret.
 */
class SecretGuardIT {

    @RegisterExtension
    static final TestDirectory directory = new TestDirectory();

    private static final String PACKAGE = "PKCS12-PACKAGE-OF-ALICE-5d1c";
    private static final String TOKEN = "ENROLLMENT-TOKEN-OF-ALICE-8e2f";
    private static final AtomicInteger CHANGES = new AtomicInteger();

    @BeforeAll
    static void enrolledAlice() {
        GuardFixture.addUsers(directory);
        GuardFixture.enrollAlice(directory, PACKAGE, TOKEN);
    }

    private static LdapTools bobTool() {
        return LdapTools.against(directory).as(bob(directory), BOB_PASSWORD).withArguments("-ZZ");
    }

    private static LdapTools aliceTool() {
        return LdapTools.against(directory).as(alice(directory), ALICE_PASSWORD).withArguments("-ZZ");
    }

    /** The agent over StartTLS: secrets travel over protected connections only. */
    private static LdapTools agentTool() {
        return LdapTools.against(directory).asAgent().withArguments("-ZZ");
    }

    private static void assertNoSecret(String text, String... secrets) {
        for (String secret : secrets) {
            assertFalse(text.contains(secret), "secret in clear: " + text);
            assertFalse(text.contains(base64(secret)), "secret in base64: " + text);
            String hex = HexFormat.of().formatHex(secret.getBytes(StandardCharsets.UTF_8));
            assertFalse(text.toLowerCase().replaceAll("[^0-9a-f]", "").contains(hex), "secret in hex: " + text);
        }
    }

    @Test
    void searchResultsCarrySecretsOnlyToTheirReaders() {
        String alice = alice(directory);
        String bobSees = bobTool().search(alice, "(objectClass=*)", "*").assertSuccess().stdout();
        assertTrue(bobSees.contains("kmsEnrollmentState: enrolled"), bobSees);
        assertFalse(bobSees.contains("kmsKeyPackage") || bobSees.contains("kmsEnrollmentToken"), bobSees);

        String anonymousSees = LdapTools.against(directory).anonymous().search(alice, "(objectClass=*)", "*")
                .assertSuccess().stdout();
        assertTrue(anonymousSees.contains("mail: alice@example.com"), anonymousSees);
        assertFalse(anonymousSees.contains("kmsKeyPackage") || anonymousSees.contains("kmsEnrollmentToken")
                || anonymousSees.contains("kmsEnrollmentState") || anonymousSees.contains("userPassword"),
                anonymousSees);

        String kmsAdminSees = LdapTools.against(directory).asKmsAdministrator()
                .search(alice, "(objectClass=*)", "*").assertSuccess().stdout();
        assertTrue(kmsAdminSees.contains("kmsEnrollmentToken: " + TOKEN), kmsAdminSees);
        assertFalse(kmsAdminSees.contains("kmsKeyPackage"), "a KMS administrator reads no private key: " + kmsAdminSees);
        String superuserSees = LdapTools.against(directory).asAdmin().search(alice, "(objectClass=*)", "*", "+")
                .assertSuccess().stdout();
        assertTrue(superuserSees.contains("kmsEnrollmentState: enrolled"), superuserSees);
        assertFalse(superuserSees.contains("kmsKeyPackage") || superuserSees.contains("kmsEnrollmentToken")
                || superuserSees.contains("userPassword"), "the superuser reads no secret and no password: "
                        + superuserSees);

        String aliceSees = aliceTool().search(alice, "(objectClass=*)", "*").assertSuccess().stdout();
        assertTrue(aliceSees.contains("kmsKeyPackage: " + PACKAGE), aliceSees);
        assertFalse(aliceSees.contains("kmsEnrollmentToken"), aliceSees);

        String agentSees = agentTool().search(alice, "(objectClass=*)", "*").assertSuccess().stdout();
        assertTrue(agentSees.contains("kmsKeyPackage: " + PACKAGE)
                && agentSees.contains("kmsEnrollmentToken: " + TOKEN), agentSees);
        // Without TLS the agent cannot even bind: its password would cross the network in clear.
        LdapTools.Result agentInClear = LdapTools.against(directory).asAgent().withoutTls()
                .search(alice, "(objectClass=*)", "*").assertExitCode(13);
        assertFalse(agentInClear.stdout().contains("kmsKeyPackage") || agentInClear.stdout().contains(TOKEN),
                "no secret over a connection without TLS: " + agentInClear.stdout());
    }

    @Test
    void aSearchForNoAttributesOverEntriesWithHiddenSecretsListsTheirNames() {
        // "1.1" asks for names only (RFC 4511 section 4.5.1.8); the entries hold secrets the
        // reader may not see, which must not break the search.
        String alice = alice(directory);
        String names = LdapTools.against(directory).asAdmin()
                .searchRaw("-LLL", "-s", "base", "-b", alice, "(objectClass=*)", "1.1").assertSuccess().stdout();
        assertEquals("dn: " + alice, names.strip(), names);
        String bobNames = bobTool().searchRaw("-LLL", "-s", "base", "-b", alice, "(objectClass=*)", "1.1")
                .assertSuccess().stdout();
        assertEquals("dn: " + alice, bobNames.strip(), bobNames);
    }

    @Test
    void aFilterOnASecretTellsNothingToAnyoneButAgents() throws Exception {
        String people = directory.layout().people();
        LdapTools.Result bob = bobTool().search(people, "(kmsKeyPackage=*)", "dn").assertExitCode(50);
        assertTrue(bob.stderr().contains("a filter may not test kmsKeyPackage"), bob.stderr());
        assertFalse(bob.stdout().contains("uid=alice"), bob.stdout());
        LdapTools.against(directory).anonymous().search(people, "(|(mail=*)(kmsEnrollmentToken=*))", "dn")
                .assertExitCode(50);
        LdapTools.Result anonymousState = LdapTools.against(directory).anonymous()
                .search(people, "(kmsEnrollmentState=enrolled)", "dn").assertExitCode(50);
        assertTrue(anonymousState.stderr().contains("public attributes only"), anonymousState.stderr());
        LdapTools.Result agent = agentTool().search(people, "(kmsKeyPackage=*)", "dn").assertSuccess();
        assertTrue(agent.stdout().contains("dn: " + alice(directory)), agent.stdout());
        LdapTools.Result agentInClear = LdapTools.against(directory).asAgent().withoutTls()
                .search(people, "(kmsKeyPackage=*)", "dn").assertExitCode(13);
        assertTrue(agentInClear.stderr().contains("protected connection"), agentInClear.stderr());

        LdapTools.Result sorted = bobTool().searchRaw("-LLL", "-E", "sss=kmsKeyPackage", "-b", people,
                "(objectClass=*)", "dn").assertExitCode(50);
        assertTrue(sorted.stderr().contains("kmsKeyPackage"), "sorting by a secret orders by its value: "
                + sorted.stderr());

        try (LdapConnection java = directory.connection(bob(directory), BOB_PASSWORD)) {
            SearchRequest request = new SearchRequestImpl().setBase(new Dn(people)).setFilter("(kmsKeyPackage=*)")
                    .setScope(SearchScope.SUBTREE);
            SearchFuture future = ((LdapNetworkConnection) java).searchAsync(request);
            Response response = future.get(30, TimeUnit.SECONDS);
            assertTrue(response instanceof SearchResultDone, "no entry before the refusal: " + response);
            assertEquals(ResultCodeEnum.INSUFFICIENT_ACCESS_RIGHTS,
                    ((SearchResultDone) response).getLdapResult().getResultCode());
        }
    }

    @Test
    void compareOnASecretIsRefusedUnlessEntitled() throws Exception {
        String alice = alice(directory);
        LdapTools.Result bob = bobTool().compare(alice, "kmsEnrollmentToken:" + TOKEN).assertExitCode(50);
        assertNoSecret(bob.stdout() + bob.stderr(), TOKEN);
        LdapTools.against(directory).anonymous().withArguments("-ZZ").compare(alice, "kmsKeyPackage:" + PACKAGE)
                .assertExitCode(50);
        agentTool().compare(alice, "kmsKeyPackage:" + PACKAGE).assertExitCode(6);
        agentTool().compare(alice, "kmsKeyPackage:wrong").assertExitCode(5);
        aliceTool().compare(alice, "kmsKeyPackage:" + PACKAGE).assertExitCode(6);
        LdapTools.Result inClear = LdapTools.against(directory).asAgent().withoutTls()
                .compare(alice, "kmsKeyPackage:" + PACKAGE).assertExitCode(13);
        assertNoSecret(inClear.stdout() + inClear.stderr(), PACKAGE);

        try (LdapConnection java = directory.secureConnection(bob(directory), BOB_PASSWORD)) {
            CompareResponse response = java.compare(new CompareRequestImpl().setName(new Dn(alice))
                    .setAttributeId("kmsKeyPackage").setAssertionValue(PACKAGE));
            assertEquals(ResultCodeEnum.INSUFFICIENT_ACCESS_RIGHTS, response.getLdapResult().getResultCode());
            assertNoSecret(response.getLdapResult().getDiagnosticMessage(), PACKAGE);
        }
    }

    /** Changes Alice's token as the agent, so that listeners get a notification carrying secrets. */
    private static void agentTouchesAlice() {
        agentTool().modify("dn: " + alice(directory) + "\nchangetype: modify\n"
                + "replace: kmsEnrollmentToken\nkmsEnrollmentToken:: " + base64(TOKEN + "-" + CHANGES.incrementAndGet())
                + "\n-\n").assertSuccess();
    }

    private static SearchFuture persistentSearch(LdapConnection connection) throws Exception {
        PersistentSearchImpl control = new PersistentSearchImpl();
        control.setChangesOnly(true);
        control.setReturnECs(true);
        control.setChangeTypes(15);
        SearchRequest request = new SearchRequestImpl().setBase(new Dn(directory.layout().people()))
                .setFilter("(objectClass=*)").setScope(SearchScope.SUBTREE).addAttributes("*").addControl(control);
        return ((LdapNetworkConnection) connection).searchAsync(request);
    }

    /**
     * The first notification about Alice: the agent changes her entry until the listener
     * answers (a changes-only persistent search says nothing when it is registered).
     */
    private static Entry notificationAboutAlice(SearchFuture future) throws Exception {
        for (int attempt = 0; attempt < 10; attempt++) {
            agentTouchesAlice();
            Response response = future.get(3, TimeUnit.SECONDS);
            if (response instanceof SearchResultEntry entry) {
                return entry.getEntry();
            }
            assertFalse(response instanceof SearchResultDone, "the persistent search ended: " + response);
        }
        throw new AssertionError("no persistent search notification after 10 changes");
    }

    @Test
    void persistentSearchNotificationsCarrySecretsOnlyToTheirReaders() throws Exception {
        try (LdapConnection bob = directory.connection(bob(directory), BOB_PASSWORD);
                LdapConnection anonymous = directory.connection(null, null);
                LdapConnection agent = directory.secureAgentConnection()) {
            Entry bobGets = notificationAboutAlice(persistentSearch(bob));
            assertNotNull(bobGets.get("kmsEnrollmentState"), bobGets.toString());
            assertFalse(bobGets.containsAttribute("kmsKeyPackage", "kmsEnrollmentToken"), bobGets.toString());
            assertNoSecret(bobGets.toString(), PACKAGE, TOKEN);

            Entry anonymousGets = notificationAboutAlice(persistentSearch(anonymous));
            assertNotNull(anonymousGets.get("mail"), anonymousGets.toString());
            assertTrue(anonymousGets.get("kmsKeyPackage") == null && anonymousGets.get("kmsEnrollmentToken") == null
                    && anonymousGets.get("kmsEnrollmentState") == null, anonymousGets.toString());

            Entry agentGets = notificationAboutAlice(persistentSearch(agent));
            assertEquals(PACKAGE, agentGets.get("kmsKeyPackage").getString());
            assertNotNull(agentGets.get("kmsEnrollmentToken"), agentGets.toString());

            PersistentSearchImpl control = new PersistentSearchImpl();
            control.setChangesOnly(true);
            control.setChangeTypes(15);
            SearchFuture byFilter = ((LdapNetworkConnection) bob).searchAsync(new SearchRequestImpl()
                    .setBase(new Dn(directory.layout().people())).setFilter("(kmsKeyPackage=*)")
                    .setScope(SearchScope.SUBTREE).addControl(control));
            Response refused = byFilter.get(30, TimeUnit.SECONDS);
            assertTrue(refused instanceof SearchResultDone, "a changes-only psearch by a secret is refused: " + refused);
            assertEquals(ResultCodeEnum.INSUFFICIENT_ACCESS_RIGHTS,
                    ((SearchResultDone) refused).getLdapResult().getResultCode());
        }
    }

    /** Output of {@code ldapsearch -E sync=rp} as {@code identity}, up to its first notification about Alice. */
    private static String syncreplOutput(String dn, String password) throws Exception {
        List<String> command = new ArrayList<>(List.of(LdapTools.requireTool("stdbuf", "coreutils"), "-oL",
                LdapTools.executable("ldapsearch"), "-H", directory.ldapUrl(), "-x", "-ZZ"));
        if (dn != null) {
            command.addAll(List.of("-D", dn, "-w", password));
        }
        command.addAll(List.of("-LLL", "-o", "ldif-wrap=no", "-E", "sync=rp", "-b", directory.layout().people(),
                "(objectClass=*)", "*"));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        // Not LDAPNOINIT: it would drop the LDAPTLS_* variables too; keep the machine's files out instead.
        builder.environment().put("LDAPCONF", "/dev/null");
        builder.environment().put("LDAPRC", "dirkms-it-no-ldaprc");
        builder.environment().put("LDAPTLS_CACERT", directory.tlsCertificateFile().toString());
        builder.environment().put("LDAPTLS_REQCERT", "demand");
        Process process = builder.start();
        BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        StringBuilder output = new StringBuilder();
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(),
                    StandardCharsets.UTF_8))) {
                for (String line = in.readLine(); line != null; line = in.readLine()) {
                    lines.add(line);
                }
            } catch (IOException e) {
                lines.add("READ FAILED: " + e.getMessage());
            }
        });
        reader.start();
        try {
            // Refresh phase: Alice comes first as present content.
            int aliceSeen = 0;
            String aliceDn = "dn: " + alice(directory);
            while (aliceSeen == 0) {
                String line = lines.poll(30, TimeUnit.SECONDS);
                assertNotNull(line, "no syncrepl refresh content: " + output);
                output.append(line).append('\n');
                aliceSeen += line.equalsIgnoreCase(aliceDn) ? 1 : 0;
            }
            // Persist phase: change Alice until a notification arrives.
            for (int attempt = 0; attempt < 10 && aliceSeen < 2; attempt++) {
                agentTouchesAlice();
                for (String line = lines.poll(3, TimeUnit.SECONDS); line != null; line = lines.poll(1, TimeUnit.SECONDS)) {
                    output.append(line).append('\n');
                    aliceSeen += line.equalsIgnoreCase(aliceDn) ? 1 : 0;
                }
            }
            assertEquals(2, Math.min(aliceSeen, 2), "no syncrepl notification about Alice: " + output);
            return output.toString();
        } finally {
            process.destroy();
            process.waitFor(30, TimeUnit.SECONDS);
            reader.join(30_000);
        }
    }

    @Test
    void syncreplCarriesSecretsOnlyToTheirReaders() throws Exception {
        String bobGets = syncreplOutput(bob(directory), BOB_PASSWORD);
        assertTrue(bobGets.contains("kmsEnrollmentState: enrolled"), bobGets);
        assertFalse(bobGets.contains("kmsKeyPackage") || bobGets.contains("kmsEnrollmentToken"), bobGets);
        assertNoSecret(bobGets, PACKAGE, TOKEN);

        String anonymousGets = syncreplOutput(null, null);
        assertFalse(anonymousGets.contains("kmsKeyPackage") || anonymousGets.contains("kmsEnrollmentToken")
                || anonymousGets.contains("kmsEnrollmentState"), anonymousGets);

        String agentGets = syncreplOutput(directory.agentDn(), directory.agentPassword());
        assertTrue(agentGets.contains("kmsKeyPackage: " + PACKAGE), agentGets);
        assertEquals(2, agentGets.split("kmsEnrollmentToken: ", -1).length - 1, "refresh and notification: " + agentGets);
    }

    /** Alice's entry from the refresh phase and from the first persist notification, by the Java client. */
    private static List<Entry> javaSyncrepl(LdapConnection connection) throws Exception {
        SyncRequestValueImpl control = new SyncRequestValueImpl();
        control.setMode(SynchronizationModeEnum.REFRESH_AND_PERSIST);
        SearchFuture future = ((LdapNetworkConnection) connection).searchAsync(new SearchRequestImpl()
                .setBase(new Dn(directory.layout().people())).setFilter("(objectClass=*)").setScope(SearchScope.SUBTREE)
                .addAttributes("*").addControl(control));
        List<Entry> aboutAlice = new ArrayList<>();
        while (aboutAlice.isEmpty()) {
            Response response = future.get(30, TimeUnit.SECONDS);
            assertNotNull(response, "no syncrepl refresh content");
            assertFalse(response instanceof SearchResultDone, "the sync search ended: " + response);
            if (response instanceof SearchResultEntry entry && isAlice(entry)) {
                aboutAlice.add(entry.getEntry());
            }
        }
        for (int attempt = 0; attempt < 10 && aboutAlice.size() < 2; attempt++) {
            agentTouchesAlice();
            for (Response response = future.get(3, TimeUnit.SECONDS); response != null && aboutAlice.size() < 2;
                    response = future.get(1, TimeUnit.SECONDS)) {
                if (response instanceof SearchResultEntry entry && isAlice(entry)) {
                    aboutAlice.add(entry.getEntry());
                }
            }
        }
        assertEquals(2, aboutAlice.size(), "no syncrepl notification about Alice");
        return aboutAlice;
    }

    private static boolean isAlice(SearchResultEntry entry) {
        return entry.getObjectName().getName().equalsIgnoreCase(alice(directory));
    }

    @Test
    void syncreplWithTheJavaClientCarriesSecretsOnlyToTheirReaders() throws Exception {
        try (LdapConnection bob = directory.connection(bob(directory), BOB_PASSWORD);
                LdapConnection agent = directory.secureAgentConnection()) {
            for (Entry bobGets : javaSyncrepl(bob)) {
                assertNotNull(bobGets.get("kmsEnrollmentState"), bobGets.toString());
                assertFalse(bobGets.containsAttribute("kmsKeyPackage", "kmsEnrollmentToken"), bobGets.toString());
                assertNoSecret(bobGets.toString(), PACKAGE, TOKEN);
            }
            for (Entry agentGets : javaSyncrepl(agent)) {
                assertEquals(PACKAGE, agentGets.get("kmsKeyPackage").getString());
            }
        }
    }

    @Test
    void aRefusedWriteThatCarriedASecretDoesNotEchoIt() throws Exception {
        String echo = "STOLEN-KEY-MATERIAL-3b9a";
        LdapTools.Result bob = bobTool().modify("dn: " + alice(directory) + "\nchangetype: modify\n"
                + "replace: kmsKeyPackage\nkmsKeyPackage:: " + base64(echo) + "\n-\n").assertExitCode(50);
        assertTrue(bob.stderr().contains("kmsKeyPackage is a secret attribute"), bob.stderr());
        assertNoSecret(bob.stdout() + bob.stderr(), echo);

        // Refused by ApacheDS itself (no such entry), not by the guard: still no echo.
        LdapTools.Result inClear = LdapTools.against(directory).as(bob(directory), BOB_PASSWORD).withoutTls()
                .modify("dn: " + alice(directory) + "\nchangetype: modify\nreplace: kmsKeyPackage\nkmsKeyPackage:: "
                        + base64(echo) + "\n-\n").assertExitCode(13);
        assertTrue(inClear.stderr().contains("protected connection"), inClear.stderr());
        assertNoSecret(inClear.stdout() + inClear.stderr(), echo);

        LdapTools.Result missing = agentTool().modify("dn: uid=nobody,"
                + directory.layout().people() + "\nchangetype: modify\nreplace: kmsKeyPackage\nkmsKeyPackage:: "
                + base64(echo) + "\n-\n").assertExitCode(32);
        assertNoSecret(missing.stdout() + missing.stderr(), echo);

        try (LdapConnection java = directory.secureConnection(bob(directory), BOB_PASSWORD)) {
            ModifyResponse modify = java.modify(new ModifyRequestImpl().setName(new Dn(alice(directory)))
                    .addModification(new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, "kmsEnrollmentToken",
                            echo)));
            assertEquals(ResultCodeEnum.INSUFFICIENT_ACCESS_RIGHTS, modify.getLdapResult().getResultCode());
            assertNoSecret(modify.getLdapResult().getDiagnosticMessage(), echo);

            AddResponse add = java.add(new AddRequestImpl().setEntry(new org.apache.directory.api.ldap.model.entry
                    .DefaultEntry("cn=planted," + directory.layout().keyArchive(), "objectClass: kmsArchivedKey",
                    "cn: planted", "kmsKeyOwner: " + bob(directory), "kmsWrappedKey: " + echo)));
            assertEquals(ResultCodeEnum.INSUFFICIENT_ACCESS_RIGHTS, add.getLdapResult().getResultCode());
            assertNoSecret(add.getLdapResult().getDiagnosticMessage(), echo);
        }
        String stillThere = agentTool().search(alice(directory), "(objectClass=*)", "kmsKeyPackage").assertSuccess()
                .stdout();
        assertTrue(stillThere.contains(PACKAGE), "the refused write changed nothing: " + stillThere);
    }

    @Test
    void aUserConfirmsTheFetchByDeletingTheirPackage() {
        String carolDn = "uid=carol," + directory.layout().people();
        People.addAndEnroll(directory, "dn: " + carolDn + "\nobjectClass: inetOrgPerson\n"
                + "objectClass: kmsUser\nuid: carol\ncn: Carol\nsn: C\nuserPassword: carol-test-password\n"
                + "kmsEnrollmentState: requested\n");
        agentTool().modify("dn: " + carolDn + "\nchangetype: modify\nadd: kmsKeyPackage\n"
                + "kmsKeyPackage:: " + base64("CAROL-PACKAGE") + "\n-\n").assertSuccess();
        bobTool().modify("dn: " + carolDn + "\nchangetype: modify\ndelete: kmsKeyPackage\n-\n").assertExitCode(50);
        LdapTools carol = LdapTools.against(directory).as(carolDn, "carol-test-password");
        assertTrue(carol.withArguments("-ZZ").search(carolDn, "(objectClass=*)", "kmsKeyPackage").assertSuccess()
                .stdout().contains("kmsKeyPackage: CAROL-PACKAGE"));
        // The confirmation names no value (it carries no secret).
        carol.modify("dn: " + carolDn + "\nchangetype: modify\ndelete: kmsKeyPackage\n-\n").assertSuccess();
        assertFalse(agentTool().search(carolDn, "(objectClass=*)", "kmsKeyPackage").assertSuccess().stdout()
                .contains("kmsKeyPackage"));
    }
}
