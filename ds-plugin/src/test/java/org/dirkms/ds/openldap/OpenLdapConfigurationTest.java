package org.dirkms.ds.openldap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

import org.dirkms.schema.DirectoryLayout;
import org.dirkms.schema.SchemaForms;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What {@code dirkms openldap config} writes: every file, the bootstrap for any suffix with
 * nothing left to fill in, the agent's DN wherever the tree names it, passwords only as salted
 * hashes (but the replicator's in olcSyncrepl, where slapd needs it), replication settings, and
 * the refusals of settings slapd could not use.
 */
class OpenLdapConfigurationTest {

    private static final OpenLdapConfiguration.IdentityPasswords PASSWORDS = new OpenLdapConfiguration.IdentityPasswords(
            Optional.of("agent-secret-1"), Optional.of("admin-secret-2"), Optional.of("replicator-secret-3"));

    @TempDir
    Path folder;

    @Test
    void writesEveryFileInLoadingOrderOwnerOnly() throws Exception {
        OpenLdapConfiguration configuration = new OpenLdapConfiguration(OpenLdapSettings.of("dc=example,dc=com",
                "uid=kms-agent,ou=KMS,dc=example,dc=com"), PASSWORDS, new SecureRandom());
        List<Path> written = configuration.write(folder.resolve("out"));
        assertEquals(List.of(OpenLdapConfiguration.SCHEMA_FILE, OpenLdapConfiguration.MODULE_FILE,
                OpenLdapConfiguration.DATABASE_FILE, OpenLdapConfiguration.BOOTSTRAP_FILE, OpenLdapConfiguration.README_FILE),
                written.stream().map(p -> p.getFileName().toString()).toList());
        for (Path file : written) {
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)), file.toString());
        }
        assertEquals(SchemaForms.openLdapConfig(), Files.readString(written.get(0)));
        IllegalArgumentException again = assertThrows(IllegalArgumentException.class,
                () -> configuration.write(folder.resolve("out")));
        assertTrue(again.getMessage().contains("exists"), again.getMessage());
    }

    @Test
    void theBootstrapServesAnySuffixWithTheAgentItIsGiven() throws Exception {
        String suffix = "o=Example Org,c=DE";
        String agent = "cn=kms,ou=KMS," + suffix;
        Map<String, String> files = new OpenLdapConfiguration(OpenLdapSettings.of(suffix, agent), PASSWORDS,
                new SecureRandom()).files();
        String bootstrap = files.get(OpenLdapConfiguration.BOOTSTRAP_FILE);
        assertFalse(bootstrap.contains("${"), bootstrap);
        assertFalse(bootstrap.toLowerCase().contains("uid=kms-agent"), bootstrap);
        assertTrue(bootstrap.contains("dn: " + suffix + "\n"), bootstrap);
        assertTrue(bootstrap.contains("objectClass: organization") && bootstrap.contains("o: Example Org"), bootstrap);
        DirectoryLayout layout = new DirectoryLayout(suffix);
        for (String group : List.of(layout.kmsAgentsGroup(), layout.kmsAdministratorsGroup(), layout.recoveryAgentsGroup())) {
            String entry = entry(bootstrap, group);
            assertTrue(entry.contains("member: " + agent), entry);
        }
        assertTrue(entry(bootstrap, "cn=default," + layout.servers()).contains("kmsAgentIdentity: " + agent));
        assertTrue(entry(bootstrap, agent).contains("cn: kms"));
        assertTrue(entry(bootstrap, "cn=directory-admin," + suffix).contains("objectClass: inetOrgPerson"));
        assertTrue(entry(bootstrap, "cn=replicator," + layout.kms()).contains("userPassword"));
        String database = files.get(OpenLdapConfiguration.DATABASE_FILE);
        assertTrue(database.contains("olcSuffix: " + suffix + "\n"), database);
        assertTrue(database.contains("olcLimits: dn.exact=\"" + agent + "\" size=unlimited time=unlimited"), database);
        assertTrue(database.contains("olcLimits: anonymous size=100\n"), database);
        assertTrue(database.contains("olcDbIndex: kmsEnrollmentState eq,pres\n"), database);
        assertFalse(database.contains("olcSyncrepl") || database.contains("olcMultiProvider"), database);
    }

    @Test
    void theSearchesOfRecoveryAndCustodyAreIndexed() throws Exception {
        // The agent finds custody sessions and shares by object class and pending requests and
        // sessions by state (docs/custody.md): equality indexes on both, as on the embedded server.
        String database = new OpenLdapConfiguration(OpenLdapSettings.of("dc=example,dc=com",
                "uid=kms-agent,ou=KMS,dc=example,dc=com"), PASSWORDS, new SecureRandom()).files()
                .get(OpenLdapConfiguration.DATABASE_FILE);
        assertTrue(database.contains("olcDbIndex: objectClass eq\n"), database);
        assertTrue(database.contains("olcDbIndex: kmsRecoveryState eq\n"), database);
        assertTrue(database.contains("olcDbIndex: kmsClaimedBy pres\n"), database);
    }

    @Test
    void passwordsAreSaltedHashesThatCheck() throws Exception {
        OpenLdapConfiguration configuration = new OpenLdapConfiguration(OpenLdapSettings.of("dc=example,dc=com",
                "uid=kms-agent,ou=KMS,dc=example,dc=com"), PASSWORDS, new SecureRandom());
        String bootstrap = configuration.files().get(OpenLdapConfiguration.BOOTSTRAP_FILE);
        assertFalse(bootstrap.contains("agent-secret-1") || bootstrap.contains("admin-secret-2"), bootstrap);
        String agent = entry(bootstrap, "uid=kms-agent,ou=KMS,dc=example,dc=com");
        String encoded = agent.lines().filter(l -> l.startsWith("userPassword:: ")).findFirst().orElseThrow()
                .substring("userPassword:: ".length());
        String hash = new String(Base64.getDecoder().decode(encoded), StandardCharsets.UTF_8);
        assertTrue(hash.startsWith("{SSHA}"), hash);
        byte[] digestAndSalt = Base64.getDecoder().decode(hash.substring("{SSHA}".length()));
        byte[] salt = Arrays.copyOfRange(digestAndSalt, 20, digestAndSalt.length);
        MessageDigest sha1 = MessageDigest.getInstance("SHA-1");
        sha1.update("agent-secret-1".getBytes(StandardCharsets.UTF_8));
        sha1.update(salt);
        assertArrayEquals(sha1.digest(), Arrays.copyOf(digestAndSalt, 20));
        String readme = configuration.files().get(OpenLdapConfiguration.README_FILE);
        assertFalse(readme.contains("-secret-"), readme);
        assertFalse(PASSWORDS.toString().contains("-secret-"), PASSWORDS.toString());
    }

    @Test
    void replicatedProvidersSyncFromEachPeerAsTheReplicator() throws Exception {
        OpenLdapSettings settings = OpenLdapSettings.of("dc=example,dc=com", "uid=kms-agent,ou=KMS,dc=example,dc=com")
                .withReplication(2, List.of("ldap://ldap1.example.com", "ldap://ldap3.example.com:3389"),
                        "/etc/ldap/ca.pem");
        Map<String, String> files = new OpenLdapConfiguration(settings, PASSWORDS, new SecureRandom()).files();
        assertTrue(files.get(OpenLdapConfiguration.SERVER_ID_FILE).contains("olcServerID: 2\n"));
        String database = files.get(OpenLdapConfiguration.DATABASE_FILE);
        assertTrue(database.contains("olcSyncrepl: rid=001 provider=ldap://ldap1.example.com bindmethod=simple"
                + " binddn=\"cn=replicator,ou=KMS,dc=example,dc=com\" credentials=\"replicator-secret-3\""), database);
        assertTrue(database.contains("olcSyncrepl: rid=002 provider=ldap://ldap3.example.com:3389 "), database);
        assertTrue(database.contains("starttls=critical tls_reqcert=demand tls_cacert=\"/etc/ldap/ca.pem\""), database);
        assertTrue(database.contains("olcMultiProvider: TRUE\n"), database);
        assertTrue(database.contains("olcLimits: dn.exact=\"cn=replicator,ou=KMS,dc=example,dc=com\" size=unlimited"),
                database);
        assertThrows(IllegalArgumentException.class, () -> new OpenLdapConfiguration(settings,
                OpenLdapConfiguration.IdentityPasswords.none(), new SecureRandom()));
        assertThrows(IllegalArgumentException.class, () -> new OpenLdapConfiguration(settings,
                new OpenLdapConfiguration.IdentityPasswords(Optional.empty(), Optional.empty(), Optional.of("a\"b")),
                new SecureRandom()));
    }

    @Test
    void settingsSlapdCouldNotUseAreRefusedByName() {
        assertMessage("is not below the suffix", () -> OpenLdapSettings.of("dc=example,dc=com", "uid=agent,dc=other"));
        assertMessage("is not a DN", () -> OpenLdapSettings.of("not a dn", "uid=agent,dc=other"));
        assertMessage("this server's id", () -> new OpenLdapSettings("dc=example,dc=com", "uid=a,dc=example,dc=com",
                "cn=d,dc=example,dc=com", OpenLdapSettings.LDAPI_ROOT, 2, "/var/lib/ldap/x", OptionalInt.empty(),
                List.of("ldap://peer"), Optional.of("/ca.pem")));
        assertMessage("ldap://HOST:PORT", () -> new OpenLdapSettings("dc=example,dc=com", "uid=a,dc=example,dc=com",
                "cn=d,dc=example,dc=com", OpenLdapSettings.LDAPI_ROOT, 2, "/var/lib/ldap/x", OptionalInt.of(1),
                List.of("ldaps://peer"), Optional.of("/ca.pem")));
        assertMessage("absolute path", () -> new OpenLdapSettings("dc=example,dc=com", "uid=a,dc=example,dc=com",
                "cn=d,dc=example,dc=com", OpenLdapSettings.LDAPI_ROOT, 2, "db", OptionalInt.empty(), List.of(),
                Optional.empty()));
        assertMessage("named by cn= or uid=", () -> new OpenLdapConfiguration(OpenLdapSettings.of("dc=example,dc=com",
                "ou=agent,dc=example,dc=com"), PASSWORDS, new SecureRandom()).files());
    }

    private static void assertMessage(String expected, org.junit.jupiter.api.function.Executable action) {
        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class, action);
        assertTrue(refused.getMessage().contains(expected), refused.getMessage());
    }

    /** The LDIF record of {@code dn} in {@code ldif}. */
    private static String entry(String ldif, String dn) {
        for (String record : ldif.split("\n\n")) {
            if (record.contains("dn: " + dn + "\n")) {
                return record;
            }
        }
        throw new AssertionError("no entry " + dn + " in\n" + ldif);
    }
}
