package org.dirkms.it.enroll;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.math.BigInteger;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import org.apache.directory.ldap.client.api.LdapNetworkConnection;
import org.dirkms.agent.directory.LdapEnrollmentRecords;
import org.dirkms.agent.enroll.EnrollmentResult;
import org.dirkms.agent.enroll.EnrollmentService;
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
 * The claim on an enrollment as a person sees it (docs/reliability.md, "The claim"): in the
 * middle of a re-enrollment that waits for the request queue's CA, {@code ldapsearch} by a KMS
 * administrator shows the attempt (the agent, its process and a counter), its lease expiry as a
 * GeneralizedTime, and the certificates it will revoke as certificates that openssl reads; and
 * the directory refuses a claim written by anyone but a KMS agent, and a malformed one even from
 * an agent, changing nothing.
 */
class ClaimInDirectoryIT {
    @RegisterExtension
    static final TestDirectory directory = new TestDirectory();

    @TempDir
    static Path work;

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String MAIL = "lee@example.com";
    private static TestCertificationAuthority pki;
    private static String lee;
    private static Instant before;
    private static List<BigInteger> firstSerials;

    @BeforeAll
    static void enrollThenReEnrollThroughTheQueue() throws Exception {
        LdapTools.requireTool("openssl", "openssl");
        pki = TestCertificationAuthority.create(directory, work, "Claim Test CA", KeyAlgorithm.EC_P256, RANDOM);
        LdapNetworkConnection connection = pki.connection();
        LdapEnrollmentRecords records = new LdapEnrollmentRecords(connection, directory.layout());
        EnrollmentService.Settings settings = EnrollmentService.Settings.defaults(directory.agentDn(), RANDOM);
        lee = "uid=lee," + directory.layout().people();
        People.addAndEnroll(directory, "dn: " + lee + "\nobjectClass: inetOrgPerson\nobjectClass: kmsUser\n"
                + "uid: lee\ncn: Lee Example\nsn: Example\nmail: " + MAIL + "\nkmsEnrollmentState: requested\n");
        EnrollmentResult first = EnrollmentService.issuing(records, pki.caService(), pki.ca(),
                pki.recovery().current().certificate(), settings, Clock.systemUTC(), RANDOM).handle(lee);
        assertEquals(EnrollmentResult.Outcome.ENROLLED, first.outcome(), first.toString());
        first.clearToken();
        firstSerials = new ArrayList<>();
        for (byte[] der : values(agent().withArguments("-s", "base").search(lee, "(objectClass=*)", "userCertificate;binary").assertSuccess()
                .stdout(), "userCertificate")) {
            firstSerials.add(certificate(der).getSerialNumber());
        }
        assertEquals(2, firstSerials.size());

        // Re-enrollment, by a KMS administrator, handled by an agent without the CA: it claims the
        // user and waits under its claim for the queue's CA, which nobody serves in this test.
        kmsAdministrator().modify("dn: " + lee + "\nchangetype: modify\nreplace: kmsEnrollmentState\n"
                + "kmsEnrollmentState: requested\n").assertSuccess();
        before = Instant.now();
        EnrollmentResult queued = EnrollmentService.queueing(records, pki.recovery().current().certificate(), settings,
                Clock.systemUTC(), RANDOM).handle(lee);
        assertEquals(EnrollmentResult.Outcome.QUEUED, queued.outcome(), queued.toString());
    }

    @AfterAll
    static void close() {
        if (pki != null) {
            pki.connection().close();
        }
    }

    @Test
    void aPersonReadsTheClaimWithLdapsearch() throws Exception {
        String shown = kmsAdministrator().withArguments("-s", "base").search(lee, "(objectClass=kmsUser)", "kmsEnrollmentState", "kmsClaimedBy",
                "kmsLeaseExpires", "kmsSupersededCertificate", "kmsReplacedAttempt").assertSuccess().stdout();
        assertTrue(shown.contains("kmsEnrollmentState: in-progress"), shown);
        String attempt = value(shown, "kmsClaimedBy");
        assertTrue(attempt.startsWith(directory.agentDn() + " pid "), "the attempt names the agent and its process: "
                + attempt);
        assertTrue(attempt.matches(".* #[0-9]+"), "and a counter: " + attempt);
        Instant lease = Instant.from(DateTimeFormatter.ofPattern("yyyyMMddHHmmssX").withZone(ZoneOffset.UTC)
                .parse(value(shown, "kmsLeaseExpires")));
        assertTrue(lease.isAfter(before) && lease.isBefore(before.plus(EnrollmentService.DEFAULT_LEASE).plusSeconds(60)),
                "the lease is a time a person reads, one lease from now: " + lease);
        Set<BigInteger> superseded = new TreeSet<>();
        for (byte[] der : values(shown, "kmsSupersededCertificate")) {
            Path file = java.nio.file.Files.write(work.resolve("superseded-" + superseded.size() + ".der"), der);
            String text = LdapTools.run(List.of("openssl", "x509", "-inform", "DER", "-in", file.toString(), "-noout",
                    "-serial", "-subject"), java.util.Map.of(), null).assertSuccess().stdout();
            assertTrue(text.toLowerCase().contains("uid=lee") || text.toLowerCase().contains("uid = lee"), text);
            superseded.add(certificate(der).getSerialNumber());
        }
        assertEquals(new TreeSet<>(firstSerials), superseded,
                "the claim names the certificates the re-enrollment will revoke: the first enrollment's two");
        assertTrue(values(shown, "kmsReplacedAttempt").isEmpty() && !shown.contains("kmsReplacedAttempt:"),
                "no attempt died on this enrollment: " + shown);
    }

    @Test
    void nobodyButAnAgentWritesAClaimAndNobodyAMalformedOne() throws Exception {
        String before = agent().withArguments("-s", "base").search(lee, "(objectClass=*)", "kmsClaimedBy", "kmsLeaseExpires",
                "kmsSupersededCertificate").assertSuccess().stdout();
        // A KMS administrator may mark a user for enrollment, never claim or extend its work.
        for (String change : List.of("replace: kmsClaimedBy\nkmsClaimedBy: uid=alice pid 1 00 #1\n",
                "replace: kmsLeaseExpires\nkmsLeaseExpires: 20991231235959Z\n",
                "delete: kmsSupersededCertificate\n",
                "add: kmsReplacedAttempt\nkmsReplacedAttempt: someone #2\n")) {
            kmsAdministrator().modify("dn: " + lee + "\nchangetype: modify\n" + change).assertExitCode(50);
        }
        // Not even the directory superuser.
        LdapTools.against(directory).asAdmin().modify("dn: " + lee + "\nchangetype: modify\n"
                + "replace: kmsLeaseExpires\nkmsLeaseExpires: 20991231235959Z\n").assertExitCode(50);
        // An agent's malformed values: a lease that is no time, a superseded "certificate" that is not one.
        agent().modify("dn: " + lee + "\nchangetype: modify\nreplace: kmsLeaseExpires\nkmsLeaseExpires: tomorrow\n")
                .assertExitCode(21);
        agent().modify("dn: " + lee + "\nchangetype: modify\nadd: kmsSupersededCertificate\n"
                + "kmsSupersededCertificate:: " + Base64.getEncoder().encodeToString(new byte[] {0x30, 0x03, 1, 1, 0})
                + "\n").assertExitCode(21);
        assertEquals(before, agent().withArguments("-s", "base").search(lee, "(objectClass=*)", "kmsClaimedBy", "kmsLeaseExpires",
                "kmsSupersededCertificate").assertSuccess().stdout(), "nothing changed");
    }

    private static LdapTools agent() {
        return LdapTools.against(directory).asAgent();
    }

    private static LdapTools kmsAdministrator() {
        return LdapTools.against(directory).asKmsAdministrator();
    }

    private static X509Certificate certificate(byte[] der) throws Exception {
        return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(der));
    }

    /** The one value of {@code attribute} in ldapsearch's LDIF. */
    private static String value(String ldif, String attribute) {
        return ldif.lines().filter(line -> line.startsWith(attribute + ": ")).map(line -> line.substring(attribute.length() + 2))
                .findFirst().orElseThrow(() -> new AssertionError("no " + attribute + " in\n" + ldif));
    }

    /** The base64 values of {@code attribute} (with or without ;binary) in ldapsearch's LDIF. */
    private static List<byte[]> values(String ldif, String attribute) {
        List<byte[]> values = new ArrayList<>();
        for (String line : ldif.lines().toList()) {
            for (String prefix : List.of(attribute + ":: ", attribute + ";binary:: ")) {
                if (line.startsWith(prefix)) {
                    values.add(Base64.getDecoder().decode(line.substring(prefix.length())));
                }
            }
        }
        return values;
    }
}
