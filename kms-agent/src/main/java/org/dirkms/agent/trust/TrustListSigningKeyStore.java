package org.dirkms.agent.trust;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.interfaces.RSAPublicKey;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import org.dirkms.agent.ca.CertificationAuthority;
import org.dirkms.agent.ca.KeyStorePassphrase;
import org.dirkms.agent.ca.SoftwareSigner;
import org.dirkms.schema.DataFolder;
import org.dirkms.schema.KeyAlgorithm;

/**
 * The KMS's trust-list-signing key: a key of its own, in its own key store
 * ({@link DataFolder#TRUST_LIST_KEY_STORE}, mode 0600, passphrase in
 * {@link DataFolder#TRUST_LIST_PASSPHRASE}), certified by the enterprise CA with the extended key
 * usage szOID_KP_CTL_USAGE_SIGNING ({@link CertificationAuthority#certifyTrustListSigner}). The
 * CA key never signs a trust list, and this key signs nothing but trust lists.
 *
 * <p>Made when the agent with the CA first starts, and renewed (a new key, a new certificate)
 * when its certificate comes within {@link #RENEW_BEFORE} of its end or was not issued by the
 * CA's current key; {@link #RENEW_BEFORE} is longer than a trust list is current
 * ({@link TrustService#LIST_VALIDITY}), so no list outlives the certificate that signed it. The
 * key store is replaced atomically.
 *
 * <p>Safe for concurrent use.
 */
public final class TrustListSigningKeyStore {
    /** How long a trust-list-signing certificate is valid. */
    public static final Duration VALIDITY = Duration.ofDays(365);
    /** How long before its end a trust-list-signing certificate is renewed. */
    public static final Duration RENEW_BEFORE = Duration.ofDays(30);

    private final Path keyStore;
    private final Path passphraseFile;
    private final CertificationAuthority ca;
    private final Clock clock;
    private final SecureRandom random;
    private volatile SoftwareSigner current;

    private TrustListSigningKeyStore(Path keyStore, Path passphraseFile, CertificationAuthority ca, Clock clock,
            SecureRandom random) {
        this.keyStore = keyStore;
        this.passphraseFile = passphraseFile;
        this.ca = ca;
        this.clock = clock;
        this.random = random;
    }

    /**
     * Opens the trust-list-signing key certified by {@code ca} at {@code keyStore} (passphrase in
     * {@code passphraseFile}), making or renewing it as needed: both files and their folder are
     * created owner-only when missing.
     *
     * @throws IllegalStateException if the files cannot be written or the key store not opened
     */
    public static TrustListSigningKeyStore openOrCreate(Path keyStore, Path passphraseFile, CertificationAuthority ca,
            Clock clock, SecureRandom random) {
        TrustListSigningKeyStore store = new TrustListSigningKeyStore(keyStore, passphraseFile, ca, clock, random);
        store.renewIfDue();
        return store;
    }

    /** The key and certificate chain (signing certificate, then the CA's chain) that sign trust lists now. */
    public SoftwareSigner current() {
        return current;
    }

    /** The trust-list-signing certificate in use now. */
    public X509Certificate certificate() {
        return current.storedChain().get(0);
    }

    /**
     * Issues a new key and certificate when the current one is missing, not the CA's, or within
     * {@link #RENEW_BEFORE} of its end.
     *
     * @return true if it renewed
     * @throws IllegalStateException if the files cannot be written or the key store not opened
     */
    public synchronized boolean renewIfDue() {
        SoftwareSigner existing = current;
        if (existing == null && Files.exists(keyStore) && Files.exists(passphraseFile)) {
            KeyStorePassphrase passphrase = KeyStorePassphrase.fromFile(passphraseFile);
            try {
                existing = SoftwareSigner.open(keyStore, passphrase);
            } finally {
                passphrase.destroy();
            }
        }
        if (existing != null && !due(existing.storedChain().get(0))) {
            current = existing;
            return false;
        }
        current = issue();
        return true;
    }

    private boolean due(X509Certificate certificate) {
        Instant now = clock.instant();
        if (!certificate.getIssuerX500Principal().equals(ca.certificate().getSubjectX500Principal())) {
            return true;
        }
        try {
            certificate.verify(ca.certificate().getPublicKey());
        } catch (java.security.GeneralSecurityException e) {
            return true;
        }
        return now.isBefore(certificate.getNotBefore().toInstant())
                || !now.plus(RENEW_BEFORE).isBefore(certificate.getNotAfter().toInstant());
    }

    private SoftwareSigner issue() {
        // The CA's family: an RSA CA gets an RSA signer, so every relying party that verifies the
        // CA verifies the list too.
        KeyAlgorithm algorithm = ca.certificate().getPublicKey() instanceof RSAPublicKey ? KeyAlgorithm.RSA_3072
                : KeyAlgorithm.EC_P384;
        SoftwareSigner generated = SoftwareSigner.generate(algorithm, random);
        X509Certificate certificate = ca.certifyTrustListSigner(generated.publicKey(), VALIDITY);
        List<X509Certificate> chain = new java.util.ArrayList<>();
        chain.add(certificate);
        chain.addAll(ca.chain());
        try {
            Files.createDirectories(keyStore.getParent(), PosixFilePermissions.asFileAttribute(DataFolder.FOLDER_MODE));
            if (!Files.exists(passphraseFile)) {
                byte[] secret = new byte[24];
                random.nextBytes(secret);
                Files.createFile(passphraseFile, PosixFilePermissions.asFileAttribute(DataFolder.FILE_MODE));
                Files.write(passphraseFile, (Base64.getUrlEncoder().withoutPadding().encodeToString(secret) + "\n")
                        .getBytes(StandardCharsets.US_ASCII), StandardOpenOption.TRUNCATE_EXISTING);
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot write the trust list key store passphrase " + passphraseFile + ": "
                    + e.getClass().getSimpleName(), e);
        }
        KeyStorePassphrase passphrase = KeyStorePassphrase.fromFile(passphraseFile);
        try {
            return generated.save(keyStore, passphrase, chain, true);
        } finally {
            passphrase.destroy();
        }
    }
}
