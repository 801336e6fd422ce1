package org.dirkms.it.enroll;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Path;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
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
 * A KMS administrator changes an administrative group's configuration and at once asks for an
 * enrollment: the running agent enrolls the user as the group now says. The agent keeps what it
 * read of the groups for a while; it used to enroll with the old configuration for up to 30 s
 * after a change (seen as RSA keys in a group just set to EC P-256), and now reads the groups again
 * when syncrepl tells it one changed. Its sweep is an hour away, so only the notification counts.
 */
class GroupChangeIT {
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
        TestCertificationAuthority setUp = TestCertificationAuthority.create(directory, work, "Group Change CA",
                KeyAlgorithm.EC_P256, RANDOM);
        connection = setUp.connection();
        ca = setUp.ca();
        recovery = setUp.recovery();
        useKeyAlgorithm("EC-P256");
    }

    @AfterAll
    static void close() {
        if (connection != null) {
            connection.close();
        }
    }

    private static void useKeyAlgorithm(String algorithm) {
        LdapTools.against(directory).asKmsAdministrator().modify("dn: "
                + directory.layout().defaultAdministrativeGroup() + "\nchangetype: modify\n"
                + "replace: kmsKeyAlgorithm\nkmsKeyAlgorithm: " + algorithm + "\n-\n").assertSuccess();
    }

    @Test
    void aUserAskedForRightAfterAGroupChangeIsEnrolledAsTheGroupNowSays() throws Exception {
        KmsContext kms = directory.kms();
        try (KmsAgent agent = kms.agent(ca, recovery.current().certificate(), kms.agentSettings(), 2,
                Duration.ofHours(1))) {
            agent.start();
            assertTrue(agent.awaitLive(Duration.ofSeconds(30)), "the agent's syncrepl refresh completes");
            String before = requestNewUser("group-before");
            assertEquals(256, fieldSize(awaitEnrolled(before)), "EC P-256 while the group says so");
            useKeyAlgorithm("EC-P384");
            String after = requestNewUser("group-after");
            assertEquals(384, fieldSize(awaitEnrolled(after)), "EC P-384 once the group says so, at once");
        }
    }

    private static int fieldSize(List<X509Certificate> certificates) {
        int size = ((ECPublicKey) certificates.get(0).getPublicKey()).getParams().getCurve().getField().getFieldSize();
        for (X509Certificate certificate : certificates) {
            assertEquals(size, ((ECPublicKey) certificate.getPublicKey()).getParams().getCurve().getField()
                    .getFieldSize(), "both keys of one enrollment on one curve");
        }
        return size;
    }

    private static String requestNewUser(String uid) {
        String dn = "uid=" + uid + "," + directory.layout().people();
        People.addAndEnroll(directory, "dn: " + dn + "\nobjectClass: inetOrgPerson\nobjectClass: kmsUser\nuid: " + uid
                + "\ncn: " + uid + "\nsn: " + uid + "\nmail: " + uid + "@example.com\nkmsEnrollmentState: requested\n");
        return dn;
    }

    /** Waits for the agent (another thread) to enroll {@code dn}: 20 s, far less than the sweep; its certificates. */
    private static List<X509Certificate> awaitEnrolled(String dn) throws Exception {
        Instant deadline = Instant.now().plusSeconds(20);
        while (true) {
            Entry entry = connection.lookup(dn, "kmsEnrollmentState", "kmsLastError", "userCertificate");
            if ("enrolled".equals(entry.get("kmsEnrollmentState").getString())) {
                return EnrollmentIT.certificates(entry, "userCertificate");
            }
            if (Instant.now().isAfter(deadline)) {
                fail(dn + " was not enrolled within 20 s: " + entry);
            }
            Thread.sleep(100); // polling another thread's progress, not waiting for time to pass
        }
    }
}
