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
 * stack trace in the diagnostic. {@link ValueSyntaxFilter} answers such a request
 * invalidAttributeSyntax (21) before ApacheDS builds it.
 */
class ValueSyntaxFilterTest {

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
        ResultResponse refused = ValueSyntaxFilter.refusal(schema, modify("member", "=x,dc=example,dc=com"));
        assertNotNull(refused);
        assertEquals(ResultCodeEnum.INVALID_ATTRIBUTE_SYNTAX, refused.getLdapResult().getResultCode());
        String message = refused.getLdapResult().getDiagnosticMessage();
        assertTrue(message.startsWith("member: '=x,dc=example,dc=com' is not a valid "), message);
        for (String javaText : List.of("Exception", "java.", "org.apache", "\tat ", "ERR_")) {
            assertFalse(message.contains(javaText), message);
        }
        assertEquals(ResultCodeEnum.INVALID_ATTRIBUTE_SYNTAX, ValueSyntaxFilter.refusal(schema,
                new AddRequestImpl().setEntry(new DefaultEntry("cn=g,dc=example,dc=com", "objectClass: groupOfNames",
                        "cn: g", "member: cn=a,,dc=example,dc=com"))).getLdapResult().getResultCode());
        assertEquals(ResultCodeEnum.INVALID_ATTRIBUTE_SYNTAX, ValueSyntaxFilter.refusal(schema,
                new CompareRequestImpl().setName(new Dn("cn=g,dc=example,dc=com")).setAttributeId("member")
                        .setAssertionValue("=x")).getLdapResult().getResultCode());
    }

    @Test
    void validValuesAndUnknownAttributesPassAndLongValuesAreCut() throws Exception {
        assertNull(ValueSyntaxFilter.refusal(schema, modify("member", "cn=a,dc=example,dc=com")));
        assertNull(ValueSyntaxFilter.refusal(schema, modify("description", "anything")));
        assertNull(ValueSyntaxFilter.refusal(schema, modify("noSuchAttribute", "=x")), "ApacheDS answers those itself");
        assertNull(ValueSyntaxFilter.refusal(schema, new ModifyRequestImpl().setName(new Dn("cn=g,dc=example,dc=com"))
                .addModification(new DefaultModification(ModificationOperation.REMOVE_ATTRIBUTE, "member"))));
        String long1 = "=" + "x".repeat(500);
        String message = ValueSyntaxFilter.refusal(schema, modify("member", long1)).getLdapResult().getDiagnosticMessage();
        assertTrue(message.length() < 300, "a long value is cut: " + message);
    }
}
