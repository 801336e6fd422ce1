package org.dirkms.agent.keys;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.X509Certificate;
import org.dirkms.schema.DataFolder;
import org.dirkms.schema.KeyAlgorithm;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The recovery key store: made once under {@code <data>/recovery} with owner-only modes, its
 * certificate a key recovery agent certificate of the CA (checked by {@code openssl verify}),
 * reopened with the same key, readable by {@code openssl pkcs12} with its passphrase file,
 * never overwritten, and keeping old keys when a new one is made.
 */
class RecoveryKeyStoreTest {
    private static TestPki pki;

    @TempDir
    Path data;

    @BeforeAll
    static void createCa() {
        pki = TestPki.create();
    }

    @Test
    void createsOwnerOnlyFilesWithAKeyRecoveryAgentCertificateOfTheCa() throws Exception {
        RecoveryKeyStore store = RecoveryKeyStore.create(DataFolder.of(data), pki.ca()::certifyRecoveryAgent, TestPki.RECOVERY_DN, KeyAlgorithm.EC_P256,
                TestPki.RANDOM);
        Path file = DataFolder.of(data).recoveryKeyStore();
        assertEquals(data.resolve("recovery").resolve("key-recovery-agent.p12"), file);
        assertEquals(file, store.file());
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(DataFolder.of(data).recoveryPassphrase())));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file.getParent())));

        X509Certificate certificate = store.current().certificate();
        assertTrue(certificate.getExtendedKeyUsage().contains("1.3.6.1.4.1.311.21.6"), "key recovery agent EKU");
        assertTrue(KeyPairFactory.matches(store.current().privateKey(), certificate.getPublicKey()));
        assertEquals(2, store.currentChain().size());
        assertEquals(pki.ca().certificate(), store.currentChain().get(1));

        Path work = Files.createDirectories(data.resolve("work"));
        Path caPem = TestPki.writePem(work.resolve("ca.pem"), pki.ca().certificate());
        Path recoveryPem = TestPki.writePem(work.resolve("recovery.pem"), certificate);
        String verified = ExternalTools.openssl(work, "verify", "-x509_strict", "-CAfile", caPem.toString(), recoveryPem.toString());
        assertTrue(verified.contains(": OK"), verified);
        String text = ExternalTools.openssl(work, "x509", "-in", recoveryPem.toString(), "-noout", "-text");
        assertTrue(text.contains("Key Agreement"), text);

        // A standard PKCS#12: openssl opens it with the passphrase file and finds the same key.
        String opened = ExternalTools.openssl(work, "pkcs12", "-in", file.toString(), "-passin",
                "file:" + DataFolder.of(data).recoveryPassphrase(), "-nodes");
        assertTrue(opened.contains("-----BEGIN PRIVATE KEY-----"), "the key store holds the private key");
        Path extracted = Files.writeString(work.resolve("extracted.pem"), opened);
        String fromStore = ExternalTools.openssl(work, "pkey", "-in", extracted.toString(), "-pubout");
        String fromCertificate = ExternalTools.openssl(work, "x509", "-in", recoveryPem.toString(), "-noout", "-pubkey");
        assertEquals(fromCertificate, fromStore);
    }

    @Test
    void reopensTheSameKeyAndNeverOverwritesIt() throws Exception {
        RecoveryKeyStore created = RecoveryKeyStore.create(DataFolder.of(data), pki.ca()::certifyRecoveryAgent, TestPki.RECOVERY_DN, KeyAlgorithm.EC_P256,
                TestPki.RANDOM);
        byte[] before = Files.readAllBytes(DataFolder.of(data).recoveryKeyStore());
        RecoveryKeyStore opened = RecoveryKeyStore.open(DataFolder.of(data));
        assertEquals(created.current().keyId(), opened.current().keyId());
        assertArrayEquals(created.current().privateKey().getEncoded(), opened.current().privateKey().getEncoded());
        RecoveryKeyStore again = RecoveryKeyStore.openOrCreate(DataFolder.of(data), pki.ca()::certifyRecoveryAgent, TestPki.RECOVERY_DN, KeyAlgorithm.EC_P256,
                TestPki.RANDOM);
        assertEquals(created.current().keyId(), again.current().keyId());
        IllegalStateException refused = assertThrows(IllegalStateException.class, () -> RecoveryKeyStore.create(DataFolder.of(data), pki.ca()::certifyRecoveryAgent,
                TestPki.RECOVERY_DN, KeyAlgorithm.EC_P256, TestPki.RANDOM));
        assertTrue(refused.getMessage().contains("already exists"), refused.getMessage());
        assertArrayEquals(before, Files.readAllBytes(DataFolder.of(data).recoveryKeyStore()));
    }

    @Test
    void rotationAddsANewCurrentKeyAndKeepsTheOldOnes() throws Exception {
        RecoveryKeyStore first = RecoveryKeyStore.create(DataFolder.of(data), pki.ca()::certifyRecoveryAgent, TestPki.RECOVERY_DN, KeyAlgorithm.EC_P256,
                TestPki.RANDOM);
        RecoveryKeyStore rotated = first.rotate(DataFolder.of(data), pki.ca()::certifyRecoveryAgent, TestPki.RECOVERY_DN, KeyAlgorithm.RSA_2048, TestPki.RANDOM);
        assertEquals(2, rotated.keys().size());
        assertEquals("RSA", rotated.current().certificate().getPublicKey().getAlgorithm());
        assertEquals(first.current().keyId(), rotated.keys().get(1).keyId());
        RecoveryKeyStore reopened = RecoveryKeyStore.open(DataFolder.of(data));
        assertEquals(rotated.keys().stream().map(RecoveryKey::keyId).toList(),
                reopened.keys().stream().map(RecoveryKey::keyId).toList());
    }

    @Test
    void aCopyKeptOutsideTheDataFolderOpensWithItsPassphraseFile() throws Exception {
        RecoveryKeyStore rotated = RecoveryKeyStore.create(DataFolder.of(data), pki.ca()::certifyRecoveryAgent, TestPki.RECOVERY_DN, KeyAlgorithm.EC_P256,
                TestPki.RANDOM).rotate(DataFolder.of(data), pki.ca()::certifyRecoveryAgent, TestPki.RECOVERY_DN, KeyAlgorithm.EC_P256, TestPki.RANDOM);
        Path vault = Files.createDirectories(data.resolve("vault"));
        Path copy = Files.copy(DataFolder.of(data).recoveryKeyStore(), vault.resolve("kra-backup.p12"));
        Path passphrase = Files.copy(DataFolder.of(data).recoveryPassphrase(), vault.resolve("kra-backup.pass"));
        RecoveryKeyStore opened = RecoveryKeyStore.open(copy, passphrase);
        assertEquals(copy, opened.file());
        assertEquals(rotated.keys().stream().map(RecoveryKey::keyId).toList(),
                opened.keys().stream().map(RecoveryKey::keyId).toList(), "every key, newest first");

        Files.writeString(passphrase, "not-the-passphrase\n");
        IllegalArgumentException wrong = assertThrows(IllegalArgumentException.class,
                () -> RecoveryKeyStore.open(copy, passphrase));
        assertTrue(wrong.getMessage().contains(copy.toString()), wrong.getMessage());
        assertFalse(wrong.getMessage().contains("not-the-passphrase"), wrong.getMessage());
    }

    @Test
    void aWrongOrMissingPassphraseIsNamedWithoutShowingIt() throws Exception {
        RecoveryKeyStore.create(DataFolder.of(data), pki.ca()::certifyRecoveryAgent, TestPki.RECOVERY_DN, KeyAlgorithm.EC_P256, TestPki.RANDOM);
        Path passphraseFile = DataFolder.of(data).recoveryPassphrase();
        String passphrase = Files.readString(passphraseFile).strip();
        Files.writeString(passphraseFile, "not-the-passphrase\n");
        IllegalArgumentException wrong = assertThrows(IllegalArgumentException.class, () -> RecoveryKeyStore.open(DataFolder.of(data)));
        assertTrue(wrong.getMessage().contains("wrong passphrase"), wrong.getMessage());
        assertFalse(wrong.getMessage().contains("not-the-passphrase"), wrong.getMessage());
        assertFalse(wrong.getMessage().contains(passphrase), wrong.getMessage());
        Files.delete(passphraseFile);
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class, () -> RecoveryKeyStore.open(DataFolder.of(data)));
        assertTrue(missing.getMessage().contains(passphraseFile.toString()), missing.getMessage());
    }

    @Test
    void aPassphraseLeftByAnInterruptedStartIsReused() throws Exception {
        // A start that died after writing the passphrase but before the key store: the next
        // start must not strand the passphrase nor fail.
        Path passphraseFile = DataFolder.of(data).recoveryPassphrase();
        Files.createDirectories(passphraseFile.getParent());
        Files.writeString(passphraseFile, "left-by-a-crash\n");
        RecoveryKeyStore store = RecoveryKeyStore.openOrCreate(DataFolder.of(data), pki.ca()::certifyRecoveryAgent, TestPki.RECOVERY_DN, KeyAlgorithm.EC_P256,
                TestPki.RANDOM);
        assertEquals("left-by-a-crash\n", Files.readString(passphraseFile));
        assertEquals(store.current().keyId(), RecoveryKeyStore.open(DataFolder.of(data)).current().keyId());
    }

    @Test
    void toStringNamesKeysOnly() throws Exception {
        RecoveryKeyStore store = RecoveryKeyStore.create(DataFolder.of(data), pki.ca()::certifyRecoveryAgent, TestPki.RECOVERY_DN, KeyAlgorithm.EC_P256,
                TestPki.RANDOM);
        String text = store.toString() + store.current();
        assertTrue(text.contains(store.current().keyId()), text);
        assertFalse(text.contains(java.util.HexFormat.of().formatHex(store.current().privateKey().getEncoded())), text);
        assertTrue(store.current().keyId().matches("sha256:[0-9a-f]{64}"), store.current().keyId());
    }

    @Test
    void retiresAnOldKeyButNeverTheCurrentOne() throws Exception {
        DataFolder folder = DataFolder.of(data);
        RecoveryKeyStore first = RecoveryKeyStore.create(folder, pki.ca()::certifyRecoveryAgent, TestPki.RECOVERY_DN,
                KeyAlgorithm.EC_P256, TestPki.RANDOM);
        RecoveryKeyStore second = first.rotate(folder, pki.ca()::certifyRecoveryAgent, TestPki.RECOVERY_DN,
                KeyAlgorithm.EC_P256, TestPki.RANDOM);
        RecoveryKeyStore third = second.rotate(folder, pki.ca()::certifyRecoveryAgent, TestPki.RECOVERY_DN,
                KeyAlgorithm.EC_P256, TestPki.RANDOM);
        String oldest = first.current().keyId();
        String middle = second.current().keyId();
        assertEquals(middle, third.key(middle.substring(0, RecoveryKeyStore.SHORTEST_KEY_ID_PREFIX)).keyId());
        assertThrows(IllegalArgumentException.class, () -> third.key("sha256:"), "too short a prefix");

        IllegalArgumentException current = assertThrows(IllegalArgumentException.class,
                () -> third.retire(folder, third.current().keyId()));
        assertTrue(current.getMessage().contains("is the current key"), current.getMessage());
        RecoveryKeyStore retired = third.retire(folder, middle);
        assertEquals(java.util.List.of(third.current().keyId(), oldest),
                retired.keys().stream().map(RecoveryKey::keyId).toList());
        RecoveryKeyStore reopened = RecoveryKeyStore.open(folder);
        assertEquals(retired.keys().stream().map(RecoveryKey::keyId).toList(),
                reopened.keys().stream().map(RecoveryKey::keyId).toList(), "the file no longer holds it");
        assertEquals(third.current().keyId(), reopened.current().keyId(), "the current key stays current");
        assertEquals(2, reopened.currentChain().size());
        IllegalArgumentException gone = assertThrows(IllegalArgumentException.class, () -> reopened.retire(folder, middle));
        assertTrue(gone.getMessage().contains("holds no key"), gone.getMessage());
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(folder.recoveryKeyStore())));
        // A newer key made after a retirement is still the newest.
        RecoveryKeyStore fourth = reopened.rotate(folder, pki.ca()::certifyRecoveryAgent, TestPki.RECOVERY_DN,
                KeyAlgorithm.EC_P256, TestPki.RANDOM);
        assertEquals(fourth.current().keyId(), RecoveryKeyStore.open(folder).current().keyId());
        assertEquals(3, RecoveryKeyStore.open(folder).keys().size());
    }
}
