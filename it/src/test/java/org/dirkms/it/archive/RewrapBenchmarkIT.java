package org.dirkms.it.archive;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.directory.api.ldap.model.entry.DefaultEntry;
import org.apache.directory.api.ldap.model.entry.DefaultModification;
import org.apache.directory.api.ldap.model.entry.Entry;
import org.apache.directory.api.ldap.model.entry.ModificationOperation;
import org.apache.directory.ldap.client.api.LdapNetworkConnection;
import org.dirkms.agent.archive.KeyArchiver;
import org.dirkms.agent.archive.KeyRecoverer;
import org.dirkms.agent.archive.KeyRewrapper;
import org.dirkms.agent.archive.WrappedKey;
import org.dirkms.agent.ca.CaService;
import org.dirkms.agent.ca.CertificationAuthority;
import org.dirkms.agent.ca.KeyStorePassphrase;
import org.dirkms.agent.directory.LdapRecoveryKeyRecords;
import org.dirkms.agent.escrow.ArchiveRewrap;
import org.dirkms.agent.keys.KeyPairFactory;
import org.dirkms.agent.keys.RecoveryKeyStore;
import org.dirkms.dist.KmsContext;
import org.dirkms.it.support.TestDirectory;
import org.dirkms.schema.DataFolder;
import org.dirkms.schema.KeyAlgorithm;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The re-wrap's throughput against its ceiling, measured in the same run (README, "Benchmarks"):
 * {@code dirkms archive rewrap}'s {@link ArchiveRewrap} over N archive records (EC P-256 keys
 * wrapped to an EC P-384 recovery key, as {@code dirkms serve} makes it) after a rekey, against a
 * plain client doing the same cryptography and one directory modify per record on N other records:
 * unwrap with the store's keys, wrap to the new key, unwrap the new wrap with the new key alone
 * and compare, then the same test-and-set modify — with the same number of threads, over the same
 * connection. The rewrap also pays for what the plain client skips: listing the archive (the
 * listing of as many records as it re-wraps) and reading the records in batches. The two take turns over five slices of the records, so that
 * load from outside weighs on both alike. It prints records per second of each and their ratio
 * (target: at least 0.85), and asserts only what must hold: every record re-wrapped, to the new
 * key, holding the same key.
 *
 * <p>System properties {@code dirkms.bench.rewrap.records} (default {@value #DEFAULT_RECORDS}) and
 * {@code dirkms.bench.rewrap.workers} (default: the number of processors, as the command's).
 */
class RewrapBenchmarkIT {
    private static final int DEFAULT_RECORDS = 1000;
    private static final int SLICES = 5;
    private static final int WORKERS = Integer.getInteger("dirkms.bench.rewrap.workers",
            Runtime.getRuntime().availableProcessors());

    @RegisterExtension
    static final TestDirectory directory = new TestDirectory();

    @TempDir
    static Path work;

    private static final SecureRandom RANDOM = new SecureRandom();
    private static LdapNetworkConnection connection;
    private static RecoveryKeyStore store;
    private static final Map<String, byte[]> KEYS = new HashMap<>();

    @BeforeAll
    static void setUp() throws Exception {
        connection = directory.secureAgentConnection();
        CaService caService = directory.kms().caService(connection);
        CertificationAuthority ca = caService.initRoot("Benchmark CA", KeyAlgorithm.EC_P384,
                CaService.DEFAULT_ROOT_VALIDITY, 1, DataFolder.of(work).caKeyStore("Benchmark CA"),
                KeyStorePassphrase.of("it passphrase".toCharArray()), CertificationAuthority.Publication.at(directory.ldapUrl()));
        String subject = directory.layout().keyRecoveryAgent();
        RecoveryKeyStore first = RecoveryKeyStore.create(DataFolder.of(work), ca::certifyRecoveryAgent, subject,
                KmsContext.RECOVERY_KEY_ALGORITHM, RANDOM);
        store = first.rotate(DataFolder.of(work), ca::certifyRecoveryAgent, subject, KmsContext.RECOVERY_KEY_ALGORITHM,
                RANDOM);
    }

    @AfterAll
    static void close() {
        if (connection != null) {
            connection.close();
        }
    }

    @Test
    void rewrapAgainstTheSameCryptographyAndModifiesByAPlainClient() throws Exception {
        int records = Integer.getInteger("dirkms.bench.rewrap.records", DEFAULT_RECORDS);
        KeyArchiver toOld = new KeyArchiver(store.keys().get(1).certificate(), RANDOM);
        List<String> rewrapDns = addRecords("r", records, toOld);
        List<String> plainDns = addRecords("p", records, toOld);
        Map<String, byte[]> plainWrapped = new HashMap<>();
        LdapRecoveryKeyRecords recordsOverLdap = new LdapRecoveryKeyRecords(connection, directory.layout());
        recordsOverLdap.readArchivedKeys(plainDns).forEach(r -> plainWrapped.put(r.dn(), r.wrappedKey()));
        ArchiveRewrap rewrap = new ArchiveRewrap(recordsOverLdap, new KeyRewrapper(new KeyRecoverer(store.keys()),
                store.current(), RANDOM), ArchiveRewrap.DEFAULT_BATCH_SIZE, WORKERS);

        // Warm-up outside the measurement: class loading and JIT of both paths.
        List<String> warm = addRecords("w", 40, toOld);
        rewrap.rewrap(warm.subList(0, 20), (done, total) -> { });
        recordsOverLdap.readArchivedKeys(warm.subList(20, 40)).forEach(r -> plainWrapped.put(r.dn(), r.wrappedKey()));
        parallel(warm.subList(20, 40), dn -> plain(dn, plainWrapped.get(dn)));

        // The rewrap lists the archive first. Here the archive holds the plain client's records
        // too, twice and more the records the rewrap re-wraps, where a real archive holds only
        // those it re-wraps: the rewrap is charged the listing of as many records as it re-wraps
        // (the listing's cost per record listed), and the whole listing is printed beside it.
        long listed = System.nanoTime();
        int listing = rewrap.list().records();
        double listingSeconds = (System.nanoTime() - listed) / 1e9;
        assertEquals(2 * records + 40, listing);
        double rewrapSeconds = listingSeconds * records / listing;
        double plainSeconds = 0;
        int rewrapped = 0;
        for (int slice = 0; slice < SLICES; slice++) {
            int from = records * slice / SLICES;
            int to = records * (slice + 1) / SLICES;
            long start = System.nanoTime();
            ArchiveRewrap.Summary summary = rewrap.rewrap(rewrapDns.subList(from, to), (done, total) -> { });
            rewrapSeconds += (System.nanoTime() - start) / 1e9;
            assertTrue(summary.complete(), summary.toString());
            rewrapped += summary.rewrapped();
            plainSeconds += parallel(plainDns.subList(from, to), dn -> plain(dn, plainWrapped.get(dn)));
        }
        assertEquals(records, rewrapped);

        double rewrapRate = records / rewrapSeconds;
        double plainRate = records / plainSeconds;
        double wholeListingRate = records / (rewrapSeconds - listingSeconds * records / listing + listingSeconds);
        System.out.printf("BENCHMARK rewrap %d records (EC P-256 keys, EC P-384 recovery keys), %d workers, batches of"
                + " %d: rewrap %.1f records/s, its listing of the archive %.2f s for %d records; ceiling (the same"
                + " unwraps, wraps and one modify per record by a plain client) %.1f records/s; ratio %.2f (target"
                + " >= 0.85); %.2f with the listing of the whole archive, the ceiling's records too%n", records,
                WORKERS, ArchiveRewrap.DEFAULT_BATCH_SIZE, rewrapRate, listingSeconds, listing, plainRate,
                rewrapRate / plainRate, wholeListingRate / plainRate);

        // What must hold: every record wrapped to the new key, holding the key it was made with.
        KeyRecoverer newOnly = new KeyRecoverer(List.of(store.current()));
        recordsOverLdap.readArchivedKeys(rewrapDns).forEach(record -> {
            assertEquals(store.current().keyId(), record.wrappingKeyId(), record.dn());
            try {
                assertArrayEquals(KEYS.get(record.dn()), newOnly.unwrap(record.wrappedKey()).getEncoded(), record.dn());
            } catch (Exception e) {
                throw new AssertionError(record.dn(), e);
            }
        });
        assertEquals(0, rewrap.list().toRewrap().size(), "nothing left to re-wrap");
    }

    /** The plain client's work for one record: the rewrap's cryptography and one modify, nothing else. */
    private static void plain(String dn, byte[] wrapped) throws Exception {
        PrivateKey key = new KeyRecoverer(store.keys()).unwrap(wrapped);
        WrappedKey fresh = new KeyArchiver(store.current().certificate(), RANDOM).wrap(key, null);
        PrivateKey again = new KeyRecoverer(List.of(store.current())).unwrap(fresh.envelopedDataDer());
        if (!java.util.Arrays.equals(key.getEncoded(), again.getEncoded())) {
            throw new AssertionError(dn + ": the plain client's wrap does not give the key back");
        }
        connection.modify(dn,
                new DefaultModification(ModificationOperation.REMOVE_ATTRIBUTE, "kmsWrappedKey", wrapped),
                new DefaultModification(ModificationOperation.ADD_ATTRIBUTE, "kmsWrappedKey", fresh.envelopedDataDer()),
                new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, "kmsWrappingAlgorithm",
                        fresh.wrappingAlgorithm()),
                new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, "kmsWrappingKeyId",
                        fresh.wrappingKeyId()));
    }

    /** {@code count} archive records of new EC P-256 keys wrapped by {@code archiver}, added over the agent's connection. */
    private static List<String> addRecords(String prefix, int count, KeyArchiver archiver) throws Exception {
        List<String> dns = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            dns.add("cn=bench-" + prefix + i + "," + directory.layout().keyArchive());
        }
        KeyPairFactory keys = new KeyPairFactory(RANDOM);
        parallel(dns, dn -> {
            KeyPair pair = keys.generate(KeyAlgorithm.EC_P256);
            WrappedKey wrapped = archiver.wrap(pair.getPrivate(), null);
            Entry entry = new DefaultEntry(dn);
            entry.add("objectClass", "top", "kmsArchivedKey");
            entry.add("cn", entry.getDn().getRdn().getValue());
            entry.add("kmsKeyOwner", "uid=bench," + directory.layout().people());
            entry.add("kmsWrappedKey", wrapped.envelopedDataDer());
            entry.add("kmsWrappingAlgorithm", wrapped.wrappingAlgorithm());
            entry.add("kmsWrappingKeyId", wrapped.wrappingKeyId());
            connection.add(entry);
            synchronized (KEYS) {
                KEYS.put(entry.getDn().getName(), pair.getPrivate().getEncoded());
            }
        });
        return dns;
    }

    private interface Step {
        void run(String dn) throws Exception;
    }

    /** Runs {@code step} for every DN on the benchmark's worker threads; the seconds it took. */
    private static double parallel(List<String> dns, Step step) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(WORKERS);
        try {
            List<Callable<Void>> tasks = new ArrayList<>();
            for (String dn : dns) {
                tasks.add(() -> {
                    step.run(dn);
                    return null;
                });
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
