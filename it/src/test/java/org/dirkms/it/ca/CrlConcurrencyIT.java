package org.dirkms.it.ca;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.security.cert.X509CRLEntry;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.directory.ldap.client.api.LdapNetworkConnection;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.ASN1OctetString;
import org.dirkms.agent.ca.CaService;
import org.dirkms.agent.ca.CertificationAuthority;
import org.dirkms.agent.ca.CrlUpdateLocks;
import org.dirkms.agent.ca.KeyStorePassphrase;
import org.dirkms.agent.ca.CaRecords;
import org.dirkms.agent.directory.LdapCaRecords;
import org.dirkms.it.support.LdapTools;
import org.dirkms.it.support.TestDirectory;
import org.dirkms.schema.CaState;
import org.dirkms.schema.KeyAlgorithm;
import org.dirkms.schema.RevocationReason;
import org.dirkms.schema.DataFolder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * CRL updates lose no revocation under concurrency. First the mechanism, measured over a real
 * socket: ApacheDS deletes one exact value of {@code certificateRevocationList;binary} (RFC 4523
 * defines no matching for it; ApacheDS's certificateListExactMatch has no comparator of its
 * own and compares whole values) and refuses with noSuchAttribute a delete of a value it does
 * not hold, for the KMS agent and for the administrator through the guard. Then the whole:
 * threads of two "processes" (two {@link CaService}s over two connections, with lock sets of
 * their own) revoke different serials while each also renews the CRL in a loop; every serial
 * ends on the published CRL, which openssl reads back, and CRL numbers never repeat. Within
 * one process, services made apart (as {@code dirkms serve} makes them for the agent and the
 * scheduled renewal) share the JVM-wide lock and never make each other retry.
 */
class CrlConcurrencyIT {
    @RegisterExtension
    static final TestDirectory directory = new TestDirectory();

    @TempDir
    static Path work;

    private static final KeyStorePassphrase PASSPHRASE = KeyStorePassphrase.of("crl it passphrase".toCharArray());
    private static final int PROCESSES = 2;
    private static final int REVOKERS_PER_PROCESS = 3;
    private static final int SERIALS_PER_REVOKER = 6;
    private static final int RENEWALS_PER_PROCESS = 8;

    private static LdapNetworkConnection agent;
    private static CaService service;
    private static CertificationAuthority ca;

    @BeforeAll
    static void createCa() throws Exception {
        LdapTools.requireTool("openssl", "openssl");
        agent = directory.secureAgentConnection();
        service = directory.kms().caService(agent);
        ca = service.initRoot("Concurrency Root CA", KeyAlgorithm.EC_P384, CaService.DEFAULT_ROOT_VALIDITY, 1,
                DataFolder.of(work).caKeyStore("Concurrency Root CA"), PASSPHRASE,
                CertificationAuthority.Publication.at(directory.ldapUrl()));
    }

    @AfterAll
    static void close() throws Exception {
        if (agent != null) {
            agent.close();
        }
    }

    @Test
    void crlIsSwappedOnlyWhileTheExpectedValueIsPublished() throws Exception {
        {
            for (LdapNetworkConnection connection : List.of(agent)) {
                LdapCaRecords records = new LdapCaRecords(connection, directory.layout(), Clock.systemUTC());
                byte[] before = records.readCa(ca.dn()).orElseThrow().crl();
                // Two successors made within one second share issuer and thisUpdate, all that RFC 4523's
                // certificateListExactMatch asserts (section 2.6); the swap must still tell them apart.
                X509CRL nextCrl;
                X509CRL otherCrl;
                do {
                    nextCrl = ca.renewCrl(crl(before));
                    otherCrl = ca.renewCrl(crl(before));
                } while (!nextCrl.getThisUpdate().equals(otherCrl.getThisUpdate()));
                byte[] next = nextCrl.getEncoded();
                byte[] other = otherCrl.getEncoded();
                assertFalse(Arrays.equals(next, other), "two renewals differ at least in their signature");

                assertFalse(records.replaceCrl(ca.dn(), other, next), "a CRL that is not published is not replaced");
                assertArrayEquals(before, records.readCa(ca.dn()).orElseThrow().crl(), "a failed swap changes nothing");
                assertTrue(records.replaceCrl(ca.dn(), before, next), "the published CRL is replaced");
                assertArrayEquals(next, publishedCrls().get(0));
                assertEquals(1, publishedCrls().size(), "the old value was deleted, not kept beside the new one");
                assertFalse(records.replaceCrl(ca.dn(), before, other), "a stale expected CRL loses");
                assertFalse(records.replaceCrl(ca.dn(), next, crl(before).getEncoded()),
                        "an older CRL (a smaller CRL number) never replaces the published one");
                assertFalse(records.replaceCrl(ca.dn(), other, ca.renewCrl(nextCrl).getEncoded()),
                        "a CRL equal to the published one in issuer and thisUpdate, but not in its bytes, loses");
                assertArrayEquals(next, publishedCrls().get(0));
            }
        }
        // The same compare-and-swap as LDIF through ldapmodify, as the KMS's identity (CRLs are
        // written by the KMS only; the directory superuser is refused).
        byte[] before = publishedCrls().get(0);
        byte[] next = ca.renewCrl(crl(before)).getEncoded();
        // Add first, then delete: the attribute never empties, so ApacheDS keeps its ;binary name.
        LdapTools.against(directory).asAdmin().modify(swap(before, next)).assertExitCode(50);
        LdapTools kms = LdapTools.against(directory).asAgent();
        kms.modify(swap(before, next)).assertSuccess();
        assertArrayEquals(next, publishedCrls().get(0));
        byte[] newer = ca.renewCrl(crl(next)).getEncoded();
        LdapTools.Result stale = kms.modify(swap(before, newer)).assertExitCode(16);
        assertTrue(stale.stderr().contains("No such attribute"), stale.describe("noSuchAttribute for a stale CRL"));
        LdapTools.Result older = kms.modify(swap(next, ca.renewCrl(crl(before)).getEncoded())).assertExitCode(19);
        assertTrue(older.stderr().contains("RFC 5280 section 5.2.3"), older.describe("a rollback refused"));
        assertArrayEquals(next, publishedCrls().get(0));
        assertEquals(1, publishedCrls().size());
    }

    @Test
    void concurrentRevocationsAndRenewalsInTwoProcessesLoseNoRevocation() throws Exception {
        BigInteger initialNumber = crlNumber(service.currentCrl(ca));
        SecureRandom random = new SecureRandom();
        List<BigInteger> serials = new ArrayList<>();
        for (int i = 0; i < PROCESSES * REVOKERS_PER_PROCESS * SERIALS_PER_REVOKER; i++) {
            serials.add(new BigInteger(63, random).add(BigInteger.ONE));
        }
        ConcurrentLinkedQueue<BigInteger> published = new ConcurrentLinkedQueue<>();
        AtomicInteger swaps = new AtomicInteger();
        AtomicInteger lostSwaps = new AtomicInteger();
        List<LdapNetworkConnection> connections = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(PROCESSES * (REVOKERS_PER_PROCESS + 1));
        try {
            CountDownLatch start = new CountDownLatch(1);
            AtomicInteger revokersLeft = new AtomicInteger(PROCESSES * REVOKERS_PER_PROCESS);
            List<Future<List<BigInteger>>> threads = new ArrayList<>();
            for (int p = 0; p < PROCESSES; p++) {
                // A process of its own: its connection, its service with its own locks, the CA opened from the key store.
                LdapNetworkConnection connection = directory.secureAgentConnection();
                connections.add(connection);
                CaService process = new CaService(new CountingSwaps(new LdapCaRecords(connection, directory.layout(),
                        Clock.systemUTC()), swaps, lostSwaps), directory.layout(), Clock.systemUTC(), new SecureRandom(),
                        new CrlUpdateLocks());
                CertificationAuthority processCa = process.open(ca.dn(), DataFolder.of(work).caKeyStore("Concurrency Root CA"), PASSPHRASE,
                        CertificationAuthority.Publication.at(directory.ldapUrl()));
                for (int r = 0; r < REVOKERS_PER_PROCESS; r++) {
                    int first = (p * REVOKERS_PER_PROCESS + r) * SERIALS_PER_REVOKER;
                    List<BigInteger> mine = serials.subList(first, first + SERIALS_PER_REVOKER);
                    threads.add(pool.submit(() -> {
                        start.await();
                        try {
                            List<BigInteger> numbers = new ArrayList<>();
                            for (BigInteger serial : mine) {
                                X509CRL crl = process.revoke(processCa, serial, RevocationReason.SUPERSEDED);
                                assertTrue(crl.getRevokedCertificate(serial) != null);
                                numbers.add(crlNumber(crl));
                            }
                            return numbers;
                        } finally {
                            revokersLeft.decrementAndGet();
                        }
                    }));
                }
                threads.add(pool.submit(() -> {
                    start.await();
                    List<BigInteger> numbers = new ArrayList<>();
                    // The scheduled publication racing the revocations: always due with a margin this long.
                    for (int i = 0; i < RENEWALS_PER_PROCESS && revokersLeft.get() > 0; i++) {
                        X509CRL crl = i % 2 == 0 ? process.publishCrl(processCa)
                                : process.renewCrlIfDue(processCa, Duration.ofDays(3650)).orElseThrow();
                        numbers.add(crlNumber(crl));
                    }
                    return numbers;
                }));
            }
            start.countDown();
            for (Future<List<BigInteger>> thread : threads) {
                List<BigInteger> numbers = thread.get(60, TimeUnit.SECONDS);
                for (int i = 1; i < numbers.size(); i++) {
                    assertTrue(numbers.get(i).compareTo(numbers.get(i - 1)) > 0,
                            "CRL numbers one thread published strictly increase: " + numbers);
                }
                published.addAll(numbers);
            }
        } finally {
            pool.shutdownNow();
            for (LdapNetworkConnection connection : connections) {
                connection.close();
            }
        }

        System.out.println("CrlConcurrencyIT: " + published.size() + " CRLs published, " + lostSwaps.get() + " of "
                + swaps.get() + " swaps lost to the other process and retried");
        assertEquals(published.size(), swaps.get() - lostSwaps.get(), "every successful swap published one CRL");
        // Two CRLs with the same number were both built on the same predecessor: one lost the other's change.
        Set<BigInteger> distinct = new HashSet<>(published);
        assertEquals(published.size(), distinct.size(), "no CRL number was published twice: " + new TreeSet<>(published));
        X509CRL last = service.currentCrl(ca);
        assertEquals(initialNumber.add(BigInteger.valueOf(published.size())), crlNumber(last),
                "each of the " + published.size() + " publications raised the CRL number by exactly one");
        Set<BigInteger> listed = new HashSet<>();
        for (X509CRLEntry entry : last.getRevokedCertificates()) {
            listed.add(entry.getSerialNumber());
        }
        List<BigInteger> missing = new ArrayList<>(serials);
        missing.removeAll(listed);
        assertEquals(List.of(), missing, "every revoked serial is on the published CRL");

        // An independent reader: the CRL as ldapsearch fetches it anonymously, decoded by openssl.
        List<byte[]> values = publishedCrls();
        assertEquals(1, values.size(), "the CA entry holds exactly one CRL");
        Path der = work.resolve("final.crl");
        Files.write(der, values.get(0));
        LdapTools.Result text = LdapTools.run(List.of(LdapTools.executable("openssl"), "crl", "-inform", "DER", "-in",
                der.toString(), "-noout", "-text"), Map.of(), null).assertSuccess();
        Set<BigInteger> opensslSerials = new HashSet<>();
        text.stdout().lines().map(String::trim).filter(line -> line.startsWith("Serial Number:"))
                .forEach(line -> opensslSerials.add(new BigInteger(line.substring("Serial Number:".length()).trim(), 16)));
        List<BigInteger> missingForOpenssl = new ArrayList<>(serials);
        missingForOpenssl.removeAll(opensslSerials);
        assertEquals(List.of(), missingForOpenssl, text.describe("openssl lists every revoked serial"));
        assertTrue(text.stdout().replaceAll("\\s+", " ").contains("X509v3 CRL Number: " + crlNumber(last) + " "),
                text.describe("openssl reads CRL number " + crlNumber(last)));
        // Without a lost swap the processes never overlapped and the test proved nothing about the directory's CAS.
        assertTrue(lostSwaps.get() > 0, "the two processes raced: some swap found the CRL changed since its read");
    }

    @Test
    void servicesOfOneJvmTakeTurnsWithoutLosingASwap() throws Exception {
        AtomicInteger swaps = new AtomicInteger();
        AtomicInteger lostSwaps = new AtomicInteger();
        SecureRandom random = new SecureRandom();
        List<BigInteger> serials = new ArrayList<>();
        List<LdapNetworkConnection> connections = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<?>> threads = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                // Each thread its own service and connection, made with the plain constructor.
                LdapNetworkConnection connection = directory.secureAgentConnection();
                connections.add(connection);
                CaService own = new CaService(new CountingSwaps(new LdapCaRecords(connection, directory.layout(),
                        Clock.systemUTC()), swaps, lostSwaps), directory.layout(), Clock.systemUTC(), new SecureRandom());
                List<BigInteger> mine = new ArrayList<>();
                for (int i = 0; i < 4; i++) {
                    mine.add(new BigInteger(63, random).add(BigInteger.ONE));
                }
                serials.addAll(mine);
                boolean renews = t == 0;
                threads.add(pool.submit(() -> {
                    start.await();
                    for (BigInteger serial : mine) {
                        own.revoke(ca, serial, RevocationReason.UNSPECIFIED);
                        if (renews) {
                            own.publishCrl(ca);
                        }
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> thread : threads) {
                thread.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
            for (LdapNetworkConnection connection : connections) {
                connection.close();
            }
        }
        assertEquals(0, lostSwaps.get(), "services of one JVM take turns: none read a CRL another replaced before its swap");
        assertEquals(20, swaps.get(), "16 revocations and 4 renewals, one swap each");
        Set<BigInteger> listed = new HashSet<>();
        for (X509CRLEntry entry : service.currentCrl(ca).getRevokedCertificates()) {
            listed.add(entry.getSerialNumber());
        }
        assertTrue(listed.containsAll(serials), "every serial revoked by the four services is on the CRL");
    }

    /** LDIF that swaps CRL {@code expected} for {@code next} on the CA entry. */
    private static String swap(byte[] expected, byte[] next) {
        return String.join("\n", "dn: " + ca.dn(), "changetype: modify",
                "add: certificateRevocationList;binary",
                "certificateRevocationList;binary:: " + Base64.getEncoder().encodeToString(next), "-",
                "delete: certificateRevocationList;binary",
                "certificateRevocationList;binary:: " + Base64.getEncoder().encodeToString(expected), "-", "");
    }

    /** The values of certificateRevocationList;binary on the CA entry, as anonymous ldapsearch returns them. */
    private static List<byte[]> publishedCrls() {
        LdapTools.Result result = LdapTools.against(directory).anonymous()
                .searchRaw("-LLL", "-o", "ldif-wrap=no", "-s", "base", "-b", ca.dn(), "(objectClass=pkiCA)",
                        "certificateRevocationList;binary").assertSuccess();
        String prefix = "certificateRevocationList;binary:: ";
        return result.stdout().lines().filter(line -> line.regionMatches(true, 0, prefix, 0, prefix.length()))
                .map(line -> Base64.getDecoder().decode(line.substring(prefix.length()).trim())).toList();
    }

    private static X509CRL crl(byte[] der) throws Exception {
        return (X509CRL) CertificateFactory.getInstance("X.509").generateCRL(new ByteArrayInputStream(der));
    }

    private static BigInteger crlNumber(X509CRL crl) {
        return ASN1Integer.getInstance(ASN1OctetString.getInstance(crl.getExtensionValue("2.5.29.20")).getOctets())
                .getValue();
    }

    /** The directory records of one "process", counting its CRL swaps and those that lost to the other process. */
    private record CountingSwaps(CaRecords records, AtomicInteger swaps, AtomicInteger lost) implements CaRecords {
        @Override
        public boolean replaceCrl(String dn, byte[] expected, byte[] crl) {
            swaps.incrementAndGet();
            boolean swapped = records.replaceCrl(dn, expected, crl);
            if (!swapped) {
                lost.incrementAndGet();
            }
            return swapped;
        }

        @Override
        public void addCa(CaEntry entry) {
            records.addCa(entry);
        }

        @Override
        public Optional<String> findKeptCertificate(java.util.function.Predicate<byte[]> wanted) {
            return records.findKeptCertificate(wanted);
        }

        @Override
        public boolean isRequestOfClaim(String requestDn, String subjectDn, String attempt, String purpose) {
            return records.isRequestOfClaim(requestDn, subjectDn, attempt, purpose);
        }

        @Override
        public Optional<CaEntry> readCa(String dn) {
            return records.readCa(dn);
        }

        @Override
        public List<CaEntry> listCas() {
            return records.listCas();
        }

        @Override
        public void activateCa(String dn, List<byte[]> certificates, CaState state) {
            records.activateCa(dn, certificates, state);
        }

        @Override
        public void recordCrlDistributionPoints(String dn, List<String> urls) {
            records.recordCrlDistributionPoints(dn, urls);
        }

        @Override
        public void recordHttpAccess(String dn, List<String> crlDistributionPoints, List<String> ocspUrls,
                List<String> caIssuersUrls) {
            records.recordHttpAccess(dn, crlDistributionPoints, ocspUrls, caIssuersUrls);
        }

        @Override
        public java.util.Optional<String> changeSequence(String dn) {
            return records.changeSequence(dn);
        }

        @Override
        public boolean addTemplateIfAbsent(String dn, Map<String, List<String>> attributes) {
            return records.addTemplateIfAbsent(dn, attributes);
        }

        @Override
        public List<TemplateEntry> listTemplates() {
            return records.listTemplates();
        }

        @Override
        public void addRequest(String dn, String templateDn, String subjectDn, byte[] pkcs10) {
            records.addRequest(dn, templateDn, subjectDn, pkcs10);
        }

        @Override
        public void recordIssued(String dn, String templateDn, String subjectDn, byte[] pkcs10, byte[] certificate) {
            records.recordIssued(dn, templateDn, subjectDn, pkcs10, certificate);
        }

        @Override
        public List<RequestEntry> openRequests() {
            return records.openRequests();
        }

        @Override
        public Optional<ServingState> readServingState(String dn) {
            return records.readServingState(dn);
        }

        @Override
        public void heartbeat(String caDn, java.time.Instant time) {
            records.heartbeat(caDn, time);
        }

        @Override
        public boolean claimRequest(String dn, String attempt, java.time.Instant leaseExpires) {
            return records.claimRequest(dn, attempt, leaseExpires);
        }

        @Override
        public boolean takeOverRequest(String dn, java.time.Instant expiredLease, String attempt,
                java.time.Instant leaseExpires) {
            return records.takeOverRequest(dn, expiredLease, attempt, leaseExpires);
        }

        @Override
        public boolean completeRequest(String dn, String attempt, byte[] certificate) {
            return records.completeRequest(dn, attempt, certificate);
        }

        @Override
        public boolean failRequest(String dn, String attempt, String subjectDn, String reason) {
            return records.failRequest(dn, attempt, subjectDn, reason);
        }

        @Override
        public java.time.Duration requestLifetime() {
            return records.requestLifetime();
        }

        @Override
        public void setRequestLifetime(long hours) {
            records.setRequestLifetime(hours);
        }

        @Override
        public Optional<SubjectEntry> readSubject(String dn) {
            return records.readSubject(dn);
        }
    }
}
