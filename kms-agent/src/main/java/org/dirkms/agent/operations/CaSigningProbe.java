package org.dirkms.agent.operations;

import java.nio.file.Path;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.util.function.Supplier;
import org.bouncycastle.operator.ContentVerifier;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.dirkms.agent.ca.KeyStorePassphrase;
import org.dirkms.agent.ca.SoftwareSigner;

/**
 * Whether a CA can sign now: its key store opens with its passphrase file, the key in it is the
 * key of the CA certificate, and a signature it makes over fresh random bytes verifies with that
 * certificate. Its {@link #get()} answers null when so and a sentence naming the file otherwise;
 * the passphrase is wiped after each probe and never named.
 */
public final class CaSigningProbe implements Supplier<String> {
    private final Path keyStore;
    private final Path passphraseFile;
    private final X509Certificate certificate;
    private final SecureRandom random;

    /** A probe of the key in {@code keyStore}, opened with {@code passphraseFile}, against {@code certificate}. */
    public CaSigningProbe(Path keyStore, Path passphraseFile, X509Certificate certificate, SecureRandom random) {
        this.keyStore = keyStore;
        this.passphraseFile = passphraseFile;
        this.certificate = certificate;
        this.random = random;
    }

    /** Null when the CA key signs and the signature verifies; otherwise what is wrong. */
    @Override
    public String get() {
        KeyStorePassphrase passphrase;
        try {
            passphrase = KeyStorePassphrase.fromFile(passphraseFile);
        } catch (RuntimeException e) {
            return "cannot read the CA passphrase file " + passphraseFile + ": " + e.getMessage();
        }
        SoftwareSigner signer;
        try {
            signer = SoftwareSigner.open(keyStore, passphrase);
        } catch (RuntimeException e) {
            return e.getMessage();
        } finally {
            passphrase.destroy();
        }
        if (!signer.publicKey().equals(certificate.getPublicKey())) {
            return "the key in " + keyStore + " is not the key of the CA certificate " + certificate.getSubjectX500Principal();
        }
        byte[] probe = new byte[32];
        random.nextBytes(probe);
        try {
            byte[] signature = signer.sign(probe);
            ContentVerifier verifier = new JcaContentVerifierProviderBuilder().build(certificate)
                    .get(signer.signatureAlgorithm());
            try (var out = verifier.getOutputStream()) {
                out.write(probe);
            }
            return verifier.verify(signature) ? null : "a test signature of the key in " + keyStore
                    + " does not verify with the CA certificate";
        } catch (OperatorCreationException | java.io.IOException | RuntimeException e) {
            return "the key in " + keyStore + " cannot make a test signature: " + e.getMessage();
        }
    }
}
