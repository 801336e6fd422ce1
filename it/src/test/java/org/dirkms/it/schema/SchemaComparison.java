package org.dirkms.it.schema;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.text.ParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import org.apache.directory.api.ldap.model.exception.LdapException;
import org.apache.directory.api.ldap.model.entry.Attribute;
import org.apache.directory.api.ldap.model.entry.Entry;
import org.apache.directory.api.ldap.model.entry.Value;
import org.apache.directory.api.ldap.model.ldif.LdifEntry;
import org.apache.directory.api.ldap.model.ldif.LdifReader;
import org.apache.directory.api.ldap.model.schema.AttributeType;
import org.apache.directory.api.ldap.model.schema.ObjectClass;
import org.apache.directory.api.ldap.model.schema.UsageEnum;
import org.apache.directory.api.ldap.model.schema.parsers.AttributeTypeDescriptionSchemaParser;
import org.apache.directory.api.ldap.model.schema.parsers.ObjectClassDescriptionSchemaParser;
import org.dirkms.schema.AttributeTypeDefinition;
import org.dirkms.schema.KmsSchema;
import org.dirkms.schema.ObjectClassDefinition;

/**
 * Compares what a server publishes in its subschema subentry (RFC 4512 section 4.2) with
 * {@link KmsSchema}. Descriptions are parsed with the Apache LDAP API, so that a server's own
 * spelling (extensions such as {@code X-SCHEMA}, spacing, the order of MUST and MAY) does not
 * matter while every property that changes behaviour does. Descriptors are compared without
 * case (RFC 4512 section 2.5).
 */
final class SchemaComparison {

    private SchemaComparison() {
    }

    /** What matters of an attribute type. */
    record AttributeView(String oid, List<String> names, String description, String syntax, String equality,
            String ordering, String substring, boolean singleValued, String superior, String usage,
            boolean collective, boolean obsolete, boolean userModifiable) {
    }

    /** What matters of an object class. */
    record ObjectClassView(String oid, List<String> names, String description, Set<String> superiors, String kind,
            Set<String> must, Set<String> may, boolean obsolete) {
    }

    static Map<String, AttributeView> expectedAttributeTypes() {
        Map<String, AttributeView> views = new TreeMap<>();
        for (AttributeTypeDefinition type : KmsSchema.attributeTypes()) {
            views.put(type.oid(), new AttributeView(type.oid(), List.of(lower(type.name())), type.description(),
                    type.syntax().oid(), lower(type.syntax().equality()), lower(type.syntax().ordering()),
                    lower(type.syntax().substring()), type.singleValued(), null, UsageEnum.USER_APPLICATIONS.name(),
                    false, false, true));
        }
        return views;
    }

    static Map<String, ObjectClassView> expectedObjectClasses() {
        Map<String, ObjectClassView> views = new TreeMap<>();
        for (ObjectClassDefinition objectClass : KmsSchema.objectClasses()) {
            views.put(objectClass.oid(), new ObjectClassView(objectClass.oid(), List.of(lower(objectClass.name())),
                    objectClass.description(), Set.of(lower(objectClass.superior())), objectClass.kind().name(),
                    lowerSet(objectClass.must()), lowerSet(objectClass.may()), false));
        }
        return views;
    }

    /** The KMS attribute types (OIDs under the project arc) among {@code descriptions}, by OID. */
    static Map<String, AttributeView> kmsAttributeTypes(List<String> descriptions) throws ParseException {
        AttributeTypeDescriptionSchemaParser parser = new AttributeTypeDescriptionSchemaParser();
        Map<String, AttributeView> views = new TreeMap<>();
        for (String description : descriptions) {
            if (!description.contains(KmsSchema.OID_ARC + ".")) {
                continue;
            }
            AttributeType type = parser.parse(description);
            AttributeView view = new AttributeView(type.getOid(), lower(type.getNames()), type.getDescription(),
                    type.getSyntaxOid(), lower(type.getEqualityOid()), lower(type.getOrderingOid()),
                    lower(type.getSubstringOid()), type.isSingleValued(), lower(type.getSuperiorOid()),
                    type.getUsage().name(), type.isCollective(), type.isObsolete(), type.isUserModifiable());
            assertEquals(null, views.put(view.oid(), view), view.oid() + " is published twice");
        }
        return views;
    }

    /** The KMS object classes among {@code descriptions}, by OID. */
    static Map<String, ObjectClassView> kmsObjectClasses(List<String> descriptions) throws ParseException {
        ObjectClassDescriptionSchemaParser parser = new ObjectClassDescriptionSchemaParser();
        Map<String, ObjectClassView> views = new TreeMap<>();
        for (String description : descriptions) {
            if (!description.contains(KmsSchema.OID_ARC + ".")) {
                continue;
            }
            ObjectClass objectClass = parser.parse(description);
            ObjectClassView view = new ObjectClassView(objectClass.getOid(), lower(objectClass.getNames()),
                    objectClass.getDescription(), lowerSet(objectClass.getSuperiorOids()),
                    objectClass.getType().name(), lowerSet(objectClass.getMustAttributeTypeOids()),
                    lowerSet(objectClass.getMayAttributeTypeOids()), objectClass.isObsolete());
            assertEquals(null, views.put(view.oid(), view), view.oid() + " is published twice");
        }
        return views;
    }

    /**
     * Asserts that the subschema entry {@code ldif} (as printed by {@code ldapsearch -LLL})
     * publishes every KMS attribute type and object class exactly as {@link KmsSchema} defines it.
     */
    static void assertSubschemaMatches(String server, String ldif) throws LdapException, ParseException {
        List<LdifEntry> entries;
        try (LdifReader reader = new LdifReader()) {
            entries = reader.parseLdif(ldif);
        } catch (java.io.IOException e) {
            throw new AssertionError("closing an in-memory LDIF reader failed", e);
        }
        assertEquals(1, entries.size(), server + ": one subschema entry expected in\n" + ldif);
        Entry subschema = entries.get(0).getEntry();
        assertSameDefinitions(server + " attribute types", expectedAttributeTypes(),
                kmsAttributeTypes(values(subschema, "attributeTypes")));
        assertSameDefinitions(server + " object classes", expectedObjectClasses(),
                kmsObjectClasses(values(subschema, "objectClasses")));
    }

    /**
     * Asserts {@code actual} equals {@code expected}, naming only the definitions that differ,
     * are missing or are extra, so that a failure reads as a short list rather than two maps.
     */
    static <V> void assertSameDefinitions(String what, Map<String, V> expected, Map<String, V> actual) {
        StringBuilder differences = new StringBuilder();
        for (Map.Entry<String, V> definition : expected.entrySet()) {
            V found = actual.get(definition.getKey());
            if (found == null) {
                differences.append("\n  missing: ").append(definition.getValue());
            } else if (!found.equals(definition.getValue())) {
                differences.append("\n  expected: ").append(definition.getValue())
                        .append("\n  but got:  ").append(found);
            }
        }
        for (Map.Entry<String, V> definition : actual.entrySet()) {
            if (!expected.containsKey(definition.getKey())) {
                differences.append("\n  unexpected: ").append(definition.getValue());
            }
        }
        if (differences.length() > 0) {
            throw new AssertionError(what + " differ from KmsSchema:" + differences);
        }
    }

    /**
     * The ApacheDS schema ({@code X-SCHEMA} extension) each KMS definition of the subschema
     * entry {@code ldif} was filed in, over attribute types and object classes together.
     */
    static Set<String> apacheDsSchemasOfKmsDefinitions(String ldif) throws LdapException, ParseException {
        Entry subschema;
        try (LdifReader reader = new LdifReader()) {
            subschema = reader.parseLdif(ldif).get(0).getEntry();
        } catch (java.io.IOException e) {
            throw new AssertionError("closing an in-memory LDIF reader failed", e);
        }
        Set<String> schemas = new TreeSet<>();
        AttributeTypeDescriptionSchemaParser typeParser = new AttributeTypeDescriptionSchemaParser();
        for (String description : values(subschema, "attributeTypes")) {
            if (description.contains(KmsSchema.OID_ARC + ".")) {
                schemas.addAll(xSchema(typeParser.parse(description).getExtension("X-SCHEMA")));
            }
        }
        ObjectClassDescriptionSchemaParser classParser = new ObjectClassDescriptionSchemaParser();
        for (String description : values(subschema, "objectClasses")) {
            if (description.contains(KmsSchema.OID_ARC + ".")) {
                schemas.addAll(xSchema(classParser.parse(description).getExtension("X-SCHEMA")));
            }
        }
        return schemas;
    }

    /** A definition without the extension is reported as "(none)", so that it shows in a failure. */
    private static List<String> xSchema(List<String> values) {
        return values == null || values.isEmpty() ? List.of("(none)") : values;
    }

    static List<String> values(Entry entry, String attribute) {
        List<String> strings = new ArrayList<>();
        Attribute values = entry.get(attribute);
        if (values != null) {
            for (Value value : values) {
                strings.add(value.getString());
            }
        }
        return strings;
    }

    private static String lower(String text) {
        return text == null ? null : text.toLowerCase(Locale.ROOT);
    }

    private static List<String> lower(List<String> texts) {
        return texts.stream().map(SchemaComparison::lower).toList();
    }

    private static Set<String> lowerSet(List<String> texts) {
        Set<String> set = new TreeSet<>();
        texts.forEach(text -> set.add(lower(text)));
        return set;
    }
}
