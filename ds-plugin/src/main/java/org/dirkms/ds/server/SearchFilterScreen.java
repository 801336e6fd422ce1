package org.dirkms.ds.server;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.function.IntPredicate;

import org.apache.directory.api.ldap.model.entry.Value;
import org.apache.directory.api.ldap.model.exception.LdapException;
import org.apache.directory.api.ldap.model.filter.BranchNode;
import org.apache.directory.api.ldap.model.filter.ExprNode;
import org.apache.directory.api.ldap.model.filter.ExtensibleNode;
import org.apache.directory.api.ldap.model.filter.LeafNode;
import org.apache.directory.api.ldap.model.filter.SimpleNode;
import org.apache.directory.api.ldap.model.filter.SubstringNode;
import org.apache.directory.api.ldap.model.message.ResultCodeEnum;
import org.apache.directory.api.ldap.model.message.SearchRequest;
import org.apache.directory.api.ldap.model.message.SearchResultDone;
import org.apache.directory.api.ldap.model.message.SearchResultDoneImpl;
import org.apache.directory.api.ldap.model.message.controls.PagedResults;
import org.apache.directory.api.ldap.model.message.controls.SortKey;
import org.apache.directory.api.ldap.model.message.controls.SortRequest;
import org.apache.directory.api.ldap.model.schema.AttributeType;
import org.apache.directory.api.ldap.model.schema.SchemaManager;
import org.apache.directory.server.ldap.LdapServer;
import org.apache.directory.server.ldap.LdapSession;
import org.apache.mina.core.filterchain.IoFilterAdapter;
import org.apache.mina.core.session.IoSession;

/**
 * Refuses, before anything walks it, a search ApacheDS 2.0.0.AM27 would answer wrongly or not
 * at all, each found by the fuzz suite ({@code ServerFuzzIT}):
 * <ul>
 * <li>a filter nesting AND, OR and NOT deeper than {@value #DEEPEST} levels, or holding more than
 * {@value #LARGEST} items: it decodes, then overflows the stack of AM27's recursive walks (a NOT
 * chain a thousand deep does) on a worker thread, and the search was never answered while its
 * read lock stayed taken — every later write, and then every read, waited for ever.
 * unwillingToPerform (53);</li>
 * <li>an extensible match (RFC 4511 section 4.5.1.7.7), which AM27 does not implement: it answered
 * operationsError (1) with "N O T   I M P L E M E N T E D   Y E T !". unwillingToPerform (53);</li>
 * <li>an assertion value its attribute's syntax cannot normalize ({@code (modifyTimestamp=now)}),
 * which AM27 answered aliasProblem (33) or aliasDereferencingProblem (36). invalidAttributeSyntax
 * (21), as for the same value in a write;</li>
 * <li>a substring assertion on an attribute type the schema does not know: loopDetect (54) or
 * aliasDereferencingProblem (36), where AM27's other assertions on unknown types match nothing.
 * undefinedAttributeType (17);</li>
 * <li>a substring assertion on an attribute with no substring matching rule (a time, an
 * enumerated KMS attribute): AM27 threw a NullPointerException, operationsError (1).
 * inappropriateMatching (18);</li>
 * <li>an attribute description (in the filter, the attribute list or a sort key) with a character
 * past Latin-1: AM27 lower-cases names with a 256-entry table and answered other (80) with an
 * ArrayIndexOutOfBoundsException, or the guard's own lookup threw and ended the connection.
 * Attribute descriptions are ASCII (RFC 4512 section 2.5): protocolError (2);</li>
 * <li>a paged search abandoned with a page size of 0 (RFC 2696 section 3) whose cookie names no
 * paged search of the connection: AM27 answered other (80) with the text of a
 * NullPointerException. unwillingToPerform (53), as AM27 answers the same cookie with a page
 * size above 0.</li>
 * </ul>
 * This MINA filter sits right after the LDAP codec of every transport, ahead of the KMS guard,
 * and walks the filter without recursion.
 */
final class SearchFilterScreen extends IoFilterAdapter {

    /** Name of this filter in each transport's MINA filter chain. */
    static final String FILTER_NAME = "dirkmsSearchFilterScreen";
    /** The deepest nesting of AND, OR and NOT a search filter may have. */
    static final int DEEPEST = 100;
    /** The most items (each AND, OR, NOT and assertion) a search filter may hold. */
    static final int LARGEST = 20_000;

    private final SchemaManager schemaManager;
    private final LdapServer ldapServer;

    private SearchFilterScreen(LdapServer ldapServer) {
        this.ldapServer = ldapServer;
        this.schemaManager = ldapServer.getDirectoryService().getSchemaManager();
    }

    /** Installs one screen right after the LDAP codec of every transport of a started LDAP server. */
    static void install(LdapServer ldapServer) {
        CodecFilters.installRightAfterCodec(ldapServer, FILTER_NAME, new SearchFilterScreen(ldapServer));
    }

    @Override
    public void messageReceived(NextFilter next, IoSession session, Object message) throws Exception {
        if (message instanceof SearchRequest search) {
            SearchResultDone refusal = refusal(schemaManager, search);
            if (refusal == null) {
                refusal = unknownAbandonedCookie(search, cookie -> {
                    LdapSession ldapSession = ldapServer.getLdapSessionManager().getLdapSession(session);
                    return ldapSession != null && ldapSession.getPagedSearchContext(cookie) != null;
                });
            }
            if (refusal != null) {
                session.write(refusal);
                return;
            }
        }
        next.messageReceived(session, message);
    }

    /** The response refusing {@code search}, or null when AM27 may have it. */
    static SearchResultDone refusal(SchemaManager schemaManager, SearchRequest search) {
        for (String attribute : search.getAttributes()) {
            if (!latin1(attribute)) {
                return done(search, ResultCodeEnum.PROTOCOL_ERROR, notAscii(attribute));
            }
        }
        if (search.getControl(SortRequest.OID) instanceof SortRequest sort && sort.getSortKeys() != null) {
            for (SortKey key : sort.getSortKeys()) {
                if (!latin1(key.getAttributeTypeDesc())) {
                    return done(search, ResultCodeEnum.PROTOCOL_ERROR, notAscii(key.getAttributeTypeDesc()));
                }
            }
        }
        ExprNode filter = search.getFilter();
        if (filter == null) {
            return null;
        }
        record Node(ExprNode node, int depth) {
        }
        Deque<Node> pending = new ArrayDeque<>();
        pending.push(new Node(filter, 1));
        int items = 0;
        while (!pending.isEmpty()) {
            Node current = pending.pop();
            if (++items > LARGEST) {
                return done(search, ResultCodeEnum.UNWILLING_TO_PERFORM, "the search filter holds more than " + LARGEST
                        + " items; this directory evaluates at most " + LARGEST + ": split the search");
            }
            if (current.depth() > DEEPEST) {
                return done(search, ResultCodeEnum.UNWILLING_TO_PERFORM, "the search filter nests more than " + DEEPEST
                        + " levels of AND, OR and NOT; this directory evaluates at most " + DEEPEST + ": flatten it");
            }
            if (current.node() instanceof BranchNode branch) {
                for (ExprNode child : branch.getChildren()) {
                    pending.push(new Node(child, current.depth() + 1));
                }
            } else if (current.node() instanceof ExtensibleNode) {
                return done(search, ResultCodeEnum.UNWILLING_TO_PERFORM, "this directory does not evaluate extensible"
                        + " match filters (attr:rule:=value); use an equality, substring or presence filter");
            } else if (current.node() instanceof SubstringNode substring && latin1(substring.getAttribute())
                    && type(schemaManager, substring.getAttribute()) == null) {
                return done(search, ResultCodeEnum.UNDEFINED_ATTRIBUTE_TYPE, "'" + substring.getAttribute()
                        + "' is not an attribute type of this directory");
            } else if (current.node() instanceof SubstringNode substring && withoutSubstringRule(schemaManager, substring)) {
                return done(search, ResultCodeEnum.INAPPROPRIATE_MATCHING, substring.getAttribute()
                        + " has no substring matching rule; test it with an equality or presence filter");
            } else if (current.node() instanceof LeafNode leaf) {
                String refusal = leafRefusal(schemaManager, leaf);
                if (refusal != null) {
                    return done(search, latin1(leaf.getAttribute()) ? ResultCodeEnum.INVALID_ATTRIBUTE_SYNTAX
                            : ResultCodeEnum.PROTOCOL_ERROR, refusal);
                }
            }
        }
        return null;
    }

    /**
     * The response refusing a paged search abandoned (page size 0, RFC 2696 section 3) with a
     * cookie that names no paged search of the connection, or null.
     *
     * @param known whether a cookie value (as AM27 reads it from the cookie) names a paged search
     *              of the connection
     */
    static SearchResultDone unknownAbandonedCookie(SearchRequest search, IntPredicate known) {
        if (!(search.getControl(PagedResults.OID) instanceof PagedResults paged) || paged.getSize() != 0
                || paged.getCookie() == null || paged.getCookie().length == 0) {
            return null;
        }
        boolean found;
        try {
            found = known.test(paged.getCookieValue());
        } catch (RuntimeException e) {
            found = false;
        }
        return found ? null : done(search, ResultCodeEnum.UNWILLING_TO_PERFORM, "the paged results cookie names no "
                + "paged search of this connection, so there is none to abandon (RFC 2696 section 3)");
    }

    /** Why an assertion is refused: a name past Latin-1, or a value its known type cannot normalize. */
    private static String leafRefusal(SchemaManager schemaManager, LeafNode leaf) {
        String attribute = leaf.getAttribute();
        if (attribute == null) {
            return null;
        }
        if (!latin1(attribute)) {
            return notAscii(attribute);
        }
        int options = attribute.indexOf(';');
        AttributeType type = schemaManager.getAttributeType(options < 0 ? attribute : attribute.substring(0, options));
        if (type == null) {
            return null; // undefined, as AM27 treats it
        }
        try {
            if (leaf instanceof SimpleNode<?> simple && simple.getValue() != null) {
                new Value(type, simple.getValue());
            } else if (leaf instanceof SubstringNode substring) {
                // Substring parts are normalized by the substring rule, which AM27 applies to each.
                for (String part : substring.getAny() == null ? java.util.List.<String>of() : substring.getAny()) {
                    requireNormalizable(type, part);
                }
                requireNormalizable(type, substring.getInitial());
                requireNormalizable(type, substring.getFinal());
            }
            return null;
        } catch (LdapException | RuntimeException e) {
            String name = type.getName() == null ? type.getOid() : type.getName();
            String syntax = type.getSyntax() == null || type.getSyntax().getDescription() == null ? type.getSyntaxOid()
                    : type.getSyntax().getDescription();
            return "the filter's assertion on " + name + " is not a valid " + syntax + " (RFC 4517); correct it";
        }
    }

    private static boolean withoutSubstringRule(SchemaManager schemaManager, SubstringNode substring) {
        AttributeType type = latin1(substring.getAttribute()) ? type(schemaManager, substring.getAttribute()) : null;
        return type != null && type.getSubstring() == null;
    }

    /** The type an attribute description names (options ignored), or null. */
    private static AttributeType type(SchemaManager schemaManager, String description) {
        if (description == null) {
            return null;
        }
        int options = description.indexOf(';');
        return schemaManager.getAttributeType(options < 0 ? description : description.substring(0, options));
    }

    private static void requireNormalizable(AttributeType type, String part) throws LdapException {
        if (part != null && type.getSubstring() != null && type.getSubstring().getNormalizer() != null) {
            type.getSubstring().getNormalizer().normalize(part);
        }
    }

    private static boolean latin1(String text) {
        if (text == null) {
            return true;
        }
        for (int i = 0; i < text.length(); i++) {
            if (text.charAt(i) > 0xff) {
                return false;
            }
        }
        return true;
    }

    private static String notAscii(String attribute) {
        return "'" + (attribute.length() > 64 ? attribute.substring(0, 64) + "..." : attribute)
                + "' is not an attribute description: they are ASCII (RFC 4512 section 2.5)";
    }

    private static SearchResultDone done(SearchRequest search, ResultCodeEnum code, String message) {
        SearchResultDoneImpl done = new SearchResultDoneImpl(search.getMessageId());
        done.getLdapResult().setResultCode(code);
        done.getLdapResult().setDiagnosticMessage(message);
        return done;
    }
}
