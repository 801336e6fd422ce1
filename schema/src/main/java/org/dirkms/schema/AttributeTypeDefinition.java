package org.dirkms.schema;

/**
 * One attribute type of the KMS schema.
 *
 * @param oid          numeric OID under {@link KmsSchema#OID_ARC}
 * @param name         the one name (descriptor) of the type
 * @param description  what the attribute holds
 * @param syntax       syntax and matching rules
 * @param singleValued whether the type is SINGLE-VALUE
 * @param secret       whether values are secrets that the directory guards on every path
 * @param enumeration  the accepted values, or {@code null} when any value of the syntax is
 */
public record AttributeTypeDefinition(String oid, String name, String description, Syntax syntax,
        boolean singleValued, boolean secret, Class<? extends LdapEnumeration> enumeration) {
}
