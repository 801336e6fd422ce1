package org.dirkms.it.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.stream.Stream;

import org.apache.directory.api.ldap.model.entry.DefaultEntry;
import org.apache.directory.ldap.client.api.LdapConnection;
import org.dirkms.ds.server.DirectoryServer;
import org.dirkms.ds.server.ServerSettings;
import org.dirkms.ds.server.ServerStartException;
import org.dirkms.it.support.LdapTools;
import org.dirkms.it.support.People;
import org.dirkms.it.support.TestDirectory;
import org.dirkms.schema.KmsSchema;
import org.dirkms.schema.ObjectClassDefinition;
import org.dirkms.schema.ObjectClassNames;
import org.dirkms.schema.DataFolder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** What the data folder keeps across restarts, and how an older folder receives a newer schema. */
class RestartIT {

    @RegisterExtension
    static final TestDirectory directory = new TestDirectory();

    @Test
    void dataCredentialsAndCertificateSurviveARestart() throws Exception {
        String user = "uid=restart-user," + directory.layout().people();
        People.addAndEnroll(directory, String.join("\n", "dn: " + user, "objectClass: inetOrgPerson",
                "objectClass: kmsUser", "uid: restart-user", "cn: Restart User", "sn: User", "mail: restart@example.com",
                "kmsEnrollmentState: requested", ""));
        String adminPassword = directory.adminPassword();
        String agentPassword = directory.agentPassword();
        byte[] certificate = Files.readAllBytes(directory.tlsCertificateFile());
        int ldapPort = directory.ldapPort();

        directory.restart();

        assertEquals(ldapPort, directory.ldapPort(), "same port after restart");
        assertEquals(adminPassword, directory.adminPassword());
        assertEquals(agentPassword, directory.agentPassword());
        assertEquals(agentPassword, Files.readString(directory.agentPasswordFile()));
        assertArrayEquals(certificate, Files.readAllBytes(directory.tlsCertificateFile()));
        LdapTools admin = LdapTools.against(directory).asAdmin();
        LdapTools.Result found = admin.withArguments("-ZZ").search(directory.layout().people(),
                "(&(mail=restart@example.com)(kmsEnrollmentState=requested))", "uid").assertSuccess();
        assertTrue(found.stdout().contains("uid: restart-user"), found.stdout());
        LdapTools.against(directory).asAgent().whoami().assertSuccess();
        // The bootstrap is not loaded twice: a bootstrap entry the administrator deleted stays
        // deleted (ou=People: the least KMS-specific one).
        admin.delete(user, directory.layout().people()).assertSuccess();
        directory.restart();
        assertEquals(32, LdapTools.against(directory).asAdmin()
                .search(directory.layout().people(), "(objectClass=*)", "-s", "base").exitCode(), "noSuchObject");
    }

    @Test
    void aSchemaElementMissingFromTheDataFolderIsAddedAtStart() throws Exception {
        ObjectClassDefinition last = KmsSchema.objectClasses().get(KmsSchema.objectClasses().size() - 1);
        directory.restart(data -> {
            // What a data folder made by a version without this object class looks like.
            Path file = findSchemaFile(data, last.oid());
            Files.delete(file);
        });
        LdapTools.Result schema = LdapTools.against(directory).anonymous().searchRaw("-LLL", "-o", "ldif-wrap=no",
                "-s", "base", "-b", "cn=schema", "(objectClass=subschema)", "objectClasses").assertSuccess();
        assertTrue(schema.stdout().contains("NAME '" + last.name() + "'"), schema.stdout());
        // Registered in the server's schema manager too, not only listed: the file is back.
        assertTrue(Files.exists(findSchemaFile(directory.dataDirectory(), last.oid())));
        assertTrue(directory.server().directoryService().getSchemaManager().getObjectClassRegistry()
                .contains(last.name()));
    }

    @Test
    void anObjectClassTheDataFolderKnowsWithFewerAttributesMayHoldTheNewOnesAfterAStart() throws Exception {
        ObjectClassDefinition request = KmsSchema.objectClasses().stream()
                .filter(objectClass -> objectClass.name().equals(ObjectClassNames.RECOVERY_REQUEST)).findFirst()
                .orElseThrow();
        directory.restart(data -> {
            // What a data folder made by a version whose recovery requests held no claim looks like.
            Path file = findSchemaFile(data, request.oid());
            String older = Files.readString(file).replaceAll("(?im)^m-may: (kmsClaimedBy|kmsLeaseExpires)\\R", "");
            assertFalse(older.toLowerCase(Locale.ROOT).contains("kmsclaimedby"), older);
            Files.writeString(file, older);
        });
        assertTrue(directory.server().directoryService().getSchemaManager().getObjectClassRegistry()
                .lookup(request.name()).getMayAttributeTypes().stream().anyMatch(type -> type.getOid().equals(
                        KmsSchema.attributeType("kmsClaimedBy").orElseThrow().oid())), "kmsRecoveryRequest may hold"
                                + " kmsClaimedBy again");
        // And an entry of the class holds it.
        LdapTools.Result added = LdapTools.against(directory).asAgent().add("dn: cn=widened,"
                + directory.layout().recoveryRequests() + "\nobjectClass: kmsRecoveryRequest\ncn: widened\n"
                + "kmsRecoveryTarget: " + directory.layout().people() + "\nkmsClaimedBy: an attempt\n"
                + "kmsLeaseExpires: 20300101000000Z\n");
        added.assertSuccess();
    }

    @Test
    void anAttributeTypeTheDataFolderKnowsAsSingleValuedMayHoldSeveralValuesAfterAStart() throws Exception {
        String keyPackage = KmsSchema.attributeType("kmsKeyPackage").orElseThrow().oid();
        directory.restart(data -> {
            // What a data folder made by a version whose key package held one value looks like.
            Path file = findSchemaFile(data, keyPackage);
            String stored = Files.readString(file);
            String older = stored.replaceFirst("(?im)^m-singlevalue: FALSE$", "m-singlevalue: TRUE");
            assertTrue(older.contains("m-singlevalue: TRUE"), stored);
            Files.writeString(file, older);
        });
        assertFalse(directory.server().directoryService().getSchemaManager().getAttributeTypeRegistry()
                .lookup(keyPackage).isSingleValued(), "kmsKeyPackage holds several values again");
        // And an entry holds two.
        String dn = "uid=widened," + directory.layout().suffix();
        LdapTools.against(directory).asAdmin().add("dn: " + dn + "\nobjectClass: inetOrgPerson\nuid: widened\n"
                + "cn: Widened\nsn: Widened\n").assertSuccess();
        LdapTools.against(directory).asKmsAdministrator().modify("dn: " + dn + "\nchangetype: modify\n"
                + "add: objectClass\nobjectClass: kmsUser\n-\n").assertSuccess();
        LdapTools.against(directory).asAgent().modify("dn: " + dn + "\nchangetype: modify\nreplace: kmsKeyPackage\n"
                + "kmsKeyPackage: first\nkmsKeyPackage: second\n-\n").assertSuccess();
    }

    @Test
    void aDataFolderInUseIsRefusedAndSoIsAnotherSuffix() throws Exception {
        ServerSettings same = directory.server().settings().withPorts(0, 0);
        ServerStartException inUse = assertThrows(ServerStartException.class, () -> DirectoryServer.start(same));
        assertTrue(inUse.getMessage().contains("is in use by another running dirkms server"), inUse.getMessage());
        // The running server did not notice.
        LdapTools.against(directory).asAdmin().whoami().assertSuccess();

        directory.restart(data -> {
            ServerSettings other = same.withSuffix("o=Elsewhere");
            ServerStartException refused = assertThrows(ServerStartException.class, () -> DirectoryServer.start(other));
            assertTrue(refused.getMessage().contains("serves the suffix 'dc=example,dc=com', not 'o=Elsewhere'"),
                    refused.getMessage());
        });
        LdapTools.against(directory).asAdmin().whoami().assertSuccess();
    }

    private static Path findSchemaFile(Path data, String oid) throws Exception {
        try (Stream<Path> files = Files.walk(DataFolder.of(data).schemaPartition())) {
            Path file = files.filter(path -> path.getFileName().toString().toLowerCase(Locale.ROOT)
                    .equals("m-oid=" + oid + ".ldif")).findFirst().orElse(null);
            assertFalse(file == null, "schema file of " + oid + " not found under " + data);
            return file;
        }
    }
}
