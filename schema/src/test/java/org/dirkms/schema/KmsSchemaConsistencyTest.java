package org.dirkms.schema;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

import org.apache.directory.api.ldap.model.exception.LdapException;
import org.apache.directory.api.ldap.model.schema.SchemaManager;
import org.apache.directory.api.ldap.schema.manager.impl.DefaultSchemaManager;
import org.junit.jupiter.api.Test;

/**
 * {@link KmsSchema} is internally consistent: every name has a constant and every constant a
 * definition, OIDs and names are unique, every referenced attribute exists, and every
 * enumerated attribute has values.
 */
class KmsSchemaConsistencyTest {

    /** RFC 4512 section 1.4 numericoid: no leading zeros in any arc. */
    private static final Pattern NUMERIC_OID = Pattern.compile("(0|[1-9][0-9]*)(\\.(0|[1-9][0-9]*))+");
    /** RFC 4512 section 1.4 descr (keystring). */
    private static final Pattern DESCR = Pattern.compile("[A-Za-z][A-Za-z0-9-]*");
    /**
     * The standard schemas a KMS name may refer to: those KMS depends on, plus ApacheDS's
     * {@code system}, which holds the RFC 4512 and 4519 basics ({@code top}, {@code cn}).
     */
    private static final Set<String> STANDARD_SCHEMAS = standardSchemas();

    private static Set<String> standardSchemas() {
        Set<String> schemas = new HashSet<>(KmsSchema.DEPENDENCIES);
        schemas.add("system");
        return schemas;
    }

    private static Set<String> constants(Class<?> holder, boolean kms) throws IllegalAccessException {
        Set<String> values = new TreeSet<>();
        for (Field field : holder.getDeclaredFields()) {
            int modifiers = field.getModifiers();
            if (Modifier.isPublic(modifiers) && Modifier.isStatic(modifiers) && Modifier.isFinal(modifiers)
                    && field.getType() == String.class) {
                String value = (String) field.get(null);
                if (value.startsWith("kms") == kms) {
                    values.add(value);
                }
            }
        }
        return values;
    }

    private static Set<String> attributeTypeNames() {
        Set<String> names = new TreeSet<>();
        KmsSchema.attributeTypes().forEach(type -> names.add(type.name()));
        return names;
    }

    private static Set<String> objectClassNames() {
        Set<String> names = new TreeSet<>();
        KmsSchema.objectClasses().forEach(objectClass -> names.add(objectClass.name()));
        return names;
    }

    @Test
    void everyKmsAttributeConstantIsDefinedAndEveryDefinitionHasAConstant() throws IllegalAccessException {
        assertEquals(constants(AttributeNames.class, true), attributeTypeNames(),
                "AttributeNames kms* constants and KmsSchema.attributeTypes() must name the same attributes");
    }

    @Test
    void everyKmsObjectClassConstantIsDefinedAndEveryDefinitionHasAConstant() throws IllegalAccessException {
        assertEquals(constants(ObjectClassNames.class, true), objectClassNames(),
                "ObjectClassNames kms* constants and KmsSchema.objectClasses() must name the same classes");
    }

    @Test
    void oidsAreNumericUniqueAndUnderTheProjectArc() {
        Set<String> seen = new HashSet<>();
        for (AttributeTypeDefinition type : KmsSchema.attributeTypes()) {
            assertOid(type.oid(), KmsSchema.OID_ARC + ".1.", type.name(), seen);
        }
        for (ObjectClassDefinition objectClass : KmsSchema.objectClasses()) {
            assertOid(objectClass.oid(), KmsSchema.OID_ARC + ".2.", objectClass.name(), seen);
        }
        assertEquals(KmsSchema.attributeTypes().size() + KmsSchema.objectClasses().size(), seen.size());
    }

    private static void assertOid(String oid, String branch, String name, Set<String> seen) {
        assertTrue(NUMERIC_OID.matcher(oid).matches(), name + ": '" + oid + "' is not a numeric OID");
        assertTrue(oid.startsWith(branch) && oid.indexOf('.', branch.length()) < 0,
                name + ": " + oid + " is not a direct child of " + branch);
        assertTrue(seen.add(oid), name + ": OID " + oid + " is used twice");
    }

    @Test
    void namesAreDescriptorsWithTheKmsPrefixAndUniqueIgnoringCaseAcrossTypesAndClasses() {
        Map<String, String> seen = new HashMap<>();
        List<String> all = new ArrayList<>(attributeTypeNames());
        all.addAll(objectClassNames());
        assertEquals(KmsSchema.attributeTypes().size() + KmsSchema.objectClasses().size(), all.size(),
                "a name is defined twice with the same spelling");
        for (String name : all) {
            assertTrue(DESCR.matcher(name).matches(), "'" + name + "' is not an RFC 4512 descr");
            assertTrue(name.startsWith("kms"), name + " lacks the kms prefix");
            String clash = seen.put(name.toLowerCase(Locale.ROOT), name);
            assertEquals(null, clash, name + " clashes with " + clash + " (names are case-insensitive)");
        }
    }

    @Test
    void kmsNamesDoNotClashWithStandardNames() throws IllegalAccessException {
        Set<String> standard = new HashSet<>();
        constants(AttributeNames.class, false).forEach(name -> standard.add(name.toLowerCase(Locale.ROOT)));
        constants(ObjectClassNames.class, false).forEach(name -> standard.add(name.toLowerCase(Locale.ROOT)));
        SchemaManager standardSchemas = new DefaultSchemaManager();
        for (String name : attributeTypeNames()) {
            assertFalse(standard.contains(name.toLowerCase(Locale.ROOT)), name);
            assertNotKnown(standardSchemas, name);
        }
        for (String name : objectClassNames()) {
            assertFalse(standard.contains(name.toLowerCase(Locale.ROOT)), name);
            assertNotKnown(standardSchemas, name);
        }
    }

    private static void assertNotKnown(SchemaManager schemas, String name) {
        assertEquals(null, schemas.getAttributeType(name), name + " is already a standard attribute type");
        assertFalse(schemas.getObjectClassRegistry().contains(name), name + " is already a standard object class");
    }

    @Test
    void everyMustAndMayNameIsAKmsOrAStandardAttributeAndAppearsOnce() throws IllegalAccessException {
        Set<String> standard = constants(AttributeNames.class, false);
        Set<String> kms = attributeTypeNames();
        for (ObjectClassDefinition objectClass : KmsSchema.objectClasses()) {
            Set<String> listed = new HashSet<>();
            List<String> names = new ArrayList<>(objectClass.must());
            names.addAll(objectClass.may());
            for (String name : names) {
                assertTrue(kms.contains(name) || standard.contains(name),
                        objectClass.name() + " lists " + name + ", which is neither a KMS attribute nor in AttributeNames");
                assertTrue(listed.add(name.toLowerCase(Locale.ROOT)),
                        objectClass.name() + " lists " + name + " twice (in MUST and MAY, or twice in one)");
            }
        }
    }

    /**
     * The standard names the KMS classes use really are defined by the schemas KMS declares as
     * dependencies, with the spelling the constants use (checked against the schema LDIF
     * that ships inside the Apache LDAP API).
     */
    @Test
    void standardNamesResolveInTheDeclaredDependencies() throws IllegalAccessException, LdapException {
        SchemaManager schemas = new DefaultSchemaManager();
        for (String name : constants(AttributeNames.class, false)) {
            String schema = schemas.lookupAttributeTypeRegistry(name).getSchemaName();
            assertTrue(STANDARD_SCHEMAS.contains(schema.toLowerCase(Locale.ROOT)),
                    name + " comes from schema " + schema + ", which KMS does not depend on");
        }
        Set<String> superiors = new TreeSet<>(constants(ObjectClassNames.class, false));
        KmsSchema.objectClasses().forEach(objectClass -> superiors.add(objectClass.superior()));
        for (String name : superiors) {
            String schema = schemas.lookupObjectClassRegistry(name).getSchemaName();
            assertTrue(STANDARD_SCHEMAS.contains(schema.toLowerCase(Locale.ROOT)),
                    name + " comes from schema " + schema + ", which KMS does not depend on");
        }
    }

    @Test
    void everyEnumeratedAttributeHasDistinctNonEmptyValuesAndExactMatching() {
        int enumerated = 0;
        for (AttributeTypeDefinition type : KmsSchema.attributeTypes()) {
            if (type.enumeration() == null) {
                assertFalse(type.syntax() == Syntax.ENUMERATED_STRING,
                        type.name() + " has the enumerated syntax but no enumeration");
                continue;
            }
            enumerated++;
            assertEquals(Syntax.ENUMERATED_STRING, type.syntax(),
                    type.name() + ": enumerated values are compared exactly (caseExactMatch)");
            LdapEnumeration[] values = type.enumeration().getEnumConstants();
            assertNotNull(values, type.name() + ": " + type.enumeration() + " is not an enum");
            assertTrue(values.length > 0, type.name() + ": " + type.enumeration().getSimpleName() + " has no values");
            Set<String> distinct = new HashSet<>();
            for (LdapEnumeration value : values) {
                String text = value.ldapValue();
                assertTrue(text != null && !text.isEmpty() && text.strip().equals(text),
                        type.name() + ": value '" + text + "' is empty or padded");
                assertTrue(distinct.add(text), type.name() + ": value " + text + " appears twice");
            }
        }
        assertTrue(enumerated > 0, "no enumerated attribute found: the check would prove nothing");
    }

    @Test
    void parseNamesEveryAcceptedValueInItsMessage() {
        IllegalArgumentException error = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> LdapEnumeration.parse(EnrollmentState.class, AttributeNames.ENROLLMENT_STATE, "enroled"));
        assertEquals("kmsEnrollmentState 'enroled' is not one of: "
                + LdapEnumeration.values(EnrollmentState.class), error.getMessage());
        assertEquals(EnrollmentState.REVOKE_REQUESTED,
                LdapEnumeration.parse(EnrollmentState.class, AttributeNames.ENROLLMENT_STATE, "revoke-requested"));
    }

    @Test
    void secretsAreOpaqueOctetStringsAndListedByNameAndOid() {
        List<String> oids = new ArrayList<>();
        for (AttributeTypeDefinition type : KmsSchema.attributeTypes()) {
            if (type.secret()) {
                assertEquals(Syntax.OCTET_STRING, type.syntax(), type.name());
                assertTrue(KmsSchema.secretAttributeNames().contains(type.name().toLowerCase(Locale.ROOT)));
                oids.add(type.oid());
            }
        }
        assertFalse(oids.isEmpty());
        assertEquals(oids, KmsSchema.secretAttributeOids());
        assertEquals(oids.size(), KmsSchema.secretAttributeNames().size());
    }

    @Test
    void descriptionsAreNonEmptyQdstrings() {
        for (AttributeTypeDefinition type : KmsSchema.attributeTypes()) {
            assertQdstring(type.name(), type.description());
        }
        for (ObjectClassDefinition objectClass : KmsSchema.objectClasses()) {
            assertQdstring(objectClass.name(), objectClass.description());
        }
    }

    private static void assertQdstring(String name, String description) {
        if (description == null || description.isBlank()) {
            fail(name + " has no description");
        }
        assertTrue(description.indexOf('\'') < 0 && description.indexOf('\\') < 0,
                name + ": the description must not need RFC 4512 section 4.1 escapes");
    }
}
