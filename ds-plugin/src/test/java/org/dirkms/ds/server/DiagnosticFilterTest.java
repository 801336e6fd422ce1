package org.dirkms.ds.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.apache.directory.api.ldap.model.message.ResultCodeEnum;
import org.junit.jupiter.api.Test;

/**
 * Found by ServerFuzzIT: every refusal ApacheDS AM27 makes itself (not the KMS guard) carries a
 * diagnostic that echoes the whole request, with Java object names such as
 * "org.apache.directory.api.ldap.model.message.SearchRequestImpl@3af304a0", and, for other (80),
 * the stack trace. {@link DiagnosticFilter} sends the reason alone.
 */
class DiagnosticFilterTest {

    /** Diagnostics as AM27 wrote them, measured by the fuzz suite. */
    private static final String SEARCH = "NO_SUCH_OBJECT: failed for MessageType : SEARCH_REQUEST\nMessage ID : 2\n"
            + "    SearchRequest\n        baseDn : 'cn=x,dc=example,dc=com'\n        filter : '(objectClass=*)'\n"
            + "        attributes : 'objectClass'\norg.apache.directory.api.ldap.model.message.SearchRequestImpl@3af304a0:"
            + " ERR_648 Invalid search base cn=x,dc=example,dc=com";
    private static final String MODIFY = "OTHER: failed for MessageType : MODIFY_REQUEST\nMessage ID : 3\n"
            + "    Modify Request\n        Object : 'cn=fuzz,ou=Requests,ou=KMS,dc=example,dc=com'\n"
            + "        Modifications : \n            Modification[0]\n                Operation :  replace\n"
            + "                Modification : kmsExpiresTime: now\n"
            + ": ERR_13247_INVALID_VALUE_CANT_NORMALIZE Invalid upValue 'now', it can't be normalized:\n"
            + "java.lang.IllegalArgumentException: ERR_13247_INVALID_VALUE_CANT_NORMALIZE Invalid upValue 'now'\n"
            + "\tat org.apache.directory.api.ldap.model.entry.Value.<init>(Value.java:274)\n"
            + "\tat org.apache.directory.api.ldap.model.entry.DefaultAttribute.<init>(DefaultAttribute.java:431)\n";
    private static final String COMPARE = "NO_SUCH_ATTRIBUTE: failed for MessageType : COMPARE_REQUEST\nMessage ID : 5\n"
            + "    Compare request\n        Entry : 'ou=Sandbox,dc=example,dc=com'\n"
            + "        Attribute description : 'cn'\n        Attribute value : 'victim-1"
            + "org.apache.directory.api.ldap.model.message.CompareRequestImpl@5b15485: null";

    @Test
    void theReasonIsKeptAndTheEchoAndStackTraceDropped() {
        assertEquals("ERR_648 Invalid search base cn=x,dc=example,dc=com",
                DiagnosticFilter.clean(ResultCodeEnum.NO_SUCH_OBJECT, SEARCH));
        assertEquals("ERR_13247_INVALID_VALUE_CANT_NORMALIZE Invalid upValue 'now', it can't be normalized",
                DiagnosticFilter.clean(ResultCodeEnum.OTHER, MODIFY));
        assertEquals("the entry has no such attribute or value (noSuchAttribute)",
                DiagnosticFilter.clean(ResultCodeEnum.NO_SUCH_ATTRIBUTE, COMPARE), "no reason left: the code's meaning");
        for (String diagnostic : List.of(SEARCH, MODIFY, COMPARE)) {
            String cleaned = DiagnosticFilter.clean(ResultCodeEnum.OTHER, diagnostic);
            for (String javaText : List.of("Exception", "\tat ", "java.", "org.apache", "MessageType")) {
                assertFalse(cleaned.contains(javaText), cleaned);
            }
        }
    }

    @Test
    void theGuardsOwnMessagesAndEmptyDiagnosticsAreLeftAlone() {
        String guard = "kmsEnrollmentState 'enroled' is not one of: requested, in-progress";
        assertSame(guard, DiagnosticFilter.clean(ResultCodeEnum.CONSTRAINT_VIOLATION, guard));
        assertEquals("", DiagnosticFilter.clean(ResultCodeEnum.SUCCESS, ""));
        assertEquals("the directory could not perform the request (other)",
                DiagnosticFilter.clean(ResultCodeEnum.OTHER, "java.lang.NullPointerException"));
    }

    /**
     * Found by ServerFuzzIT, in this filter's first form: a regular expression looking for the
     * end of the dump backtracked for minutes over a request that named a 200 000-character DN,
     * holding a server thread. The reason is found by plain searches and cut before matching.
     */
    @Test
    void aHugeEchoedRequestIsCleanedAtOnce() {
        String dn = "cn=" + "v".repeat(200_000) + ",ou=Sandbox,dc=example,dc=com";
        String diagnostic = "NO_SUCH_OBJECT: failed for MessageType : MODIFY_REQUEST\nMessage ID : 9\n    Modify Request\n"
                + "        Object : '" + dn + "'\n                Modification : description: x\n: ERR_268 Cannot find a"
                + " partition for " + dn;
        long started = System.nanoTime();
        String cleaned = DiagnosticFilter.clean(ResultCodeEnum.NO_SUCH_OBJECT, diagnostic);
        long millis = (System.nanoTime() - started) / 1_000_000;
        assertTrue(millis < 2_000, millis + " ms");
        assertTrue(cleaned.startsWith("ERR_268 Cannot find a partition for cn=vvv") && cleaned.length() < 1_100, cleaned);
        assertEquals("the entry does not exist (noSuchObject)", DiagnosticFilter.clean(ResultCodeEnum.NO_SUCH_OBJECT,
                "NO_SUCH_OBJECT: failed for MessageType : MODIFY_REQUEST " + "v".repeat(200_000)));
    }
}
