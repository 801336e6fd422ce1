package org.dirkms.ds.server;

import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.apache.directory.api.ldap.model.message.LdapResult;
import org.apache.directory.api.ldap.model.message.ResultCodeEnum;
import org.apache.directory.api.ldap.model.message.ResultResponse;
import org.apache.directory.server.ldap.LdapServer;
import org.apache.mina.core.session.IoSession;
import org.apache.mina.core.filterchain.IoFilterAdapter;
import org.apache.mina.core.write.WriteRequest;

/**
 * Sends the diagnostic of every response as a reason a person can act on, without what ApacheDS
 * 2.0.0.AM27 wraps around its own refusals: AM27 writes {@code "<CODE>: failed for <the whole
 * request>: <reason>"}, where the request's dump ends in Java object names
 * ({@code org.apache.directory.api.ldap.model.message.SearchRequestImpl@3af304a0}), and for
 * other (80) and some others appends the Java stack trace. Found by the fuzz suite
 * ({@code ServerFuzzIT}), on every kind of request.
 *
 * <p>This MINA filter, right after the LDAP codec of every transport (so it sees each response
 * last, after the KMS guard's own rewording), keeps the reason — cut before any stack trace, Java
 * class names removed — and, when nothing readable is left, sends what the result code means
 * ("the entry does not exist"). Diagnostics that are not AM27's echo and carry no Java text (the
 * guard's messages) pass unchanged. Dropping the echo also keeps the request's values out of the
 * diagnostic.
 */
final class DiagnosticFilter extends IoFilterAdapter {

    /** Name of this filter in each transport's MINA filter chain. */
    static final String FILTER_NAME = "dirkmsDiagnostic";

    /** Text that betrays Java in a diagnostic. */
    private static final List<String> JAVA_TEXT = List.of("Exception", "\tat ", "java.", "javax.", "org.apache",
            "MessageType");
    /** AM27's echo: {@code NO_SUCH_OBJECT: failed for MessageType : SEARCH_REQUEST ...}. */
    private static final Pattern ECHO = Pattern.compile("^[A-Z_]+: failed for ");
    /** The end of AM27's request dump: {@code ...RequestImpl@3af304a0: }, looked for from the end. */
    private static final String DUMP_END = "Impl@";
    /** The longest reason sent; the regular expressions below only ever see this much. */
    private static final int LONGEST_REASON = 1_000;
    /** Where a stack trace starts: {@code :\njava.lang.IllegalArgumentException: ...} or a first {@code \tat }. */
    private static final Pattern STACK_TRACE = Pattern.compile(":?\\s*\\n(?:[a-zA-Z_$][\\w$.]*(?:Exception|Error)|\\tat )");
    /** A Java class name, e.g. {@code java.io.IOException: }. */
    private static final Pattern JAVA_CLASS_NAME = Pattern.compile("(?:[a-z][a-z0-9_]*\\.)+[A-Z][A-Za-z0-9_$]*(?::\\s*)?");

    private static final Map<ResultCodeEnum, String> MEANINGS = Map.ofEntries(
            Map.entry(ResultCodeEnum.OPERATIONS_ERROR, "the directory could not perform the request"),
            Map.entry(ResultCodeEnum.PROTOCOL_ERROR, "the request is not a valid LDAP message"),
            Map.entry(ResultCodeEnum.NO_SUCH_ATTRIBUTE, "the entry has no such attribute or value"),
            Map.entry(ResultCodeEnum.UNDEFINED_ATTRIBUTE_TYPE, "the attribute type is not defined in this directory"),
            Map.entry(ResultCodeEnum.INAPPROPRIATE_MATCHING, "the attribute has no matching rule for this assertion"),
            Map.entry(ResultCodeEnum.CONSTRAINT_VIOLATION, "a value breaks a constraint of its attribute"),
            Map.entry(ResultCodeEnum.ATTRIBUTE_OR_VALUE_EXISTS, "the entry has this value already"),
            Map.entry(ResultCodeEnum.INVALID_ATTRIBUTE_SYNTAX, "a value is not valid for its attribute's syntax"),
            Map.entry(ResultCodeEnum.NO_SUCH_OBJECT, "the entry does not exist"),
            Map.entry(ResultCodeEnum.INVALID_DN_SYNTAX, "the name is not a valid DN (RFC 4514)"),
            Map.entry(ResultCodeEnum.INSUFFICIENT_ACCESS_RIGHTS, "you may not do this"),
            Map.entry(ResultCodeEnum.UNWILLING_TO_PERFORM, "the directory will not perform this request"),
            Map.entry(ResultCodeEnum.NAMING_VIOLATION, "the name breaks the directory's naming rules"),
            Map.entry(ResultCodeEnum.OBJECT_CLASS_VIOLATION, "the entry would break its object classes' rules"),
            Map.entry(ResultCodeEnum.NOT_ALLOWED_ON_NON_LEAF, "the entry has entries below it"),
            Map.entry(ResultCodeEnum.NOT_ALLOWED_ON_RDN, "the change would remove a value of the entry's RDN"),
            Map.entry(ResultCodeEnum.ENTRY_ALREADY_EXISTS, "an entry of this name exists already"));

    private DiagnosticFilter() {
        // one instance per server, shared by its transports
    }

    /** Installs one filter right after the LDAP codec of every transport of a started LDAP server. */
    static void install(LdapServer ldapServer) {
        CodecFilters.installRightAfterCodec(ldapServer, FILTER_NAME, new DiagnosticFilter());
    }

    @Override
    public void filterWrite(NextFilter next, IoSession session, WriteRequest request) throws Exception {
        if (request.getMessage() instanceof ResultResponse response && response.getLdapResult() != null) {
            LdapResult result = response.getLdapResult();
            String diagnostic = result.getDiagnosticMessage();
            String cleaned = clean(result.getResultCode(), diagnostic);
            if (cleaned != diagnostic) {
                result.setDiagnosticMessage(cleaned);
            }
        }
        next.filterWrite(session, request);
    }

    /** The diagnostic to send for {@code diagnostic}: itself when it is fit to send, else its reason or the code's meaning. */
    static String clean(ResultCodeEnum code, String diagnostic) {
        if (diagnostic == null || diagnostic.isEmpty()) {
            return diagnostic;
        }
        boolean echo = ECHO.matcher(diagnostic).lookingAt();
        if (!echo && !hasJavaText(diagnostic)) {
            return diagnostic;
        }
        String reason = echo ? reason(diagnostic) : diagnostic;
        if (reason.length() > LONGEST_REASON) {
            // A value or a DN of the request, repeated in the reason: cut before matching, as the
            // expressions below backtrack over long runs of letters.
            reason = reason.substring(0, LONGEST_REASON) + "...";
        }
        Matcher trace = STACK_TRACE.matcher(reason);
        if (trace.find()) {
            reason = reason.substring(0, trace.start());
        }
        reason = JAVA_CLASS_NAME.matcher(reason).replaceAll("").strip();
        if (reason.isEmpty() || reason.equals("null") || hasJavaText(reason)) {
            return MEANINGS.getOrDefault(code, "the directory could not perform the request") + " ("
                    + code.getMessage() + ")";
        }
        return reason;
    }

    /**
     * What follows AM27's dump of the request: after its last {@code ...Impl@hash: }, or after its
     * first {@code "\n: "}. Found by plain searches: the dump may hold a value of hundreds of
     * kilobytes, over which a regular expression would backtrack for minutes.
     */
    private static String reason(String diagnostic) {
        int at = diagnostic.lastIndexOf(DUMP_END);
        while (at >= 0) {
            int hex = at + DUMP_END.length();
            int end = hex;
            while (end < diagnostic.length() && Character.digit(diagnostic.charAt(end), 16) >= 0) {
                end++;
            }
            if (end > hex && diagnostic.startsWith(": ", end)) {
                return diagnostic.substring(end + 2);
            }
            at = diagnostic.lastIndexOf(DUMP_END, at - 1);
        }
        int newline = diagnostic.indexOf("\n: ");
        return newline < 0 ? "" : diagnostic.substring(newline + 3);
    }

    private static boolean hasJavaText(String text) {
        for (String java : JAVA_TEXT) {
            if (text.contains(java)) {
                return true;
            }
        }
        return false;
    }
}
