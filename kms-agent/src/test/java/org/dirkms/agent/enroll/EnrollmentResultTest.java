package org.dirkms.agent.enroll;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.util.List;
import org.dirkms.schema.EnrollmentState;
import org.junit.jupiter.api.Test;

/** What leaves the enrollment package in text never carries a token, and names compare as people write them. */
class EnrollmentResultTest {

    @Test
    void toStringNeverShowsTheTokenAndClearingOverwritesIt() {
        char[] token = "ABCD-EFGH-JKLM".toCharArray();
        EnrollmentResult result = new EnrollmentResult("uid=a,dc=example,dc=com", List.of("a@example.com"),
                EnrollmentResult.Outcome.ENROLLED, EnrollmentState.ENROLLED, null, token);
        assertFalse(result.toString().contains("ABCD"), result.toString());
        result.clearToken();
        assertArrayEquals(new char[14], token);
    }

    @Test
    void dnsCompareWithoutCaseAndSpacesAroundSeparators() {
        assertEquals(AgentScope.normal("cn=default,ou=Servers,ou=KMS,dc=example,dc=com"),
                AgentScope.normal("CN=Default, ou=Servers ,ou = KMS,dc=Example,dc=com"));
    }

    @Test
    void theAgentConnectsOnlyWithLdapUrls() {
        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
                () -> new AgentConnection("http://127.0.0.1:10389", "uid=kms-agent,ou=KMS,dc=example,dc=com",
                        Path.of("p"), Path.of("c")));
        assertEquals("'http://127.0.0.1:10389' is not an ldap:// or ldaps:// URL", refused.getMessage());
    }
}
