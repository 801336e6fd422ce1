package org.dirkms.agent.archive;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import org.dirkms.agent.ca.StandardTemplates;
import org.dirkms.agent.keys.ExternalTools;
import org.dirkms.agent.keys.RecoveryKeyStore;
import org.dirkms.agent.keys.TestPki;
import org.dirkms.agent.keys.TestPki.Credential;
import org.dirkms.schema.DataFolder;
import org.dirkms.schema.KeyAlgorithm;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Re-wrapping an archived key to a new recovery key: the new envelope holds the PKCS#8 content
 * byte for byte, {@code openssl cms -decrypt} opens it with the new recovery key alone, the old
 * key's and the new key's algorithms may differ (RSA key transport to EC key agreement), and a
 * wrap that would not give the same key back is refused instead of returned.
 */
class KeyRewrapperTest {
    private static TestPki pki;

    @TempDir
    Path work;

    @BeforeAll
    static void createCa() {
        ExternalTools.require("openssl", "openssl");
        pki = TestPki.create();
    }

    @Test
    void theNewWrapHoldsTheSameKeyAndOpensWithTheNewRecoveryKeyAlone() throws Exception {
        DataFolder data = DataFolder.of(work.resolve("data"));
        RecoveryKeyStore first = RecoveryKeyStore.create(data, pki.ca()::certifyRecoveryAgent, TestPki.RECOVERY_DN,
                KeyAlgorithm.RSA_2048, TestPki.RANDOM);
        Credential alice = pki.issue(StandardTemplates.SMIME_ENCRYPTION, KeyAlgorithm.EC_P256);
        WrappedKey old = new KeyArchiver(first.current().certificate(), TestPki.RANDOM).wrap(alice.keys().getPrivate(),
                alice.certificate());
        RecoveryKeyStore rotated = first.rotate(data, pki.ca()::certifyRecoveryAgent, TestPki.RECOVERY_DN,
                KeyAlgorithm.EC_P384, TestPki.RANDOM);
        KeyRewrapper rewrapper = new KeyRewrapper(new KeyRecoverer(rotated.keys()), rotated.current(), TestPki.RANDOM);

        assertFalse(rewrapper.wrapsToTarget(old.envelopedDataDer()));
        WrappedKey fresh = rewrapper.rewrap(old.envelopedDataDer());
        assertTrue(rewrapper.wrapsToTarget(fresh.envelopedDataDer()));
        assertEquals(rotated.current().keyId(), fresh.wrappingKeyId());
        assertEquals(WrappedKey.ECDH_SHA256KDF_AES256_WRAP, fresh.wrappingAlgorithm());
        assertEquals(rotated.current(), new KeyRecoverer(rotated.keys()).recipient(fresh.envelopedDataDer()).orElseThrow());
        assertEquals(first.current().keyId(),
                new KeyRecoverer(rotated.keys()).recipient(old.envelopedDataDer()).orElseThrow().keyId());

        // The new key alone opens it, with openssl, to the very PKCS#8 that was archived.
        Path archive = TestPki.write(work.resolve("rewrapped.der"), fresh.envelopedDataDer());
        Path key = TestPki.writePem(work.resolve("new.key"), rotated.current().privateKey());
        Path certificate = TestPki.writePem(work.resolve("new.crt"), rotated.current().certificate());
        ExternalTools.openssl(work, "cms", "-decrypt", "-inform", "DER", "-in", archive.toString(), "-recip",
                certificate.toString(), "-inkey", key.toString(), "-out", "recovered.der");
        assertArrayEquals(alice.keys().getPrivate().getEncoded(), Files.readAllBytes(work.resolve("recovered.der")));
        assertArrayEquals(alice.keys().getPrivate().getEncoded(),
                new KeyRecoverer(List.of(rotated.current())).unwrap(fresh.envelopedDataDer()).getEncoded());

        // Re-wrapping again (a second run, or a race) gives another envelope of the same key.
        WrappedKey again = rewrapper.rewrap(fresh.envelopedDataDer());
        assertArrayEquals(alice.keys().getPrivate().getEncoded(),
                new KeyRecoverer(List.of(rotated.current())).unwrap(again.envelopedDataDer()).getEncoded());
    }

    @Test
    void aWrapThatDoesNotGiveTheSameKeyBackIsRefused() throws Exception {
        DataFolder data = DataFolder.of(work.resolve("data"));
        RecoveryKeyStore first = RecoveryKeyStore.create(data, pki.ca()::certifyRecoveryAgent, TestPki.RECOVERY_DN,
                KeyAlgorithm.EC_P256, TestPki.RANDOM);
        Credential alice = pki.issue(StandardTemplates.SMIME_ENCRYPTION, KeyAlgorithm.EC_P256);
        Credential other = pki.issue(StandardTemplates.SMIME_ENCRYPTION, KeyAlgorithm.EC_P256);
        WrappedKey old = new KeyArchiver(first.current().certificate(), TestPki.RANDOM).wrap(alice.keys().getPrivate(),
                alice.certificate());
        RecoveryKeyStore rotated = first.rotate(data, pki.ca()::certifyRecoveryAgent, TestPki.RECOVERY_DN,
                KeyAlgorithm.EC_P256, TestPki.RANDOM);
        KeyRecoverer recoverer = new KeyRecoverer(rotated.keys());
        CmsEnvelope toNew = CmsEnvelope.toCertificate(rotated.current().certificate(), TestPki.RANDOM);
        CmsEnvelope toOld = CmsEnvelope.toCertificate(first.current().certificate(), TestPki.RANDOM);
        byte[] otherKey = other.keys().getPrivate().getEncoded();

        // A faulty wrap of another key: caught by the comparison.
        KeyRewrapper swapping = new KeyRewrapper(recoverer, rotated.current(), toNew.algorithm(), content -> toNew.seal(otherKey));
        KeyRecoveryException swapped = assertThrows(KeyRecoveryException.class, () -> swapping.rewrap(old.envelopedDataDer()));
        assertTrue(swapped.getMessage().contains("unwraps to another key"), swapped.getMessage());
        // A faulty wrap to the wrong recipient: caught by unwrapping with the new key alone.
        KeyRewrapper misdirected = new KeyRewrapper(recoverer, rotated.current(), toNew.algorithm(), toOld::seal);
        KeyRecoveryException lost = assertThrows(KeyRecoveryException.class, () -> misdirected.rewrap(old.envelopedDataDer()));
        assertTrue(lost.getMessage().contains("does not unwrap with that key"), lost.getMessage());
        // A wrap that cannot be opened at all, or that fails outright.
        KeyRewrapper garbage = new KeyRewrapper(recoverer, rotated.current(), toNew.algorithm(), content -> new byte[] {0x30, 0});
        assertThrows(KeyRecoveryException.class, () -> garbage.rewrap(old.envelopedDataDer()));
        KeyRewrapper failing = new KeyRewrapper(recoverer, rotated.current(), toNew.algorithm(), content -> {
            throw new IllegalStateException("no provider");
        });
        assertThrows(KeyRecoveryException.class, () -> failing.rewrap(old.envelopedDataDer()));
        // An archive the store cannot open is not re-wrapped.
        RecoveryKeyStore stranger = RecoveryKeyStore.create(DataFolder.of(work.resolve("other")),
                pki.ca()::certifyRecoveryAgent, TestPki.RECOVERY_DN, KeyAlgorithm.EC_P256, TestPki.RANDOM);
        WrappedKey foreign = new KeyArchiver(stranger.current().certificate(), TestPki.RANDOM)
                .wrap(alice.keys().getPrivate(), alice.certificate());
        KeyRecoveryException unknown = assertThrows(KeyRecoveryException.class,
                () -> new KeyRewrapper(recoverer, rotated.current(), TestPki.RANDOM).rewrap(foreign.envelopedDataDer()));
        assertTrue(unknown.getMessage().contains("does not hold"), unknown.getMessage());

        String hex = HexFormat.of().formatHex(alice.keys().getPrivate().getEncoded());
        for (Exception e : List.of(swapped, lost, unknown)) {
            assertFalse(e.getMessage().contains(hex), e.getMessage());
        }
    }
}
