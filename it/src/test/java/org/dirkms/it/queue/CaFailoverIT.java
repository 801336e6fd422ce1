package org.dirkms.it.queue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.security.auth.x500.X500Principal;

import org.dirkms.it.support.DirkmsRun;
import org.dirkms.it.support.LdapTools;
import org.dirkms.it.support.Pem;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Several CAs on one request queue survive the death of one of them (docs/reliability.md; the
 * queue's states in docs/state-machines.md), all as separate processes over real sockets:
 * {@code dirkms serve}, whose own CA an administrator has taken out of the queue's way (its
 * {@code kmsInstalledTemplate} values for smime-signature and smime-encryption removed, so its agent
 * queues every enrollment), and two CAs made with {@code dirkms ca init} and served by two
 * {@code dirkms ca serve} processes with a short lease.
 *
 * <ul>
 * <li>A CA process SIGKILLed while {@code ldapsearch} shows requests claimed by it: the other CA
 * takes them over once the lease has run out and issues them; every user ends enrolled.</li>
 * <li>300 users enrolled in bulk (EC P-256) while a CA process is SIGKILLed at random moments and
 * restarted three times (each time once a random number of users is enrolled, after a random
 * delay, at the first look that finds it holding claims, so that each kill leaves claims to take
 * over): each claim it held is taken over after the lease, every user ends enrolled exactly once (one signing and one encryption
 * certificate on the entry and in its children), {@code dirkms archive check} finds nothing, and
 * no request ever got two certificates: each issued request holds exactly one, no serial is on two
 * requests, every published certificate is on exactly one issued request, and no certificate a CA
 * reported signing for a claim it had lost is on any request or user.</li>
 * </ul>
 *
 * <p>The kill moments come from a {@link Random} seeded from system property
 * {@value #SEED_PROPERTY} when set, else from a fresh {@link SecureRandom}; the seed is printed
 * first, so that a failing run's schedule is replayed with {@code -Ddirkms.queue.crash.seed=...}.
 * The CAs' keys are EC P-384 (a CA key is RSA-3072 or EC P-384; the smaller signs faster).
 */
class CaFailoverIT {
    private static final String SECOND = "Second CA";
    private static final String THIRD = "Third CA";
    private static final int LEASE_SECONDS = 5;
    private static final long PERIOD_MILLIS = 200;
    private static final int BULK_USERS = 300;
    private static final int KILLS = 3;
    private static final String SEED_PROPERTY = "dirkms.queue.crash.seed";
    /** What QueueServer logs when another CA took a claim over before it recorded its certificate. */
    private static final Pattern LOST = Pattern.compile("signed serial ([0-9a-f]+) for (\\S+) but its claim");

    @TempDir
    static Path temporary;

    private static DirectoryProcess directory;
    private static Path work;

    @BeforeAll
    static void startDirectoryAndCas() throws Exception {
        work = Files.createDirectories(temporary.resolve("work"));
        directory = DirectoryProcess.start(temporary.resolve("data"), work);
        directory.useKeyAlgorithm("EC-P256");
        directory.initCa(SECOND, "EC-P384");
        directory.initCa(THIRD, "EC-P384");
        // The administrator keeps the root CA in dirkms serve from issuing user certificates: from
        // its next round on, the agent in dirkms serve queues every enrollment for the other CAs.
        directory.withdrawSmimeTemplates(DirectoryProcess.ROOT_CA);
    }

    @AfterAll
    static void stopDirectory() throws Exception {
        if (directory != null) {
            directory.close();
        }
    }

    @Test
    void claimsOfAKilledCaAreTakenOverByTheOtherAfterTheLease() throws Exception {
        List<CaServeProcess> started = new ArrayList<>();
        try {
            CaServeProcess second = serve(SECOND, "held-second", started);
            CaServeProcess third = serve(THIRD, "held-third", started);
            second.awaitServing();
            third.awaitServing();
            String secondDn = directory.caDn(SECOND);
            // Kill the second CA the moment ldapsearch shows it holding claims (look).
            Map<String, String> held = Map.of();
            int batch = 0;
            Instant deadline = Instant.now().plusSeconds(90);
            while (held.isEmpty()) {
                if (openRequests() == 0) {
                    if (batch == 3) {
                        fail("in three batches of 40 users, ldapsearch never caught " + SECOND + " holding a claim");
                    }
                    directory.requestEnrollment(directory.addPeople("held" + batch + "-", 40));
                    batch++;
                }
                if (Instant.now().isAfter(deadline)) {
                    fail(SECOND + " was never seen holding a claim within 90 s");
                }
                held = look(second, secondDn);
                if (held.isEmpty()) {
                    Thread.sleep(20); // let it work before the next look
                }
            }
            second.kill();
            System.out.printf("CA failover: %s (pid %d) SIGKILLed holding %d claims: %s%n", SECOND, second.pid(),
                    held.size(), held.keySet());

            directory.awaitEnrolled("held", 40 * batch, 120);
            X500Principal thirdName = new X500Principal(directory.caDn(THIRD));
            Map<String, LdifEntry> requests = new HashMap<>();
            for (LdifEntry request : directory.requests()) {
                requests.put(request.dn().toLowerCase(), request);
            }
            String thirdLog = third.log();
            for (Map.Entry<String, String> claim : held.entrySet()) {
                LdifEntry request = requests.get(claim.getKey().toLowerCase());
                assertEquals("issued", request.string("kmsRequestState"), claim.getKey());
                List<X509Certificate> certificates = request.certificates();
                assertEquals(1, certificates.size(), claim.getKey() + ": one certificate");
                assertEquals(thirdName, certificates.get(0).getIssuerX500Principal(),
                        claim.getKey() + " was issued by the CA that survived");
                assertTrue(thirdLog.contains("took over " + claim.getKey() + " from " + claim.getValue()),
                        () -> THIRD + " logged no take-over of " + claim.getKey() + " from " + claim.getValue() + ":\n"
                                + DirectoryProcess.tail(thirdLog, 40));
            }
            for (LdifEntry user : directory.users("held")) {
                assertEquals("enrolled", user.string("kmsEnrollmentState"), user.dn());
                assertEquals(2, user.certificates().size(), user.dn() + ": signing and encryption certificates");
            }
        } finally {
            stopAll(started);
        }
    }

    @Test
    void bulkEnrollmentEndsExactlyOnceWhileACaIsKilledAndRestarted() throws Exception {
        SecureRandom random = new SecureRandom();
        String replay = System.getProperty(SEED_PROPERTY);
        long seed = replay == null || replay.isBlank() ? random.nextLong() : Long.parseLong(replay.trim());
        Random moments = new Random(seed);
        System.out.printf("CA failover: seed %d (replay the kill schedule with -D%s=%d)%n", seed, SEED_PROPERTY, seed);
        long began = System.nanoTime();
        List<CaServeProcess> started = new ArrayList<>();
        try {
            String[] names = {SECOND, THIRD};
            CaServeProcess[] serving = {serve(SECOND, "bulk-second-0", started), serve(THIRD, "bulk-third-0", started)};
            for (CaServeProcess process : serving) {
                process.awaitServing();
            }
            List<String> dns = directory.addPeople("bulk", BULK_USERS);
            directory.requestEnrollment(dns);
            Map<String, String> heldAtKills = new LinkedHashMap<>();
            for (int kill = 0; kill < KILLS; kill++) {
                int before = directory.usersInState("bulk", "enrolled");
                int target = Math.min(BULK_USERS - 1, before + 1 + moments.nextInt(BULK_USERS / (2 * KILLS)));
                Instant deadline = Instant.now().plusSeconds(120);
                while (directory.usersInState("bulk", "enrolled") < target) {
                    if (Instant.now().isAfter(deadline)) {
                        fail(target + " users were not enrolled within 120 s; dirkms serve's log ends:\n"
                                + DirectoryProcess.tail(directory.log(), 40));
                    }
                    Thread.sleep(20); // polling the other processes' progress
                }
                long delay = moments.nextInt(300);
                Thread.sleep(delay); // a random moment to start looking: the point of the test
                int victim = moments.nextInt(2);
                CaServeProcess dying = serving[victim];
                String caDn = directory.caDn(names[victim]);
                // At the first look (SIGSTOP, ldapsearch) that finds it holding claims, within 20 s:
                // a random point of its work, wherever the signal stopped it.
                Map<String, String> held = Map.of();
                int looks = 0;
                Instant patience = Instant.now().plusSeconds(20);
                while (held.isEmpty() && Instant.now().isBefore(patience)) {
                    held = look(dying, caDn);
                    looks++;
                    if (held.isEmpty()) {
                        Thread.sleep(moments.nextInt(50)); // let it work before the next look
                    }
                }
                dying.kill();
                heldAtKills.putAll(held);
                System.out.printf("CA failover (seed %d): %s (pid %d) SIGKILLed at look %d, %d ms after %d users were"
                        + " enrolled, holding %d claims%n", seed, names[victim], dying.pid(), looks, delay, target,
                        held.size());
                serving[victim] = serve(names[victim], "bulk-" + (victim == 0 ? "second-" : "third-") + (kill + 1),
                        started);
            }
            directory.awaitEnrolled("bulk", BULK_USERS, 180);
            checkEnrolledExactlyOnce(dns, started);
            // Each claim a killed process held was taken over after its lease, by the other CA or by
            // the same CA's next process.
            StringBuilder logs = new StringBuilder();
            for (CaServeProcess process : started) {
                logs.append(process.log());
            }
            for (Map.Entry<String, String> claim : heldAtKills.entrySet()) {
                assertTrue(logs.indexOf("took over " + claim.getKey() + " from " + claim.getValue()) >= 0,
                        "no CA logged taking over " + claim.getKey() + " from " + claim.getValue());
            }
            long takeOvers = logs.toString().lines().filter(line -> line.contains(": took over ")).count();
            System.out.printf("CA failover (seed %d): %d users, %d kills, %.1f s; %d claims held by the killed"
                    + " processes, %d take-overs after their lease%n", seed, BULK_USERS, KILLS,
                    (System.nanoTime() - began) / 1e9, heldAtKills.size(), takeOvers);
        } finally {
            stopAll(started);
        }
    }

    /**
     * Every user of {@code dns} enrolled exactly once, and no request with two certificates,
     * judged from what ldapsearch reads of the users, their children and the whole queue, what
     * {@code dirkms archive check} finds, and what the CA processes logged.
     */
    private static void checkEnrolledExactlyOnce(List<String> dns, List<CaServeProcess> processes) throws Exception {
        Set<String> users = new HashSet<>();
        dns.forEach(dn -> users.add(dn.toLowerCase()));
        X500Principal second = new X500Principal(directory.caDn(SECOND));
        X500Principal third = new X500Principal(directory.caDn(THIRD));

        // Published: two certificates on each entry, from the two queued CAs, the same two in its children.
        Map<String, X509Certificate> published = new LinkedHashMap<>();
        Map<String, List<byte[]>> onEntries = new HashMap<>();
        for (LdifEntry user : directory.users("bulk")) {
            assertEquals("enrolled", user.string("kmsEnrollmentState"), user.dn());
            assertEquals(null, user.string("kmsClaimedBy"), user.dn() + ": the claim ended");
            List<X509Certificate> certificates = user.certificates();
            assertEquals(2, certificates.size(), user.dn() + ": exactly one signing and one encryption certificate");
            for (X509Certificate certificate : certificates) {
                X500Principal issuer = certificate.getIssuerX500Principal();
                assertTrue(issuer.equals(second) || issuer.equals(third), user.dn() + " has a certificate of " + issuer);
                assertEquals(null, published.put(key(certificate), certificate), "a certificate on two users: "
                        + key(certificate));
            }
            onEntries.put(user.dn().toLowerCase(), List.of(der(certificates.get(0)), der(certificates.get(1))));
        }
        assertEquals(dns.size(), onEntries.size(), "every user of the bulk is a KMS user");
        Map<String, List<LdifEntry>> children = new HashMap<>();
        for (LdifEntry child : directory.publishedCertificates()) {
            String parent = child.dn().substring(child.dn().indexOf(',') + 1).toLowerCase();
            if (users.contains(parent)) {
                children.computeIfAbsent(parent, p -> new ArrayList<>()).add(child);
            }
        }
        for (Map.Entry<String, List<byte[]>> user : onEntries.entrySet()) {
            List<LdifEntry> own = children.getOrDefault(user.getKey(), List.of());
            assertEquals(Set.of("signing", "encryption"), Set.copyOf(own.stream()
                    .map(c -> c.string("kmsCertificatePurpose")).toList()), user.getKey() + ": one child per purpose");
            assertEquals(2, own.size(), user.getKey() + ": exactly two children");
            for (LdifEntry child : own) {
                assertEquals(1, child.certificates().size(), child.dn());
                byte[] der = der(child.certificates().get(0));
                assertTrue(user.getValue().stream().anyMatch(c -> java.util.Arrays.equals(c, der)),
                        child.dn() + " carries one of the entry's certificates");
            }
        }

        // The queue: each request of these users issued, with exactly one certificate; no serial
        // on two requests of the whole queue; the issued certificates are exactly the published ones.
        Map<String, Integer> requestsPerUser = new HashMap<>();
        Map<String, String> requestOfCertificate = new HashMap<>();
        Map<X500Principal, Integer> issuedBy = new HashMap<>();
        for (LdifEntry request : directory.requests()) {
            List<X509Certificate> certificates = request.certificates();
            if ("issued".equals(request.string("kmsRequestState"))) {
                assertEquals(1, certificates.size(), request.dn() + ": an issued request holds exactly one certificate");
            } else {
                assertTrue(certificates.isEmpty(), request.dn() + " in state " + request.string("kmsRequestState")
                        + " holds a certificate");
            }
            for (X509Certificate certificate : certificates) {
                String previous = requestOfCertificate.put(key(certificate), request.dn());
                assertEquals(null, previous, "serial " + key(certificate) + " is on two requests: " + previous
                        + " and " + request.dn());
            }
            String subject = request.string("kmsRequestSubject");
            if (subject != null && users.contains(subject.toLowerCase())) {
                requestsPerUser.merge(subject.toLowerCase(), 1, Integer::sum);
                assertEquals("issued", request.string("kmsRequestState"), request.dn() + " of " + subject);
                X509Certificate issued = certificates.get(0);
                assertTrue(published.containsKey(key(issued)), request.dn() + ": its certificate " + key(issued)
                        + " was not published");
                issuedBy.merge(issued.getIssuerX500Principal(), 1, Integer::sum);
            }
        }
        for (String user : users) {
            assertEquals(2, requestsPerUser.getOrDefault(user, 0), user + ": the agent queued two requests");
        }
        for (String certificate : published.keySet()) {
            assertTrue(requestOfCertificate.containsKey(certificate), "the published certificate " + certificate
                    + " is on no issued request");
        }
        assertEquals(2 * dns.size(), published.size());
        assertTrue(issuedBy.getOrDefault(second, 0) > 0 && issuedBy.getOrDefault(third, 0) > 0,
                "both CAs issued: " + issuedBy);

        // What the CAs signed for claims they had lost never left them: on no request, on no user.
        Set<String> lost = new HashSet<>();
        for (CaServeProcess process : processes) {
            Matcher matcher = LOST.matcher(process.log());
            while (matcher.find()) {
                BigInteger serial = new BigInteger(matcher.group(1), 16);
                lost.add(serial.toString(16));
            }
        }
        for (String certificate : requestOfCertificate.keySet()) {
            String serial = certificate.substring(certificate.lastIndexOf(' ') + 1);
            assertFalse(lost.contains(serial), "serial " + serial + " was reported lost by its CA, but is on "
                    + requestOfCertificate.get(certificate));
        }

        // openssl agrees that each CA's certificates are its own.
        for (String name : List.of(SECOND, THIRD)) {
            X500Principal issuer = new X500Principal(directory.caDn(name));
            X509Certificate leaf = published.values().stream().filter(c -> c.getIssuerX500Principal().equals(issuer))
                    .findFirst().orElseThrow();
            Path caPem = work.resolve(name.replace(' ', '-') + ".pem");
            Path leafPem = Pem.write(work.resolve(name.replace(' ', '-') + "-leaf.pem"), leaf);
            Pem.write(caPem, LdifEntry.certificate(directory.caCertificate(name)));
            LdapTools.run(List.of("openssl", "verify", "-x509_strict", "-CAfile", caPem.toString(),
                    leafPem.toString()), Map.of(), null).assertSuccess();
        }

        // dirkms archive check: every archived key unwraps to its published certificate's key, no
        // orphan, no duplicate.
        DirkmsRun check = DirkmsRun.of("archive", "check", "--data", directory.data().toString(), "--url",
                directory.url());
        assertEquals(0, check.code(), check.toString());
        assertTrue(check.out().contains("no problems"), check.toString());
        System.out.printf("CA failover: %d certificates published, issued by %s; %d serials reported lost by the CAs;"
                + " archive check: %s", published.size(), issuedBy, lost.size(), check.out());
    }

    /** Starts {@code dirkms ca serve} for CA {@code name}, its output under {@code tag}, and remembers it. */
    private static CaServeProcess serve(String name, String tag, List<CaServeProcess> started) throws Exception {
        CaServeProcess process = CaServeProcess.start(directory.data(), name, work, tag, PERIOD_MILLIS, LEASE_SECONDS);
        started.add(process);
        return process;
    }

    private static void stopAll(List<CaServeProcess> started) throws InterruptedException {
        for (CaServeProcess process : started) {
            if (process.alive()) {
                process.resume(); // a process paused by a failed look must be able to stop
                process.terminate();
            }
        }
    }

    /**
     * One look at what {@code process} holds: it is stopped (SIGSTOP) while ldapsearch reads the
     * queue, so that the claims found are still its own when it is killed; when none is found it
     * runs on (SIGCONT).
     *
     * @return the requests it holds claimed, with their claims; empty when none (it then runs again)
     */
    private static Map<String, String> look(CaServeProcess process, String caDn) {
        process.pause();
        Map<String, String> held = claimsOf(process.claimPrefix(caDn));
        if (held.isEmpty()) {
            process.resume();
        }
        return held;
    }

    /** Requests pending or claimed in the queue. */
    private static int openRequests() {
        return (int) directory.requests().stream().map(r -> r.string("kmsRequestState"))
                .filter(state -> "pending".equals(state) || "claimed".equals(state)).count();
    }

    /** The requests claimed under claims that start with {@code prefix}, with their claims, as ldapsearch shows them. */
    private static Map<String, String> claimsOf(String prefix) {
        Map<String, String> held = new LinkedHashMap<>();
        for (LdifEntry request : directory.requests()) {
            String claim = request.string("kmsClaimedBy");
            if ("claimed".equals(request.string("kmsRequestState")) && claim != null && claim.startsWith(prefix)) {
                held.put(request.dn(), claim);
            }
        }
        return held;
    }

    /** A certificate's issuer and serial (hex), which name it (RFC 5280 section 4.1.2.2). */
    private static String key(X509Certificate certificate) {
        return certificate.getIssuerX500Principal().getName() + " " + certificate.getSerialNumber().toString(16);
    }

    private static byte[] der(X509Certificate certificate) {
        try {
            return certificate.getEncoded();
        } catch (CertificateEncodingException e) {
            throw new AssertionError(e);
        }
    }
}
