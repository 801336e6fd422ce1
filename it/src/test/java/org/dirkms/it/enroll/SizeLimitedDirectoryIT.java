package org.dirkms.it.enroll;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.apache.directory.ldap.client.api.LdapNetworkConnection;
import org.dirkms.agent.ca.CertificationAuthority;
import org.dirkms.agent.directory.EnrollmentRecords;
import org.dirkms.agent.directory.LdapEnrollmentRecords;
import org.dirkms.agent.enroll.KmsAgent;
import org.dirkms.agent.keys.RecoveryKeyStore;
import org.dirkms.it.support.LdapTools;
import org.dirkms.it.support.People;
import org.dirkms.it.support.TestDirectory;
import org.dirkms.schema.EnrollmentState;
import org.dirkms.schema.KeyAlgorithm;
import org.dirkms.dist.KmsContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent sees every entry on a server that returns at most {@value #LIMIT} entries per search
 * to it (ApacheDS' maxSizeLimit, which AM27 counts over all the pages of a paged search, so paging
 * alone would not get past it): {@value #USERS} users marked {@code requested} are all listed, and
 * all enrolled by the agent's start-up reconciliation, while a plain {@code ldapsearch} as the same
 * identity stops at the limit with sizeLimitExceeded.
 */
class SizeLimitedDirectoryIT {
    private static final int LIMIT = 10;
    private static final int USERS = 35;

    @RegisterExtension
    static final TestDirectory directory = new TestDirectory(settings -> settings.withSearchSizeLimit(LIMIT));

    @TempDir
    static Path work;

    private static final SecureRandom RANDOM = new SecureRandom();
    private static LdapNetworkConnection connection;
    private static CertificationAuthority ca;
    private static RecoveryKeyStore recovery;
    private static final Set<String> requested = new TreeSet<>();

    @BeforeAll
    static void setUp() throws Exception {
        TestCertificationAuthority setUp = TestCertificationAuthority.create(directory, work, "Size Limit Test CA",
                KeyAlgorithm.EC_P256, RANDOM);
        connection = setUp.connection();
        ca = setUp.ca();
        recovery = setUp.recovery();
        admin().modify("dn: " + directory.layout().defaultAdministrativeGroup() + "\nchangetype: modify\n"
                + "replace: kmsKeyAlgorithm\nkmsKeyAlgorithm: EC-P256\n-\n").assertSuccess();
        StringBuilder ldif = new StringBuilder();
        for (int i = 0; i < USERS; i++) {
            String uid = "limited" + i;
            String dn = "uid=" + uid + "," + directory.layout().people();
            requested.add(dn.toLowerCase(java.util.Locale.ROOT));
            ldif.append("dn: ").append(dn).append("\nobjectClass: inetOrgPerson\nobjectClass: kmsUser\nuid: ").append(uid)
                    .append("\ncn: ").append(uid).append("\nsn: Limited\nmail: ").append(uid)
                    .append("@example.com\nkmsEnrollmentState: requested\n\n");
        }
        People.addAndEnroll(directory, ldif.toString());
    }

    @AfterAll
    static void close() {
        if (connection != null) {
            connection.close();
        }
    }

    @Test
    void listingsAndTheFirstReconciliationSeeEveryUserPastTheLimit() throws Exception {
        // The limit is real: the agent's own identity gets LIMIT entries and sizeLimitExceeded
        // (ldapsearch exits 4, RFC 4511 section 4.1.9) from a plain search, and from a paged one.
        String filter = "(kmsEnrollmentState=requested)";
        LdapTools.Result plain = LdapTools.against(directory).asAgent().withArguments("-ZZ")
                .searchRaw("-LLL", "-b", directory.layout().suffix(), filter, "uid").assertExitCode(4);
        assertEquals(LIMIT, count(plain.stdout()), plain.stderr());
        LdapTools.Result paged = LdapTools.against(directory).asAgent().withArguments("-ZZ")
                .searchRaw("-LLL", "-E", "pr=5/noprompt", "-b", directory.layout().suffix(), filter, "uid")
                .assertExitCode(4);
        assertEquals(LIMIT, count(paged.stdout()), "ApacheDS counts its limit over all pages: " + paged.stderr());

        EnrollmentRecords records = new LdapEnrollmentRecords(connection, directory.layout());
        assertEquals(requested, dns(records.usersInState(EnrollmentState.REQUESTED)),
                "usersInState lists every requested user");
        // DNs only ("1.1"), as `dirkms enroll --filter` lists them.
        assertEquals(requested, lower(records.findDns(directory.layout().people(), "(uid=limited*)")));

        KmsContext kms = directory.kms();
        try (KmsAgent agent = kms.agent(ca, recovery.current().certificate(), kms.agentSettings(), 2,
                Duration.ofHours(1))) {
            // The sweep is an hour away: what gets enrolled is what the start-up reconciliation
            // listed (the syncrepl refresh is cut by the same limit).
            agent.start();
            Instant deadline = Instant.now().plusSeconds(120);
            List<EnrollmentRecords.UserEntry> enrolled = records.usersInState(EnrollmentState.ENROLLED);
            while (enrolled.size() < USERS) {
                if (Instant.now().isAfter(deadline)) {
                    fail("only " + enrolled.size() + " of " + USERS + " users enrolled within 120 s; still waiting: "
                            + records.usersInState(EnrollmentState.REQUESTED, EnrollmentState.IN_PROGRESS,
                                    EnrollmentState.FAILED).size());
                }
                Thread.sleep(200); // polling the agent's worker threads, not waiting for time to pass
                enrolled = records.usersInState(EnrollmentState.ENROLLED);
            }
            assertEquals(requested, dns(enrolled), "every user enrolled, each listed once");
            assertEquals(requested, dns(records.usersWithPackage()), "every user's package is listed for expiry");
            assertEquals(List.of(), records.usersInState(EnrollmentState.REQUESTED, EnrollmentState.IN_PROGRESS,
                    EnrollmentState.FAILED));
        }
        // Independent check as the (unlimited) administrator: every user enrolled with one archived key.
        LdapTools.Result enrolledByAdmin = LdapTools.against(directory).asAdmin().searchRaw("-LLL", "-b", directory.layout().people(),
                "(&(uid=limited*)(kmsEnrollmentState=enrolled))", "1.1").assertSuccess();
        assertEquals(USERS, count(enrolledByAdmin.stdout()));
        LdapTools.Result archived = LdapTools.against(directory).asAdmin().searchRaw("-LLL", "-b", directory.layout().keyArchive(),
                "(objectClass=kmsArchivedKey)", "1.1").assertSuccess();
        assertEquals(USERS, count(archived.stdout()), "one archived encryption key per user");
    }

    private static LdapTools admin() {
        return LdapTools.against(directory).asKmsAdministrator();
    }

    private static Set<String> dns(List<EnrollmentRecords.UserEntry> users) {
        Set<String> dns = new TreeSet<>();
        for (EnrollmentRecords.UserEntry user : users) {
            assertTrue(dns.add(user.dn().toLowerCase(java.util.Locale.ROOT)), user.dn() + " listed twice");
        }
        return dns;
    }

    private static Set<String> lower(List<String> dns) {
        Set<String> lower = new TreeSet<>();
        for (String dn : dns) {
            assertTrue(lower.add(dn.toLowerCase(java.util.Locale.ROOT)), dn + " listed twice");
        }
        return lower;
    }

    private static long count(String ldif) {
        return ldif.lines().filter(line -> line.startsWith("dn: ")).count();
    }
}
