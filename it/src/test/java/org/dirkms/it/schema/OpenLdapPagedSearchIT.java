package org.dirkms.it.schema;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

import org.apache.directory.ldap.client.api.LdapNetworkConnection;
import org.dirkms.agent.directory.EnrollmentRecords;
import org.dirkms.agent.directory.LdapEnrollmentRecords;
import org.dirkms.schema.AttributeNames;
import org.dirkms.schema.DirectoryLayout;
import org.dirkms.schema.EnrollmentState;
import org.dirkms.schema.ObjectClassNames;
import org.dirkms.schema.SchemaForms;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent's listings against a real slapd (with the KMS schema) whose size limit is
 * {@value #LIMIT}, for three identities:
 * <ul>
 * <li>one under the default limits, where slapd caps a paged search's total at the hard limit as
 * well (so the agent splits by entryUUID);</li>
 * <li>one with {@code size.pr=7 size.prtotal=unlimited}, where paging gets past the limit and
 * slapd refuses pages above 7 entries with adminLimitExceeded (so the agent pages, with smaller
 * pages);</li>
 * <li>one that may not read entryUUID, where nothing gets past the limit: the agent acts on the
 * {@value #LIMIT} entries it got, without failing.</li>
 * </ul>
 * The server is a throwaway in a temporary folder, on loopback only.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OpenLdapPagedSearchIT {
    private static final int LIMIT = 10;
    private static final int USERS = 35;
    private static final String SUFFIX = DirectoryLayout.DEFAULT_SUFFIX;
    private static final DirectoryLayout LAYOUT = new DirectoryLayout(SUFFIX);
    private static final String ROOT_DN = "cn=admin," + SUFFIX;
    private static final String READER = "uid=reader," + SUFFIX;
    private static final String PAGER = "uid=pager," + SUFFIX;
    private static final String BLIND = "uid=blind," + SUFFIX;

    @TempDir
    static Path work;

    private Path pidFile;
    private Path passwordFile;
    private String password;
    private int port;
    private final Set<String> requested = new TreeSet<>();

    @BeforeAll
    void startSlapdWithALimit() throws IOException, InterruptedException {
        Path slapd = ExternalTool.require("slapd", "slapd");
        Path slapadd = ExternalTool.require("slapadd", "slapd");
        Path ldapadd = ExternalTool.require("ldapadd", "ldap-utils");
        List<Path> schemas = new ArrayList<>();
        for (String name : List.of("core", "cosine", "inetorgperson")) {
            Path schema = Path.of("/etc/ldap/schema", name + ".ldif");
            if (!Files.isRegularFile(schema)) {
                fail(schema + " is missing: install the Debian package slapd");
            }
            schemas.add(schema);
        }
        schemas.add(OpenLdapSchemaIT.projectRoot().resolve("ldif/schema").resolve(SchemaForms.OPENLDAP_FILE));
        Path config = Files.createDirectory(work.resolve("slapd.d"));
        Path database = Files.createDirectory(work.resolve("db"));
        pidFile = work.resolve("slapd.pid");
        // One throwaway password for every identity of this throwaway server, in a private file.
        password = "throwaway-" + ProcessHandle.current().pid();
        passwordFile = work.resolve("password");
        Files.writeString(passwordFile, password, StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(passwordFile, PosixFilePermissions.fromString("rw-------"));
        Path configLdif = work.resolve("config.ldif");
        Files.writeString(configLdif, configLdif(config, database, schemas), StandardCharsets.UTF_8);
        ExternalTool.run(work, null, List.of(slapadd.toString(), "-n0", "-F", config.toString(), "-l",
                configLdif.toString())).assertSuccess();
        port = ExternalTool.freeLoopbackPort();
        // Without -d slapd detaches once its listener is bound and its databases are open.
        ExternalTool.run(work, null, List.of(slapd.toString(), "-h", "ldap://127.0.0.1:" + port + "/", "-F",
                config.toString())).assertSuccess();
        ExternalTool.run(work, entries(), List.of(ldapadd.toString(), "-x", "-H", "ldap://127.0.0.1:" + port + "/",
                "-D", ROOT_DN, "-y", passwordFile.toString())).assertSuccess();
    }

    @AfterAll
    void stopSlapd() throws IOException {
        ExternalTool.stopDaemon(pidFile, "slapd");
    }

    @Test
    void theLimitIsRealForPlainAndPagedSearches() throws Exception {
        Path ldapsearch = ExternalTool.require("ldapsearch", "ldap-utils");
        for (List<String> paging : List.of(List.<String>of(), List.of("-E", "pr=5/noprompt"))) {
            List<String> command = new ArrayList<>(List.of(ldapsearch.toString(), "-x", "-H",
                    "ldap://127.0.0.1:" + port + "/", "-D", READER, "-y", passwordFile.toString(), "-LLL"));
            command.addAll(paging);
            command.addAll(List.of("-b", LAYOUT.people(), "(" + AttributeNames.ENROLLMENT_STATE + "=requested)", "1.1"));
            ExternalTool.Result result = ExternalTool.run(work, null, command);
            // sizeLimitExceeded (4), after LIMIT entries: slapd's default caps a paged search too.
            assertEquals(4, result.exitCode(), paging + ": " + result.stderr());
            assertEquals(LIMIT, result.stdout().lines().filter(line -> line.startsWith("dn: ")).count(), paging.toString());
        }
    }

    @Test
    void underTheDefaultLimitsTheAgentSplitsByEntryUuid() throws Exception {
        assertListsEveryone(READER);
    }

    @Test
    void whereSlapdPagesPastTheLimitTheAgentPagesWithPagesItAccepts() throws Exception {
        assertListsEveryone(PAGER);
    }

    @Test
    void withoutEntryUuidTheAgentActsOnWhatCameBack() throws Exception {
        try (LdapNetworkConnection connection = connect(BLIND)) {
            EnrollmentRecords records = new LdapEnrollmentRecords(connection, LAYOUT);
            List<EnrollmentRecords.UserEntry> users = records.usersInState(EnrollmentState.REQUESTED);
            assertEquals(LIMIT, users.size(), "what the server returned, no error");
            for (EnrollmentRecords.UserEntry user : users) {
                assertTrue(requested.contains(user.dn().toLowerCase(Locale.ROOT)), user.dn());
            }
        }
    }

    private void assertListsEveryone(String identity) throws Exception {
        try (LdapNetworkConnection connection = connect(identity)) {
            EnrollmentRecords records = new LdapEnrollmentRecords(connection, LAYOUT);
            Set<String> listed = new TreeSet<>();
            for (EnrollmentRecords.UserEntry user : records.usersInState(EnrollmentState.REQUESTED)) {
                assertTrue(listed.add(user.dn().toLowerCase(Locale.ROOT)), user.dn() + " listed twice");
                assertEquals(EnrollmentState.REQUESTED, user.state());
            }
            assertEquals(requested, listed, identity + ": usersInState");
            Set<String> dns = new TreeSet<>();
            for (String dn : records.findDns(LAYOUT.people(), "(objectClass=" + ObjectClassNames.KMS_USER + ")")) {
                assertTrue(dns.add(dn.toLowerCase(Locale.ROOT)), dn + " listed twice");
            }
            assertEquals(requested, dns, identity + ": findDns");
        }
    }

    private LdapNetworkConnection connect(String dn) throws Exception {
        LdapNetworkConnection connection = new LdapNetworkConnection("127.0.0.1", port);
        try {
            connection.bind(dn, password);
            return connection;
        } catch (Exception e) {
            connection.close();
            throw e;
        }
    }

    private String configLdif(Path config, Path database, List<Path> schemas) {
        StringBuilder ldif = new StringBuilder();
        // olcSizeLimit sets the soft and the hard limit; slapd's default (500) caps paged searches
        // at the hard limit too, unless a limits clause sets size.prtotal.
        ldif.append("dn: cn=config\nobjectClass: olcGlobal\ncn: config\nolcPidFile: ").append(pidFile)
                .append("\nolcSizeLimit: ").append(LIMIT).append("\n\n");
        ldif.append("dn: cn=module{0},cn=config\nobjectClass: olcModuleList\ncn: module{0}\n"
                + "olcModulePath: /usr/lib/ldap\nolcModuleLoad: back_mdb\n\n");
        ldif.append("dn: cn=schema,cn=config\nobjectClass: olcSchemaConfig\ncn: schema\n\n");
        for (Path schema : schemas) {
            ldif.append("include: file://").append(schema).append("\n\n");
        }
        ldif.append("dn: olcDatabase={-1}frontend,cn=config\nobjectClass: olcDatabaseConfig\n"
                + "objectClass: olcFrontendConfig\nolcDatabase: {-1}frontend\n\n");
        ldif.append("dn: olcDatabase={0}config,cn=config\nobjectClass: olcDatabaseConfig\nolcDatabase: {0}config\n\n");
        ldif.append("dn: olcDatabase={1}mdb,cn=config\nobjectClass: olcDatabaseConfig\nobjectClass: olcMdbConfig\n")
                .append("olcDatabase: {1}mdb\nolcDbDirectory: ").append(database).append('\n')
                .append("olcSuffix: ").append(SUFFIX).append('\n')
                .append("olcRootDN: ").append(ROOT_DN).append('\n')
                .append("olcRootPW: ").append(password).append('\n')
                .append("olcDbMaxSize: 16777216\n")
                .append("olcLimits: {0}dn.exact=\"").append(PAGER)
                .append("\" size.soft=").append(LIMIT).append(" size.hard=").append(LIMIT)
                .append(" size.pr=7 size.prtotal=unlimited\n")
                .append("olcAccess: {0}to attrs=userPassword by anonymous auth by * none\n")
                .append("olcAccess: {1}to attrs=entryUUID by dn.exact=\"").append(BLIND).append("\" none by * read\n")
                .append("olcAccess: {2}to * by * read\n");
        return ldif.toString();
    }

    private String entries() {
        StringBuilder ldif = new StringBuilder("dn: " + SUFFIX + "\nobjectClass: dcObject\nobjectClass: organization\n"
                + "o: Example\ndc: example\n\ndn: " + LAYOUT.people() + "\nobjectClass: organizationalUnit\nou: People\n\n");
        for (String identity : List.of(READER, PAGER, BLIND)) {
            String uid = identity.substring(4, identity.indexOf(','));
            ldif.append("dn: ").append(identity).append("\nobjectClass: inetOrgPerson\nuid: ").append(uid)
                    .append("\ncn: ").append(uid).append("\nsn: ").append(uid).append("\nuserPassword: ").append(password)
                    .append("\n\n");
        }
        for (int i = 0; i < USERS; i++) {
            String dn = "uid=slapd" + i + "," + LAYOUT.people();
            requested.add(dn.toLowerCase(Locale.ROOT));
            ldif.append("dn: ").append(dn).append("\nobjectClass: inetOrgPerson\nobjectClass: ")
                    .append(ObjectClassNames.KMS_USER).append("\nuid: slapd").append(i).append("\ncn: User ").append(i)
                    .append("\nsn: User\nmail: slapd").append(i).append("@example.com\n")
                    .append(AttributeNames.ENROLLMENT_STATE).append(": ").append(EnrollmentState.REQUESTED.ldapValue())
                    .append("\n\n");
        }
        return ldif.toString();
    }
}
