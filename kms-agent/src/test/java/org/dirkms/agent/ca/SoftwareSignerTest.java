package org.dirkms.agent.ca;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.dirkms.schema.KeyAlgorithm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The PKCS#12-backed CA key: file mode, round trip, passphrase sources, and no passphrase in any message. */
class SoftwareSignerTest {
    private static final String SECRET = "correct horse battery staple";
    private static final SecureRandom RANDOM = new SecureRandom();

    @TempDir
    Path directory;

    @Test
    void savedKeyStoreIsOwnerOnlyAndReopensToTheSameKey() throws Exception {
        SoftwareSigner signer = SoftwareSigner.generate(KeyAlgorithm.EC_P384, RANDOM);
        X509Certificate root = CaSetup.selfSignedRoot(signer, "cn=Key Test CA,dc=example,dc=com", Duration.ofDays(1),
                Clock.systemUTC(), RANDOM);
        Path file = directory.resolve("ca.p12");
        signer.save(file, KeyStorePassphrase.of(SECRET.toCharArray()), List.of(root), false);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        assertFalse(Files.exists(directory.resolve("ca.p12.new")));

        SoftwareSigner reopened = SoftwareSigner.open(file, KeyStorePassphrase.of(SECRET.toCharArray()));
        assertEquals(signer.publicKey(), reopened.publicKey());
        assertEquals(List.of(root), reopened.storedChain());
        byte[] data = "to be signed".getBytes();
        Signature verifier = Signature.getInstance("SHA384withECDSA");
        verifier.initVerify(root.getPublicKey());
        verifier.update(data);
        assertTrue(verifier.verify(reopened.sign(data)));
        assertEquals("SoftwareSigner[EC]", reopened.toString());
    }

    @Test
    void existingKeyStoreIsNotOverwritten() throws Exception {
        SoftwareSigner signer = SoftwareSigner.generate(KeyAlgorithm.EC_P256, RANDOM);
        X509Certificate root = CaSetup.selfSignedRoot(signer, "cn=A", Duration.ofDays(1), Clock.systemUTC(), RANDOM);
        Path file = directory.resolve("ca.p12");
        Files.writeString(file, "precious");
        assertThrows(IllegalStateException.class,
                () -> signer.save(file, KeyStorePassphrase.of(SECRET.toCharArray()), List.of(root), false));
        assertEquals("precious", Files.readString(file));
    }

    @Test
    void wrongPassphraseIsReportedWithoutAnyPassphrase() throws Exception {
        SoftwareSigner signer = SoftwareSigner.generate(KeyAlgorithm.EC_P256, RANDOM);
        X509Certificate root = CaSetup.selfSignedRoot(signer, "cn=A", Duration.ofDays(1), Clock.systemUTC(), RANDOM);
        Path file = directory.resolve("ca.p12");
        signer.save(file, KeyStorePassphrase.of(SECRET.toCharArray()), List.of(root), false);
        String wrong = "not the passphrase at all";
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SoftwareSigner.open(file, KeyStorePassphrase.of(wrong.toCharArray())));
        StringWriter trace = new StringWriter();
        e.printStackTrace(new PrintWriter(trace));
        assertTrue(e.getMessage().contains("wrong passphrase"), e.getMessage());
        assertFalse(trace.toString().contains(wrong));
        assertFalse(trace.toString().contains(SECRET));
    }

    @Test
    void passphraseComesFromAFileOrTheEnvironmentAndNeverShows() throws Exception {
        Path file = Files.writeString(directory.resolve("pass"), SECRET + "\n");
        KeyStorePassphrase fromFile = KeyStorePassphrase.fromFile(file);
        assertEquals(SECRET, new String(fromFile.chars()));
        assertFalse(fromFile.toString().contains(SECRET));
        KeyStorePassphrase fromEnvironment = KeyStorePassphrase.fromEnvironment(Map.of("DIRKMS_CA_PASSPHRASE", SECRET),
                "DIRKMS_CA_PASSPHRASE");
        assertEquals(SECRET, new String(fromEnvironment.chars()));
        IllegalArgumentException unset = assertThrows(IllegalArgumentException.class,
                () -> KeyStorePassphrase.fromEnvironment(Map.of(), "DIRKMS_CA_PASSPHRASE"));
        assertTrue(unset.getMessage().contains("DIRKMS_CA_PASSPHRASE"));
        assertThrows(IllegalArgumentException.class,
                () -> KeyStorePassphrase.fromFile(Files.writeString(directory.resolve("empty"), "\n")));
    }
}
