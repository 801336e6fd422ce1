package org.dirkms.agent.ca;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.DefaultSignatureAlgorithmIdentifierFinder;
import org.dirkms.schema.DataFolder;
import org.dirkms.schema.KeyAlgorithm;

/**
 * A {@link CaSigner} whose key lives in a PKCS#12 key store file, readable by its owner only
 * (mode 0600), protected by a {@link KeyStorePassphrase}.
 *
 * <p>A PKCS#12 key entry must carry a certificate, so the key store holds the CA's chain
 * (CA certificate first). A subordinate CA waiting for its parent keeps a self-signed
 * placeholder there until {@link CaSetup#installSubordinate} replaces it.
 */
public final class SoftwareSigner implements CaSigner {
    private static final String ALIAS = "ca";

    private final PrivateKey privateKey;
    private final PublicKey publicKey;
    private final AlgorithmIdentifier signatureAlgorithm;
    private final List<X509Certificate> storedChain;

    private SoftwareSigner(PrivateKey privateKey, PublicKey publicKey, List<X509Certificate> storedChain) {
        this.privateKey = privateKey;
        this.publicKey = publicKey;
        this.signatureAlgorithm = new DefaultSignatureAlgorithmIdentifierFinder()
                .find(CaKeyAlgorithms.signatureAlgorithm(publicKey));
        this.storedChain = List.copyOf(storedChain);
    }

    /** Generates a new key of {@code algorithm} in memory; {@link #save} writes it out. */
    public static SoftwareSigner generate(KeyAlgorithm algorithm, SecureRandom random) {
        KeyPair pair = CaKeyAlgorithms.generate(algorithm, random);
        return new SoftwareSigner(pair.getPrivate(), pair.getPublic(), List.of());
    }

    /**
     * Opens the key store {@code file} with {@code passphrase}.
     *
     * @throws IllegalArgumentException if the file is missing, not a key store, or the
     *         passphrase is wrong (the message says which file, never the passphrase)
     */
    public static SoftwareSigner open(Path file, KeyStorePassphrase passphrase) {
        char[] password = passphrase.chars();
        try (InputStream in = Files.newInputStream(file)) {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(in, password);
            if (!(store.getKey(ALIAS, password) instanceof PrivateKey key)) {
                throw new IllegalArgumentException("the key store " + file + " holds no CA key named '" + ALIAS + "'");
            }
            Certificate[] stored = store.getCertificateChain(ALIAS);
            if (stored == null || stored.length == 0) {
                throw new IllegalArgumentException("the key store " + file + " holds no certificate beside the CA key");
            }
            List<X509Certificate> chain = new ArrayList<>();
            for (Certificate certificate : stored) {
                chain.add((X509Certificate) certificate);
            }
            return new SoftwareSigner(key, chain.get(0).getPublicKey(), chain);
        } catch (IOException | GeneralSecurityException e) {
            // The JDK reports a wrong passphrase as an IOException whose cause is an
            // UnrecoverableKeyException; neither message contains the passphrase.
            throw new IllegalArgumentException("cannot open the CA key store " + file
                    + " (missing, damaged, or wrong passphrase): " + e.getClass().getSimpleName(), e);
        } finally {
            java.util.Arrays.fill(password, '\0');
        }
    }

    /**
     * Writes the key with {@code chain} (CA certificate first) to {@code file}, created with
     * mode 0600. The file is written beside its final name and moved into place, so a crash
     * never leaves a half-written key store; an existing file is replaced only if
     * {@code replace} is true.
     *
     * @throws IllegalArgumentException if the chain does not start with this key's certificate
     * @throws IllegalStateException if the file exists and {@code replace} is false, or cannot be written
     */
    public SoftwareSigner save(Path file, KeyStorePassphrase passphrase, List<X509Certificate> chain, boolean replace) {
        if (chain.isEmpty() || !chain.get(0).getPublicKey().equals(publicKey)) {
            throw new IllegalArgumentException("the first certificate of the chain must be this CA key's certificate");
        }
        if (!replace && Files.exists(file)) {
            throw new IllegalStateException("the CA key store " + file + " already exists; refusing to overwrite it");
        }
        char[] password = passphrase.chars();
        Path directory = file.toAbsolutePath().getParent();
        Path temporary = directory.resolve(file.getFileName() + ".new");
        try {
            Files.createDirectories(directory);
            Files.deleteIfExists(temporary);
            Files.createFile(temporary, PosixFilePermissions.asFileAttribute(DataFolder.FILE_MODE));
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            store.setKeyEntry(ALIAS, privateKey, password, chain.toArray(new Certificate[0]));
            try (OutputStream out = Files.newOutputStream(temporary)) {
                store.store(out, password);
            }
            try {
                Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException("cannot write the CA key store " + file + ": " + e.getClass().getSimpleName(), e);
        } finally {
            java.util.Arrays.fill(password, '\0');
        }
        return new SoftwareSigner(privateKey, publicKey, chain);
    }

    /** The chain stored with the key (CA certificate first); empty for a key not yet saved. */
    public List<X509Certificate> storedChain() {
        return storedChain;
    }

    @Override
    public PublicKey publicKey() {
        return publicKey;
    }

    @Override
    public AlgorithmIdentifier signatureAlgorithm() {
        return signatureAlgorithm;
    }

    @Override
    public ContentSigner contentSigner() {
        return CaKeyAlgorithms.contentSigner(privateKey, publicKey);
    }

    /** Names the key type, never the key. */
    @Override
    public String toString() {
        return "SoftwareSigner[" + publicKey.getAlgorithm() + "]";
    }
}
