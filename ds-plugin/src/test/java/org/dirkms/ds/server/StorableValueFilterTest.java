package org.dirkms.ds.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.apache.directory.api.ldap.model.entry.DefaultEntry;
import org.apache.directory.api.ldap.model.entry.DefaultModification;
import org.apache.directory.api.ldap.model.entry.ModificationOperation;
import org.apache.directory.api.ldap.model.message.AddRequestImpl;
import org.apache.directory.api.ldap.model.message.CompareRequestImpl;
import org.apache.directory.api.ldap.model.message.ModifyRequest;
import org.apache.directory.api.ldap.model.message.ModifyRequestImpl;
import org.apache.directory.api.ldap.model.message.ResultCodeEnum;
import org.apache.directory.api.ldap.model.message.ResultResponse;
import org.apache.directory.api.ldap.model.name.Dn;
import org.apache.directory.api.ldap.model.schema.SchemaManager;
import org.apache.directory.api.ldap.schema.manager.impl.DefaultSchemaManager;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Found by ServerFuzzIT: ApacheDS AM27 normalizes each value of an add, a modify or a compare
 * while it builds the operation, before any interceptor, and a value its attribute's syntax
 * cannot normalize (a DN value "=x", a GeneralizedTime "now") fails there with an
 * IllegalArgumentException, which the client receives as result code other (80) with the Java
 * stack trace in the diagnostic. {@link StorableValueFilter} answers such a request
 * invalidAttributeSyntax (21) before ApacheDS builds it.
 */
class StorableValueFilterTest {

    private static SchemaManager schema;

    @BeforeAll
    static void schema() throws Exception {
        schema = new DefaultSchemaManager();
        schema.loadAllEnabled();
    }

    private static ModifyRequest modify(String attribute, String value) throws Exception {
        return new ModifyRequestImpl().setName(new Dn("cn=g,dc=example,dc=com")).addModification(
                new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, attribute, value));
    }

    @Test
    void aValueItsSyntaxCannotNormalizeIsAnInvalidSyntaxNamingTheAttribute() throws Exception {
        ResultResponse refused = StorableValueFilter.refusal(schema, modify("member", "=x,dc=example,dc=com"));
        assertNotNull(refused);
        assertEquals(ResultCodeEnum.INVALID_ATTRIBUTE_SYNTAX, refused.getLdapResult().getResultCode());
        String message = refused.getLdapResult().getDiagnosticMessage();
        assertTrue(message.startsWith("member: '=x,dc=example,dc=com' is not a valid "), message);
        for (String javaText : List.of("Exception", "java.", "org.apache", "\tat ", "ERR_")) {
            assertFalse(message.contains(javaText), message);
        }
        assertEquals(ResultCodeEnum.INVALID_ATTRIBUTE_SYNTAX, StorableValueFilter.refusal(schema,
                new AddRequestImpl().setEntry(new DefaultEntry("cn=g,dc=example,dc=com", "objectClass: groupOfNames",
                        "cn: g", "member: cn=a,,dc=example,dc=com"))).getLdapResult().getResultCode());
        assertEquals(ResultCodeEnum.INVALID_ATTRIBUTE_SYNTAX, StorableValueFilter.refusal(schema,
                new CompareRequestImpl().setName(new Dn("cn=g,dc=example,dc=com")).setAttributeId("member")
                        .setAssertionValue("=x")).getLdapResult().getResultCode());
    }

    @Test
    void validValuesAndUnknownAttributesPassAndLongValuesAreCut() throws Exception {
        assertNull(StorableValueFilter.refusal(schema, modify("member", "cn=a,dc=example,dc=com")));
        assertNull(StorableValueFilter.refusal(schema, modify("description", "anything")));
        assertNull(StorableValueFilter.refusal(schema, modify("noSuchAttribute", "=x")), "ApacheDS answers those itself");
        assertNull(StorableValueFilter.refusal(schema, new ModifyRequestImpl().setName(new Dn("cn=g,dc=example,dc=com"))
                .addModification(new DefaultModification(ModificationOperation.REMOVE_ATTRIBUTE, "member"))));
        String long1 = "=" + "x".repeat(500);
        String message = StorableValueFilter.refusal(schema, modify("member", long1)).getLdapResult().getDiagnosticMessage();
        assertTrue(message.length() < 300, "a long value is cut: " + message);
    }

    /**
     * Found by ServerFuzzIT: AM27's partition writes a text value with DataOutput.writeUTF, which
     * takes at most 65535 octets, so a longer value (or one whose normalized form is longer, as a
     * DN's is) failed at commit time with other (80) and a stack trace. It is a size constraint
     * on the value: constraintViolation (19, RFC 4511 section 4.1.9).
     */
    @Test
    void aTextValueLongerThanTheDirectoryStoresIsAConstraintViolation() throws Exception {
        assertNull(StorableValueFilter.refusal(schema, modify("description", "x".repeat(65_000))));
        ResultResponse refused = StorableValueFilter.refusal(schema, modify("description", "x".repeat(65_536)));
        assertEquals(ResultCodeEnum.CONSTRAINT_VIOLATION, refused.getLdapResult().getResultCode());
        assertTrue(refused.getLdapResult().getDiagnosticMessage().matches("description: a value of 6553[68] octets is "
                + "longer than the 65535 octets this directory stores in a text value"),
                refused.getLdapResult().getDiagnosticMessage());
        // Three octets a character in UTF-8 (and in Java's modified UTF-8).
        assertEquals(ResultCodeEnum.CONSTRAINT_VIOLATION, StorableValueFilter.refusal(schema,
                modify("description", "\u20ac".repeat(21_846))).getLdapResult().getResultCode());
        // A DN whose normalized form (attribute types as OIDs) passes the limit though it does not.
        String dn = "cn=x,".repeat(12_000) + "dc=com";
        assertTrue(dn.length() < 65_535);
        assertEquals(ResultCodeEnum.CONSTRAINT_VIOLATION, StorableValueFilter.refusal(schema, modify("member", dn))
                .getLdapResult().getResultCode());
        // A compare stores nothing: its assertion may be longer (found by ServerFuzzIT, which
        // got constraintViolation for a compare of a 70 000-octet value).
        assertNull(StorableValueFilter.refusal(schema, new CompareRequestImpl().setName(new Dn("cn=g,dc=example,dc=com"))
                .setAttributeId("description").setAssertionValue("x".repeat(70_000))));
        // Binary values are stored whole.
        assertNull(StorableValueFilter.refusal(schema, new ModifyRequestImpl().setName(new Dn("cn=g,dc=example,dc=com"))
                .addModification(new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, "userCertificate",
                        new byte[100_000]))));
    }

    /**
     * Found by ServerFuzzIT: the LDAP API's OID normalizer throws ArrayIndexOutOfBoundsException
     * for a character past Latin-1 (it lower-cases with a 256-entry table); the filter must
     * answer invalidAttributeSyntax, not throw, or MINA ends the session with protocolError.
     */
    @Test
    void aCharacterPastLatin1InAnOidValueIsRefusedNotThrown() throws Exception {
        assertEquals(ResultCodeEnum.INVALID_ATTRIBUTE_SYNTAX, StorableValueFilter.refusal(schema,
                modify("supportedControl", "\uFF10.0")).getLdapResult().getResultCode());
    }

    /**
     * Found by ServerFuzzIT: AM27 answers an add or a modify naming an object class its schema
     * does not define with loopDetect (54) or other (80) and its ERR_13735 text; it is
     * objectClassViolation (65), naming the value. Removing such a value is left to AM27.
     */
    @Test
    void anObjectClassTheSchemaDoesNotDefineIsAnObjectClassViolation() throws Exception {
        ResultResponse refused = StorableValueFilter.refusal(schema, new AddRequestImpl().setEntry(new DefaultEntry(
                "cn=r,dc=example,dc=com", "objectClass: top", "objectClass: organiationalRole", "cn: r")));
        assertEquals(ResultCodeEnum.OBJECT_CLASS_VIOLATION, refused.getLdapResult().getResultCode());
        String message = refused.getLdapResult().getDiagnosticMessage();
        assertTrue(message.contains("'organiationalRole'"), message);
        assertFalse(message.contains("ERR_"), message);
        assertEquals(ResultCodeEnum.OBJECT_CLASS_VIOLATION, StorableValueFilter.refusal(schema,
                new ModifyRequestImpl().setName(new Dn("cn=r,dc=example,dc=com")).addModification(new DefaultModification(
                        ModificationOperation.ADD_ATTRIBUTE, "objectClass", "noSuchClass"))).getLdapResult().getResultCode());
        assertNull(StorableValueFilter.refusal(schema, new AddRequestImpl().setEntry(new DefaultEntry(
                "cn=r,dc=example,dc=com", "objectClass: top", "objectClass: organizationalRole", "cn: r"))));
        assertNull(StorableValueFilter.refusal(schema, new ModifyRequestImpl().setName(new Dn("cn=r,dc=example,dc=com"))
                .addModification(new DefaultModification(ModificationOperation.REMOVE_ATTRIBUTE, "objectClass",
                        "noSuchClass"))));
    }

    /**
     * Found by ServerFuzzIT: a name that is not UTF-8 reaches AM27 as a DN holding U+FFFD, which
     * its normalizer refuses with IllegalArgumentException while building the operation: other
     * (80) and a stack trace for a modify, a compare, a delete. It is invalidDNSyntax (34).
     */
    @Test
    void aNameTheSchemaCannotNormalizeIsAnInvalidDnSyntax() throws Exception {
        Dn unreadable = new Dn("cn=Fuzz \uFFFDRoot,dc=example,dc=com");
        for (Object request : List.of(new ModifyRequestImpl().setName(unreadable).addModification(
                new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, "description", "x")),
                new CompareRequestImpl().setName(unreadable).setAttributeId("cn").setAssertionValue("x"),
                new org.apache.directory.api.ldap.model.message.DeleteRequestImpl().setName(unreadable),
                new org.apache.directory.api.ldap.model.message.ModifyDnRequestImpl().setName(new Dn("cn=a,dc=com"))
                        .setNewRdn(new org.apache.directory.api.ldap.model.name.Rdn("cn=b")).setNewSuperior(unreadable))) {
            ResultResponse refused = StorableValueFilter.refusal(schema, request);
            assertNotNull(refused, request.getClass().getSimpleName());
            assertEquals(ResultCodeEnum.INVALID_DN_SYNTAX, refused.getLdapResult().getResultCode());
            assertTrue(refused.getLdapResult().getDiagnosticMessage().contains("is not a valid DN"),
                    refused.getLdapResult().getDiagnosticMessage());
        }
        assertNull(StorableValueFilter.refusal(schema, new CompareRequestImpl().setName(new Dn("fooBar=baz,dc=com"))
                .setAttributeId("cn").setAssertionValue("x")), "unknown types are ApacheDS's to answer");
    }
}
