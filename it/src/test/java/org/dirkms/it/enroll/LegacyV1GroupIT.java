package org.dirkms.it.enroll;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.apache.directory.ldap.client.api.LdapNetworkConnection;
import org.dirkms.agent.enroll.KmsAgent;
import org.dirkms.dist.AgentServeSetup;
import org.dirkms.dist.CaServeSetup;
import org.dirkms.ds.server.DirectoryServer;
import org.dirkms.ds.server.ServerSettings;
import org.dirkms.it.support.AgentProgress;
import org.dirkms.it.support.LdapTools;
import org.dirkms.it.support.People;
import org.dirkms.it.support.ProjectFiles;
import org.dirkms.it.support.Staff;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The KMS as the certification authority of older clients: a KMS administrator creates the
 * sample group {@code ldif/samples/12-create-legacy-v1-group.ldif} ({@code kmsCertificateFormat:
 * x509v1}), a user of that group is enrolled by {@code dirkms serve}, and both of the user's
 * certificates are X.509 version 1 without extensions, for two different keys, verified by
 * {@code openssl verify} against the CA, and found by a mail client's look-up by address. The
 * directory refuses a value of the option it does not know, and anyone but a KMS administrator
 * writing it.
 */
class LegacyV1GroupIT {
    private static final String MAIL = "old.client@example.com";
    private static final String GROUP = "cn=Legacy Clients,ou=Administrative Groups,dc=example,dc=com";

    @TempDir
    static Path data;

    @TempDir
    static Path work;

    private static DirectoryServer server;
    private static KmsAgent agent;
    private static LdapTools superuser;
    private static LdapTools kmsAdministrator;
    private static String userDn;

    @BeforeAll
    static void enrollAUserOfTheLegacyGroup() throws Exception {
        CaServeSetup.Serving serving = CaServeSetup.startServing(ServerSettings.forTests(data), Clock.systemUTC(),
                new SecureRandom());
        server = serving.server();
        agent = AgentServeSetup.start(serving);
        String suffix = server.layout().suffix();
        superuser = LdapTools.against(server.ldapUrl(), server.tlsCertificateFile())
                .asWithPasswordFile(server.adminDn(), server.adminPasswordFile());
        superuser.modifyFile(ProjectFiles.file("ldif/samples/25-add-kms-people.ldif")).assertSuccess();
        String alice = "uid=alice,ou=People," + suffix;
        Staff.giveRole(server, "kms-administrators", alice);
        kmsAdministrator = LdapTools.against(server.ldapUrl(), server.tlsCertificateFile())
                .as(alice, "alice-sample-password-change-me");
        kmsAdministrator.modifyFile(ProjectFiles.file("ldif/samples/12-create-legacy-v1-group.ldif")).assertSuccess();
        userDn = "uid=oldclient,ou=People," + suffix;
        People.addAndEnroll(superuser, kmsAdministrator, "dn: " + userDn + "\nchangetype: add\n"
                + "objectClass: inetOrgPerson\nobjectClass: kmsUser\nuid: oldclient\ncn: Old Client\nsn: Client\n"
                + "mail: " + MAIL + "\nkmsAdministrativeGroup: " + GROUP + "\nkmsEnrollmentState: requested\n");
        try (LdapNetworkConnection connection = serving.kms().openConnection(Duration.ofSeconds(30).toMillis())) {
            AgentProgress.awaitEnrolled(connection, userDn);
        }
    }

    @AfterAll
    static void stop() throws Exception {
        if (agent != null) {
            agent.close();
        }
        if (server != null) {
            server.close();
        }
    }

    @Test
    void theUsersCertificatesAreVersionOneAndVerifyAgainstTheCa() throws Exception {
        LdapTools.requireTool("openssl", "openssl");
        // A mail client's look-up: anonymous, by address, the certificates of the entry.
        String found = LdapTools.against(server.ldapUrl(), server.tlsCertificateFile()).anonymous()
                .searchRaw("-LLL", "-o", "ldif-wrap=no", "-b", server.layout().suffix(), "(mail=" + MAIL + ")",
                        "userCertificate;binary").assertSuccess().stdout();
        assertTrue(found.startsWith("dn: " + userDn + "\n"), found);
        List<X509Certificate> certificates = new ArrayList<>();
        for (String line : found.lines().toList()) {
            if (line.startsWith("userCertificate:: ") || line.startsWith("userCertificate;binary:: ")) {
                certificates.add((X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(
                        new ByteArrayInputStream(Base64.getDecoder().decode(line.substring(line.indexOf(":: ") + 3)))));
            }
        }
        assertEquals(2, certificates.size(), found);
        assertNotEquals(certificates.get(0).getPublicKey(), certificates.get(1).getPublicKey(),
                "two key pairs: one to sign, one to encrypt");
        Path ca = server.dataFolder().caCertificate();
        for (int i = 0; i < certificates.size(); i++) {
            X509Certificate certificate = certificates.get(i);
            assertEquals(1, certificate.getVersion());
            Path file = work.resolve("user-" + i + ".pem");
            Files.writeString(file, "-----BEGIN CERTIFICATE-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'})
                    .encodeToString(certificate.getEncoded()) + "\n-----END CERTIFICATE-----\n", StandardCharsets.US_ASCII);
            String text = openssl("x509", "-in", file.toString(), "-noout", "-text");
            assertTrue(text.contains("Version: 1 (0x0)"), text);
            assertFalse(text.contains("X509v3 extensions"), text);
            assertTrue(text.contains("Subject: DC = com, DC = example, OU = People, UID = oldclient"), text);
            assertEquals(file + ": OK\n", openssl("verify", "-CAfile", ca.toString(), file.toString()));
        }
    }

    @Test
    void theDirectoryGuardsTheOption() {
        // A value the KMS does not know: constraintViolation (19), naming the values it takes.
        LdapTools.Result unknown = kmsAdministrator.modify("dn: " + GROUP + "\nchangetype: modify\n"
                + "replace: kmsCertificateFormat\nkmsCertificateFormat: x509v2\n-\n");
        assertEquals(19, unknown.exitCode(), unknown.stdout() + unknown.stderr());
        assertTrue(unknown.stderr().contains("x509v3, x509v1"), unknown.stderr());
        // The directory superuser is not a KMS administrator: administrative groups are not theirs.
        LdapTools.Result notAdministrator = superuser.modify("dn: " + GROUP + "\nchangetype: modify\n"
                + "replace: kmsCertificateFormat\nkmsCertificateFormat: x509v3\n-\n");
        assertEquals(50, notAdministrator.exitCode(), notAdministrator.stdout() + notAdministrator.stderr());
        // The KMS administrator changes it back for the group's next enrollments.
        kmsAdministrator.modify("dn: " + GROUP + "\nchangetype: modify\nreplace: kmsCertificateFormat\n"
                + "kmsCertificateFormat: x509v3\n-\n").assertSuccess();
    }

    private static String openssl(String... arguments) {
        List<String> command = new ArrayList<>(List.of("openssl"));
        command.addAll(List.of(arguments));
        LdapTools.Result result = LdapTools.run(command, Map.of(), null);
        assertEquals(0, result.exitCode(), String.join(" ", command) + ":\n" + result.stdout() + result.stderr());
        return result.stdout();
    }
}
