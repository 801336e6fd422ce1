package org.dirkms.agent.operations;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.dirkms.agent.ca.CaSetup;
import org.dirkms.agent.ca.KeyStorePassphrase;
import org.dirkms.agent.ca.SoftwareSigner;
import org.dirkms.schema.KeyAlgorithm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CaSigningProbeTest {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String PASSPHRASE = "probe-test-passphrase";

    @TempDir
    Path folder;

    @Test
    void signsWithTheStoredKeyAndSaysWhatIsWrongWithoutThePassphrase() throws Exception {
        SoftwareSigner signer = SoftwareSigner.generate(KeyAlgorithm.EC_P256, RANDOM);
        X509Certificate certificate = CaSetup.selfSignedRoot(signer, "CN=Probe CA", Duration.ofDays(1),
                Clock.systemUTC(), RANDOM);
        Path keyStore = folder.resolve("probe-ca.p12");
        Path passphrase = Files.writeString(folder.resolve("probe-ca.pass"), PASSPHRASE + "\n");
        signer.save(keyStore, KeyStorePassphrase.of(PASSPHRASE.toCharArray()), List.of(certificate), false);
        assertNull(new CaSigningProbe(keyStore, passphrase, certificate, RANDOM).get());

        SoftwareSigner other = SoftwareSigner.generate(KeyAlgorithm.EC_P256, RANDOM);
        X509Certificate otherCertificate = CaSetup.selfSignedRoot(other, "CN=Other CA", Duration.ofDays(1),
                Clock.systemUTC(), RANDOM);
        String mismatch = new CaSigningProbe(keyStore, passphrase, otherCertificate, RANDOM).get();
        assertTrue(mismatch.contains("is not the key of the CA certificate"), mismatch);

        Files.move(keyStore, folder.resolve("elsewhere.p12"));
        String missing = new CaSigningProbe(keyStore, passphrase, certificate, RANDOM).get();
        assertTrue(missing.contains(keyStore.toString()), missing);
        assertFalse(missing.contains(PASSPHRASE), missing);

        Files.move(folder.resolve("elsewhere.p12"), keyStore);
        Files.writeString(passphrase, "wrong\n");
        String wrong = new CaSigningProbe(keyStore, passphrase, certificate, RANDOM).get();
        assertTrue(wrong.startsWith("cannot open the CA key store " + keyStore), wrong);
        assertEquals(-1, wrong.indexOf("wrong\n"));
    }
}
