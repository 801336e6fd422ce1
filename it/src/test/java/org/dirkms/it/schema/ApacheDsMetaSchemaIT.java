package org.dirkms.it.schema;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.List;

import org.apache.directory.server.annotations.CreateLdapServer;
import org.apache.directory.server.annotations.CreateTransport;
import org.apache.directory.server.core.annotations.CreateDS;
import org.apache.directory.server.core.integ.AbstractLdapTestUnit;
import org.apache.directory.server.core.integ.ApacheDSTestExtension;
import org.dirkms.schema.KmsSchema;
import org.dirkms.schema.SchemaForms;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A plain ApacheDS, without the KMS schema, accepts the committed ApacheDS meta-schema form
 * ({@code ldif/schema/dirkms-apacheds.ldif}) from the Debian {@code ldapadd} under
 * {@code ou=schema}, then publishes every KMS definition in {@code cn=schema} exactly as
 * {@link KmsSchema} defines it and stores a KMS user.
 */
@ExtendWith(ApacheDSTestExtension.class)
@CreateDS(name = "ApacheDsMetaSchemaIT")
@CreateLdapServer(transports = @CreateTransport(protocol = "LDAP", address = "127.0.0.1"))
class ApacheDsMetaSchemaIT extends AbstractLdapTestUnit {

    @TempDir
    Path work;

    @Test
    void ldapaddLoadsTheMetaSchemaFormAndCnSchemaPublishesKmsSchema() throws Exception {
        LdapCommandLine ldap = ApacheDsSchemaSupport.adminCommandLine(work, classLdapServer.getPort());
        assertEquals(List.of(), ApacheDsSchemaSupport.kmsNamesIn(ldap),
                "the server must start without the KMS schema, or the test proves nothing");

        Path form = OpenLdapSchemaIT.projectRoot().resolve("ldif/schema").resolve(SchemaForms.APACHEDS_FILE);
        ldap.addFile(form).assertSuccess();

        SchemaComparison.assertSubschemaMatches("ApacheDS after ldapadd of " + SchemaForms.APACHEDS_FILE,
                ApacheDsSchemaSupport.subschema(ldap));
        assertEquals(java.util.Set.of(KmsSchema.SCHEMA_NAME),
                SchemaComparison.apacheDsSchemasOfKmsDefinitions(ApacheDsSchemaSupport.subschema(ldap)),
                "every KMS definition belongs to the schema " + KmsSchema.SCHEMA_NAME);
        String schemaEntry = ldap.search("cn=" + KmsSchema.SCHEMA_NAME + ",ou=schema", "base", "(objectClass=metaSchema)",
                "m-dependencies");
        for (String dependency : KmsSchema.DEPENDENCIES) {
            assertEquals(true, schemaEntry.contains("m-dependencies: " + dependency), schemaEntry);
        }
        ApacheDsSchemaSupport.assertKmsUserCanBeStored(ldap);
    }
}
