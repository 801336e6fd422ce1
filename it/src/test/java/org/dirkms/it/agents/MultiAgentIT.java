package org.dirkms.it.agents;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.dirkms.agent.names.DistinguishedNames;
import org.dirkms.it.queue.DirectoryProcess;
import org.dirkms.it.queue.LdifEntry;
import org.dirkms.it.support.DirkmsRun;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Several KMS agents sharing the work on one directory (docs/reliability.md, "Several agents"):
 * {@code dirkms serve} (whose in-process agent is the first) and two {@code dirkms agent}
 * processes, each with a folder of its own holding copies of the CA's and the recovery key
 * stores (as on hosts of their own), all separate processes with short leases (8 s) and sweeps (2 s).
 * The superuser adds {@value #DEFAULT_USERS} people and a KMS administrator asks for their
 * enrollments with {@code ldapmodify}, 50 a run; while the agents work, one of the standalone agents,
 * drawn at random, is SIGKILLed at a random moment and started again, {@value #KILLS} times. In
 * the end every user is enrolled exactly once:
 * <ul>
 * <li>{@code enrolled}, no claim left, two certificates on the entry and the same two on its two
 *     children, no serial twice in the whole tree;</li>
 * <li>both certificates from one attempt: the user's key package, opened with its token, holds
 *     exactly the entry's two certificates with their private keys (an attempt packages only its own
 *     keys), so no entry shows one attempt's signing certificate beside another's encryption one;</li>
 * <li>every published encryption certificate is on exactly one archive record, which is live, no
 *     live record is left for a user beyond it, and {@code dirkms archive check} is clean;</li>
 * <li>no user is reported enrolled by two agents (the agents' logs), and each of the three agents
 *     enrolled users: the work was shared, and no agent was left deaf to the directory's
 *     notifications by another's syncrepl cookie.</li>
 * </ul>
 *
 * <p>The kill moments come from a {@link Random} seeded from {@value #SEED_PROPERTY} when set,
 * else from a fresh {@link SecureRandom}; the seed is printed first. The user count is
 * {@value #USERS_PROPERTY} (default {@value #DEFAULT_USERS}).
 */
class MultiAgentIT {
    private static final int DEFAULT_USERS = 150;
    private static final String USERS_PROPERTY = "dirkms.multiagent.users";
    private static final String SEED_PROPERTY = "dirkms.multiagent.seed";
    private static final int KILLS = 3;
    private static final String PREFIX = "multi";
    private static final Pattern ENROLLED = Pattern.compile("Enrolled (uid=" + PREFIX + "\\d+,[^ ]+) \\(");

    @TempDir
    Path data;

    @TempDir
    Path work;

    @Test
    void threeAgentsEnrollEveryUserExactlyOnceWhileOneIsKilledAndRestarted() throws Exception {
        int users = Integer.getInteger(USERS_PROPERTY, DEFAULT_USERS);
        String replay = System.getProperty(SEED_PROPERTY);
        long seed = replay == null || replay.isBlank() ? new SecureRandom().nextLong() : Long.parseLong(replay.trim());
        Random moments = new Random(seed);
        System.out.printf("several agents: seed %d (replay the kill schedule with -D%s=%d)%n", seed, SEED_PROPERTY,
                seed);
        long started = System.nanoTime();
        List<AgentProcess> all = new ArrayList<>();
        try (DirectoryProcess directory = DirectoryProcess.start(data, work)) {
            directory.useKeyAlgorithm("EC-P256");
            List<String> dns = directory.addPeople(PREFIX, users);
            AgentProcess[] agents = new AgentProcess[2];
            Path[] folders = new Path[agents.length];
            for (int i = 0; i < agents.length; i++) {
                // Each agent has a folder of its own, as on a host of its own.
                folders[i] = AgentProcess.copyFolder(data, work.resolve("data-" + (char) ('a' + i)));
                agents[i] = AgentProcess.start(directory.url(), folders[i], work, "agent-" + (char) ('a' + i) + "-0",
                        "--lease-seconds", "8", "--sweep-seconds", "2", "--workers", "4");
                all.add(agents[i]);
            }
            for (AgentProcess agent : agents) {
                agent.awaitRunning();
            }
            long asked = System.nanoTime();
            // The administrator's ldapmodify runs while the agents already enroll its first users,
            // and the kills land while it runs too.
            java.util.concurrent.CompletableFuture<Void> request = java.util.concurrent.CompletableFuture.runAsync(
                    () -> {
                        // In slices of 50: the directory serves the agents' writes in between.
                        for (int from = 0; from < dns.size(); from += 50) {
                            directory.requestEnrollment(dns.subList(from, Math.min(dns.size(), from + 50)));
                        }
                    });
            for (int round = 0; round < KILLS; round++) {
                // Spread over the run: round r kills around the (r+1)/(KILLS+1) mark, give or take
                // half a step, once that many users are enrolled.
                int step = users / (KILLS + 1);
                int target = Math.max(1, Math.min(users - 1, step * (round + 1) - step / 2 + moments.nextInt(step)));
                Instant deadline = Instant.now().plusSeconds(120);
                while (directory.usersInState(PREFIX, "enrolled") < target) {
                    if (Instant.now().isAfter(deadline)) {
                        fail("the agents did not reach " + target + " enrolled users within 120 s");
                    }
                    Thread.sleep(20); // polling the other processes' progress
                }
                int victim = moments.nextInt(agents.length);
                long delay = moments.nextInt(200);
                Thread.sleep(delay); // a random moment to kill at: the point of the test
                agents[victim].kill();
                System.out.printf("several agents (seed %d): %s killed %d ms after %d users were enrolled%n", seed,
                        agents[victim].name(), delay, target);
                agents[victim] = AgentProcess.start(directory.url(), folders[victim], work,
                        "agent-" + (char) ('a' + victim) + "-" + (round + 1), "--lease-seconds", "8",
                        "--sweep-seconds", "2", "--workers", "4");
                all.add(agents[victim]);
            }
            request.get(180, java.util.concurrent.TimeUnit.SECONDS);
            directory.awaitEnrolled(PREFIX, users, 180);
            double seconds = (System.nanoTime() - asked) / 1e9;

            checkEveryUserEnrolledOnce(directory, dns);
            checkKeyPackages(directory, dns);
            checkArchive(directory, dns);
            DirkmsRun check = DirkmsRun.of("archive", "check", "--data", data.toString(), "--url", directory.url());
            assertEquals(0, check.code(), check.toString());
            Map<String, Integer> byAgent = enrolledByAgent(directory, all, dns);
            System.out.printf("several agents (seed %d): %d users enrolled in %.1f s by three agents with %d kills"
                    + " (%.1f s in all); users enrolled by each process: %s; %s%n", seed, users, seconds, KILLS,
                    (System.nanoTime() - started) / 1e9, byAgent, check.out().strip());
        } finally {
            for (AgentProcess agent : all) {
                agent.close();
            }
        }
    }

    /** State, claim, certificates on the entry and on its children, serials unique. */
    private static void checkEveryUserEnrolledOnce(DirectoryProcess directory, List<String> dns) {
        Map<String, LdifEntry> users = new HashMap<>();
        for (LdifEntry user : directory.users(PREFIX)) {
            users.put(DistinguishedNames.normal(user.dn()), user);
        }
        Map<String, List<byte[]>> children = new HashMap<>();
        for (LdifEntry child : directory.publishedCertificates()) {
            children.computeIfAbsent(DistinguishedNames.normal(DistinguishedNames.parent(child.dn())),
                    key -> new ArrayList<>()).addAll(child.binary("userCertificate"));
        }
        Set<BigInteger> serials = new HashSet<>();
        for (String dn : dns) {
            LdifEntry user = users.get(DistinguishedNames.normal(dn));
            assertNotNull(user, dn);
            assertEquals("enrolled", user.string("kmsEnrollmentState"), dn + ": " + user.string("kmsLastError"));
            assertEquals(List.of(), user.strings("kmsClaimedBy"), dn + ": no claim left");
            List<byte[]> certificates = user.binary("userCertificate");
            assertEquals(2, certificates.size(), dn + ": exactly two certificates on the entry");
            List<byte[]> published = children.getOrDefault(DistinguishedNames.normal(dn), List.of());
            assertEquals(2, published.size(), dn + ": exactly two children with one certificate each");
            assertEquals(fingerprints(certificates), fingerprints(published),
                    dn + ": the children show the entry's certificates");
            for (byte[] der : certificates) {
                assertTrue(serials.add(certificate(der).getSerialNumber()), dn + ": a serial twice in the tree");
            }
        }
    }

    /**
     * Each user's key package, opened with its token, holds exactly the entry's two certificates,
     * each with the private key of its public key: both are one attempt's.
     */
    private static void checkKeyPackages(DirectoryProcess directory, List<String> dns) throws Exception {
        // As the KMS agent, which reads packages and tokens (docs/security.md), paged past the
        // size limit the server puts on everyone but the superuser.
        Map<String, LdifEntry> users = new HashMap<>();
        for (LdifEntry user : LdifEntry.parse(directory.agent().searchRaw("-LLL", "-o", "ldif-wrap=no", "-E",
                "pr=50/noprompt", "-b", directory.layout().people(), "(&(objectClass=kmsUser)(uid=" + PREFIX + "*))",
                "userCertificate;binary", "kmsKeyPackage", "kmsEnrollmentToken").assertSuccess().stdout())) {
            users.put(DistinguishedNames.normal(user.dn()), user);
        }
        for (String dn : dns) {
            LdifEntry user = users.get(DistinguishedNames.normal(dn));
            assertNotNull(user, dn);
            String token = user.string("kmsEnrollmentToken");
            List<byte[]> keyPackage = user.binary("kmsKeyPackage");
            assertNotNull(token, dn + ": a token");
            assertEquals(1, keyPackage.size(), dn + ": one key package");
            KeyStore p12 = KeyStore.getInstance("PKCS12");
            char[] password = token.toCharArray();
            p12.load(new ByteArrayInputStream(keyPackage.get(0)), password);
            List<byte[]> packaged = new ArrayList<>();
            for (String alias : Collections.list(p12.aliases())) {
                if (!p12.isKeyEntry(alias)) {
                    continue;
                }
                X509Certificate leaf = (X509Certificate) p12.getCertificateChain(alias)[0];
                PrivateKey key = (PrivateKey) p12.getKey(alias, password);
                assertTrue(keyMatches(key, leaf), dn + ": the packaged key " + alias + " is its certificate's");
                packaged.add(leaf.getEncoded());
            }
            assertEquals(fingerprints(user.binary("userCertificate")), fingerprints(packaged),
                    dn + ": the key package holds exactly the entry's certificates (one attempt's)");
        }
    }

    /**
     * Every published encryption certificate is on exactly one archive record, a live one, and
     * no other live record belongs to its user.
     */
    private static void checkArchive(DirectoryProcess directory, List<String> dns) {
        List<LdifEntry> records = LdifEntry.parse(directory.superuser().searchRaw("-LLL", "-o", "ldif-wrap=no", "-b",
                directory.layout().keyArchive(), "(objectClass=kmsArchivedKey)", "kmsKeyOwner", "kmsArchiveState",
                "userCertificate;binary").assertSuccess().stdout());
        Map<String, List<LdifEntry>> recordsByCertificate = new HashMap<>();
        Map<String, Integer> liveByOwner = new HashMap<>();
        for (LdifEntry record : records) {
            for (byte[] der : record.binary("userCertificate")) {
                recordsByCertificate.computeIfAbsent(fingerprint(der), key -> new ArrayList<>()).add(record);
            }
            if (!"abandoned".equals(record.string("kmsArchiveState"))) {
                liveByOwner.merge(DistinguishedNames.normal(record.string("kmsKeyOwner")), 1, Integer::sum);
            }
        }
        Map<String, LdifEntry> users = new HashMap<>();
        for (LdifEntry user : directory.users(PREFIX)) {
            users.put(DistinguishedNames.normal(user.dn()), user);
        }
        for (String dn : dns) {
            LdifEntry user = users.get(DistinguishedNames.normal(dn));
            X509Certificate encryption = user.binary("userCertificate").stream().map(MultiAgentIT::certificate)
                    .filter(c -> !c.getKeyUsage()[0]).findFirst().orElseThrow();
            List<LdifEntry> holding = recordsByCertificate.getOrDefault(fingerprint(encoded(encryption)), List.of());
            assertEquals(1, holding.size(), dn + ": the encryption certificate is on exactly one archive record");
            assertTrue(!"abandoned".equals(holding.get(0).string("kmsArchiveState")),
                    dn + ": its record is live, not abandoned");
            assertEquals(1, liveByOwner.getOrDefault(DistinguishedNames.normal(dn), 0),
                    dn + ": one live archive record, no orphan");
            for (byte[] der : user.binary("userCertificate")) {
                assertTrue(recordsByCertificate.getOrDefault(fingerprint(der), List.of()).size() <= 1,
                        dn + ": no published certificate on two attempts' records");
            }
        }
    }

    /** How many users each process reported enrolled; fails when one user was reported by two, or an agent enrolled none. */
    private static Map<String, Integer> enrolledByAgent(DirectoryProcess directory, List<AgentProcess> agents,
            List<String> dns) throws IOException {
        Map<String, String> enrolledBy = new HashMap<>();
        Map<String, Integer> counts = new TreeMap<>();
        Map<String, String> logs = new java.util.LinkedHashMap<>();
        logs.put("serve", directory.log());
        for (AgentProcess agent : agents) {
            logs.put(agent.name(), agent.log());
        }
        logs.forEach((name, log) -> {
            Matcher enrolled = ENROLLED.matcher(log);
            while (enrolled.find()) {
                String dn = DistinguishedNames.normal(enrolled.group(1));
                String earlier = enrolledBy.put(dn, name);
                if (earlier != null) {
                    fail(enrolled.group(1) + " was enrolled by " + earlier + " and again by " + name);
                }
                counts.merge(name, 1, Integer::sum);
            }
        });
        assertTrue(enrolledBy.size() <= dns.size(), counts.toString());
        // Each of the three agents (serve's, and each standalone one across its restarts) took a
        // share: none was left deaf to the notifications (docs/reliability.md, "Several agents").
        Map<String, Integer> bySlot = new TreeMap<>();
        counts.forEach((name, count) -> bySlot.merge(name.replaceAll("-\\d+$", ""), count, Integer::sum));
        for (String slot : List.of("serve", "agent-a", "agent-b")) {
            assertTrue(bySlot.getOrDefault(slot, 0) > 0, "every agent takes a share of the work: " + counts);
        }
        return counts;
    }

    private static boolean keyMatches(PrivateKey key, X509Certificate certificate) throws Exception {
        String algorithm = key.getAlgorithm().equals("EC") ? "SHA256withECDSA" : "SHA256withRSA";
        byte[] message = "multi-agent key check".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        Signature signer = Signature.getInstance(algorithm);
        signer.initSign(key);
        signer.update(message);
        byte[] signature = signer.sign();
        Signature verifier = Signature.getInstance(algorithm);
        verifier.initVerify(certificate.getPublicKey());
        verifier.update(message);
        return verifier.verify(signature);
    }

    private static Set<String> fingerprints(List<byte[]> certificates) {
        Set<String> set = new HashSet<>();
        certificates.forEach(der -> set.add(fingerprint(der)));
        assertEquals(certificates.size(), set.size(), "no certificate twice");
        return set;
    }

    private static String fingerprint(byte[] der) {
        try {
            return Base64.getEncoder().encodeToString(java.security.MessageDigest.getInstance("SHA-256").digest(der));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    private static X509Certificate certificate(byte[] der) {
        try {
            return (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(new ByteArrayInputStream(der));
        } catch (java.security.cert.CertificateException e) {
            throw new AssertionError(e);
        }
    }

    private static byte[] encoded(Certificate certificate) {
        try {
            return certificate.getEncoded();
        } catch (java.security.cert.CertificateEncodingException e) {
            throw new AssertionError(e);
        }
    }
}
