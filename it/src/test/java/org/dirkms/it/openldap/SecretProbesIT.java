package org.dirkms.it.openldap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.util.ArrayList;
import java.util.Base64;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

import org.apache.directory.api.ldap.extras.controls.SynchronizationModeEnum;
import org.apache.directory.api.ldap.extras.controls.syncrepl.syncRequest.SyncRequestValueImpl;
import org.apache.directory.api.ldap.model.constants.SchemaConstants;
import org.apache.directory.api.ldap.model.entry.Attribute;
import org.apache.directory.api.ldap.model.entry.Entry;
import org.apache.directory.api.ldap.model.entry.Value;
import org.apache.directory.api.ldap.model.message.AliasDerefMode;
import org.apache.directory.api.ldap.model.message.CompareRequestImpl;
import org.apache.directory.api.ldap.model.message.Response;
import org.apache.directory.api.ldap.model.message.ResultCodeEnum;
import org.apache.directory.api.ldap.model.message.SearchRequest;
import org.apache.directory.api.ldap.model.message.SearchRequestImpl;
import org.apache.directory.api.ldap.model.message.SearchResultDone;
import org.apache.directory.api.ldap.model.message.SearchResultEntry;
import org.apache.directory.api.ldap.model.message.SearchScope;
import org.apache.directory.api.ldap.model.message.controls.PersistentSearchImpl;
import org.apache.directory.api.ldap.model.name.Dn;
import org.apache.directory.ldap.client.api.LdapConnectionConfig;
import org.apache.directory.ldap.client.api.LdapNetworkConnection;
import org.apache.directory.ldap.client.api.future.SearchFuture;
import org.dirkms.agent.names.DistinguishedNames;
import org.dirkms.it.support.LdapTools;
import org.dirkms.it.support.TestDirectory;
import org.dirkms.schema.DirectoryLayout;
import org.dirkms.schema.KmsSchema;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The red-team probes of docs/security.md run against both homes of the KMS with the same
 * data: the embedded server, guarded by its interceptor and wire guard, and a real slapd with
 * the access rules {@code dirkms openldap config} ships ({@link Slapd}). Each probe — a search
 * for {@code *} and {@code +}, presence, substring and equality filters on every secret,
 * compare with the right and a wrong value, a persistent search (the Apache LDAP API's control)
 * and a syncrepl refresh — runs as anonymous, a user, the owner of the secrets, a recovery
 * agent, a KMS administrator who asked for a recovery, and the directory administrator; no
 * secret byte reaches anyone not entitled to it, and what each sees is the same on both servers.
 * A few writes no role may make are refused on both. The secrets include the recovery keys sealed
 * under threshold custody ({@code kmsSealedRecoveryKeys}, docs/custody.md), and the writes the
 * custody's: only the agent writes it and opens a custody session, recovery agents give their
 * shares only with their approval's conditions.
 *
 * <p>Where the two servers answer differently the test says so: a filter on a secret is
 * refused whole by the guard (insufficientAccessRights) and is Undefined on slapd (no entry
 * matches; RFC 4511 section 4.5.1.7), so both return no entry; slapd has no persistent search
 * (it ignores the non-critical control and answers the search as a plain one); and on slapd a
 * KMS administrator names themselves as the requester of a recovery, which the guard records
 * for them on the embedded server.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SecretProbesIT {

    /** Who probes. */
    enum Who {
        ANONYMOUS, USER, OWNER, RECOVERY_AGENT, KMS_ADMINISTRATOR, DIRECTORY_ADMINISTRATOR
    }

    private static final String PASSWORD = "probe-password-";
    private static final String KEY_PACKAGE = "PROBE-KEY-PACKAGE-OF-ALICE-71c3";
    private static final String ENROLLMENT_TOKEN = "PROBE-ENROLLMENT-TOKEN-4a90";
    private static final String WRAPPED_KEY = "PROBE-WRAPPED-KEY-0d5e";
    private static final String RECOVERY_PACKAGE = "PROBE-RECOVERY-PACKAGE-b218";
    private static final String RECOVERY_TOKEN = "PROBE-RECOVERY-TOKEN-66f7";
    private static final String SEALED_RECOVERY_KEYS = "PROBE-SEALED-RECOVERY-KEYS-5c2e";

    /** Each secret value, by its attribute, and who besides the KMS agents may read it. */
    private static final Map<String, Set<Who>> READERS = Map.of(KEY_PACKAGE, EnumSet.of(Who.OWNER),
            ENROLLMENT_TOKEN, EnumSet.of(Who.KMS_ADMINISTRATOR), WRAPPED_KEY, EnumSet.noneOf(Who.class),
            RECOVERY_PACKAGE, EnumSet.of(Who.KMS_ADMINISTRATOR), RECOVERY_TOKEN, EnumSet.of(Who.KMS_ADMINISTRATOR),
            SEALED_RECOVERY_KEYS, EnumSet.noneOf(Who.class));

    @TempDir
    static Path work;

    private final TestDirectory embedded = new TestDirectory();
    private Slapd slapd;
    private Home apacheDs;
    private Home openLdap;

    /** One home of the KMS, reached the same way for every probe. */
    record Home(String name, String url, Path caCertificate, DirectoryLayout layout, String directoryAdministrator,
            Path directoryAdministratorPassword, String agent, Path agentPassword, boolean requesterNamedByClient) {

        String dn(Who who) {
            return switch (who) {
                case ANONYMOUS -> null;
                case USER -> "uid=bob," + layout.people();
                case OWNER -> alice();
                case RECOVERY_AGENT -> "uid=dave," + layout.people();
                case KMS_ADMINISTRATOR -> "uid=carol," + layout.people();
                case DIRECTORY_ADMINISTRATOR -> directoryAdministrator;
            };
        }

        String alice() {
            return "uid=alice," + layout.people();
        }

        String archiveRecord() {
            return "cn=probe-key," + layout.keyArchive();
        }

        String recoveryRequest(String name) {
            return "cn=" + name + "," + layout.recoveryRequests();
        }

        String custodyShare() {
            return "cn=probe 1," + layout.keyRecoveryAgent();
        }

        /** A KMS administrator who is a recovery agent too: asks for recoveries others approve. */
        String bothRoles() {
            return "uid=erin," + layout.people();
        }

        LdapTools tools(Who who) {
            LdapTools tools = LdapTools.against(url, caCertificate);
            if (who == Who.ANONYMOUS) {
                return tools.anonymous().withArguments("-ZZ");
            }
            if (who == Who.DIRECTORY_ADMINISTRATOR) {
                return tools.asWithPasswordFile(directoryAdministrator, directoryAdministratorPassword)
                        .withArguments("-ZZ");
            }
            return tools.as(dn(who), password(who)).withArguments("-ZZ");
        }

        LdapTools agentTools() {
            return LdapTools.against(url, caCertificate).asWithPasswordFile(agent, agentPassword).withArguments("-ZZ");
        }

        LdapNetworkConnection connect(Who who) throws Exception {
            LdapConnectionConfig config = new LdapConnectionConfig();
            config.setLdapHost("127.0.0.1");
            config.setLdapPort(Integer.parseInt(url.substring(url.lastIndexOf(':') + 1)));
            config.setTrustManagers(trusting(caCertificate));
            LdapNetworkConnection connection = new LdapNetworkConnection(config);
            connection.startTls();
            if (who == Who.ANONYMOUS) {
                connection.anonymousBind();
            } else if (who == Who.DIRECTORY_ADMINISTRATOR) {
                connection.bind(directoryAdministrator, Slapd.read(directoryAdministratorPassword));
            } else {
                connection.bind(dn(who), password(who));
            }
            return connection;
        }
    }

    private static String password(Who who) {
        return PASSWORD + who.name().toLowerCase(Locale.ROOT);
    }

    /** A request key as the KMS publishes it (DER) and a share sealed to it by openssl, as an agent would. */
    private static byte[] requestKey;
    private static byte[] sealedShare;

    @BeforeAll
    void twoHomesWithTheSameSecrets() throws Exception {
        sealShareToARequestKey();
        embedded.start();
        slapd = Slapd.start(work.resolve("slapd"), Slapd.Options.defaults());
        apacheDs = new Home("the embedded server", embedded.ldapUrl(), embedded.tlsCertificateFile(), embedded.layout(),
                embedded.adminDn(), embedded.adminPasswordFile(), embedded.agentDn(), embedded.agentPasswordFile(),
                false);
        openLdap = new Home("slapd", slapd.url(), slapd.caCertificate(), slapd.layout(),
                slapd.directoryAdministratorDn(), slapd.directoryAdministratorPasswordFile(), slapd.agentDn(),
                slapd.agentPasswordFile(), true);
        for (Home home : List.of(apacheDs, openLdap)) {
            plantSecrets(home);
        }
    }

    @AfterAll
    void stop() {
        if (slapd != null) {
            slapd.stop();
        }
        embedded.close();
    }

    /** People, roles, an enrollment, an archived key and a delivered recovery, as each role writes them. */
    private static void plantSecrets(Home home) {
        StringBuilder people = new StringBuilder();
        for (Who who : List.of(Who.OWNER, Who.USER, Who.RECOVERY_AGENT, Who.KMS_ADMINISTRATOR)) {
            String uid = home.dn(who).substring(4, home.dn(who).indexOf(','));
            people.append("dn: ").append(home.dn(who)).append("\nobjectClass: inetOrgPerson\nuid: ").append(uid)
                    .append("\ncn: ").append(uid).append("\nsn: Probe\nmail: ").append(uid).append("@example.com\n")
                    .append("userPassword: ").append(password(who)).append("\n\n");
        }
        people.append("dn: ").append(home.bothRoles()).append("\nobjectClass: inetOrgPerson\nuid: erin\ncn: erin\n")
                .append("sn: Probe\nmail: erin@example.com\nuserPassword: ").append(PASSWORD).append("erin\n\n");
        home.tools(Who.DIRECTORY_ADMINISTRATOR).add(people.toString()).assertSuccess();
        LdapTools agent = home.agentTools();
        agent.modify(member(home.layout().kmsAdministratorsGroup(), home.dn(Who.KMS_ADMINISTRATOR))).assertSuccess();
        agent.modify(member(home.layout().recoveryAgentsGroup(), home.dn(Who.RECOVERY_AGENT))).assertSuccess();
        agent.modify(member(home.layout().kmsAdministratorsGroup(), home.bothRoles())).assertSuccess();
        agent.modify(member(home.layout().recoveryAgentsGroup(), home.bothRoles())).assertSuccess();
        home.tools(Who.KMS_ADMINISTRATOR).modify("dn: " + home.alice() + "\nchangetype: modify\nadd: objectClass\n"
                + "objectClass: kmsUser\n-\nadd: kmsEnrollmentState\nkmsEnrollmentState: requested\n-\n").assertSuccess();
        agent.modify("dn: " + home.alice() + "\nchangetype: modify\nreplace: kmsEnrollmentState\n"
                + "kmsEnrollmentState: enrolled\n-\nreplace: kmsKeyPackage\nkmsKeyPackage:: " + base64(KEY_PACKAGE)
                + "\n-\nreplace: kmsEnrollmentToken\nkmsEnrollmentToken:: " + base64(ENROLLMENT_TOKEN) + "\n-\n")
                .assertSuccess();
        agent.add("dn: " + home.archiveRecord() + "\nobjectClass: kmsArchivedKey\ncn: probe-key\nkmsKeyOwner: "
                + home.alice() + "\nkmsWrappedKey:: " + base64(WRAPPED_KEY) + "\n").assertSuccess();
        addRecoveryRequest(home, "recover-alice").assertSuccess();
        agent.modify("dn: " + home.recoveryRequest("recover-alice") + "\nchangetype: modify\n"
                + "replace: kmsRecoveryState\nkmsRecoveryState: delivered\n-\nadd: kmsRecoveryPackage\n"
                + "kmsRecoveryPackage:: " + base64(RECOVERY_PACKAGE) + "\n-\nadd: kmsRecoveryToken\nkmsRecoveryToken:: "
                + base64(RECOVERY_TOKEN) + "\n-\n").assertSuccess();
        addRecoveryRequest(home, "pending-alice").assertSuccess();
        // Threshold custody, as 'dirkms archive custody' leaves it: the sealed keys on the key
        // recovery agent, one share below it (sealed to its holder: readable when bound).
        agent.add("dn: " + home.layout().keyRecoveryAgent() + "\nobjectClass: applicationProcess\nobjectClass: pkiUser\n"
                + "objectClass: kmsRecoveryCustody\ncn: Key Recovery Agent\nkmsCustodyId: probe\nkmsCustodyThreshold: 2\n"
                + "kmsSealedRecoveryKeys:: " + base64(SEALED_RECOVERY_KEYS) + "\n").assertSuccess();
        agent.add("dn: " + home.custodyShare() + "\nobjectClass: kmsCustodyShare\ncn: probe 1\nkmsCustodyId: probe\n"
                + "kmsShareHolder: " + home.dn(Who.RECOVERY_AGENT) + "\nkmsShareIndex: 1\nkmsSealedShare:: "
                + Base64.getEncoder().encodeToString(sealedShare) + "\nkmsShareDigest:: " + base64("0123456789abcdef0123456789abcdef")
                + "\n").assertSuccess();
    }

    /** A P-256 request key and a share sealed to it, made with openssl (openssl cms -encrypt, RFC 5652 section 6). */
    private static void sealShareToARequestKey() throws Exception {
        String openssl = LdapTools.requireTool("openssl", "openssl");
        Path folder = Files.createDirectories(work.resolve("request-key"));
        Path key = folder.resolve("key.pem");
        Path certificate = folder.resolve("certificate.pem");
        Path der = folder.resolve("certificate.der");
        Path share = folder.resolve("share.bin");
        Path sealed = folder.resolve("share.cms");
        Files.write(share, "PROBE-SHARE-CONTENT".getBytes(StandardCharsets.US_ASCII));
        for (List<String> command : List.of(
                List.of(openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                        "-keyout", key.toString(), "-out", certificate.toString(), "-subj", "/CN=dirkms request key",
                        "-days", "1"),
                List.of(openssl, "x509", "-in", certificate.toString(), "-outform", "DER", "-out", der.toString()),
                List.of(openssl, "cms", "-encrypt", "-binary", "-aes256", "-in", share.toString(), "-outform", "DER",
                        "-out", sealed.toString(), certificate.toString()))) {
            LdapTools.run(command, Map.of(), null).assertSuccess();
        }
        requestKey = Files.readAllBytes(der);
        sealedShare = Files.readAllBytes(sealed);
    }

    /** A KMS administrator asks for the recovery of Alice's keys. */
    private static LdapTools.Result addRecoveryRequest(Home home, String name) {
        return home.tools(Who.KMS_ADMINISTRATOR).add("dn: " + home.recoveryRequest(name)
                + "\nobjectClass: top\nobjectClass: kmsRecoveryRequest\ncn: " + name + "\nkmsRecoveryTarget: "
                + home.alice() + "\nkmsRecoveryState: pending\n"
                + (home.requesterNamedByClient() ? "kmsRecoveryRequester: " + home.dn(Who.KMS_ADMINISTRATOR) + "\n" : ""));
    }

    private static String member(String group, String dn) {
        return "dn: " + group + "\nchangetype: modify\nadd: member\nmember: " + dn + "\n-\n";
    }

    // ------------------------------------------------------------------ probes

    @Test
    void searchesForEveryAttributeGiveEachRoleTheSameEntriesAndOnlyItsOwnSecrets() throws Exception {
        for (Who who : Who.values()) {
            Map<String, Set<String>> seen = new TreeMap<>();
            for (Home home : List.of(apacheDs, openLdap)) {
                try (LdapNetworkConnection connection = home.connect(who)) {
                    List<Entry> entries = search(connection, home.layout().suffix(), "(objectClass=*)", "*", "+");
                    assertSecretsOnlyTo(who, home, "a search for * and +", entries);
                    for (Entry entry : entries) {
                        assertFalse(entry.containsAttribute(SchemaConstants.USER_PASSWORD_AT),
                                home.name() + " gave " + who + " userPassword of " + entry.getDn());
                    }
                    seen.put(home.name(), visible(home, entries));
                }
            }
            assertSame(who + " with a search for * and +", seen);
        }
    }

    @Test
    void filtersOnSecretsMatchNothingForAnyoneButTheAgents() throws Exception {
        for (Who who : Who.values()) {
            for (Home home : List.of(apacheDs, openLdap)) {
                try (LdapNetworkConnection connection = home.connect(who)) {
                    for (String secret : READERS.keySet()) {
                        String attribute = attributeOf(secret);
                        for (String filter : List.of("(" + attribute + "=*)", "(" + attribute + "=" + secret + ")",
                                "(" + attribute + "=" + secret.substring(0, 6) + "*)",
                                "(|(objectClass=*)(!(" + attribute + "=*)))")) {
                            List<Entry> entries = searchOrRefused(connection, home.layout().suffix(),
                                    filter.startsWith("(|") ? "(&(" + attribute + "=*)(objectClass=*))" : filter);
                            assertEquals(List.of(), entries.stream().map(e -> e.getDn().getName()).toList(),
                                    home.name() + ": " + who + " found entries with " + filter);
                        }
                    }
                }
            }
        }
    }

    @Test
    void compareOnASecretIsAnOracleForNobodyNotEntitled() throws Exception {
        for (Who who : Who.values()) {
            for (String secret : READERS.keySet()) {
                List<String> answers = new ArrayList<>();
                for (Home home : List.of(apacheDs, openLdap)) {
                    String target = holder(home, secret);
                    try (LdapNetworkConnection connection = home.connect(who)) {
                        ResultCodeEnum right = compare(connection, target, attributeOf(secret), secret);
                        ResultCodeEnum wrong = compare(connection, target, attributeOf(secret), secret + "-wrong");
                        if (READERS.get(secret).contains(who)) {
                            assertEquals(ResultCodeEnum.COMPARE_TRUE, right, home.name() + ": " + who + " " + secret);
                            assertEquals(ResultCodeEnum.COMPARE_FALSE, wrong, home.name() + ": " + who + " " + secret);
                        } else {
                            assertEquals(right, wrong, home.name() + ": compare of " + attributeOf(secret) + " tells "
                                    + who + " whether a value is right");
                            assertNotEquals(ResultCodeEnum.COMPARE_TRUE, right, home.name());
                            assertNotEquals(ResultCodeEnum.COMPARE_FALSE, right, home.name());
                        }
                        answers.add(right + "/" + wrong);
                    }
                }
                assertEquals(answers.get(0), answers.get(1), who + " compares " + attributeOf(secret)
                        + " with other answers on the two servers");
            }
        }
    }

    @Test
    void persistentSearchCarriesNoSecretToAnyoneNotEntitled() throws Exception {
        for (Who who : Who.values()) {
            for (Home home : List.of(apacheDs, openLdap)) {
                try (LdapNetworkConnection connection = home.connect(who)) {
                    PersistentSearchImpl control = new PersistentSearchImpl();
                    control.setChangesOnly(false);
                    control.setReturnECs(true);
                    control.setChangeTypes(15);
                    SearchRequest request = request(home.layout().suffix(), "(objectClass=*)", "*", "+")
                            .addControl(control);
                    SearchFuture future = connection.searchAsync(request);
                    Drained initial = drain(future, 1);
                    List<Entry> entries = new ArrayList<>(initial.entries());
                    if (!initial.done()) {
                        // A change the listeners are told about: the agent renews Alice's token.
                        home.agentTools().modify("dn: " + home.alice() + "\nchangetype: modify\n"
                                + "replace: kmsEnrollmentToken\nkmsEnrollmentToken:: " + base64(ENROLLMENT_TOKEN)
                                + "\n-\n").assertSuccess();
                        Drained changes = drain(future, 1);
                        entries.addAll(changes.entries());
                        if (!changes.done()) {
                            connection.abandon(request.getMessageId());
                        }
                    }
                    assertFalse(entries.isEmpty(), home.name() + " answered " + who + "'s persistent search with nothing");
                    assertSecretsOnlyTo(who, home, "a persistent search", entries);
                }
            }
        }
    }

    @Test
    void syncreplRefreshGivesEachRoleWhatItsSearchGives() throws Exception {
        for (Who who : Who.values()) {
            Map<String, Set<String>> seen = new TreeMap<>();
            for (Home home : List.of(apacheDs, openLdap)) {
                try (LdapNetworkConnection connection = home.connect(who)) {
                    SyncRequestValueImpl control = new SyncRequestValueImpl();
                    control.setMode(SynchronizationModeEnum.REFRESH_ONLY);
                    SearchFuture future = connection.searchAsync(request(home.layout().suffix(), "(objectClass=*)", "*")
                            .addControl(control));
                    Drained drained = drain(future, 30);
                    assertTrue(drained.done(), home.name() + ": the refresh of " + who + " did not end");
                    List<Entry> entries = drained.entries();
                    assertSecretsOnlyTo(who, home, "a syncrepl refresh", entries);
                    // The embedded server adds entryCSN and entryUUID to every sync entry; slapd only when asked.
                    seen.put(home.name(), visible(home, entries).stream().map(line -> line.replace(", entrycsn, entryuuid",
                            "")).collect(java.util.stream.Collectors.toCollection(TreeSet::new)));
                }
            }
            assertSame(who + " with a syncrepl refresh", seen);
        }
    }

    @Test
    void writesNoRoleMayMakeAreRefusedOnBothServers() {
        for (Home home : List.of(apacheDs, openLdap)) {
            String alice = home.alice();
            // A user writes another person's enrollment state.
            assertRefused(home, home.tools(Who.USER).modify("dn: " + alice + "\nchangetype: modify\n"
                    + "replace: kmsEnrollmentState\nkmsEnrollmentState: revoke-requested\n-\n"), "a user's write of"
                    + " another person's kmsEnrollmentState");
            // A KMS administrator replaces an archived key.
            assertRefused(home, home.tools(Who.KMS_ADMINISTRATOR).modify("dn: " + home.archiveRecord()
                    + "\nchangetype: modify\nreplace: kmsWrappedKey\nkmsWrappedKey:: " + base64("PLANTED") + "\n-\n"),
                    "a KMS administrator's write of kmsWrappedKey");
            // Anonymous writes.
            assertRefused(home, home.tools(Who.ANONYMOUS).modify("dn: " + alice + "\nchangetype: modify\n"
                    + "replace: description\ndescription: anonymous was here\n-\n"), "an anonymous modify");
            assertRefused(home, home.tools(Who.ANONYMOUS).add("dn: uid=mallory," + home.layout().people()
                    + "\nobjectClass: inetOrgPerson\nuid: mallory\ncn: mallory\nsn: m\n"), "an anonymous add");
            // The directory administrator gives themselves a role, reads a token or plants a key.
            assertRefused(home, home.tools(Who.DIRECTORY_ADMINISTRATOR).modify(member(
                    home.layout().kmsAdministratorsGroup(), home.dn(Who.DIRECTORY_ADMINISTRATOR))),
                    "the directory administrator's write of a role group");
            assertRefused(home, home.tools(Who.DIRECTORY_ADMINISTRATOR).add("dn: cn=planted," + home.layout().keyArchive()
                    + "\nobjectClass: kmsArchivedKey\ncn: planted\nkmsKeyOwner: " + alice + "\nkmsWrappedKey:: "
                    + base64("PLANTED") + "\n"), "the directory administrator's add to the key archive");
            // The directory administrator resets the password of a role holder, or removes one.
            assertRefused(home, home.tools(Who.DIRECTORY_ADMINISTRATOR).modify("dn: " + home.dn(Who.KMS_ADMINISTRATOR)
                    + "\nchangetype: modify\nreplace: userPassword\nuserPassword: taken-over\n-\n"),
                    "the directory administrator's reset of a KMS administrator's password");
            assertRefused(home, home.tools(Who.DIRECTORY_ADMINISTRATOR).delete(home.dn(Who.RECOVERY_AGENT)),
                    "the directory administrator's removal of a recovery agent");
            // A user changes another person's name.
            assertRefused(home, home.tools(Who.USER).modify("dn: " + alice + "\nchangetype: modify\n"
                    + "replace: cn\ncn: renamed by bob\n-\n"), "a user's write of another person's cn");
            // The user deletes another person's key package; the agent deletes an archived key.
            assertRefused(home, home.tools(Who.USER).modify("dn: " + alice + "\nchangetype: modify\n"
                    + "delete: kmsKeyPackage\n-\n"), "a user's delete of another person's kmsKeyPackage");
            assertRefused(home, home.agentTools().delete(home.archiveRecord()), "the agent's delete of an archived key");
            // A recovery agent approves for someone else; the requester approves their own request.
            String pending = home.recoveryRequest("pending-alice");
            assertRefused(home, home.tools(Who.RECOVERY_AGENT).modify("dn: " + pending + "\nchangetype: modify\n"
                    + "add: kmsRecoveryApproval\nkmsRecoveryApproval: " + home.dn(Who.USER) + "\n-\n"),
                    "an approval in another person's name");
            assertRefused(home, home.tools(Who.KMS_ADMINISTRATOR).modify("dn: " + pending + "\nchangetype: modify\n"
                    + "add: kmsRecoveryApproval\nkmsRecoveryApproval: " + home.dn(Who.KMS_ADMINISTRATOR) + "\n-\n"),
                    "the requester's approval of their own request");
            // What the same roles may do goes through: the directory administrator resets the
            // password of a person without a role, the user changes their own description.
            home.tools(Who.DIRECTORY_ADMINISTRATOR).modify("dn: " + home.dn(Who.USER) + "\nchangetype: modify\n"
                    + "replace: userPassword\nuserPassword: " + password(Who.USER) + "\n-\n").assertSuccess();
            home.tools(Who.USER).modify("dn: " + home.dn(Who.USER) + "\nchangetype: modify\n"
                    + "replace: description\ndescription: bob's own words\n-\n").assertSuccess();
            home.tools(Who.RECOVERY_AGENT).modify("dn: " + pending + "\nchangetype: modify\nadd: kmsRecoveryApproval\n"
                    + "kmsRecoveryApproval: " + home.dn(Who.RECOVERY_AGENT) + "\n-\n").assertSuccess();
            home.tools(Who.RECOVERY_AGENT).modify("dn: " + pending + "\nchangetype: modify\ndelete: kmsRecoveryApproval\n"
                    + "kmsRecoveryApproval: " + home.dn(Who.RECOVERY_AGENT) + "\n-\n").assertSuccess();
            // A KMS administrator asks for a recovery in another administrator's name: on slapd the
            // access rules refuse it; the embedded server records the real requester itself.
            if (home.requesterNamedByClient()) {
                assertRefused(home, home.tools(Who.KMS_ADMINISTRATOR).add("dn: " + home.recoveryRequest("forged")
                        + "\nobjectClass: kmsRecoveryRequest\ncn: forged\nkmsRecoveryTarget: " + alice
                        + "\nkmsRecoveryState: pending\nkmsRecoveryRequester: " + home.agent() + "\n"),
                        "a recovery request naming another requester");
            }
        }
    }

    @Test
    void theCustodyIsTheAgentsAndRecoveryAgentsGiveSharesOnlyAsTheyApprove() {
        String share = Base64.getEncoder().encodeToString(sealedShare);
        for (Home home : List.of(apacheDs, openLdap)) {
            LdapTools kmsAdministrator = home.tools(Who.KMS_ADMINISTRATOR);
            LdapTools recoveryAgent = home.tools(Who.RECOVERY_AGENT);
            String session = home.recoveryRequest("custody-session");
            String sessionEntry = "dn: " + session + "\nobjectClass: kmsCustodySession\ncn: custody-session\n"
                    + "kmsRequestKey:: " + Base64.getEncoder().encodeToString(requestKey) + "\n";
            // Nobody but the agent writes the custody, opens a custody session or publishes a request key.
            assertRefused(home, kmsAdministrator.add(sessionEntry), "a KMS administrator's custody session",
                    "a custody session is opened by the KMS");
            assertRefused(home, kmsAdministrator.add(sessionEntry + "objectClass: extensibleObject\nkmsRecoveryRequester: "
                    + home.dn(Who.KMS_ADMINISTRATOR) + "\n"), "a custody session naming its KMS administrator as requester");
            assertRefused(home, kmsAdministrator.add("dn: " + home.recoveryRequest("keyed") + "\nobjectClass: "
                    + "kmsRecoveryRequest\ncn: keyed\nkmsRecoveryTarget: " + home.alice() + "\nkmsRecoveryState: pending\n"
                    + (home.requesterNamedByClient() ? "kmsRecoveryRequester: " + home.dn(Who.KMS_ADMINISTRATOR) + "\n" : "")
                    + "kmsRequestKey:: " + Base64.getEncoder().encodeToString(requestKey) + "\n"),
                    "a recovery request with a request key of the KMS administrator's choosing");
            assertRefused(home, recoveryAgent.modify("dn: " + home.custodyShare() + "\nchangetype: modify\n"
                    + "replace: kmsShareDigest\nkmsShareDigest: forged\n-\n"), "a recovery agent's write of a share digest");
            assertRefused(home, home.tools(Who.DIRECTORY_ADMINISTRATOR).modify("dn: " + home.layout().keyRecoveryAgent()
                    + "\nchangetype: modify\nreplace: kmsCustodyThreshold\nkmsCustodyThreshold: 1\n-\n"),
                    "the directory administrator's write of the custody threshold");
            assertRefused(home, kmsAdministrator.delete(home.custodyShare()), "a KMS administrator's delete of a share");
            home.agentTools().add(sessionEntry).assertSuccess();

            // A recovery agent approves and gives their share in one modify, and takes both back,
            // on a pending request and on a session the KMS opened without a state yet.
            for (String open : List.of(home.recoveryRequest("pending-alice"), session)) {
                recoveryAgent.modify(giveShare(open, home.dn(Who.RECOVERY_AGENT), "add", share)).assertSuccess();
                recoveryAgent.modify(giveShare(open, home.dn(Who.RECOVERY_AGENT), "delete", share)).assertSuccess();
            }
            assertRefused(home, kmsAdministrator.modify("dn: " + session + "\nchangetype: modify\nadd: kmsRecoveryShare\n"
                    + "kmsRecoveryShare:: " + share + "\n-\n"), "a KMS administrator's share");
            assertRefused(home, recoveryAgent.modify(giveShare(home.recoveryRequest("recover-alice"),
                    home.dn(Who.RECOVERY_AGENT), "add", share)), "a share for a request no longer pending");
            if (home == apacheDs) {
                // slapd cannot tell a replace from an add and a delete (SECURITY.md, "On OpenLDAP").
                assertRefused(home, recoveryAgent.modify("dn: " + session + "\nchangetype: modify\n"
                        + "replace: kmsRecoveryShare\nkmsRecoveryShare:: " + share + "\n-\n"),
                        "a replace of every agent's shares", "would take other agents' shares");
            }
            home.agentTools().modify("dn: " + session + "\nchangetype: modify\nadd: kmsRecoveryState\n"
                    + "kmsRecoveryState: failed\n-\n").assertSuccess();
            assertRefused(home, recoveryAgent.modify(giveShare(session, home.dn(Who.RECOVERY_AGENT), "add", share)),
                    "a share for a session no longer pending");
            assertRefused(home, kmsAdministrator.delete(session), "a KMS administrator's close of a custody session");
            home.agentTools().delete(session).assertSuccess();

            // A requester who is a recovery agent too gives no share to their own request; they
            // withdraw it even once the KMS published its request key.
            String keyed = home.recoveryRequest("keyed-alice");
            LdapTools erin = LdapTools.against(home.url(), home.caCertificate()).as(home.bothRoles(), PASSWORD + "erin")
                    .withArguments("-ZZ");
            erin.add("dn: " + keyed + "\nobjectClass: kmsRecoveryRequest\ncn: keyed-alice\nkmsRecoveryTarget: "
                    + home.alice() + "\nkmsRecoveryState: pending\n" + (home.requesterNamedByClient()
                            ? "kmsRecoveryRequester: " + home.bothRoles() + "\n" : "")).assertSuccess();
            home.agentTools().modify("dn: " + keyed + "\nchangetype: modify\nadd: kmsRequestKey\nkmsRequestKey:: "
                    + Base64.getEncoder().encodeToString(requestKey) + "\n-\n").assertSuccess();
            assertRefused(home, erin.modify(giveShare(keyed, home.bothRoles(), "add", share)),
                    "the requester's approval and share for their own request");
            assertRefused(home, erin.modify("dn: " + keyed + "\nchangetype: modify\nadd: kmsRecoveryShare\n"
                    + "kmsRecoveryShare:: " + share + "\n-\n"), "the requester's share for their own request",
                    "its custody shares come from other recovery agents");
            // A share that is not sealed to anything: slapd stores any octets, the guard refuses it.
            if (home == apacheDs) {
                LdapTools.Result notSealed = recoveryAgent.modify("dn: " + home.recoveryRequest("pending-alice")
                        + "\nchangetype: modify\nadd: kmsRecoveryShare\nkmsRecoveryShare: my share in clear\n-\n");
                assertEquals(21, notSealed.exitCode(), notSealed.stderr());
                assertTrue(notSealed.stderr().contains("kmsRecoveryShare is not a CMS ContentInfo of EnvelopedData in DER"),
                        notSealed.stderr());
            }
            erin.delete(keyed).assertSuccess();
        }
    }

    /** A recovery agent's approval and share in one modify ({@code add} or {@code delete} both). */
    private static String giveShare(String entry, String approver, String operation, String share) {
        return "dn: " + entry + "\nchangetype: modify\n" + operation + ": kmsRecoveryApproval\nkmsRecoveryApproval: "
                + approver + "\n-\n" + operation + ": kmsRecoveryShare\nkmsRecoveryShare:: " + share + "\n-\n";
    }

    /** The two servers showed the same entries with the same attributes; the message lists the differences. */
    private void assertSame(String probe, Map<String, Set<String>> seen) {
        Set<String> onlyEmbedded = new TreeSet<>(seen.get(apacheDs.name()));
        onlyEmbedded.removeAll(seen.get(openLdap.name()));
        Set<String> onlySlapd = new TreeSet<>(seen.get(openLdap.name()));
        onlySlapd.removeAll(seen.get(apacheDs.name()));
        assertTrue(onlyEmbedded.isEmpty() && onlySlapd.isEmpty(), probe + ": only on the embedded server "
                + onlyEmbedded + "; only on slapd " + onlySlapd);
    }

    /** As {@link #assertRefused(Home, LdapTools.Result, String)}, and the embedded server's guard says {@code message}. */
    private void assertRefused(Home home, LdapTools.Result result, String what, String message) {
        assertRefused(home, result, what);
        if (home == apacheDs) {
            assertTrue(result.stderr().contains(message), "the guard's refusal of " + what + " does not say '" + message
                    + "': " + result.stderr());
        }
    }

    private static void assertRefused(Home home, LdapTools.Result result, String what) {
        assertTrue(result.exitCode() == 50 || result.exitCode() == 53 || result.exitCode() == 8,
                home.name() + " did not refuse " + what + " with insufficientAccess, unwillingToPerform or"
                        + " strongerAuthRequired: " + result.exitCode() + " " + result.stderr());
    }

    // ------------------------------------------------------------------ helpers

    /** Which DN holds each planted secret. */
    private static String holder(Home home, String secret) {
        return switch (secret) {
            case KEY_PACKAGE, ENROLLMENT_TOKEN -> home.alice();
            case WRAPPED_KEY -> home.archiveRecord();
            case SEALED_RECOVERY_KEYS -> home.layout().keyRecoveryAgent();
            default -> home.recoveryRequest("recover-alice");
        };
    }

    private static String attributeOf(String secret) {
        return switch (secret) {
            case KEY_PACKAGE -> "kmsKeyPackage";
            case ENROLLMENT_TOKEN -> "kmsEnrollmentToken";
            case WRAPPED_KEY -> "kmsWrappedKey";
            case RECOVERY_PACKAGE -> "kmsRecoveryPackage";
            case SEALED_RECOVERY_KEYS -> "kmsSealedRecoveryKeys";
            default -> "kmsRecoveryToken";
        };
    }

    /** No planted secret in {@code entries} but those {@code who} may read, in any encoding. */
    private static void assertSecretsOnlyTo(Who who, Home home, String probe, List<Entry> entries) {
        StringBuilder all = new StringBuilder();
        for (Entry entry : entries) {
            for (Attribute attribute : entry) {
                for (Value value : attribute) {
                    all.append(new String(value.getBytes(), StandardCharsets.ISO_8859_1)).append('\n');
                }
            }
        }
        String text = all.toString();
        for (Map.Entry<String, Set<Who>> secret : READERS.entrySet()) {
            boolean found = text.contains(secret.getKey()) || text.contains(base64(secret.getKey()));
            if (!secret.getValue().contains(who)) {
                assertFalse(found, home.name() + " gave " + who + " " + attributeOf(secret.getKey()) + " in " + probe);
            }
        }
        for (String name : KmsSchema.secretAttributeNames()) {
            if (READERS.entrySet().stream().noneMatch(e -> attributeOf(e.getKey()).equalsIgnoreCase(name)
                    && e.getValue().contains(who))) {
                for (Entry entry : entries) {
                    assertFalse(entry.containsAttribute(name), home.name() + " gave " + who + " " + name + " of "
                            + entry.getDn() + " in " + probe);
                }
            }
        }
    }

    /**
     * What an entry list shows: each DN relative to the suffix with its user attribute names,
     * leaving out the identities only slapd has (the directory administrator's and replicator's
     * entries, which the embedded server keeps under ou=system or does not need).
     */
    private static Set<String> visible(Home home, List<Entry> entries) throws Exception {
        Set<String> visible = new TreeSet<>();
        String suffix = DistinguishedNames.normal(home.layout().suffix());
        // The audit anchor is each server's own: the guard's on the embedded server, the agent's on slapd.
        // Compared as the agent compares names: the DNs an entry carries are schema-aware or not
        // depending on the connection, so their getNormName() forms cannot be compared with these.
        String audit = home.layout().audit();
        List<String> onlyOnOneServer = List.of(home.directoryAdministrator(), "cn=replicator," + home.layout().kms());
        for (Entry entry : entries) {
            String dn = entry.getDn().getName();
            if (onlyOnOneServer.stream().anyMatch(other -> DistinguishedNames.same(other, dn))
                    || DistinguishedNames.within(dn, audit)) {
                continue;
            }
            Set<String> attributes = new TreeSet<>();
            for (Attribute attribute : entry) {
                String name = attribute.getUpId().toLowerCase(Locale.ROOT);
                int options = name.indexOf(';');
                name = options < 0 ? name : name.substring(0, options);
                if (name.equals("kmsrequiredapprovals")) {
                    // The embedded server copies the count onto a new request; slapd cannot (the KMS
                    // requires the configuration's count at the time of the recovery either way).
                    continue;
                }
                if (name.startsWith("kms") || OPERATIONAL_IN_BOTH.contains(name) || !isOperational(name)) {
                    attributes.add(name);
                }
            }
            String normal = DistinguishedNames.normal(dn);
            String relative = normal.equals(suffix) ? "" : normal.substring(0, normal.length() - suffix.length() - 1);
            visible.add(relative.toLowerCase(Locale.ROOT) + " " + attributes);
        }
        return visible;
    }

    /** Operational attributes both servers return for '+': what the probes compare. */
    private static final Set<String> OPERATIONAL_IN_BOTH = Set.of("entryuuid", "entrycsn");

    private static boolean isOperational(String name) {
        return Set.of("creatorsname", "createtimestamp", "modifiersname", "modifytimestamp", "structuralobjectclass",
                "entrydn", "subschemasubentry", "hassubordinates", "entryparentid", "nbchildren", "nbsubordinates",
                "accesscontrolsubentries", "contextcsn").contains(name);
    }

    private static SearchRequest request(String base, String filter, String... attributes) throws Exception {
        return new SearchRequestImpl().setBase(new Dn(base)).setFilter(filter).setScope(SearchScope.SUBTREE)
                .setDerefAliases(AliasDerefMode.NEVER_DEREF_ALIASES).addAttributes(attributes);
    }

    private static List<Entry> search(LdapNetworkConnection connection, String base, String filter,
            String... attributes) throws Exception {
        Drained drained = drain(connection.searchAsync(request(base, filter, attributes)), 30);
        assertTrue(drained.done(), "the search " + filter + " did not end");
        return drained.entries();
    }

    /** The entries a search returns, or none when the server refuses it whole. */
    private static List<Entry> searchOrRefused(LdapNetworkConnection connection, String base, String filter)
            throws Exception {
        SearchFuture future = connection.searchAsync(request(base, filter, "1.1"));
        List<Entry> entries = new ArrayList<>();
        for (Response response = future.get(30, TimeUnit.SECONDS); response != null;
                response = future.get(30, TimeUnit.SECONDS)) {
            if (response instanceof SearchResultEntry entry) {
                entries.add(entry.getEntry());
            } else if (response instanceof SearchResultDone done) {
                ResultCodeEnum code = done.getLdapResult().getResultCode();
                // The guard refuses a filter on a secret (insufficientAccessRights); slapd refuses a
                // substring filter on a type without a SUBSTR rule (inappropriateMatching) whoever asks.
                assertTrue(code == ResultCodeEnum.SUCCESS || code == ResultCodeEnum.INSUFFICIENT_ACCESS_RIGHTS
                        || code == ResultCodeEnum.INAPPROPRIATE_MATCHING, "the search " + filter + " ended with " + code);
                return code == ResultCodeEnum.SUCCESS ? entries : List.of();
            }
        }
        throw new AssertionError("the search " + filter + " did not end");
    }

    /** What a search returned so far, and whether it ended. */
    record Drained(List<Entry> entries, boolean done) {
    }

    /** Entries until the search is done, or until {@code quietSeconds} pass without a response. */
    private static Drained drain(SearchFuture future, int quietSeconds) throws Exception {
        List<Entry> entries = new ArrayList<>();
        while (true) {
            Response response = future.get(quietSeconds, TimeUnit.SECONDS);
            if (response == null) {
                return new Drained(entries, false);
            }
            if (response instanceof SearchResultEntry entry) {
                entries.add(entry.getEntry());
            } else if (response instanceof SearchResultDone) {
                return new Drained(entries, true);
            }
        }
    }

    private static ResultCodeEnum compare(LdapNetworkConnection connection, String dn, String attribute, String value)
            throws Exception {
        return connection.compare(new CompareRequestImpl().setName(new Dn(dn)).setAttributeId(attribute)
                .setAssertionValue(value.getBytes(StandardCharsets.UTF_8))).getLdapResult().getResultCode();
    }

    private static String base64(String text) {
        return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }

    private static X509TrustManager trusting(Path caCertificate) {
        try (InputStream in = Files.newInputStream(caCertificate)) {
            KeyStore trusted = KeyStore.getInstance(KeyStore.getDefaultType());
            trusted.load(null, null);
            trusted.setCertificateEntry("ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
            TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            factory.init(trusted);
            return (X509TrustManager) factory.getTrustManagers()[0];
        } catch (Exception e) {
            throw new AssertionError("cannot trust " + caCertificate, e);
        }
    }
}
