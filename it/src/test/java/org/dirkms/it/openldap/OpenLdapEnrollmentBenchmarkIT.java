package org.dirkms.it.openldap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.directory.api.ldap.model.entry.DefaultAttribute;
import org.apache.directory.api.ldap.model.entry.DefaultEntry;
import org.apache.directory.api.ldap.model.entry.DefaultModification;
import org.apache.directory.api.ldap.model.entry.Entry;
import org.apache.directory.api.ldap.model.entry.ModificationOperation;
import org.apache.directory.ldap.client.api.LdapNetworkConnection;
import org.dirkms.agent.archive.KeyArchiver;
import org.dirkms.agent.ca.CertificationAuthority;
import org.dirkms.agent.ca.IssuanceRequest;
import org.dirkms.agent.ca.StandardTemplates;
import org.dirkms.agent.enroll.AgentConnection;
import org.dirkms.agent.enroll.BulkEnrollment;
import org.dirkms.agent.keys.KeyPairFactory;
import org.dirkms.agent.smime.KeyPackage;
import org.dirkms.agent.smime.OneTimeToken;
import org.dirkms.agent.smime.SmimeCertificateBundle;
import org.dirkms.dist.KmsContext;
import org.dirkms.it.agents.AgentProcess;
import org.dirkms.it.queue.DirectoryProcess;
import org.dirkms.it.support.DirkmsRun;
import org.dirkms.it.support.LdapTools;
import org.dirkms.schema.ContentEncryptionAlgorithm;
import org.dirkms.schema.DataFolder;
import org.dirkms.schema.DirectoryLayout;
import org.dirkms.schema.KeyAlgorithm;
import org.dirkms.schema.MessageFormat;
import org.dirkms.schema.PackageFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bulk enrollment on OpenLDAP against the embedded server (README, "Benchmarks"): EC P-256 users
 * per second from the {@code ldapmodify} that asks for their enrollment to the last one enrolled,
 * <ul>
 * <li>on slapd made from the shipped configuration ({@link Slapd}) with one {@code dirkms agent}
 *     process, then with two (each with a folder of its own, as on hosts of their own);</li>
 * <li>on {@code dirkms serve} with its own agent;</li>
 * </ul>
 * each against its ceiling measured in the same run, as {@code EnrollmentBenchmarkIT} builds
 * it: the slower of (a) the same key generations, signatures, wrapping and packaging in a plain
 * loop in this JVM, with the CA's own key, and (b) the same directory writes per user, of the same
 * kinds and sizes (the administrator's request, the claim, the archive record, two children, the
 * publication), by a plain LDAP client bound as the KMS agent to the same server; both with as
 * many threads as the agents have workers together. It prints {@code BENCHMARK} lines with the
 * rates, the ratios to the ceilings (target at least 0.85 on slapd) and slapd with two agents
 * against the embedded server (target at least 2.5), and asserts only that every user was
 * enrolled.
 *
 * <p>Users per configuration: system property {@value #USERS_PROPERTY} (default
 * {@value #DEFAULT_USERS}); each agent runs {@link BulkEnrollment#DEFAULT_WORKERS} workers.
 */
class OpenLdapEnrollmentBenchmarkIT {
    private static final String USERS_PROPERTY = "dirkms.bench.openldap.users";
    private static final int DEFAULT_USERS = 100;
    private static final int WORKERS = BulkEnrollment.DEFAULT_WORKERS;
    private static final String KMS_ADMIN_PASSWORD = "bench-kms-admin-password";
    private static final SecureRandom RANDOM = new SecureRandom();
    /** How many turns the agents' run and the two ceilings take (each turn: a slice of the users). */
    private static final int SLICES = 4;

    @TempDir
    Path work;

    /** One configuration's figures, summed over its slices. */
    private static final class Figures {
        private final String name;
        private int users;
        private double seconds;
        private double cryptographySeconds;
        private double directorySeconds;

        Figures(String name) {
            this.name = name;
        }

        void add(int sliceUsers, double run, double cryptography, double directory) {
            users += sliceUsers;
            seconds += run;
            cryptographySeconds += cryptography;
            directorySeconds += directory;
        }

        double rate() {
            return users / seconds;
        }

        double ceiling() {
            return Math.min(users / cryptographySeconds, users / directorySeconds);
        }

        double ratio() {
            return rate() / ceiling();
        }

        /**
         * The two ceilings one after the other, as on a machine whose few cores the agents, the
         * directory and the client share: the users per second if the cryptography and the
         * directory writes could not overlap at all.
         */
        double sharedCores() {
            return users / (cryptographySeconds + directorySeconds);
        }

        void print() {
            System.out.printf("BENCHMARK openldap-enrollment %s, EC-P256, %d users: %.1f users/s; ceiling: cryptography"
                    + " %.1f users/s, directory writes %.1f users/s; ratio %.2f; both on shared cores, without"
                    + " overlap: %.1f users/s, ratio %.2f%n", name, users, rate(), users / cryptographySeconds,
                    users / directorySeconds, ratio(), sharedCores(), rate() / sharedCores());
        }
    }

    @Test
    void enrollmentOnSlapdWithOneAndTwoAgentsAndOnTheEmbeddedServer() throws Exception {
        int users = Integer.getInteger(USERS_PROPERTY, DEFAULT_USERS);
        Figures slapdOne;
        Figures slapdTwo;
        try (Slapd slapd = Slapd.start(work.resolve("slapd"), Slapd.Options.defaults())) {
            DirectoryLayout layout = slapd.layout();
            Path kms = Files.createDirectories(work.resolve("kms-1"));
            Files.createDirectories(kms.resolve("tls"));
            Files.copy(slapd.caCertificate(), kms.resolve("tls/ca.crt"));
            Files.copy(slapd.agentPasswordFile(), kms.resolve("kms-agent.password"));
            DirkmsRun init = DirkmsRun.of("ca", "init", "--data", kms.toString(), "--url", slapd.url());
            assertEquals(0, init.code(), init.toString());
            String admin = slapd.addPerson("bench-kms-admin", "bench-kms-admin@example.com", KMS_ADMIN_PASSWORD);
            slapd.grantRole(Slapd.Role.KMS_ADMINISTRATORS, admin);
            LdapTools kmsAdmin = slapd.tools().as(admin, KMS_ADMIN_PASSWORD);
            useEcP256(kmsAdmin, layout);
            LdapTools directoryAdmin = slapd.asDirectoryAdministrator();
            KmsContext context = context(slapd.url(), kms, layout);
            // Counts the enrolled over one connection of this JVM: an ldapsearch process (and its
            // TLS handshake) every poll would take a share of the two cores from the agents.
            LdapNetworkConnection counter = context.openConnection(60_000);
            slapdOne = new Figures("slapd, 1 agent");
            slapdTwo = new Figures("slapd, 2 agents");
            List<AgentProcess> agents = new ArrayList<>();
            try {
                agents.add(startAgent(slapd.url(), kms, "slapd-agent-1"));
                runSlices(slapdOne, users, WORKERS, context, "s1u", dns -> enroll(kmsAdmin, dns,
                        prefix -> enrolled(counter, layout, prefix)), (prefix, count) -> addPeople(directoryAdmin,
                        layout, prefix, count));
                // The second agent: a folder of its own with copies of the first's key stores.
                Path second = AgentProcess.copyFolder(kms, work.resolve("kms-2"));
                agents.add(startAgent(slapd.url(), second, "slapd-agent-2"));
                runSlices(slapdTwo, users, 2 * WORKERS, context, "s2u", dns -> enroll(kmsAdmin, dns,
                        prefix -> enrolled(counter, layout, prefix)), (prefix, count) -> addPeople(directoryAdmin,
                        layout, prefix, count));
            } finally {
                for (AgentProcess agent : agents) {
                    agent.close();
                }
                counter.close();
            }
        }
        Figures embedded;
        try (DirectoryProcess serve = DirectoryProcess.start(work.resolve("serve"), work)) {
            serve.useKeyAlgorithm("EC-P256");
            DataFolder folder = DataFolder.of(serve.data());
            KmsContext context = new KmsContext(folder, serve.layout(), new AgentConnection(serve.url(),
                    serve.layout().kmsAgentIdentity(), folder.kmsAgentPassword(), folder.caCertificate()),
                    Clock.systemUTC(), RANDOM);
            embedded = measureEmbedded(users, serve, context);
        }
        slapdOne.print();
        slapdTwo.print();
        embedded.print();
        System.out.printf("BENCHMARK openldap-enrollment slapd with 2 agents / embedded with 1: %.2f (target >= 2.5);"
                + " slapd 2 agents / 1 agent: %.2f; slapd ratios to ceiling %.2f and %.2f (target >= 0.85)%n",
                slapdTwo.rate() / embedded.rate(), slapdTwo.rate() / slapdOne.rate(), slapdOne.ratio(),
                slapdTwo.ratio());
    }

    private AgentProcess startAgent(String url, Path data, String name) throws Exception {
        AgentProcess agent = AgentProcess.start(url, data, work, name, "--workers", Integer.toString(WORKERS));
        agent.awaitRunning();
        Instant deadline = Instant.now().plusSeconds(60);
        while (!agent.log().contains("with syncrepl: the refresh ended")) {
            if (Instant.now().isAfter(deadline)) {
                fail(name + " does not follow slapd with syncrepl:\n" + agent.log());
            }
            Thread.sleep(50); // polling the other process's log
        }
        return agent;
    }

    private static KmsContext context(String url, Path data, DirectoryLayout layout) {
        DataFolder folder = DataFolder.of(data);
        return new KmsContext(folder, layout, new AgentConnection(url, layout.kmsAgentIdentity(),
                folder.kmsAgentPassword(), folder.caCertificate()), Clock.systemUTC(), RANDOM);
    }

    private static void useEcP256(LdapTools kmsAdmin, DirectoryLayout layout) {
        kmsAdmin.modify("dn: " + layout.defaultAdministrativeGroup() + "\nchangetype: modify\n"
                + "replace: kmsKeyAlgorithm\nkmsKeyAlgorithm: EC-P256\n-\n").assertSuccess();
    }

    private static Figures measureEmbedded(int users, DirectoryProcess serve, KmsContext context) throws Exception {
        Figures figures = new Figures("embedded (dirkms serve), 1 agent");
        try (LdapNetworkConnection counter = context.openConnection(60_000)) {
            runSlices(figures, users, WORKERS, context, "eu", dns -> {
                long start = System.nanoTime();
                serve.requestEnrollment(dns);
                awaitEnrolled(dns, prefix -> enrolled(counter, serve.layout(), prefix));
                return (System.nanoTime() - start) / 1e9;
            }, serve::addPeople);
        }
        return figures;
    }

    private interface Run {
        double seconds(List<String> dns) throws Exception;
    }

    private interface People {
        List<String> add(String prefix, int count) throws Exception;
    }

    /**
     * The agents' run and the two ceilings take turns over {@value #SLICES} slices of the users, so
     * that load from outside (other builds on a shared machine) weighs on all three alike; the
     * agents keep running during the ceilings, and read the entries the plain client writes as
     * they read any change.
     */
    private static void runSlices(Figures figures, int users, int threads, KmsContext context, String prefix,
            Run run, People people) throws Exception {
        CertificationAuthority ca;
        X509Certificate recovery;
        try (LdapNetworkConnection connection = context.openConnection(60_000)) {
            ca = context.openCa(connection, "dirkms Root CA");
            recovery = context.openRecoveryKeyStore().current().certificate();
        }
        parallel(10, threads, i -> cryptography(ca, recovery, context.layout(), i)); // warm-up
        for (int slice = 0; slice < SLICES; slice++) {
            int count = users * (slice + 1) / SLICES - users * slice / SLICES;
            String slicePrefix = prefix + slice + "x";
            double seconds = run.seconds(people.add(slicePrefix, count));
            double cryptography = parallel(count, threads, i -> cryptography(ca, recovery, context.layout(), i));
            double directory = directorySeconds(context, ca.certificate().getEncoded(),
                    people.add("p" + slicePrefix, count), threads);
            figures.add(count, seconds, cryptography, directory);
        }
    }

    /** The {@code uid} prefix of {@code uid=<prefix><n>,...}. */
    private static String prefixOf(String dn) {
        return dn.substring(4, dn.indexOf(',')).replaceAll("\\d+$", "");
    }

    /** The KMS administrator asks for the enrollments (ldapmodify, 50 a run); seconds until all are enrolled. */
    private static double enroll(LdapTools kmsAdmin, List<String> dns, java.util.function.ToIntFunction<String> enrolled)
            throws Exception {
        long start = System.nanoTime();
        for (int from = 0; from < dns.size(); from += 50) {
            StringBuilder ldif = new StringBuilder();
            for (String dn : dns.subList(from, Math.min(dns.size(), from + 50))) {
                ldif.append("dn: ").append(dn).append("\nchangetype: modify\nadd: objectClass\nobjectClass: kmsUser\n")
                        .append("-\nadd: kmsEnrollmentState\nkmsEnrollmentState: requested\n-\n\n");
            }
            kmsAdmin.modify(ldif.toString()).assertSuccess();
        }
        awaitEnrolled(dns, enrolled);
        return (System.nanoTime() - start) / 1e9;
    }

    /** Returns once every one of {@code dns} is enrolled (all share one uid prefix); fails after 600 s. */
    private static void awaitEnrolled(List<String> dns, java.util.function.ToIntFunction<String> enrolled)
            throws InterruptedException {
        String prefix = prefixOf(dns.get(0));
        Instant deadline = Instant.now().plusSeconds(600);
        while (enrolled.applyAsInt(prefix) < dns.size()) {
            if (Instant.now().isAfter(deadline)) {
                fail(enrolled.applyAsInt(prefix) + " of " + dns.size() + " users " + prefix + "* enrolled after 600 s");
            }
            Thread.sleep(20); // polling the agents' progress
        }
    }

    /** How many people {@code uid=<prefix>*} are enrolled, counted over {@code counter}. */
    private static int enrolled(LdapNetworkConnection counter, DirectoryLayout layout, String prefix) {
        int count = 0;
        try (org.apache.directory.api.ldap.model.cursor.EntryCursor cursor = counter.search(layout.people(),
                "(&(uid=" + prefix + "*)(kmsEnrollmentState=enrolled))",
                org.apache.directory.api.ldap.model.message.SearchScope.ONELEVEL, "1.1")) {
            while (cursor.next()) {
                count++;
            }
        } catch (Exception e) {
            throw new IllegalStateException("counting the enrolled " + prefix + "*: " + e.getMessage(), e);
        }
        return count;
    }

    private static List<String> addPeople(LdapTools directoryAdmin, DirectoryLayout layout, String prefix, int count) {
        StringBuilder ldif = new StringBuilder();
        List<String> dns = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String dn = "uid=" + prefix + i + "," + layout.people();
            dns.add(dn);
            ldif.append("dn: ").append(dn).append("\nobjectClass: inetOrgPerson\nuid: ").append(prefix).append(i)
                    .append("\ncn: ").append(prefix).append(' ').append(i).append("\nsn: ").append(prefix)
                    .append("\nmail: ").append(prefix).append(i).append("@example.com\n\n");
        }
        directoryAdmin.add(ldif.toString()).assertSuccess();
        return dns;
    }

    /** The cryptography of one enrollment, as the agent does it, without the directory. */
    private static Void cryptography(CertificationAuthority ca, X509Certificate recovery, DirectoryLayout layout,
            int index) throws Exception {
        KeyPairFactory keys = new KeyPairFactory(RANDOM);
        String dn = "uid=crypto" + index + "," + layout.people();
        List<String> mail = List.of("crypto" + index + "@example.com");
        KeyPair signing = keys.generate(KeyAlgorithm.EC_P256);
        X509Certificate signingCertificate = ca.issue(IssuanceRequest.forPerson(StandardTemplates.SMIME_SIGNATURE,
                KeyPairFactory.certificationRequest(signing), dn, mail));
        KeyPair encryption = keys.generate(KeyAlgorithm.EC_P256);
        X509Certificate encryptionCertificate = ca.issue(IssuanceRequest.forPerson(StandardTemplates.SMIME_ENCRYPTION,
                KeyPairFactory.certificationRequest(encryption), dn, mail));
        new KeyArchiver(recovery, RANDOM).wrap(encryption.getPrivate(), encryptionCertificate);
        char[] token = OneTimeToken.generate(RANDOM);
        KeyPackage.build(List.of(
                new KeyPackage.Item(encryption.getPrivate(), List.of(encryptionCertificate, ca.certificate()), "e"),
                new KeyPackage.Item(signing.getPrivate(), List.of(signingCertificate, ca.certificate()), "s")),
                token, PackageFormat.PBES2_AES_256, RANDOM);
        SmimeCertificateBundle.build(signingCertificate, signing.getPrivate(), encryptionCertificate,
                List.of(ca.certificate()), ContentEncryptionAlgorithm.AES_256_CBC, MessageFormat.SMIME_3_2);
        return null;
    }

    /**
     * The directory writes of {@code dns.size()} enrollments by a plain client bound as the KMS
     * agent, shaped as the agents' run: one connection asks for the enrollments one after the other
     * (the administrator's ldapmodify), and {@code threads} connections do each user's enrollment
     * writes as soon as it is asked for. The seconds until the last is written.
     */
    private static double directorySeconds(KmsContext context, byte[] certificate, List<String> dns, int threads)
            throws Exception {
        List<LdapNetworkConnection> connections = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(threads + 1);
        try {
            for (int i = 0; i <= threads; i++) {
                connections.add(context.openConnection(60_000));
            }
            java.util.concurrent.BlockingQueue<String> asked = new java.util.concurrent.LinkedBlockingQueue<>();
            AtomicLong attempt = new AtomicLong();
            long start = System.nanoTime();
            List<Future<Void>> futures = new ArrayList<>();
            futures.add(pool.submit(() -> {
                for (String dn : dns) {
                    // The administrator's request, in a state no agent acts on (failed, without a
                    // claim), so that only this client works on the entry.
                    connections.get(threads).modify(dn,
                            new DefaultModification(ModificationOperation.ADD_ATTRIBUTE, "objectClass", "kmsUser"),
                            new DefaultModification(ModificationOperation.ADD_ATTRIBUTE, "kmsEnrollmentState",
                                    "failed"));
                    asked.add(dn);
                }
                return null;
            }));
            java.util.concurrent.atomic.AtomicInteger taken = new java.util.concurrent.atomic.AtomicInteger();
            for (int t = 0; t < threads; t++) {
                LdapNetworkConnection connection = connections.get(t);
                futures.add(pool.submit(() -> {
                    while (taken.getAndIncrement() < dns.size()) {
                        writes(connection, context.layout(), asked.take(), certificate, attempt.incrementAndGet());
                    }
                    return null;
                }));
            }
            for (Future<Void> future : futures) {
                future.get();
            }
            return (System.nanoTime() - start) / 1e9;
        } finally {
            pool.shutdownNow();
            connections.forEach(LdapNetworkConnection::close);
        }
    }

    /** The directory writes of one enrollment, of the same kinds and sizes as the agent's (EnrollmentBenchmarkIT). */
    private static Void writes(LdapNetworkConnection connection, DirectoryLayout layout, String dn, byte[] certificate,
            long attempt) throws Exception {
        byte[] blob = new byte[1200];
        RANDOM.nextBytes(blob);
        String expires = "20991231000000Z";
        String claim = layout.kmsAgentIdentity() + " pid 1 0123456789ab #" + attempt;
        synchronized (connection) {
            connection.modify(dn,
                    new DefaultModification(ModificationOperation.REMOVE_ATTRIBUTE, "kmsEnrollmentState", "failed"),
                    new DefaultModification(ModificationOperation.ADD_ATTRIBUTE, "kmsEnrollmentState", "in-progress"),
                    new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, "kmsClaimedBy", claim),
                    new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, "kmsLeaseExpires", expires));
        }
        String rdn = dn.substring(0, dn.indexOf(','));
        Entry archive = new DefaultEntry("cn=plain-" + rdn.substring(4) + "," + layout.keyArchive());
        archive.add("objectClass", "top", "kmsArchivedKey");
        archive.add("cn", "plain-" + rdn.substring(4));
        archive.add("kmsKeyOwner", dn);
        archive.add("kmsWrappedKey", blob);
        archive.add(new DefaultAttribute("userCertificate;binary", certificate));
        archive.add("kmsWrappingAlgorithm", "plain");
        archive.add("kmsWrappingKeyId", "plain");
        synchronized (connection) {
            connection.add(archive);
        }
        for (String purpose : List.of("signing", "encryption")) {
            Entry child = new DefaultEntry("cn=" + purpose + "," + dn);
            child.add("objectClass", "top", "kmsPublishedCertificate");
            child.add("cn", purpose);
            if (purpose.equals("signing")) {
                child.add("cn", "signing certificate of plain@example.com"); // as the agent names it
            }
            child.add("kmsCertificatePurpose", purpose);
            child.add(new DefaultAttribute("userCertificate;binary", certificate));
            synchronized (connection) {
                connection.add(child);
            }
        }
        synchronized (connection) {
            connection.modify(dn,
                    new DefaultModification(ModificationOperation.REMOVE_ATTRIBUTE, "kmsClaimedBy", claim),
                    new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE,
                            new DefaultAttribute("userCertificate;binary", certificate, certificate.clone())),
                    new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, "kmsKeyPackage", blob),
                    new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, "kmsEnrollmentToken", "token"),
                    new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, "kmsKeyPackageExpires", expires),
                    new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, "kmsEnrollmentState", "enrolled"),
                    new DefaultModification(ModificationOperation.ADD_ATTRIBUTE, "kmsArchiveRecord",
                            archive.getDn().getName()),
                    new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, "kmsLeaseExpires"));
        }
        return null;
    }

    private interface Step {
        Void run(int index) throws Exception;
    }

    /** Runs {@code step} for indexes 0..count-1 on {@code threads} threads; the seconds it took. */
    private static double parallel(int count, int threads, Step step) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Callable<Void>> tasks = new ArrayList<>();
            for (int i = 0; i < count; i++) {
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
}
