package org.dirkms.agent.escrow;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.security.KeyPair;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;
import org.dirkms.agent.archive.KeyArchiver;
import org.dirkms.agent.archive.KeyRecoverer;
import org.dirkms.agent.archive.KeyRewrapper;
import org.dirkms.agent.archive.WrappedKey;
import org.dirkms.agent.directory.DirectoryAccessException;
import org.dirkms.agent.directory.EnrollmentRecords.ArchivedKeyEntry;
import org.dirkms.agent.directory.RecoveryKeyRecords;
import org.dirkms.agent.keys.RecoveryKey;
import org.dirkms.agent.keys.RecoveryKeyStore;
import org.dirkms.agent.keys.TestPki;
import org.dirkms.schema.DataFolder;
import org.dirkms.schema.KeyAlgorithm;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The re-wrap of the archive without a server, over records with the directory's test-and-set
 * semantics: every record ends wrapped to the new key holding the same key, records wrapped to it
 * already are skipped, a run that dies after any write is finished by the next run with no record
 * re-wrapped twice, a record changed by someone else between the read and the write is never
 * overwritten from the stale copy, and a record that cannot be re-wrapped keeps its wrap.
 */
class ArchiveRewrapTest {
    private static final int RECORDS = 12;
    private static TestPki pki;

    @TempDir
    Path work;

    private RecoveryKey oldKey;
    private RecoveryKeyStore store;
    private final Map<String, byte[]> keys = new LinkedHashMap<>();

    @BeforeAll
    static void createCa() {
        pki = TestPki.create();
    }

    @BeforeEach
    void rekey() throws Exception {
        DataFolder data = DataFolder.of(work.resolve("data"));
        RecoveryKeyStore first = RecoveryKeyStore.create(data, pki.ca()::certifyRecoveryAgent, TestPki.RECOVERY_DN,
                KeyAlgorithm.EC_P256, TestPki.RANDOM);
        oldKey = first.current();
        store = first.rotate(data, pki.ca()::certifyRecoveryAgent, TestPki.RECOVERY_DN, KeyAlgorithm.EC_P256,
                TestPki.RANDOM);
    }

    @Test
    void everyRecordEndsWrappedToTheNewKeyWithTheSameKey() throws Exception {
        Records records = archive(oldKey, RECORDS);
        KeyArchiver current = new KeyArchiver(store.current().certificate(), TestPki.RANDOM);
        records.put("cn=late", current.wrap(TestPki.KEYS.generate(KeyAlgorithm.EC_P256).getPrivate(), null));
        List<int[]> progress = new ArrayList<>();
        ArchiveRewrap.Summary summary = rewrap(records, 5, 3).run((done, total) -> {
            synchronized (progress) {
                progress.add(new int[] {done, total});
            }
        });
        assertEquals(RECORDS + 1, summary.records());
        assertEquals(RECORDS, summary.rewrapped());
        assertEquals(1, summary.skipped(), "the record archived after the rekey");
        assertTrue(summary.complete(), summary.toString());
        assertEquals(RECORDS, progress.size());
        assertTrue(progress.stream().anyMatch(p -> p[0] == RECORDS && p[1] == RECORDS));
        assertAllOnNewKeyWithTheirKeys(records);
        records.writes.forEach((dn, count) -> assertEquals(1, count, dn + " re-wrapped once"));

        ArchiveRewrap.Summary again = rewrap(records, 5, 3).run((done, total) -> { });
        assertEquals(0, again.rewrapped());
        assertEquals(RECORDS + 1, again.skipped());
    }

    @Test
    void aRunThatDiesAfterAnyWriteIsFinishedByTheNextWithNoRecordReWrappedTwice() throws Exception {
        for (int dieAfter = 0; dieAfter < RECORDS; dieAfter += 5) {
            keys.clear();
            Records records = archive(oldKey, RECORDS);
            int limit = dieAfter;
            records.beforeWrite = (dn, count) -> {
                if (count >= limit) {
                    throw new DirectoryAccessException("the connection died");
                }
            };
            assertThrows(DirectoryAccessException.class, () -> rewrap(records, 4, 2).run((done, total) -> { }));
            records.beforeWrite = (dn, count) -> { };
            ArchiveRewrap.Summary finished = rewrap(records, 4, 2).run((done, total) -> { });
            assertTrue(finished.complete(), finished.toString());
            assertEquals(RECORDS, finished.rewrapped() + finished.skipped());
            assertAllOnNewKeyWithTheirKeys(records);
            records.writes.forEach((dn, count) -> assertEquals(1, count, dn + " re-wrapped once"));
        }
    }

    @Test
    void aRecordChangedBetweenTheReadAndTheWriteIsNeverOverwrittenFromTheStaleCopy() throws Exception {
        Records records = archive(oldKey, RECORDS);
        KeyRewrapper other = new KeyRewrapper(new KeyRecoverer(store.keys()), store.current(), TestPki.RANDOM);
        String first = records.wrapped.keySet().iterator().next();
        String second = new ArrayList<>(records.wrapped.keySet()).get(1);
        // Another rewrap gets to `first` in between; an agent re-wraps `second` to the old key again (a stand-in
        // for any write the run did not expect).
        KeyArchiver toOld = new KeyArchiver(oldKey.certificate(), TestPki.RANDOM);
        records.beforeWrite = (dn, count) -> {
            if (dn.equals(first) && !records.interfered.contains(dn)) {
                records.interfered.add(dn);
                WrappedKey rewrapped = rewrapQuietly(other, records.wrapped.get(dn));
                records.wrapped.put(dn, rewrapped.envelopedDataDer());
                records.keyIds.put(dn, rewrapped.wrappingKeyId());
            } else if (dn.equals(second) && !records.interfered.contains(dn)) {
                records.interfered.add(dn);
                records.wrapped.put(dn, toOld.wrap(unwrap(records.wrapped.get(dn)), null).envelopedDataDer());
            }
        };
        ArchiveRewrap.Summary summary = rewrap(records, 4, 3).run((done, total) -> { });
        assertTrue(summary.complete(), summary.toString());
        assertEquals(2, summary.raced(), summary.toString());
        assertEquals(RECORDS - 1, summary.rewrapped(), "the other run re-wrapped one");
        assertAllOnNewKeyWithTheirKeys(records);
    }

    @Test
    void aRecordThatCannotBeReWrappedKeepsItsWrapAndTheOthersGoOn() throws Exception {
        Records records = archive(oldKey, RECORDS);
        String damaged = records.wrapped.keySet().iterator().next();
        records.wrapped.put(damaged, new byte[] {0x30, 0x03, 0x02, 0x01, 0x00});
        RecoveryKeyStore stranger = RecoveryKeyStore.create(DataFolder.of(work.resolve("other")),
                pki.ca()::certifyRecoveryAgent, TestPki.RECOVERY_DN, KeyAlgorithm.EC_P256, TestPki.RANDOM);
        KeyPair lost = TestPki.KEYS.generate(KeyAlgorithm.EC_P256);
        records.put("cn=foreign", new KeyArchiver(stranger.current().certificate(), TestPki.RANDOM)
                .wrap(lost.getPrivate(), null));
        byte[] foreignBefore = records.wrapped.get("cn=foreign").clone();

        ArchiveRewrap.Summary summary = rewrap(records, 5, 2).run((done, total) -> { });
        assertFalse(summary.complete());
        assertEquals(RECORDS - 1, summary.rewrapped());
        assertEquals(List.of(damaged, "cn=foreign"), summary.failures().stream().map(ArchiveRewrap.Failure::dn)
                .sorted((a, b) -> a.equals(damaged) ? -1 : 1).toList());
        assertTrue(summary.failures().stream().allMatch(f -> f.toString().startsWith("not-rewrapped: ")));
        assertTrue(summary.failures().stream().anyMatch(f -> f.reason().contains("does not hold")), summary.failures()
                .toString());
        assertArrayEquals(foreignBefore, records.wrapped.get("cn=foreign"), "kept as it was");
        assertEquals(0, records.writes.getOrDefault(damaged, 0));
    }

    @Test
    void retirementIsRefusedWhileARecordIsWrappedToTheKey() throws Exception {
        Records records = archive(oldKey, 3);
        KeyRecoverer all = new KeyRecoverer(store.keys());
        RecoveryKeyRetirement.Verdict before = new RecoveryKeyRetirement(records, all).check(oldKey);
        assertFalse(before.mayRetire());
        assertEquals(3, before.wrappedToKey().size());
        rewrap(records, 2, 1).run((done, total) -> { });
        // kmsWrappingKeyId claims the new key, but the CMS says otherwise: the CMS decides.
        String liar = records.wrapped.keySet().iterator().next();
        records.wrapped.put(liar, new KeyArchiver(oldKey.certificate(), TestPki.RANDOM)
                .wrap(unwrap(records.wrapped.get(liar)), null).envelopedDataDer());
        assertEquals(List.of(liar), new RecoveryKeyRetirement(records, all).check(oldKey).wrappedToKey());
        rewrap(records, 2, 1).rewrap(List.of(liar), (done, total) -> { });
        RecoveryKeyRetirement.Verdict after = new RecoveryKeyRetirement(records, all).check(oldKey);
        assertTrue(after.mayRetire(), after.toString());
        assertEquals(3, after.records());
        records.wrapped.put("cn=garbage", new byte[] {1, 2, 3});
        assertEquals(List.of("cn=garbage"), new RecoveryKeyRetirement(records, all).check(oldKey).unreadable());
    }

    private ArchiveRewrap rewrap(Records records, int batch, int workers) {
        return new ArchiveRewrap(records, new KeyRewrapper(new KeyRecoverer(store.keys()), store.current(),
                TestPki.RANDOM), batch, workers);
    }

    /** {@code count} records wrapped to {@code key}, each a new EC key remembered in {@link #keys}. */
    private Records archive(RecoveryKey key, int count) {
        Records records = new Records();
        KeyArchiver archiver = new KeyArchiver(key.certificate(), TestPki.RANDOM);
        for (int i = 0; i < count; i++) {
            records.put("cn=key-" + i, archiver.wrap(TestPki.KEYS.generate(KeyAlgorithm.EC_P256).getPrivate(), null));
        }
        return records;
    }

    private void assertAllOnNewKeyWithTheirKeys(Records records) throws Exception {
        KeyRecoverer newOnly = new KeyRecoverer(List.of(store.current()));
        for (Map.Entry<String, byte[]> record : records.wrapped.entrySet()) {
            assertArrayEquals(keys.get(record.getKey()), newOnly.unwrap(record.getValue()).getEncoded(),
                    record.getKey() + " holds its own key, wrapped to the new key");
            assertEquals(store.current().keyId(), records.keyIds.get(record.getKey()));
        }
    }

    private java.security.PrivateKey unwrap(byte[] wrapped) {
        try {
            return new KeyRecoverer(store.keys()).unwrap(wrapped);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private static WrappedKey rewrapQuietly(KeyRewrapper rewrapper, byte[] wrapped) {
        try {
            return rewrapper.rewrap(wrapped);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    /** The archive in memory, with the directory's test-and-set on the wrapped key. */
    private final class Records implements RecoveryKeyRecords {
        final Map<String, byte[]> wrapped = java.util.Collections.synchronizedMap(new LinkedHashMap<>());
        final Map<String, String> keyIds = java.util.Collections.synchronizedMap(new HashMap<>());
        final Map<String, Integer> writes = java.util.Collections.synchronizedMap(new HashMap<>());
        final List<String> interfered = java.util.Collections.synchronizedList(new ArrayList<>());
        final AtomicInteger writeCount = new AtomicInteger();
        volatile BiConsumer<String, Integer> beforeWrite = (dn, count) -> { };

        void put(String dn, WrappedKey key) {
            wrapped.put(dn, key.envelopedDataDer());
            keyIds.put(dn, key.wrappingKeyId());
            try {
                keys.put(dn, new KeyRecoverer(List.of(oldKey, store.current())).unwrap(key.envelopedDataDer())
                        .getEncoded());
            } catch (Exception e) {
                keys.put(dn, null); // wrapped to a key the store does not hold
            }
        }

        @Override
        public Optional<byte[]> currentRecoveryCertificate() {
            return Optional.empty();
        }

        @Override
        public void publishRecoveryCertificate(byte[] certificate) {
            throw new UnsupportedOperationException();
        }

        @Override
        public List<ArchiveRecordName> archiveRecordNames() {
            synchronized (wrapped) {
                return wrapped.keySet().stream().map(dn -> new ArchiveRecordName(dn, keyIds.get(dn))).toList();
            }
        }

        @Override
        public List<ArchivedKeyEntry> readArchivedKeys(List<String> dns) {
            List<ArchivedKeyEntry> found = new ArrayList<>();
            for (String dn : dns) {
                byte[] value = wrapped.get(dn);
                if (value != null) {
                    found.add(new ArchivedKeyEntry(dn, "uid=owner", value.clone(), null, "x", keyIds.get(dn)));
                }
            }
            return found;
        }

        @Override
        public synchronized boolean replaceWrappedKey(String dn, byte[] expected, byte[] wrappedKey,
                String wrappingAlgorithm, String wrappingKeyId) {
            beforeWrite.accept(dn, writeCount.get());
            if (!Arrays.equals(wrapped.get(dn), expected)) {
                return false;
            }
            writeCount.incrementAndGet();
            writes.merge(dn, 1, Integer::sum);
            wrapped.put(dn, wrappedKey.clone());
            keyIds.put(dn, wrappingKeyId);
            return true;
        }
    }
}
