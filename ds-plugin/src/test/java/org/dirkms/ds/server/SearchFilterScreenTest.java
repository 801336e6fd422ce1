package org.dirkms.ds.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.apache.directory.api.ldap.model.entry.Value;
import org.apache.directory.api.ldap.model.filter.ApproximateNode;
import org.apache.directory.api.ldap.model.filter.EqualityNode;
import org.apache.directory.api.ldap.model.filter.ExprNode;
import org.apache.directory.api.ldap.model.filter.ExtensibleNode;
import org.apache.directory.api.ldap.model.filter.NotNode;
import org.apache.directory.api.ldap.model.filter.OrNode;
import org.apache.directory.api.ldap.model.filter.PresenceNode;
import org.apache.directory.api.ldap.model.filter.SubstringNode;
import org.apache.directory.api.ldap.model.message.ResultCodeEnum;
import org.apache.directory.api.ldap.model.message.SearchRequest;
import org.apache.directory.api.ldap.model.message.SearchRequestImpl;
import org.apache.directory.api.ldap.model.message.SearchResultDone;
import org.apache.directory.api.ldap.model.message.SearchScope;
import org.apache.directory.api.ldap.model.message.controls.PagedResultsImpl;
import org.apache.directory.api.ldap.model.name.Dn;
import org.apache.directory.api.ldap.model.schema.SchemaManager;
import org.apache.directory.api.ldap.schema.manager.impl.DefaultSchemaManager;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Searches ApacheDS AM27 answers wrongly, found by ServerFuzzIT, each refused by
 * {@link SearchFilterScreen} with a code a person can act on, on filters as the decoder builds
 * them (schema-unaware).
 */
class SearchFilterScreenTest {

    private static SchemaManager schema;

    @BeforeAll
    static void schema() throws Exception {
        schema = new DefaultSchemaManager();
        schema.loadAllEnabled();
    }

    private static SearchRequest search(ExprNode filter, String... attributes) throws Exception {
        return new SearchRequestImpl().setBase(new Dn("dc=example,dc=com")).setScope(SearchScope.SUBTREE)
                .setFilter(filter).addAttributes(attributes);
    }

    private static SearchResultDone refused(SearchRequest search) {
        return SearchFilterScreen.refusal(schema, search);
    }

    /** A NOT chain a thousand levels deep decodes, then overflows AM27's stack: unanswered, its read lock held. */
    @Test
    void aFilterNestedDeeperThanTheLimitIsUnwillingToPerform() throws Exception {
        ExprNode deep = new PresenceNode("objectClass");
        for (int i = 0; i < 1_000; i++) {
            deep = new NotNode(deep);
        }
        SearchResultDone done = refused(search(deep));
        assertEquals(ResultCodeEnum.UNWILLING_TO_PERFORM, done.getLdapResult().getResultCode());
        assertTrue(done.getLdapResult().getDiagnosticMessage().contains("nests more than"), done.getLdapResult()
                .getDiagnosticMessage());
        ExprNode ordinary = new PresenceNode("objectClass");
        for (int i = 0; i < SearchFilterScreen.DEEPEST - 1; i++) {
            ordinary = new NotNode(ordinary);
        }
        assertNull(refused(search(ordinary)));
    }

    /** AM27 answers an extensible match with operationsError (1) and "N O T   I M P L E M E N T E D   Y E T !". */
    @Test
    void anExtensibleMatchIsUnwillingToPerform() throws Exception {
        SearchResultDone done = refused(search(new OrNode(new PresenceNode("cn"),
                new ExtensibleNode("cn", new Value("x"), "caseExactMatch", false))));
        assertEquals(ResultCodeEnum.UNWILLING_TO_PERFORM, done.getLdapResult().getResultCode());
        assertTrue(done.getLdapResult().getDiagnosticMessage().contains("extensible match"),
                done.getLdapResult().getDiagnosticMessage());
    }

    /** AM27 answers aliasProblem (33) or aliasDereferencingProblem (36) to an assertion value it cannot normalize. */
    @Test
    void anAssertionValueItsSyntaxCannotNormalizeIsAnInvalidSyntax() throws Exception {
        for (ExprNode filter : List.of(new EqualityNode<String>("modifyTimestamp", "now"),
                new ApproximateNode<String>("modifyTimestamp", ""), new EqualityNode<String>("member", "=x"))) {
            SearchResultDone done = refused(search(filter));
            assertEquals(ResultCodeEnum.INVALID_ATTRIBUTE_SYNTAX, done.getLdapResult().getResultCode(), filter.toString());
        }
        assertNull(refused(search(new EqualityNode<String>("modifyTimestamp", "20261125103000Z"))));
        assertNull(refused(search(new EqualityNode<String>("noSuchType", "=x"))), "unknown types are undefined, as before");
    }

    /** AM27 lower-cases attribute names with a 256-entry table: other (80) and ArrayIndexOutOfBoundsException. */
    @Test
    void anAttributeDescriptionPastLatin1IsAProtocolError() throws Exception {
        assertEquals(ResultCodeEnum.PROTOCOL_ERROR, refused(search(new PresenceNode("\u63cf\u8ff0")))
                .getLdapResult().getResultCode());
        assertEquals(ResultCodeEnum.PROTOCOL_ERROR, refused(search(new PresenceNode("cn"), "mail", "\u63cf\u8ff0"))
                .getLdapResult().getResultCode());
        assertNull(refused(search(new PresenceNode("cn"), "mail", "caf\u00e9")), "Latin-1 is ApacheDS's to ignore");
    }

    /**
     * Found by ServerFuzzIT: a substring assertion on an attribute with no substring matching
     * rule (a time, an enumerated KMS attribute) made AM27 throw a NullPointerException ("Cannot
     * invoke getSubstring() because this.attributeType is null"): operationsError (1).
     */
    @Test
    void aSubstringAssertionOnAnAttributeWithoutASubstringRuleIsInappropriateMatching() throws Exception {
        SearchResultDone done = refused(search(new NotNode(new SubstringNode("createTimestamp", "2026", null))));
        assertEquals(ResultCodeEnum.INAPPROPRIATE_MATCHING, done.getLdapResult().getResultCode());
        assertTrue(done.getLdapResult().getDiagnosticMessage().contains("createTimestamp has no substring matching rule"),
                done.getLdapResult().getDiagnosticMessage());
        assertNull(refused(search(new SubstringNode("cn", "vic", null))));
    }

    /**
     * Found by ServerFuzzIT: a substring assertion on an attribute type the schema does not know
     * made AM27 answer loopDetect (54) or aliasDereferencingProblem (36), "ATTRIBUTE_TYPE for OID
     * foobar does not exist!"; its other assertions on unknown types match nothing.
     */
    @Test
    void aSubstringAssertionOnAnUnknownAttributeTypeIsUndefinedAttributeType() throws Exception {
        SearchResultDone done = refused(search(new OrNode(new PresenceNode("cn"), new SubstringNode("fooBar", "x", null))));
        assertEquals(ResultCodeEnum.UNDEFINED_ATTRIBUTE_TYPE, done.getLdapResult().getResultCode());
        assertTrue(done.getLdapResult().getDiagnosticMessage().contains("fooBar"), done.getLdapResult().getDiagnosticMessage());
        assertNull(refused(search(new EqualityNode<String>("fooBar", "x"))), "AM27 matches nothing, as before");
    }

    /**
     * Found by ServerFuzzIT: abandoning a paged search (page size 0, RFC 2696 section 3) with a
     * cookie that names none made AM27 answer other (80) with a NullPointerException's text.
     */
    @Test
    void abandoningAPagedSearchByAnUnknownCookieIsUnwillingToPerform() throws Exception {
        SearchRequest abandon = search(new PresenceNode("objectClass"));
        PagedResultsImpl paged = new PagedResultsImpl();
        paged.setSize(0);
        paged.setCookie(new byte[] {0x12, 0x34, 0x56, 0x78});
        abandon.addControl(paged);
        SearchResultDone done = SearchFilterScreen.unknownAbandonedCookie(abandon, cookie -> false);
        assertEquals(ResultCodeEnum.UNWILLING_TO_PERFORM, done.getLdapResult().getResultCode());
        assertTrue(done.getLdapResult().getDiagnosticMessage().contains("no paged search"),
                done.getLdapResult().getDiagnosticMessage());
        assertNull(SearchFilterScreen.unknownAbandonedCookie(abandon, cookie -> cookie == paged.getCookieValue()),
                "a paged search the connection started is abandoned by AM27");
        paged.setSize(5);
        assertNull(SearchFilterScreen.unknownAbandonedCookie(abandon, cookie -> false), "AM27 refuses it itself");
        paged.setSize(0);
        paged.setCookie(new byte[0]);
        assertNull(SearchFilterScreen.unknownAbandonedCookie(abandon, cookie -> false), "nothing to abandon");
        assertNull(SearchFilterScreen.unknownAbandonedCookie(search(new PresenceNode("objectClass")), cookie -> false));
    }
}
