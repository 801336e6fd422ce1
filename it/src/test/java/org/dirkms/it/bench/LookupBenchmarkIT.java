package org.dirkms.it.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Date;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import org.apache.directory.api.ldap.model.cursor.EntryCursor;
import org.apache.directory.api.ldap.model.entry.DefaultEntry;
import org.apache.directory.api.ldap.model.entry.Entry;
import org.apache.directory.api.ldap.model.message.SearchScope;
import org.apache.directory.ldap.client.api.LdapConnection;
import org.apache.directory.ldap.client.api.LdapNetworkConnection;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.dirkms.dist.KmsContext;
import org.dirkms.ds.server.DirectoryServer;
import org.dirkms.ds.server.ServerSettings;
import org.dirkms.schema.AttributeNames;
import org.dirkms.schema.DirectoryLayout;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the KMS guard costs a mail client, and how fast the server starts.
 *
 * <p>A directory of {@value #DEFAULT_USERS} users, each with a certificate, is looked up by
 * {@code mail} by anonymous clients (as Thunderbird, Outlook and dirmngr do), over the same
 * data, alternately with the KMS interceptor and wire guard in place and without them
 * (after one unrecorded warm-up round of each: guard, bare, guard, bare, guard, bare), so that
 * drift of the machine shows rather than biases the result. It prints look-ups per second of
 * each round, by wall clock and by CPU time of the process, and the ratio of the medians
 * guarded/bare (target: at least 0.90; the CPU-time ratio is the one that other load on a shared
 * machine cannot bias),
 * and the start times of the server (target: under 3 s). Every look-up must find exactly the
 * user and its certificate: that is what the test asserts.
 *
 * <p>System properties: {@code dirkms.bench.users} (default {@value #DEFAULT_USERS}),
 * {@code dirkms.bench.seconds} per measured round (default {@value #DEFAULT_SECONDS}).
 */
class LookupBenchmarkIT {

    private static final int DEFAULT_USERS = 1000;
    private static final int DEFAULT_SECONDS = 6;
    private static final int CLIENT_THREADS = 4;
    private static final int PASSES = 3;

    @TempDir
    Path temporary;

    @Test
    void lookupsByMailWithAndWithoutTheGuard() throws Exception {
        int users = Integer.getInteger("dirkms.bench.users", DEFAULT_USERS);
        Duration round = Duration.ofSeconds(Integer.getInteger("dirkms.bench.seconds", DEFAULT_SECONDS));
        Path data = Files.createDirectory(temporary.resolve("data"));
        ServerSettings guarded = ServerSettings.forTests(data);
        byte[] certificate = selfSignedCertificate();

        long firstStart = System.nanoTime();
        int[] ports;
        try (DirectoryServer server = DirectoryServer.start(guarded)) {
            firstStart = System.nanoTime() - firstStart;
            ports = new int[] {server.ldapPort(), server.ldapsPort()};
            populate(server, users, certificate);
        }
        // The same ports again, so that nothing but the guard differs between rounds.
        guarded = guarded.withPorts(ports[0], ports[1]);
        ServerSettings bare = guarded.withKmsGuard(false);

        List<Long> startTimes = new ArrayList<>();
        // One unrecorded round of each first: the JVM's JIT warms up on the client side too.
        measure(guarded, users, Duration.ofSeconds(2), startTimes);
        measure(bare, users, Duration.ofSeconds(2), startTimes);
        double[] guardedRates = new double[PASSES];
        double[] bareRates = new double[PASSES];
        double[] guardedCpuRates = new double[PASSES];
        double[] bareCpuRates = new double[PASSES];
        for (int pass = 0; pass < PASSES; pass++) {
            Rates withGuard = measure(guarded, users, round, startTimes);
            Rates without = measure(bare, users, round, startTimes);
            guardedRates[pass] = withGuard.perSecond();
            guardedCpuRates[pass] = withGuard.perCpuSecond();
            bareRates[pass] = without.perSecond();
            bareCpuRates[pass] = without.perCpuSecond();
        }
        double guardedRate = median(guardedRates);
        double bareRate = median(bareRates);
        double ratio = guardedRate / bareRate;
        double cpuRatio = median(guardedCpuRates) / median(bareCpuRates);

        System.out.printf("BENCHMARK lookup-by-mail users=%d threads=%d round=%ds%n", users, CLIENT_THREADS,
                round.toSeconds());
        System.out.printf("BENCHMARK lookup-by-mail guarded rounds: %s /s, median %.0f%n",
                Arrays.toString(rounded(guardedRates)), guardedRate);
        System.out.printf("BENCHMARK lookup-by-mail bare rounds:    %s /s, median %.0f%n",
                Arrays.toString(rounded(bareRates)), bareRate);
        System.out.printf("BENCHMARK lookup-by-mail per CPU second of the process: guarded %s, bare %s%n",
                Arrays.toString(rounded(guardedCpuRates)), Arrays.toString(rounded(bareCpuRates)));
        System.out.printf("BENCHMARK lookup-by-mail guarded/bare ratio = %.3f by CPU time (target >= 0.90); "
                + "%.3f by wall clock%n", cpuRatio, ratio);
        System.out.printf("BENCHMARK server start: first (fresh data) %.2f s; later starts %s (target < 3 s)%n",
                firstStart / 1e9, startTimes.stream().map(nanos -> String.format("%.2f s", nanos / 1e9)).toList());
        assertTrue(guardedRate > 0 && bareRate > 0, "both configurations served look-ups");
    }

    /** Adds {@code users} people with a mail address and a certificate, as the KMS agent would publish them. */
    private static void populate(DirectoryServer server, int users, byte[] certificate) throws Exception {
        DirectoryLayout layout = server.layout();
        // The agent binds as the KMS does, over StartTLS: the server refuses a password in clear.
        try (LdapConnection agent = KmsContext.of(server, Clock.systemUTC(), new SecureRandom())
                .openConnection(0)) {
            for (int i = 0; i < users; i++) {
                Entry entry = new DefaultEntry("uid=bench" + i + "," + layout.people());
                entry.add(AttributeNames.OBJECT_CLASS, "top", "person", "organizationalPerson", "inetOrgPerson",
                        "kmsUser");
                entry.add(AttributeNames.CN, "Bench User " + i);
                entry.add(AttributeNames.SN, "User " + i);
                entry.add(AttributeNames.UID, "bench" + i);
                entry.add(AttributeNames.MAIL, mail(i));
                entry.add(AttributeNames.USER_CERTIFICATE + ";binary", certificate);
                agent.add(entry);
            }
        }
    }

    /** Look-ups per second of wall clock, and per second of CPU time of this whole process. */
    private record Rates(double perSecond, double perCpuSecond) {
    }

    private static Rates measure(ServerSettings settings, int users, Duration round, List<Long> startTimes)
            throws Exception {
        long start = System.nanoTime();
        try (DirectoryServer server = DirectoryServer.start(settings)) {
            startTimes.add(System.nanoTime() - start);
            String base = server.layout().people();
            // Warm up: the JIT and the partition caches, so that both configurations start warm.
            run(server, base, users, Duration.ofSeconds(2));
            long cpuBefore = processCpuNanos();
            long wallBefore = System.nanoTime();
            long lookups = run(server, base, users, round);
            double cpuSeconds = (processCpuNanos() - cpuBefore) / 1e9;
            double wallSeconds = (System.nanoTime() - wallBefore) / 1e9;
            return new Rates(lookups / wallSeconds, lookups / cpuSeconds);
        }
    }

    /**
     * CPU time of this process (server and clients share it). On a shared machine other
     * processes steal wall-clock time unevenly between rounds; CPU time per look-up does not
     * depend on them, so the ratio by CPU time is the one to judge.
     */
    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    /** Anonymous clients looking users up by mail for {@code duration}; returns the number of look-ups. */
    private static long run(DirectoryServer server, String base, int users, Duration duration) throws Exception {
        ExecutorService clients = Executors.newFixedThreadPool(CLIENT_THREADS);
        try {
            Instant end = Instant.now().plus(duration);
            List<Future<Long>> counts = new ArrayList<>();
            for (int t = 0; t < CLIENT_THREADS; t++) {
                counts.add(clients.submit(() -> {
                    long count = 0;
                    try (LdapConnection client = new LdapNetworkConnection("127.0.0.1", server.ldapPort())) {
                        client.anonymousBind();
                        while (Instant.now().isBefore(end)) {
                            int i = ThreadLocalRandom.current().nextInt(users);
                            lookUp(client, base, i);
                            count++;
                        }
                    }
                    return count;
                }));
            }
            long total = 0;
            for (Future<Long> count : counts) {
                total += count.get();
            }
            return total;
        } finally {
            clients.shutdown();
            clients.awaitTermination(10, TimeUnit.SECONDS);
        }
    }

    private static void lookUp(LdapConnection client, String base, int i) throws Exception {
        int found = 0;
        try (EntryCursor cursor = client.search(base, "(mail=" + mail(i) + ")", SearchScope.ONELEVEL,
                AttributeNames.USER_CERTIFICATE + ";binary", AttributeNames.MAIL)) {
            for (Entry entry : cursor) {
                assertEquals(mail(i), entry.get(AttributeNames.MAIL).getString());
                assertTrue(entry.get(AttributeNames.USER_CERTIFICATE + ";binary") != null,
                        () -> "certificate returned: " + entry);
                found++;
            }
        }
        assertEquals(1, found, "exactly one entry for " + mail(i));
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }

    private static long[] rounded(double[] values) {
        return Arrays.stream(values).mapToLong(Math::round).toArray();
    }

    private static String mail(int i) {
        return "bench" + i + "@example.com";
    }

    private static byte[] selfSignedCertificate() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair keys = generator.generateKeyPair();
        X500Name name = new X500Name("CN=Bench User");
        Instant now = Instant.now();
        return new JcaX509v3CertificateBuilder(name, BigInteger.valueOf(now.toEpochMilli()),
                Date.from(now.minusSeconds(60)), Date.from(now.plus(Duration.ofDays(30))), name, keys.getPublic())
                .build(new JcaContentSignerBuilder("SHA256withECDSA").build(keys.getPrivate())).getEncoded();
    }
}
