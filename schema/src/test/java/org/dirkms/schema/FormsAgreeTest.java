package org.dirkms.schema;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.text.ParseException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.apache.directory.api.ldap.model.entry.Entry;
import org.apache.directory.api.ldap.model.entry.Modification;
import org.apache.directory.api.ldap.model.entry.ModificationOperation;
import org.apache.directory.api.ldap.model.entry.Value;
import org.apache.directory.api.ldap.model.exception.LdapException;
import org.apache.directory.api.ldap.model.exception.LdapSchemaException;
import org.apache.directory.api.ldap.model.ldif.ChangeType;
import org.apache.directory.api.ldap.model.ldif.LdifEntry;
import org.apache.directory.api.ldap.model.ldif.LdifReader;
import org.apache.directory.api.ldap.model.name.Dn;
import org.apache.directory.api.ldap.model.schema.AttributeType;
import org.apache.directory.api.ldap.model.schema.ObjectClass;
import org.apache.directory.api.ldap.model.schema.parsers.AttributeTypeDescriptionSchemaParser;
import org.apache.directory.api.ldap.model.schema.parsers.ObjectClassDescriptionSchemaParser;
import org.apache.directory.api.ldap.model.schema.parsers.OpenLdapSchemaParser;
import org.dirkms.schema.SchemaView.AttributeView;
import org.dirkms.schema.SchemaView.ObjectClassView;
import org.junit.jupiter.api.Test;

/**
 * The three forms of {@link SchemaForms} say the same as {@link KmsSchema}: each is read back
 * with the Apache LDAP API (its LDIF reader, its RFC 4512 description parsers and its OpenLDAP
 * schema parser, all independent of dirkms code) and compared definition by definition.
 */
class FormsAgreeTest {

    private final AttributeTypeDescriptionSchemaParser attributeTypeParser = new AttributeTypeDescriptionSchemaParser();
    private final ObjectClassDescriptionSchemaParser objectClassParser = new ObjectClassDescriptionSchemaParser();

    @Test
    void everyDescriptionParsesBackToItsDefinition() throws ParseException {
        for (AttributeTypeDefinition type : KmsSchema.attributeTypes()) {
            AttributeType parsed = attributeTypeParser.parse(SchemaForms.describe(type));
            assertEquals(SchemaView.of(type), SchemaView.of(parsed), type.name());
        }
        for (ObjectClassDefinition objectClass : KmsSchema.objectClasses()) {
            ObjectClass parsed = objectClassParser.parse(SchemaForms.describe(objectClass));
            assertEquals(SchemaView.of(objectClass), SchemaView.of(parsed), objectClass.name());
        }
    }

    /**
     * A second, independent parser: the descriptions as an OpenLDAP schema file
     * ({@code attributetype}/{@code objectclass} keywords before RFC 4512 descriptions), the
     * grammar of slapd's own {@code .schema} files.
     */
    @Test
    void openLdapSchemaFileParserReadsTheSameDefinitions() throws IOException, LdapSchemaException, ParseException {
        StringBuilder schemaFile = new StringBuilder();
        KmsSchema.attributeTypes().forEach(
                type -> schemaFile.append("attributetype ").append(SchemaForms.describe(type)).append("\n\n"));
        KmsSchema.objectClasses().forEach(objectClass -> schemaFile.append("objectclass ")
                .append(SchemaForms.describe(objectClass)).append("\n\n"));
        OpenLdapSchemaParser parser = new OpenLdapSchemaParser();
        // parse(InputStream) is the entry point that also publishes the parsed lists.
        parser.parse(new ByteArrayInputStream(schemaFile.toString().getBytes(StandardCharsets.UTF_8)));
        Map<String, AttributeView> attributeTypes = new LinkedHashMap<>();
        parser.getAttributeTypes().forEach(type -> attributeTypes.put(type.getOid(), SchemaView.of(type)));
        Map<String, ObjectClassView> objectClasses = new LinkedHashMap<>();
        parser.getObjectClasses().forEach(objectClass -> objectClasses.put(objectClass.getOid(),
                SchemaView.of(objectClass)));
        assertEquals(SchemaView.expectedAttributeTypes(), attributeTypes);
        assertEquals(SchemaView.expectedObjectClasses(), objectClasses);
    }

    @Test
    void rfc4512FormIsOneModifyOfCnSchemaAddingEveryDefinition() throws LdapException, ParseException {
        List<LdifEntry> records = read(SchemaForms.rfc4512Modify());
        assertEquals(1, records.size(), "one change record");
        LdifEntry change = records.get(0);
        assertEquals(new Dn("cn=schema"), change.getDn());
        assertEquals(ChangeType.Modify, change.getChangeType());
        List<Modification> modifications = change.getModifications();
        assertEquals(2, modifications.size());
        // Types first: the classes' MUST and MAY refer to them (RFC 4512 section 4.4).
        assertEquals("attributetypes", modifications.get(0).getAttribute().getUpId().toLowerCase());
        assertEquals("objectclasses", modifications.get(1).getAttribute().getUpId().toLowerCase());
        for (Modification modification : modifications) {
            assertEquals(ModificationOperation.ADD_ATTRIBUTE, modification.getOperation());
        }
        assertEquals(SchemaView.expectedAttributeTypes(), parseAttributeTypes(strings(modifications.get(0))));
        assertEquals(SchemaView.expectedObjectClasses(), parseObjectClasses(strings(modifications.get(1))));
    }

    @Test
    void openLdapFormIsOneOlcSchemaConfigEntryWithEveryDefinition() throws LdapException, ParseException {
        List<LdifEntry> records = read(SchemaForms.openLdapConfig());
        assertEquals(1, records.size(), "one entry");
        LdifEntry record = records.get(0);
        assertTrue(record.isLdifContent(), "an entry to add, not a change record");
        Entry entry = record.getEntry();
        assertEquals(new Dn("cn=" + KmsSchema.SCHEMA_NAME + ",cn=schema,cn=config"), entry.getDn());
        assertTrue(entry.contains("objectClass", "olcSchemaConfig"));
        assertEquals(KmsSchema.SCHEMA_NAME, entry.get("cn").get().getString());
        assertEquals(SchemaView.expectedAttributeTypes(), parseAttributeTypes(strings(entry, "olcAttributeTypes")));
        assertEquals(SchemaView.expectedObjectClasses(), parseObjectClasses(strings(entry, "olcObjectClasses")));
    }

    @Test
    void apacheDsFormHasTheSchemaEntryThenParentsBeforeChildrenAndEveryDefinition() throws LdapException {
        List<LdifEntry> records = read(SchemaForms.apacheDsMetaSchema(""));
        Dn schemaDn = new Dn("cn=" + KmsSchema.SCHEMA_NAME + ",ou=schema");
        Entry schema = records.get(0).getEntry();
        assertEquals(schemaDn, schema.getDn());
        assertTrue(schema.contains("objectClass", "metaSchema"));
        assertEquals(Set.copyOf(KmsSchema.DEPENDENCIES), new HashSet<>(strings(schema, "m-dependencies")));
        assertEquals("FALSE", schema.get("m-disabled").get().getString());

        Set<Dn> added = new HashSet<>();
        added.add(new Dn("ou=schema"));
        Map<String, AttributeView> attributeTypes = new LinkedHashMap<>();
        Map<String, ObjectClassView> objectClasses = new LinkedHashMap<>();
        for (LdifEntry record : records) {
            assertTrue(record.isLdifContent(), record.getDn() + " is not an entry to add");
            Entry entry = record.getEntry();
            assertTrue(added.contains(entry.getDn().getParent()), entry.getDn() + " comes before its parent");
            assertTrue(added.add(entry.getDn()), entry.getDn() + " twice");
            if (entry.contains("objectClass", "metaAttributeType")) {
                assertEquals(new Dn("ou=attributeTypes", schemaDn.toString()), entry.getDn().getParent());
                AttributeView view = SchemaView.ofMetaAttributeType(entry);
                assertEquals("m-oid=" + view.oid(), entry.getDn().getRdn().getName());
                attributeTypes.put(view.oid(), view);
            } else if (entry.contains("objectClass", "metaObjectClass")) {
                assertEquals(new Dn("ou=objectClasses", schemaDn.toString()), entry.getDn().getParent());
                ObjectClassView view = SchemaView.ofMetaObjectClass(entry);
                assertEquals("m-oid=" + view.oid(), entry.getDn().getRdn().getName());
                objectClasses.put(view.oid(), view);
            }
        }
        assertEquals(SchemaView.expectedAttributeTypes(), attributeTypes);
        assertEquals(SchemaView.expectedObjectClasses(), objectClasses);
    }

    private static List<LdifEntry> read(String ldif) throws LdapException {
        try (LdifReader reader = new LdifReader()) {
            return reader.parseLdif(ldif);
        } catch (IOException e) {
            throw new AssertionError("closing an in-memory LDIF reader failed", e);
        }
    }

    private Map<String, AttributeView> parseAttributeTypes(List<String> descriptions) throws ParseException {
        Map<String, AttributeView> views = new LinkedHashMap<>();
        for (String description : descriptions) {
            AttributeView view = SchemaView.of(attributeTypeParser.parse(description));
            assertEquals(null, views.put(view.oid(), view), view.oid() + " twice");
        }
        return views;
    }

    private Map<String, ObjectClassView> parseObjectClasses(List<String> descriptions) throws ParseException {
        Map<String, ObjectClassView> views = new LinkedHashMap<>();
        for (String description : descriptions) {
            ObjectClassView view = SchemaView.of(objectClassParser.parse(description));
            assertEquals(null, views.put(view.oid(), view), view.oid() + " twice");
        }
        return views;
    }

    private static List<String> strings(Modification modification) {
        List<String> strings = new ArrayList<>();
        for (Value value : modification.getAttribute()) {
            strings.add(value.getString());
        }
        return strings;
    }

    private static List<String> strings(Entry entry, String attribute) {
        List<String> strings = new ArrayList<>();
        for (Value value : entry.get(attribute)) {
            strings.add(value.getString());
        }
        return strings;
    }
}
