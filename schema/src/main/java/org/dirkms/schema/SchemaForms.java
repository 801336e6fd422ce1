package org.dirkms.schema;

import java.util.ArrayList;
import java.util.List;

/**
 * Renders {@link KmsSchema} into the forms directory servers load.
 *
 * <ul>
 *   <li>{@link #apacheDsMetaSchema(String)}: entries under {@code cn=dirkms,ou=schema} in the
 *       ApacheDS meta-schema ({@code metaAttributeType}, {@code metaObjectClass});</li>
 *   <li>{@link #rfc4512Modify()}: a modification of the subschema subentry
 *       {@code cn=schema} adding RFC 4512 section 4.1 descriptions, for {@code ldapmodify};</li>
 *   <li>{@link #openLdapConfig()}: an {@code olcSchemaConfig} entry for OpenLDAP's
 *       {@code cn=config}.</li>
 * </ul>
 *
 * <p>The forms are committed under {@code ldif/schema/} so that administrators can use them
 * without building; a test proves the committed files equal what this class renders and that
 * servers read each of them back to the same definitions.
 */
public final class SchemaForms {

    /** File name of the ApacheDS meta-schema form under {@code ldif/schema/}. */
    public static final String APACHEDS_FILE = "dirkms-apacheds.ldif";
    /** File name of the RFC 4512 {@code cn=schema} form under {@code ldif/schema/}. */
    public static final String RFC4512_FILE = "dirkms-rfc4512.ldif";
    /** File name of the OpenLDAP {@code cn=config} form under {@code ldif/schema/}. */
    public static final String OPENLDAP_FILE = "dirkms-openldap.ldif";

    private SchemaForms() {
    }

    /** RFC 4512 section 4.1.2 AttributeTypeDescription of {@code type}. */
    public static String describe(AttributeTypeDefinition type) {
        StringBuilder text = new StringBuilder("( ").append(type.oid())
                .append(" NAME '").append(type.name()).append('\'')
                .append(" DESC '").append(quoted(type.description())).append('\'')
                .append(" EQUALITY ").append(type.syntax().equality());
        if (type.syntax().ordering() != null) {
            text.append(" ORDERING ").append(type.syntax().ordering());
        }
        if (type.syntax().substring() != null) {
            text.append(" SUBSTR ").append(type.syntax().substring());
        }
        text.append(" SYNTAX ").append(type.syntax().oid());
        if (type.singleValued()) {
            text.append(" SINGLE-VALUE");
        }
        return text.append(" )").toString();
    }

    /** RFC 4512 section 4.1.1 ObjectClassDescription of {@code objectClass}. */
    public static String describe(ObjectClassDefinition objectClass) {
        StringBuilder text = new StringBuilder("( ").append(objectClass.oid())
                .append(" NAME '").append(objectClass.name()).append('\'')
                .append(" DESC '").append(quoted(objectClass.description())).append('\'')
                .append(" SUP ").append(objectClass.superior())
                .append(' ').append(objectClass.kind().name());
        if (!objectClass.must().isEmpty()) {
            text.append(" MUST ").append(oidList(objectClass.must()));
        }
        if (!objectClass.may().isEmpty()) {
            text.append(" MAY ").append(oidList(objectClass.may()));
        }
        return text.append(" )").toString();
    }

    /** The RFC 4512 form: one LDIF modification of {@code cn=schema}. */
    public static String rfc4512Modify() {
        StringBuilder ldif = new StringBuilder(header("RFC 4512 subschema modification: ldapmodify -f this file"));
        ldif.append("dn: cn=schema\nchangetype: modify\nadd: attributeTypes\n");
        for (AttributeTypeDefinition type : KmsSchema.attributeTypes()) {
            ldif.append("attributeTypes: ").append(describe(type)).append('\n');
        }
        ldif.append("-\nadd: objectClasses\n");
        for (ObjectClassDefinition objectClass : KmsSchema.objectClasses()) {
            ldif.append("objectClasses: ").append(describe(objectClass)).append('\n');
        }
        return ldif.append("-\n").toString();
    }

    /** The OpenLDAP form: {@code cn=dirkms,cn=schema,cn=config}, loadable with slapadd or ldapadd. */
    public static String openLdapConfig() {
        StringBuilder ldif = new StringBuilder(header(
                "OpenLDAP cn=config schema: ldapadd -Y EXTERNAL -H ldapi:/// -f this file (needs core, cosine, inetorgperson)"));
        ldif.append("dn: cn=").append(KmsSchema.SCHEMA_NAME).append(",cn=schema,cn=config\n")
                .append("objectClass: olcSchemaConfig\ncn: ").append(KmsSchema.SCHEMA_NAME).append('\n');
        for (AttributeTypeDefinition type : KmsSchema.attributeTypes()) {
            ldif.append("olcAttributeTypes: ").append(describe(type)).append('\n');
        }
        for (ObjectClassDefinition objectClass : KmsSchema.objectClasses()) {
            ldif.append("olcObjectClasses: ").append(describe(objectClass)).append('\n');
        }
        return ldif.toString();
    }

    /**
     * The ApacheDS meta-schema form: the schema entry and one entry per element, to be added
     * below {@code ou=schema} in this order.
     *
     * @param suffixComment a line for the file header, or empty
     */
    public static String apacheDsMetaSchema(String suffixComment) {
        StringBuilder ldif = new StringBuilder(header("ApacheDS meta-schema: add under ou=schema in this order"
                + (suffixComment.isEmpty() ? "" : "; " + suffixComment)));
        for (List<String> entry : apacheDsEntries()) {
            for (String line : entry) {
                ldif.append(line).append('\n');
            }
            ldif.append('\n');
        }
        return ldif.toString();
    }

    /** The ApacheDS meta-schema form as entries, each a list of LDIF lines starting with its dn. */
    public static List<List<String>> apacheDsEntries() {
        String schemaDn = "cn=" + KmsSchema.SCHEMA_NAME + ",ou=schema";
        List<List<String>> entries = new ArrayList<>();
        List<String> schema = new ArrayList<>(List.of("dn: " + schemaDn, "objectClass: top", "objectClass: metaSchema",
                "cn: " + KmsSchema.SCHEMA_NAME, "m-disabled: FALSE"));
        for (String dependency : KmsSchema.DEPENDENCIES) {
            schema.add("m-dependencies: " + dependency);
        }
        entries.add(schema);
        entries.add(List.of("dn: ou=attributeTypes," + schemaDn, "objectClass: top", "objectClass: organizationalUnit",
                "ou: attributeTypes"));
        entries.add(List.of("dn: ou=objectClasses," + schemaDn, "objectClass: top", "objectClass: organizationalUnit",
                "ou: objectClasses"));
        for (AttributeTypeDefinition type : KmsSchema.attributeTypes()) {
            List<String> entry = new ArrayList<>(List.of("dn: m-oid=" + type.oid() + ",ou=attributeTypes," + schemaDn,
                    "objectClass: top", "objectClass: metaTop", "objectClass: metaAttributeType",
                    "m-oid: " + type.oid(), "m-name: " + type.name(), "m-description: " + type.description(),
                    "m-equality: " + type.syntax().equality()));
            if (type.syntax().ordering() != null) {
                entry.add("m-ordering: " + type.syntax().ordering());
            }
            if (type.syntax().substring() != null) {
                entry.add("m-substr: " + type.syntax().substring());
            }
            entry.add("m-syntax: " + type.syntax().oid());
            entry.add("m-singleValue: " + (type.singleValued() ? "TRUE" : "FALSE"));
            entries.add(entry);
        }
        for (ObjectClassDefinition objectClass : KmsSchema.objectClasses()) {
            List<String> entry = new ArrayList<>(List.of(
                    "dn: m-oid=" + objectClass.oid() + ",ou=objectClasses," + schemaDn,
                    "objectClass: top", "objectClass: metaTop", "objectClass: metaObjectClass",
                    "m-oid: " + objectClass.oid(), "m-name: " + objectClass.name(),
                    "m-description: " + objectClass.description(),
                    "m-supObjectClass: " + objectClass.superior(),
                    "m-typeObjectClass: " + objectClass.kind().name()));
            objectClass.must().forEach(name -> entry.add("m-must: " + name));
            objectClass.may().forEach(name -> entry.add("m-may: " + name));
            entries.add(entry);
        }
        return entries;
    }

    private static String header(String purpose) {
        return "# dirkms schema, rendered from org.dirkms.schema.KmsSchema: do not edit by hand.\n"
                + "# " + purpose + "\n"
                + "# OID arc " + KmsSchema.OID_ARC + "\n\n";
    }

    private static String oidList(List<String> names) {
        return names.size() == 1 ? names.get(0) : "( " + String.join(" $ ", names) + " )";
    }

    /** RFC 4512 section 4.1 qdstring: descriptions are kept free of the two escaped characters. */
    private static String quoted(String text) {
        if (text.indexOf('\'') >= 0 || text.indexOf('\\') >= 0) {
            throw new IllegalStateException("schema description must not contain ' or \\: " + text);
        }
        return text;
    }
}
