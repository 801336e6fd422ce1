package org.dirkms.it.enroll;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import org.apache.directory.api.ldap.model.entry.Entry;
import org.apache.directory.ldap.client.api.LdapNetworkConnection;
import org.dirkms.agent.ca.CertificationAuthority;
import org.dirkms.agent.enroll.KmsAgent;
import org.dirkms.agent.keys.RecoveryKeyStore;
import org.dirkms.it.support.LdapTools;
import org.dirkms.it.support.People;
import org.dirkms.it.support.TestDirectory;
import org.dirkms.schema.KeyAlgorithm;
import org.dirkms.dist.KmsContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent as it runs: over StartTLS as the KMS agent, it enrolls what was requested before it
 * started (reconcile), what an administrator requests while it runs (syncrepl refreshAndPersist),
 * leaves no syncrepl cookie on its KMS server entry for another agent to take, revokes on request,
 * and after a restart (over LDAPS this time) acts on a request made while it was down.
 */
class AgentWatchIT {
    @RegisterExtension
    static final TestDirectory directory = new TestDirectory();

    @TempDir
    static Path work;

    private static final SecureRandom RANDOM = new SecureRandom();
    private static LdapNetworkConnection connection;
    private static CertificationAuthority ca;
    private static RecoveryKeyStore recovery;

    @BeforeAll
    static void setUp() throws Exception {
        TestCertificationAuthority setUp = TestCertificationAuthority.create(directory, work, "Agent Test CA",
                KeyAlgorithm.EC_P256, RANDOM);
        connection = setUp.connection();
        ca = setUp.ca();
        recovery = setUp.recovery();
        // The default group asks for RSA-2048; EC keeps this test fast.
        admin().modify("dn: " + directory.layout().defaultAdministrativeGroup() + "\nchangetype: modify\n"
                + "replace: kmsKeyAlgorithm\nkmsKeyAlgorithm: EC-P256\n-\n").assertSuccess();
    }

    @AfterAll
    static void close() {
        if (connection != null) {
            connection.close();
        }
    }

    private static LdapTools admin() {
        return LdapTools.against(directory).asKmsAdministrator();
    }

    private static KmsAgent newAgent(String url) {
        KmsContext kms = directory.kms().withUrl(url);
        return kms.agent(ca, recovery.current().certificate(), kms.agentSettings(), 2, KmsAgent.DEFAULT_SWEEP);
    }

    @Test
    void enrollsWhatWasWaitingWhatArrivesAndWhatCameWhileItWasDown() throws Exception {
        String before = requestNewUser("before");
        String during;
        String down;
        try (KmsAgent agent = newAgent(directory.ldapUrl())) { // StartTLS
            agent.start();
            assertTrue(agent.awaitLive(Duration.ofSeconds(30)), "the syncrepl refresh completes");
            awaitState(before, "enrolled");
            during = requestNewUser("during");
            awaitState(during, "enrolled");
            admin().modify("dn: " + during + "\nchangetype: modify\nreplace: kmsEnrollmentState\n"
                    + "kmsEnrollmentState: revoke-requested\n-\n").assertSuccess();
            awaitState(during, "revoked");
        }
        Entry server = connection.lookup("cn=default," + directory.layout().servers(), "kmsSyncCookie");
        assertNull(server.get("kmsSyncCookie"), "no agent saves a syncrepl cookie where another agent would take it"
                + " (AgentsFollowTogetherIT)");

        down = requestNewUser("down");
        assertEquals("requested", state(down), "nobody acts while the agent is down");
        try (KmsAgent agent = newAgent(directory.ldapsUrl())) { // LDAPS
            agent.start();
            awaitState(down, "enrolled");
        }
    }

    private static String requestNewUser(String uid) {
        String dn = "uid=" + uid + "," + directory.layout().people();
        People.addAndEnroll(directory, "dn: " + dn + "\nobjectClass: inetOrgPerson\nobjectClass: kmsUser\nuid: " + uid
                + "\ncn: " + uid + "\nsn: " + uid + "\nmail: " + uid + "@example.com\nkmsEnrollmentState: requested\n");
        return dn;
    }

    private static String state(String dn) throws Exception {
        Entry entry = connection.lookup(dn, "kmsEnrollmentState", "kmsLastError");
        return entry.get("kmsEnrollmentState").getString();
    }

    /** Waits for the agent (another thread) to bring the user to {@code expected}, at most 60 seconds. */
    private static void awaitState(String dn, String expected) throws Exception {
        Instant deadline = Instant.now().plusSeconds(60);
        String current = state(dn);
        while (!expected.equals(current)) {
            if (Instant.now().isAfter(deadline)) {
                Entry entry = connection.lookup(dn, "kmsEnrollmentState", "kmsLastError");
                fail(dn + " did not become " + expected + " within 60 s: " + entry);
            }
            Thread.sleep(100); // polling another thread's progress, not waiting for time to pass
            current = state(dn);
        }
    }
}
