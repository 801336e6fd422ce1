package org.dirkms.it.enroll;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.security.KeyPair;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.directory.api.ldap.model.entry.DefaultAttribute;
import org.apache.directory.api.ldap.model.entry.DefaultEntry;
import org.apache.directory.api.ldap.model.entry.DefaultModification;
import org.apache.directory.api.ldap.model.entry.Entry;
import org.apache.directory.api.ldap.model.entry.ModificationOperation;
import org.apache.directory.ldap.client.api.LdapNetworkConnection;
import org.dirkms.agent.archive.KeyArchiver;
import org.dirkms.agent.ca.CaService;
import org.dirkms.agent.ca.CertificationAuthority;
import org.dirkms.agent.ca.IssuanceRequest;
import org.dirkms.agent.ca.StandardTemplates;
import org.dirkms.agent.directory.LdapEnrollmentRecords;
import org.dirkms.agent.enroll.BulkEnrollment;
import org.dirkms.agent.enroll.EnrollmentService;
import org.dirkms.agent.keys.KeyPairFactory;
import org.dirkms.agent.keys.RecoveryKeyStore;
import org.dirkms.agent.smime.KeyPackage;
import org.dirkms.agent.smime.OneTimeToken;
import org.dirkms.agent.smime.SmimeCertificateBundle;
import org.dirkms.it.support.LdapTools;
import org.dirkms.it.support.TestDirectory;
import org.dirkms.schema.ContentEncryptionAlgorithm;
import org.dirkms.schema.KeyAlgorithm;
import org.dirkms.schema.MessageFormat;
import org.dirkms.schema.PackageFormat;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bulk enrollment throughput against its ceiling, measured in the same run (README, "Benchmarks"): the bulk
 * enrollment of {@code dirkms enroll} ({@link BulkEnrollment}) of N users, against (a) the same
 * key generations, signatures, wrapping and packaging in a plain loop with the same threads, and
 * (b) the same directory writes per user, of the same kinds and sizes, by a plain LDAP client
 * over the same connection with the same threads. The three take turns over five slices of the
 * users, so that load from outside weighs on all of them alike. It prints users per
 * second of each, the ratio to the slower ceiling (target: at least 0.85) and the directory
 * writes per enrolled user (target: at most 6; the audit log is a file). Runs for EC P-256 and
 * RSA-2048. It asserts only what must hold: every user enrolled, and the writes per user.
 *
 * <p>System property {@code dirkms.bench.enroll.users} (default {@value #DEFAULT_USERS}); RSA
 * uses a fifth of it by default ({@code dirkms.bench.enroll.rsa.users}), because RSA key
 * generation alone takes about a minute per thousand keys per core here. The bulk enrollment and
 * both ceilings run on the same number of threads: {@code dirkms.bench.enroll.workers}, by
 * default the agent's ({@link BulkEnrollment#DEFAULT_WORKERS}).
 */
class EnrollmentBenchmarkIT {
    private static final int DEFAULT_USERS = 1000;
    /** How many turns the bulk enrollment and the two ceilings take (each turn: a slice of the users). */
    private static final int SLICES = 5;
    private static final int WORKERS = Integer.getInteger("dirkms.bench.enroll.workers",
            BulkEnrollment.DEFAULT_WORKERS);

    @RegisterExtension
    static final TestDirectory directory = new TestDirectory();

    @TempDir
    static Path work;

    private static final SecureRandom RANDOM = new SecureRandom();
    private static LdapNetworkConnection connection;
    private static CaService caService;
    private static CertificationAuthority ca;
    private static RecoveryKeyStore recovery;

    @BeforeAll
    static void setUp() throws Exception {
        TestCertificationAuthority setUp = TestCertificationAuthority.create(directory, work, "Benchmark CA",
                KeyAlgorithm.EC_P384, RANDOM);
        connection = setUp.connection();
        caService = setUp.caService();
        ca = setUp.ca();
        recovery = setUp.recovery();
    }

    @AfterAll
    static void close() {
        if (connection != null) {
            connection.close();
        }
    }

    @Test
    void ecP256() throws Exception {
        bench(KeyAlgorithm.EC_P256, Integer.getInteger("dirkms.bench.enroll.users", DEFAULT_USERS));
    }

    @Test
    void rsa2048() throws Exception {
        bench(KeyAlgorithm.RSA_2048, Integer.getInteger("dirkms.bench.enroll.rsa.users",
                Integer.getInteger("dirkms.bench.enroll.users", DEFAULT_USERS) / 5));
    }

    private void bench(KeyAlgorithm algorithm, int users) throws Exception {
        String tag = algorithm.ldapValue().toLowerCase().replace("-", "");
        LdapTools.against(directory).asKmsAdministrator().modify("dn: "
                + directory.layout().defaultAdministrativeGroup() + "\nchangetype: modify\nreplace: kmsKeyAlgorithm\n"
                + "kmsKeyAlgorithm: " + algorithm.ldapValue() + "\n-\n").assertSuccess();
        List<String> dns = addUsers("e" + tag, users, false);
        List<String> plainDns = addUsers("p" + tag, users, true);

        RecordingRecords records = new RecordingRecords(new LdapEnrollmentRecords(connection, directory.layout()));
        EnrollmentService service = EnrollmentService.issuing(records, caService, ca, recovery.current().certificate(),
                EnrollmentService.Settings.defaults(directory.agentDn(), RANDOM), Clock.systemUTC(), RANDOM);
        // Warm-up outside the measurement: class loading and JIT of the whole path.
        List<String> warm = addUsers("w" + tag, 10, false);
        new BulkEnrollment(service, WORKERS).run(warm, work.resolve("warm-" + tag + ".tsv"), done -> { });
        records.writes.clear();

        // The three measurements take turns, slice by slice, so that a load from outside (other
        // builds on a shared machine) weighs on all three alike instead of on whichever ran then.
        double bulkSeconds = 0;
        double cryptoSeconds = 0;
        double directorySeconds = 0;
        int enrolled = 0;
        for (int slice = 0; slice < SLICES; slice++) {
            int from = users * slice / SLICES;
            int to = users * (slice + 1) / SLICES;
            long start = System.nanoTime();
            BulkEnrollment.Summary summary = new BulkEnrollment(service, WORKERS).run(dns.subList(from, to),
                    work.resolve("report-" + tag + "-" + slice + ".tsv"), done -> { });
            bulkSeconds += (System.nanoTime() - start) / 1e9;
            assertEquals(to - from, summary.enrolled(), summary.toString());
            enrolled += summary.enrolled();
            cryptoSeconds += parallel(from, to, i -> cryptography(algorithm, i));
            directorySeconds += parallel(from, to, i -> writes(plainDns.get(i)));
        }
        assertEquals(users, enrolled);
        double writesPerUser = records.writes.size() / (double) users;

        double bulkRate = users / bulkSeconds;
        double cryptoRate = users / cryptoSeconds;
        double directoryRate = users / directorySeconds;
        double ceiling = Math.min(cryptoRate, directoryRate);
        System.out.printf("BENCHMARK enrollment %s, %d users, %d workers: bulk %.1f users/s; ceiling: cryptography"
                + " %.1f users/s, directory writes %.1f users/s; ratio %.2f (target >= 0.85); %.2f directory writes"
                + " per enrolled user (target <= 6)%n", algorithm.ldapValue(), users, WORKERS, bulkRate, cryptoRate,
                directoryRate, bulkRate / ceiling, writesPerUser);
        assertEquals(5.0, writesPerUser, 0.001, "claim, archive, two children, publication");
    }

    /** The cryptography of one enrollment, as the agent does it, without the directory. */
    private static Void cryptography(KeyAlgorithm algorithm, int index) throws Exception {
        KeyPairFactory keys = new KeyPairFactory(RANDOM);
        String dn = "uid=crypto" + index + "," + directory.layout().people();
        List<String> mail = List.of("crypto" + index + "@example.com");
        KeyPair signing = keys.generate(algorithm);
        X509Certificate signingCertificate = ca.issue(IssuanceRequest.forPerson(StandardTemplates.SMIME_SIGNATURE,
                KeyPairFactory.certificationRequest(signing), dn, mail));
        KeyPair encryption = keys.generate(algorithm);
        X509Certificate encryptionCertificate = ca.issue(IssuanceRequest.forPerson(StandardTemplates.SMIME_ENCRYPTION,
                KeyPairFactory.certificationRequest(encryption), dn, mail));
        new KeyArchiver(recovery.current().certificate(), RANDOM).wrap(encryption.getPrivate(), encryptionCertificate);
        char[] token = OneTimeToken.generate(RANDOM);
        KeyPackage.build(List.of(
                new KeyPackage.Item(encryption.getPrivate(), List.of(encryptionCertificate, ca.certificate()), "e"),
                new KeyPackage.Item(signing.getPrivate(), List.of(signingCertificate, ca.certificate()), "s")),
                token, PackageFormat.PBES2_AES_256, RANDOM);
        SmimeCertificateBundle.build(signingCertificate, signing.getPrivate(), encryptionCertificate,
                List.of(ca.certificate()), ContentEncryptionAlgorithm.AES_256_CBC, MessageFormat.SMIME_3_2);
        return null;
    }

    /** The directory writes of one enrollment, of the same kinds and sizes, by a plain client. */
    private static Void writes(String dn) throws Exception {
        byte[] certificate = ca.certificate().getEncoded();
        byte[] blob = new byte[1200];
        RANDOM.nextBytes(blob);
        String expires = "20991231000000Z";
        connection.modify(dn,
                new DefaultModification(ModificationOperation.REMOVE_ATTRIBUTE, "kmsEnrollmentState", "requested"),
                new DefaultModification(ModificationOperation.ADD_ATTRIBUTE, "kmsEnrollmentState", "in-progress"),
                new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, "kmsClaimedBy", "plain client"),
                new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, "kmsLeaseExpires", expires),
                new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, "kmsSupersededCertificate"),
                new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, "kmsReplacedAttempt"));
        String rdn = dn.substring(0, dn.indexOf(','));
        Entry archive = new DefaultEntry("cn=plain-" + rdn.substring(4) + "," + directory.layout().keyArchive());
        archive.add("objectClass", "top", "kmsArchivedKey");
        archive.add("cn", "plain-" + rdn.substring(4));
        archive.add("kmsKeyOwner", dn);
        archive.add("kmsWrappedKey", blob);
        archive.add(new DefaultAttribute("userCertificate;binary", certificate));
        archive.add("kmsWrappingAlgorithm", "plain");
        archive.add("kmsWrappingKeyId", "plain");
        connection.add(archive);
        for (String purpose : List.of("signing", "encryption")) {
            Entry child = new DefaultEntry("cn=" + purpose + "," + dn);
            child.add("objectClass", "top", "kmsPublishedCertificate");
            child.add("cn", purpose);
            if (purpose.equals("signing")) {
                child.add("cn", "signing certificate of plain@example.com"); // as the agent names it
            }
            child.add("kmsCertificatePurpose", purpose);
            child.add(new DefaultAttribute("userCertificate;binary", certificate));
            connection.add(child);
        }
        connection.modify(dn,
                new DefaultModification(ModificationOperation.REMOVE_ATTRIBUTE, "kmsClaimedBy", "plain client"),
                new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, "kmsSupersededCertificate"),
                new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, "kmsReplacedAttempt"),
                new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE,
                        new DefaultAttribute("userCertificate;binary", certificate, certificate.clone())),
                new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, "userSMIMECertificate",
                        SmimeCertificateBundle.certificatesOnly(ca.certificate(), ca.certificate(), List.of())),
                new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, "kmsKeyPackage", blob),
                new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, "kmsEnrollmentToken", "token"),
                new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, "kmsKeyPackageExpires", expires),
                new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, "kmsEnrollmentState", "enrolled"),
                new DefaultModification(ModificationOperation.ADD_ATTRIBUTE, "kmsArchiveRecord",
                        archive.getDn().getName()),
                new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, "kmsLeaseExpires"),
                new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, "kmsLastError"),
                new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, "kmsRevocationReason"));
        return null;
    }

    private interface Step {
        Void run(int index) throws Exception;
    }

    /** Runs {@code step} for indexes from..to-1 on the benchmark's worker threads; the seconds it took. */
    private static double parallel(int from, int to, Step step) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(WORKERS);
        try {
            List<Callable<Void>> tasks = new ArrayList<>();
            for (int i = from; i < to; i++) {
                int index = i;
                tasks.add(() -> step.run(index));
            }
            long start = System.nanoTime();
            for (Future<Void> future : pool.invokeAll(tasks)) {
                future.get();
            }
            return (System.nanoTime() - start) / 1e9;
        } finally {
            pool.shutdownNow();
        }
    }

    private static List<String> addUsers(String prefix, int count, boolean requested) throws Exception {
        List<String> dns = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String dn = "uid=" + prefix + i + "," + directory.layout().people();
            Entry entry = new DefaultEntry(dn);
            entry.add("objectClass", "top", "person", "organizationalPerson", "inetOrgPerson");
            if (requested) {
                entry.add("objectClass", "kmsUser");
                entry.add("kmsEnrollmentState", "requested");
            }
            entry.add("uid", prefix + i);
            entry.add("cn", prefix + " " + i);
            entry.add("sn", prefix);
            entry.add("mail", prefix + i + "@example.com");
            connection.add(entry);
            dns.add(dn);
        }
        return dns;
    }
}
