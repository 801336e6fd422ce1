package org.dirkms.agent.ca;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.interfaces.RSAPublicKey;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import org.dirkms.schema.DataFolder;
import org.dirkms.schema.KeyAlgorithm;

/**
 * A key of the KMS's own that the CA certifies for one purpose and that signs nothing else (the
 * OCSP responder's, RFC 6960 section 4.2.2.2; the trust list's): in its own key store in the data
 * folder (mode 0600, the passphrase in its own file, both made owner-only), made when first
 * opened, and renewed (a new key, a new certificate) when its certificate comes within the
 * purpose's margin of its end or was not issued by the CA's current key. The CA key never signs
 * what this key signs. The key store is replaced atomically; whatever is signed meanwhile uses
 * either the old or the new key, both valid.
 */
public final class DelegatedKeyStore {

    /** How the CA certifies a delegated key. */
    @FunctionalInterface
    public interface Certifier {
        /** The certificate {@code ca} issues for {@code key}, valid for {@code validity}. */
        X509Certificate certify(CertificationAuthority ca, PublicKey key, Duration validity);
    }

    /**
     * What a delegated key is for.
     *
     * @param name what messages call it ("OCSP", "trust list")
     * @param validity how long its certificate is valid
     * @param renewBefore how long before its end the certificate is renewed
     * @param certifier how the CA certifies it
     */
    public record Purpose(String name, Duration validity, Duration renewBefore, Certifier certifier) {
    }

    private final Purpose purpose;
    private final Path keyStore;
    private final Path passphraseFile;
    private final CertificationAuthority ca;
    private final Clock clock;
    private final SecureRandom random;
    private volatile SoftwareSigner current;

    private DelegatedKeyStore(Path keyStore, Path passphraseFile, CertificationAuthority ca, Purpose purpose,
            Clock clock, SecureRandom random) {
        this.purpose = purpose;
        this.keyStore = keyStore;
        this.passphraseFile = passphraseFile;
        this.ca = ca;
        this.clock = clock;
        this.random = random;
    }

    /**
     * Opens the key of {@code purpose} certified by {@code ca} at {@code keyStore} (passphrase in
     * {@code passphraseFile}), making or renewing it as needed: both files and their folder are
     * created owner-only when missing.
     *
     * @throws IllegalStateException if the files cannot be written or the key store not opened
     */
    public static DelegatedKeyStore openOrCreate(Path keyStore, Path passphraseFile, CertificationAuthority ca,
            Purpose purpose, Clock clock, SecureRandom random) {
        DelegatedKeyStore store = new DelegatedKeyStore(keyStore, passphraseFile, ca, purpose, clock, random);
        store.renewIfDue();
        return store;
    }

    /** The key and certificate chain (its certificate, then the CA's chain) that sign now. */
    public SoftwareSigner current() {
        return current;
    }

    /** The certificate in use now. */
    public X509Certificate certificate() {
        return current.storedChain().get(0);
    }

    /**
     * Issues a new key and certificate when the current one is missing, not the CA's, or within
     * the purpose's renewal margin of its end.
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
                || !now.plus(purpose.renewBefore()).isBefore(certificate.getNotAfter().toInstant());
    }

    private SoftwareSigner issue() {
        // The CA's family: an RSA CA (what dirmngr 2.2 can verify, docs/interoperability.md)
        // gets an RSA key, so every relying party that verifies the CA verifies what it signs too.
        KeyAlgorithm algorithm = ca.certificate().getPublicKey() instanceof RSAPublicKey ? KeyAlgorithm.RSA_3072
                : KeyAlgorithm.EC_P384;
        SoftwareSigner generated = SoftwareSigner.generate(algorithm, random);
        X509Certificate certificate = purpose.certifier().certify(ca, generated.publicKey(), purpose.validity());
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
            throw new IllegalStateException("cannot write the " + purpose.name() + " key store passphrase "
                    + passphraseFile + ": "
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
