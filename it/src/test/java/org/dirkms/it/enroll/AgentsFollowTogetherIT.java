package org.dirkms.it.enroll;

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
import org.dirkms.dist.KmsContext;
import org.dirkms.it.support.LdapTools;
import org.dirkms.it.support.People;
import org.dirkms.it.support.TestDirectory;
import org.dirkms.schema.KeyAlgorithm;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two agents serving the same KMS server entry each keep following the directory
 * (docs/reliability.md, "Several agents"). A syncrepl cookie names its consumer: ApacheDS keeps one
 * replica log per consumer and hands the log of the cookie's replica to whichever search presents
 * it, so an agent that started from a cookie another agent had received (as from one saved on the
 * shared server entry) took that agent's notifications away, and the other learnt of new work
 * only at its sweep. Here both agents sweep once an hour: the first must still enroll, within
 * seconds, a user asked for after the second started and stopped again.
 */
class AgentsFollowTogetherIT {
    private static final Duration NO_SWEEP_IN_THIS_TEST = Duration.ofHours(1);

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
        TestCertificationAuthority setUp = TestCertificationAuthority.create(directory, work, "Following CA",
                KeyAlgorithm.EC_P256, RANDOM);
        connection = setUp.connection();
        ca = setUp.ca();
        recovery = setUp.recovery();
        LdapTools.against(directory).asKmsAdministrator().modify("dn: "
                + directory.layout().defaultAdministrativeGroup() + "\nchangetype: modify\n"
                + "replace: kmsKeyAlgorithm\nkmsKeyAlgorithm: EC-P256\n-\n").assertSuccess();
    }

    @AfterAll
    static void close() {
        if (connection != null) {
            connection.close();
        }
    }

    private static KmsAgent newAgent() {
        KmsContext kms = directory.kms();
        return kms.agent(ca, recovery.current().certificate(), kms.agentSettings(), 2, NO_SWEEP_IN_THIS_TEST);
    }

    @Test
    void anAgentStartedBesideAnotherLeavesItsNotificationsAlone() throws Exception {
        try (KmsAgent first = newAgent()) {
            first.start();
            assertTrue(first.awaitLive(Duration.ofSeconds(30)), "the first agent's syncrepl refresh completes");
            String early = requestNewUser("follow-early");
            awaitEnrolled(early, "the first agent alone");
            try (KmsAgent second = newAgent()) {
                second.start();
                assertTrue(second.awaitLive(Duration.ofSeconds(30)), "the second agent's syncrepl refresh completes");
            }
            String late = requestNewUser("follow-late");
            awaitEnrolled(late, "the first agent after the second came and went");
        }
    }

    private static String requestNewUser(String uid) {
        String dn = "uid=" + uid + "," + directory.layout().people();
        People.addAndEnroll(directory, "dn: " + dn + "\nobjectClass: inetOrgPerson\nobjectClass: kmsUser\nuid: " + uid
                + "\ncn: " + uid + "\nsn: " + uid + "\nmail: " + uid + "@example.com\nkmsEnrollmentState: requested\n");
        return dn;
    }

    /** Waits for an agent (another thread) to enroll {@code dn}: 20 s, far less than the sweep. */
    private static void awaitEnrolled(String dn, String by) throws Exception {
        Instant deadline = Instant.now().plusSeconds(20);
        while (true) {
            Entry entry = connection.lookup(dn, "kmsEnrollmentState", "kmsLastError");
            if ("enrolled".equals(entry.get("kmsEnrollmentState").getString())) {
                return;
            }
            if (Instant.now().isAfter(deadline)) {
                fail(dn + " was not enrolled by " + by + " within 20 s (its sweep is an hour away): " + entry);
            }
            Thread.sleep(100); // polling another thread's progress, not waiting for time to pass
        }
    }
}
