package org.dirkms.it.schema;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;

import org.apache.directory.api.ldap.model.entry.Entry;
import org.apache.directory.server.annotations.CreateLdapServer;
import org.apache.directory.server.annotations.CreateTransport;
import org.apache.directory.server.core.annotations.CreateDS;
import org.apache.directory.server.core.integ.AbstractLdapTestUnit;
import org.apache.directory.server.core.integ.ApacheDSTestExtension;
import org.dirkms.schema.AttributeNames;
import org.dirkms.schema.EnrollmentState;
import org.dirkms.schema.KmsSchema;
import org.dirkms.schema.ObjectClassNames;
import org.dirkms.schema.SchemaForms;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A plain ApacheDS, without the KMS schema, accepts the committed RFC 4512 form
 * ({@code ldif/schema/dirkms-rfc4512.ldif}) from the Debian {@code ldapmodify} as a
 * modification of its subschema subentry, then publishes every KMS definition exactly as
 * {@link KmsSchema} defines it and stores a KMS user.
 */
@ExtendWith(ApacheDSTestExtension.class)
@CreateDS(name = "ApacheDsRfc4512SchemaIT")
@CreateLdapServer(transports = @CreateTransport(protocol = "LDAP", address = "127.0.0.1"))
class ApacheDsRfc4512SchemaIT extends AbstractLdapTestUnit {

    @TempDir
    Path work;

    @Test
    void ldapmodifyAppliesTheRfc4512FormAndCnSchemaPublishesKmsSchema() throws Exception {
        LdapCommandLine ldap = ApacheDsSchemaSupport.adminCommandLine(work, classLdapServer.getPort());
        assertEquals(List.of(), ApacheDsSchemaSupport.kmsNamesIn(ldap),
                "the server must start without the KMS schema, or the test proves nothing");

        Path form = OpenLdapSchemaIT.projectRoot().resolve("ldif/schema").resolve(SchemaForms.RFC4512_FILE);
        ldap.modifyFile(form).assertSuccess();

        SchemaComparison.assertSubschemaMatches("ApacheDS after ldapmodify of " + SchemaForms.RFC4512_FILE,
                ApacheDsSchemaSupport.subschema(ldap));
        // ApacheDS files definitions added through cn=schema without an X-SCHEMA extension in
        // its catch-all schema "other" (the ApacheDS form, by contrast, makes a schema "dirkms").
        assertEquals(java.util.Set.of("other"),
                SchemaComparison.apacheDsSchemasOfKmsDefinitions(ApacheDsSchemaSupport.subschema(ldap)));
        ApacheDsSchemaSupport.assertKmsUserCanBeStored(ldap);

        // A second application is refused as a whole, and changes nothing.
        ExternalTool.Result again = ldap.modifyFile(form);
        assertTrue(again.exitCode() != 0, "adding the same definitions twice must fail, but ldapmodify exited with "
                + again.exitCode() + ": " + again.stderr());
        SchemaComparison.assertSubschemaMatches("ApacheDS after a refused second ldapmodify",
                ApacheDsSchemaSupport.subschema(ldap));
        Entry user = ApacheDsSchemaSupport.readUser(ldap);
        assertTrue(user.contains(AttributeNames.OBJECT_CLASS, ObjectClassNames.KMS_USER));
        assertEquals(EnrollmentState.REQUESTED.ldapValue(), user.get(AttributeNames.ENROLLMENT_STATE).getString());
    }
}
