package org.dirkms.it.queue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import javax.security.auth.x500.X500Principal;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Queued issuance throughput (README, "Benchmarks"): users per second from the KMS
 * administrator's {@code ldapmodify} that asks for their enrollment to the last of them enrolled,
 * EC P-256 users of the default group, all as separate processes over real sockets, in one run,
 * three ways:
 *
 * <ul>
 * <li>in process: {@code dirkms serve}'s own CA issues directly, as its agent does while that CA
 * has the templates and is not busy, and no other CA runs;</li>
 * <li>one queued CA: the administrator has taken the S/MIME templates off {@code dirkms serve}'s
 * CA, so that its agent queues every enrollment, and one {@code dirkms ca serve} issues them;</li>
 * <li>two queued CAs: a second {@code dirkms ca serve} beside the first.</li>
 * </ul>
 *
 * The three take turns in the order in-process, one, two, two, one, in-process, each turn a slice
 * of new users, so that what drifts during the run (the directory growing, the JVMs warming, a
 * neighbour's load) weighs on all three alike; each rate is its two slices' users over their
 * seconds. It prints the three rates and the ratios {@code 1 queued CA / in-process} (what the
 * queue costs) and {@code 2 queued CAs / 1 queued CA} (what a second CA buys on this machine).
 * Every CA key is RSA-3072, as {@code dirkms serve}'s own; the queued CAs look at the queue every
 * 200 ms; users not measured warm {@code dirkms serve} first (a slice) and each new CA process
 * (a few). Speed is reported, never
 * asserted: it asserts only that every user was enrolled, by the CAs the slice names. System
 * property {@code dirkms.bench.queue.users} (default {@value #DEFAULT_USERS}) sets the users of a
 * slice. The rates are wall-clock rates of several processes (the directory and its agent, the CAs,
 * the test's ldapsearch polls) on a shared machine: the line prints the load average beside them.
 */
class QueueBenchmarkIT {
    private static final int DEFAULT_USERS = 60;
    private static final int USERS = Integer.getInteger("dirkms.bench.queue.users", DEFAULT_USERS);
    private static final int WARM_UP = 8;
    private static final String SECOND = "Second CA";
    private static final String THIRD = "Third CA";
    private static final long PERIOD_MILLIS = 200;
    private static final int LEASE_SECONDS = 120;

    @TempDir
    Path temporary;

    @Test
    void queuedIssuanceAgainstTheInProcessCa() throws Exception {
        Path work = Files.createDirectories(temporary.resolve("work"));
        Path data = temporary.resolve("data");
        List<CaServeProcess> started = new ArrayList<>();
        try (DirectoryProcess directory = DirectoryProcess.start(data, work)) {
            directory.useKeyAlgorithm("EC-P256");
            directory.initCa(SECOND, null);
            directory.initCa(THIRD, null);
            String root = name(directory, DirectoryProcess.ROOT_CA);
            String second = name(directory, SECOND);
            String third = name(directory, THIRD);
            Slices inProcess = new Slices();
            Slices oneQueued = new Slices();
            Slices twoQueued = new Slices();

            // dirkms serve's JVM runs the directory and its agent: a full slice warms it (the first
            // slice of a cold server runs at a third of the later ones' rate).
            enroll(directory, "warmlocal", USERS);
            inProcess.add(enroll(directory, "local0-", USERS));

            directory.withdrawSmimeTemplates(DirectoryProcess.ROOT_CA);
            CaServeProcess secondCa = CaServeProcess.start(data, SECOND, work, "second", PERIOD_MILLIS, LEASE_SECONDS);
            started.add(secondCa);
            secondCa.awaitServing();
            enroll(directory, "warmsecond", WARM_UP);
            oneQueued.add(enroll(directory, "one0-", USERS));

            CaServeProcess thirdCa = CaServeProcess.start(data, THIRD, work, "third", PERIOD_MILLIS, LEASE_SECONDS);
            started.add(thirdCa);
            thirdCa.awaitServing();
            enroll(directory, "warmthird", WARM_UP);
            twoQueued.add(enroll(directory, "two0-", USERS));
            twoQueued.add(enroll(directory, "two1-", USERS));

            thirdCa.terminate(); // every request is served: it holds nothing
            oneQueued.add(enroll(directory, "one1-", USERS));

            secondCa.terminate();
            directory.installSmimeTemplates(DirectoryProcess.ROOT_CA);
            inProcess.add(enroll(directory, "local1-", USERS));

            for (String slice : List.of("local0-", "local1-")) {
                assertEquals(Map.of(root, 2 * USERS), issuers(directory, slice),
                        "dirkms serve's own CA issued slice " + slice);
            }
            for (String slice : List.of("one0-", "one1-")) {
                assertEquals(Map.of(second, 2 * USERS), issuers(directory, slice), "the one queued CA issued " + slice);
            }
            Map<String, Integer> two = new TreeMap<>();
            for (String slice : List.of("two0-", "two1-")) {
                Map<String, Integer> byCa = issuers(directory, slice);
                assertEquals(2 * USERS, byCa.getOrDefault(second, 0) + byCa.getOrDefault(third, 0),
                        "the two queued CAs issued slice " + slice + ": " + byCa);
                byCa.forEach((ca, count) -> two.merge(ca, count, Integer::sum));
            }

            // Wall-clock rates of several processes: the machine's load says what else ran meanwhile.
            System.out.printf("BENCHMARK queued issuance (EC-P256 users, 2 slices of %d a way, CA keys RSA-3072, %d"
                    + " cores, load average %.1f at the end): in-process CA %.2f users/s %s; 1 queued CA %.2f users/s %s;"
                    + " 2 queued CAs %.2f users/s %s (certificates by CA: %s)%n", USERS,
                    Runtime.getRuntime().availableProcessors(),
                    ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage(), inProcess.rate(), inProcess,
                    oneQueued.rate(), oneQueued, twoQueued.rate(), twoQueued, shortNames(two));
            System.out.printf("BENCHMARK queue overhead: 1 queued CA / in-process = %.2f%n",
                    oneQueued.rate() / inProcess.rate());
            System.out.printf("BENCHMARK second CA: 2 queued CAs / 1 queued CA = %.2f%n",
                    twoQueued.rate() / oneQueued.rate());
            assertTrue(inProcess.rate() > 0 && oneQueued.rate() > 0 && twoQueued.rate() > 0);
        } finally {
            for (CaServeProcess process : started) {
                process.terminate();
            }
        }
    }

    /** The slices measured one way: users and seconds. */
    private static final class Slices {
        private int users;
        private double seconds;
        private final List<String> each = new ArrayList<>();

        void add(double[] slice) {
            users += (int) slice[0];
            seconds += slice[1];
            each.add(String.format("%.1f", slice[0] / slice[1]));
        }

        double rate() {
            return users / seconds;
        }

        /** The rate of each slice, in the order measured. */
        @Override
        public String toString() {
            return "(slices " + String.join(", ", each) + ")";
        }
    }

    /**
     * Adds {@code count} people {@code uid=<prefix>*} (not measured), then asks for their
     * enrollment in one {@code ldapmodify} and waits for all of them to be enrolled.
     *
     * @return the users and the seconds from the ldapmodify to the last one enrolled
     */
    private static double[] enroll(DirectoryProcess directory, String prefix, int count) throws Exception {
        List<String> dns = directory.addPeople(prefix, count);
        long start = System.nanoTime();
        directory.requestEnrollment(dns);
        directory.awaitEnrolled(prefix, count, 300);
        return new double[] {count, (System.nanoTime() - start) / 1e9};
    }
    /** How many certificates of the users {@code uid=<prefix>*} each CA issued, by the CA's DN. */
    private static Map<String, Integer> issuers(DirectoryProcess directory, String prefix) {
        Map<String, Integer> issuers = new TreeMap<>();
        for (LdifEntry user : directory.users(prefix)) {
            for (X509Certificate certificate : user.certificates()) {
                issuers.merge(certificate.getIssuerX500Principal().getName(), 1, Integer::sum);
            }
        }
        return issuers;
    }

    /** The RFC 2253 name of CA {@code name}, as {@link X500Principal#getName()} spells an issuer. */
    private static String name(DirectoryProcess directory, String name) {
        return new X500Principal(directory.caDn(name)).getName();
    }

    private static Map<String, Integer> shortNames(Map<String, Integer> issuers) {
        Map<String, Integer> named = new TreeMap<>();
        issuers.forEach((dn, count) -> named.put(dn.substring(3, dn.indexOf(',')), count));
        return named;
    }
}
