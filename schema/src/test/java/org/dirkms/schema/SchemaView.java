package org.dirkms.schema;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import org.apache.directory.api.ldap.model.entry.Attribute;
import org.apache.directory.api.ldap.model.entry.Entry;
import org.apache.directory.api.ldap.model.entry.Value;
import org.apache.directory.api.ldap.model.schema.AttributeType;
import org.apache.directory.api.ldap.model.schema.ObjectClass;

/**
 * A server-independent view of one attribute type or object class, so that a definition in
 * {@link KmsSchema}, a parsed RFC 4512 description and an ApacheDS meta-schema entry can be
 * compared with {@code equals}. Names of types, classes and matching rules are compared
 * without case (RFC 4512 section 2.5: descriptors are case-insensitive); OIDs and
 * descriptions exactly; MUST and MAY as sets, because order carries no meaning there.
 */
final class SchemaView {

    private SchemaView() {
    }

    /** What matters of an attribute type. */
    record AttributeView(String oid, List<String> names, String description, String syntax, String equality,
            String ordering, String substring, boolean singleValued, String superior, boolean obsolete) {
    }

    /** What matters of an object class. */
    record ObjectClassView(String oid, List<String> names, String description, Set<String> superiors,
            String kind, Set<String> must, Set<String> may, boolean obsolete) {
    }

    static AttributeView of(AttributeTypeDefinition type) {
        Syntax syntax = type.syntax();
        return new AttributeView(type.oid(), List.of(lower(type.name())), type.description(), syntax.oid(),
                lower(syntax.equality()), lower(syntax.ordering()), lower(syntax.substring()), type.singleValued(),
                null, false);
    }

    static AttributeView of(AttributeType parsed) {
        return new AttributeView(parsed.getOid(), lower(parsed.getNames()), parsed.getDescription(),
                parsed.getSyntaxOid(), lower(parsed.getEqualityOid()), lower(parsed.getOrderingOid()),
                lower(parsed.getSubstringOid()), parsed.isSingleValued(), lower(parsed.getSuperiorOid()),
                parsed.isObsolete());
    }

    static ObjectClassView of(ObjectClassDefinition objectClass) {
        return new ObjectClassView(objectClass.oid(), List.of(lower(objectClass.name())),
                objectClass.description(), Set.of(lower(objectClass.superior())), objectClass.kind().name(),
                lowerSet(objectClass.must()), lowerSet(objectClass.may()), false);
    }

    static ObjectClassView of(ObjectClass parsed) {
        return new ObjectClassView(parsed.getOid(), lower(parsed.getNames()), parsed.getDescription(),
                lowerSet(parsed.getSuperiorOids()), parsed.getType().name(),
                lowerSet(parsed.getMustAttributeTypeOids()), lowerSet(parsed.getMayAttributeTypeOids()),
                parsed.isObsolete());
    }

    /** An ApacheDS {@code metaAttributeType} entry (ApacheDS meta-schema attribute names). */
    static AttributeView ofMetaAttributeType(Entry entry) {
        return new AttributeView(one(entry, "m-oid"), lower(all(entry, "m-name")), one(entry, "m-description"),
                one(entry, "m-syntax"), lower(one(entry, "m-equality")), lower(one(entry, "m-ordering")),
                lower(one(entry, "m-substr")), "TRUE".equalsIgnoreCase(one(entry, "m-singleValue")),
                lower(one(entry, "m-supAttributeType")), "TRUE".equalsIgnoreCase(one(entry, "m-obsolete")));
    }

    /** An ApacheDS {@code metaObjectClass} entry. */
    static ObjectClassView ofMetaObjectClass(Entry entry) {
        String kind = one(entry, "m-typeObjectClass");
        return new ObjectClassView(one(entry, "m-oid"), lower(all(entry, "m-name")), one(entry, "m-description"),
                lowerSet(all(entry, "m-supObjectClass")), kind == null ? "STRUCTURAL" : kind,
                lowerSet(all(entry, "m-must")), lowerSet(all(entry, "m-may")),
                "TRUE".equalsIgnoreCase(one(entry, "m-obsolete")));
    }

    /** Every KMS attribute type by OID, in {@link KmsSchema} order. */
    static Map<String, AttributeView> expectedAttributeTypes() {
        Map<String, AttributeView> views = new java.util.LinkedHashMap<>();
        KmsSchema.attributeTypes().forEach(type -> views.put(type.oid(), of(type)));
        return views;
    }

    /** Every KMS object class by OID, in {@link KmsSchema} order. */
    static Map<String, ObjectClassView> expectedObjectClasses() {
        Map<String, ObjectClassView> views = new java.util.LinkedHashMap<>();
        KmsSchema.objectClasses().forEach(objectClass -> views.put(objectClass.oid(), of(objectClass)));
        return views;
    }

    private static String one(Entry entry, String attribute) {
        Attribute values = entry.get(attribute);
        if (values == null) {
            return null;
        }
        if (values.size() != 1) {
            throw new AssertionError(entry.getDn() + ": " + attribute + " has " + values.size() + " values");
        }
        return values.get().getString();
    }

    private static List<String> all(Entry entry, String attribute) {
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
        return texts.stream().map(SchemaView::lower).toList();
    }

    private static Set<String> lowerSet(List<String> texts) {
        Set<String> set = new TreeSet<>();
        texts.forEach(text -> set.add(lower(text)));
        return set;
    }
}
