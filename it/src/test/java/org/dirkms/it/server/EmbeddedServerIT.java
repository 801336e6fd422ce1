package org.dirkms.it.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ConnectException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.apache.directory.api.ldap.model.entry.Attribute;
import org.apache.directory.api.ldap.model.entry.Entry;
import org.apache.directory.api.ldap.model.entry.Value;
import org.apache.directory.api.ldap.model.exception.LdapAuthenticationException;
import org.apache.directory.ldap.client.api.LdapConnection;
import org.apache.directory.ldap.client.api.LdapNetworkConnection;
import org.apache.directory.server.protocol.shared.transport.Transport;
import org.dirkms.ds.guard.KmsInterceptor;
import org.dirkms.it.support.LdapTools;
import org.dirkms.it.support.TestDirectory;
import org.dirkms.schema.AttributeTypeDefinition;
import org.dirkms.schema.DirectoryLayout;
import org.dirkms.schema.KmsSchema;
import org.dirkms.schema.ObjectClassDefinition;
import org.dirkms.schema.DataFolder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * One embedded server with the default settings, checked with the OpenLDAP clients, openssl and
 * the Apache LDAP API: where it listens, its schema, its bootstrap tree, its credentials, TLS.
 */
class EmbeddedServerIT {

    @RegisterExtension
    static final TestDirectory directory = new TestDirectory();

    private static final Pattern NAME = Pattern.compile("NAME '([^']+)'");
    private static final Pattern OID = Pattern.compile("^\\(\\s*([0-9.]+)\\s");

    @Test
    void listensOnLoopbackOnly() throws IOException {
        for (Transport transport : directory.server().ldapServer().getTransports()) {
            InetSocketAddress bound = (InetSocketAddress) transport.getAcceptor().getLocalAddress();
            assertTrue(bound.getAddress().isLoopbackAddress(), "listener bound to " + bound);
        }
        // From outside loopback, on every other address of this machine, nothing answers.
        for (InetAddress address : nonLoopbackAddresses()) {
            for (int port : List.of(directory.ldapPort(), directory.ldapsPort())) {
                try (Socket socket = new Socket()) {
                    assertThrows(ConnectException.class,
                            () -> socket.connect(new InetSocketAddress(address, port), 2000),
                            "port " + port + " answers on " + address);
                }
            }
        }
        LdapTools.against(directory).anonymous()
                .searchRaw("-LLL", "-s", "base", "-b", "", "(objectClass=*)", "namingContexts").assertSuccess();
    }

    @Test
    void kmsInterceptorSitsRightAfterTheSchemaInterceptor() {
        List<String> chain = directory.server().directoryService().getInterceptors().stream()
                .map(interceptor -> interceptor.getName()).toList();
        int schema = chain.indexOf("schemaInterceptor");
        assertTrue(schema >= 0, chain.toString());
        assertEquals(KmsInterceptor.NAME, chain.get(schema + 1), chain.toString());
        assertSame(directory.server().kmsInterceptor(), directory.server().directoryService()
                .getInterceptor(KmsInterceptor.NAME));
        assertEquals(directory.dataFolder().audit(), directory.server().kmsInterceptor().auditDirectory());
        assertFalse(directory.server().directoryService().isAccessControlEnabled(), "the guard owns access control");
    }

    @Test
    void subschemaListsEveryKmsElement() throws Exception {
        // Over the wire with ldapsearch: RFC 4512 section 4.4, the subschema subentry.
        LdapTools.Result result = LdapTools.against(directory).anonymous()
                .searchRaw("-LLL", "-o", "ldif-wrap=no", "-s", "base", "-b", "cn=schema", "(objectClass=subschema)",
                        "attributeTypes", "objectClasses").assertSuccess();
        Map<String, String> wireTypes = definitions(result.stdout(), "attributeTypes");
        Map<String, String> wireClasses = definitions(result.stdout(), "objectClasses");
        for (AttributeTypeDefinition type : KmsSchema.attributeTypes()) {
            assertEquals(type.oid(), wireTypes.get(type.name().toLowerCase(Locale.ROOT)),
                    "attribute type " + type.name() + " in cn=schema");
        }
        for (ObjectClassDefinition objectClass : KmsSchema.objectClasses()) {
            assertEquals(objectClass.oid(), wireClasses.get(objectClass.name().toLowerCase(Locale.ROOT)),
                    "object class " + objectClass.name() + " in cn=schema");
        }
        // And with the Java client, through its own schema parser.
        try (LdapConnection connection = directory.adminConnection()) {
            connection.loadSchema();
            for (AttributeTypeDefinition type : KmsSchema.attributeTypes()) {
                assertEquals(type.oid(), connection.getSchemaManager().getAttributeType(type.name()).getOid());
                assertEquals(type.singleValued(),
                        connection.getSchemaManager().getAttributeType(type.name()).isSingleValued(), type.name());
            }
            for (ObjectClassDefinition objectClass : KmsSchema.objectClasses()) {
                assertEquals(objectClass.oid(),
                        connection.getSchemaManager().getObjectClassRegistry().lookup(objectClass.name()).getOid());
            }
        }
    }

    @Test
    void bootstrapTreeExists() throws Exception {
        DirectoryLayout layout = directory.layout();
        List<String> expected = List.of(layout.suffix(), layout.people(), layout.groups(),
                layout.kmsAdministratorsGroup(), layout.recoveryAgentsGroup(), layout.kmsAgentsGroup(),
                layout.administrativeGroups(), layout.defaultAdministrativeGroup(), layout.kms(),
                layout.kmsAgentIdentity(), layout.servers(), layout.certificationAuthorities(),
                layout.certificateTemplates(), layout.requests(), layout.keyArchive(), layout.recoveryRequests(),
                layout.trust(), layout.audit());
        LdapTools.Result result = LdapTools.against(directory).asAdmin()
                .search(layout.suffix(), "(objectClass=*)", "1.1").assertSuccess();
        Set<String> found = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);
        for (String line : result.stdout().split("\n")) {
            if (line.startsWith("dn: ")) {
                found.add(line.substring(4));
            }
        }
        for (String dn : expected) {
            assertTrue(found.contains(dn), dn + " missing from:\n" + result.stdout());
        }
        try (LdapConnection connection = directory.adminConnection()) {
            Entry group = connection.lookup(layout.defaultAdministrativeGroup(), "*");
            assertEquals("TRUE", group.get("kmsDefaultGroup").getString());
            assertEquals("RSA-2048", group.get("kmsKeyAlgorithm").getString());
            assertEquals("AES-256-CBC", group.get("kmsContentEncryptionAlgorithm").getString());
            assertEquals("S/MIME-3.2", group.get("kmsMessageFormat").getString());
            assertEquals("pbes2-aes-256", group.get("kmsPackageFormat").getString());
            String server = group.get("kmsAssignedServer").getString();
            assertEquals("cn=default," + layout.servers(), server);
            assertEquals(layout.kmsAgentIdentity(), connection.lookup(server, "kmsAgentIdentity")
                    .get("kmsAgentIdentity").getString());
            Attribute agents = connection.lookup(layout.kmsAgentsGroup(), "member").get("member");
            assertTrue(agents.contains(layout.kmsAgentIdentity()), agents.toString());
            assertTrue(connection.lookup(layout.kmsAgentIdentity()).hasObjectClass("inetOrgPerson"));
        }
    }

    @Test
    void generatedCredentialsAreOwnerOnlyAndTheDefaultPasswordFails() throws Exception {
        DataFolder data = directory.dataFolder();
        for (Path secret : List.of(directory.adminPasswordFile(), directory.agentPasswordFile(),
                data.tlsKeyStore(), data.tlsKeyStorePassphrase())) {
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(secret)), secret.toString());
        }
        assertTrue(directory.adminPassword().length() >= 22, "at least 128 bits in Base64");
        assertNotEquals(directory.adminPassword(), directory.agentPassword());

        LdapTools tools = LdapTools.against(directory);
        LdapTools.Result secret = tools.as(directory.adminDn(), "secret").whoami();
        assertEquals(49, secret.exitCode(), secret.describe("invalidCredentials (49) for the ApacheDS default"));
        assertTrue(tools.asAdmin().whoami().assertSuccess().stdout().contains(directory.adminDn()));
        assertTrue(tools.asAgent().whoami().assertSuccess().stdout().toLowerCase(Locale.ROOT)
                .contains(directory.agentDn().toLowerCase(Locale.ROOT)));
        assertThrows(LdapAuthenticationException.class, () -> directory.connection(directory.adminDn(), "secret"));
        // The password never sits in the directory in clear, and nobody reads it over LDAP.
        Value stored = directory.server().directoryService().getAdminSession()
                .lookup(new org.apache.directory.api.ldap.model.name.Dn(directory.adminDn()), "userPassword")
                .get("userPassword").get();
        assertTrue(stored.getString().startsWith("{SSHA256}"), "stored password is hashed");
        try (LdapConnection connection = directory.adminConnection()) {
            assertNull(connection.lookup(directory.adminDn(), "userPassword").get("userPassword"));
        }
    }

    @Test
    void startTlsAndLdapsVerifyAgainstTheServerCertificate() throws Exception {
        LdapTools admin = LdapTools.against(directory).asAdmin();
        admin.withArguments("-ZZ").search(directory.layout().suffix(), "(objectClass=*)", "-s", "base")
                .assertSuccess();
        admin.url(directory.ldapsUrl()).search(directory.layout().suffix(), "(objectClass=*)", "-s", "base")
                .assertSuccess();
        // The check is real: trusting another certificate makes both fail.
        Path otherCa = Path.of("/etc/ssl/certs/ca-certificates.crt");
        assertTrue(Files.exists(otherCa), "install the Debian package ca-certificates");
        LdapTools untrusting = admin.env("LDAPTLS_CACERT", otherCa.toString());
        assertNotEquals(0, untrusting.withArguments("-ZZ").whoami().exitCode());
        assertNotEquals(0, untrusting.url(directory.ldapsUrl()).whoami().exitCode());

        // The Java client over LDAPS, trusting exactly this certificate.
        try (LdapConnection secure = directory.secureAgentConnection()) {
            assertTrue(secure.exists(directory.layout().kms()));
        }

        // openssl, independently: the LDAPS certificate verifies for the IP address 127.0.0.1.
        String openssl = LdapTools.requireTool("openssl", "openssl");
        LdapTools.Result result = LdapTools.run(List.of(openssl, "s_client", "-connect",
                "127.0.0.1:" + directory.ldapsPort(), "-CAfile", directory.tlsCertificateFile().toString(),
                "-verify_return_error", "-verify_ip", "127.0.0.1"), Map.of(), "").assertSuccess();
        assertTrue(result.stdout().contains("Verify return code: 0 (ok)"), result.stdout());
        LdapTools.Result san = LdapTools.run(List.of(openssl, "x509", "-noout", "-ext", "subjectAltName", "-in",
                directory.tlsCertificateFile().toString()), Map.of(), null).assertSuccess();
        for (String name : List.of("DNS:localhost", "IP Address:127.0.0.1", "IP Address:0:0:0:0:0:0:0:1")) {
            assertTrue(san.stdout().contains(name), name + " in " + san.stdout());
        }
    }

    @Test
    void anonymousReadIsAllowedByDefault() {
        LdapTools.against(directory).anonymous()
                .search(directory.layout().suffix(), "(objectClass=*)", "-s", "base").assertSuccess();
    }

    @Test
    void syncreplRefreshReturnsEntriesAndACookie() {
        LdapTools.Result result = LdapTools.against(directory).asAdmin()
                .searchRaw("-o", "ldif-wrap=no", "-b", directory.layout().servers(), "-E", "sync=ro", "(objectClass=*)")
                .assertSuccess();
        assertTrue(result.stdout().contains("dn: cn=default," + directory.layout().servers()), result.stdout());
        assertTrue(result.stdout().contains("# SyncState control"), result.stdout());
        assertTrue(result.stdout().contains("# cookie: "), result.stdout());
    }

    private static Map<String, String> definitions(String ldif, String attribute) {
        Map<String, String> byName = new java.util.HashMap<>();
        String prefix = attribute.toLowerCase(Locale.ROOT) + ": ";
        for (String line : ldif.split("\n")) {
            if (!line.toLowerCase(Locale.ROOT).startsWith(prefix)) {
                continue;
            }
            String description = line.substring(prefix.length());
            Matcher oid = OID.matcher(description);
            Matcher name = NAME.matcher(description);
            if (oid.find() && name.find()) {
                byName.put(name.group(1).toLowerCase(Locale.ROOT), oid.group(1));
            }
        }
        assertFalse(byName.isEmpty(), "no " + attribute + " in:\n" + ldif);
        return byName;
    }

    private static List<InetAddress> nonLoopbackAddresses() throws IOException {
        List<InetAddress> addresses = new ArrayList<>();
        for (NetworkInterface nic : Collections.list(NetworkInterface.getNetworkInterfaces())) {
            if (!nic.isUp()) {
                continue;
            }
            for (InetAddress address : Collections.list(nic.getInetAddresses())) {
                if (!address.isLoopbackAddress() && address instanceof Inet4Address) {
                    addresses.add(address);
                }
            }
        }
        assertNotNull(addresses);
        return addresses;
    }
}
