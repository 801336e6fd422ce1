package org.dirkms.it.schema;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.apache.directory.api.ldap.model.entry.Entry;
import org.apache.directory.api.ldap.model.exception.LdapException;
import org.apache.directory.api.ldap.model.ldif.LdifEntry;
import org.dirkms.schema.AttributeNames;
import org.dirkms.schema.EnrollmentState;
import org.dirkms.schema.KmsSchema;
import org.dirkms.schema.ObjectClassNames;

/** What the two ApacheDS schema ITs share: the admin's command line and a KMS user to store. */
final class ApacheDsSchemaSupport {

    /** The built-in administrator of a fresh ApacheDS (its documented default credentials). */
    private static final String ADMIN_DN = "uid=admin,ou=system";
    private static final String ADMIN_PASSWORD = "secret";
    /** ou=users,ou=system exists in every ApacheDS, so no partition has to be configured. */
    static final String USER_DN = "uid=alice,ou=users,ou=system";

    private ApacheDsSchemaSupport() {
    }

    static LdapCommandLine adminCommandLine(Path work, int port) throws IOException {
        return new LdapCommandLine(work, "ldap://127.0.0.1:" + port + "/", ADMIN_DN, ADMIN_PASSWORD);
    }

    /** ApacheDS's subschema subentry, with its attribute types and object classes. */
    static String subschema(LdapCommandLine ldap) throws IOException, InterruptedException {
        return ldap.search("cn=schema", "base", "(objectClass=subschema)", "attributeTypes", "objectClasses");
    }

    /** The KMS OIDs the server publishes now. */
    static List<String> kmsNamesIn(LdapCommandLine ldap) throws Exception {
        Entry subschema = OpenLdapSchemaIT.readLdif(subschema(ldap)).get(0).getEntry();
        List<String> found = new ArrayList<>();
        SchemaComparison.kmsAttributeTypes(SchemaComparison.values(subschema, "attributeTypes")).keySet()
                .forEach(found::add);
        SchemaComparison.kmsObjectClasses(SchemaComparison.values(subschema, "objectClasses")).keySet()
                .forEach(found::add);
        return found;
    }

    /** Adds a person with {@code kmsUser} and KMS attributes, and reads it back. */
    static void assertKmsUserCanBeStored(LdapCommandLine ldap) throws Exception {
        ldap.add("dn: " + USER_DN + "\nobjectClass: inetOrgPerson\nobjectClass: " + ObjectClassNames.KMS_USER + "\n"
                + "uid: alice\ncn: Alice Example\nsn: Example\nmail: alice@example.com\n"
                + AttributeNames.ENROLLMENT_STATE + ": " + EnrollmentState.REQUESTED.ldapValue() + "\n"
                + AttributeNames.KEY_PACKAGE_EXPIRES + ": 20261126083000Z\n").assertSuccess();
        Entry user = readUser(ldap);
        assertEquals(EnrollmentState.REQUESTED.ldapValue(), user.get(AttributeNames.ENROLLMENT_STATE).getString());
        assertEquals("20261126083000Z", user.get(AttributeNames.KEY_PACKAGE_EXPIRES).getString());
        String found = ldap.search("ou=users,ou=system", "one",
                "(" + AttributeNames.ENROLLMENT_STATE + "=" + EnrollmentState.REQUESTED.ldapValue() + ")", "1.1");
        assertEquals(List.of(USER_DN.toLowerCase()), dns(found));
        assertEquals(KmsSchema.attributeType(AttributeNames.ENROLLMENT_STATE).orElseThrow().name(),
                AttributeNames.ENROLLMENT_STATE);
    }

    static Entry readUser(LdapCommandLine ldap) throws Exception {
        List<LdifEntry> entries = OpenLdapSchemaIT.readLdif(ldap.search(USER_DN, "base", "(objectClass=*)", "*"));
        assertEquals(1, entries.size());
        return entries.get(0).getEntry();
    }

    private static List<String> dns(String ldif) throws LdapException {
        List<String> dns = new ArrayList<>();
        for (LdifEntry entry : OpenLdapSchemaIT.readLdif(ldif)) {
            dns.add(entry.getDn().getName().toLowerCase());
        }
        return dns;
    }
}
