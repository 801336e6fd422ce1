package org.dirkms.agent.transfer;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.security.interfaces.RSAPublicKey;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import org.dirkms.agent.ca.CertificationAuthority;
import org.dirkms.agent.keys.KeyPairFactory;
import org.dirkms.schema.DataFolder;
import org.dirkms.schema.KeyAlgorithm;
import org.dirkms.schema.PasswordFile;

/**
 * The transfer identity of one KMS server (docs/transfer.md): two keys of its own, each in its
 * key store in the data folder ({@link DataFolder#TRANSFER_TRANSPORT_KEY_STORE} and
 * {@link DataFolder#TRANSFER_SIGNING_KEY_STORE}, mode 0600, passphrases beside them), certified
 * by the server's CA ({@link CertificationAuthority#certifyTransferKey}):
 * <ul>
 * <li>the <em>transport</em> key, encryption only: a source seals the files it exports for this
 * server to its certificate, which the KMS server entry publishes as
 * {@code kmsTransportCertificate};</li>
 * <li>the <em>signing</em> key, digitalSignature only: it signs the files this server exports.</li>
 * </ul>
 * Two keys, not one: a key that both signs and decrypts lets a decryption oracle forge
 * signatures (RFC 5280 section 4.2.1.3 keeps the usages apart for this reason).
 *
 * <p>Made at the first start of {@code dirkms serve}, and each renewed (a new key, a new
 * certificate) when its certificate was not issued by the CA's current key or comes within
 * {@link #RENEW_BEFORE} of its end. A key store is written beside its name and moved into
 * place, so a crash never leaves half of one.
 */
public final class TransferIdentity {
    /** How long a transfer certificate is valid. */
    public static final Duration VALIDITY = Duration.ofDays(730);
    /** How long before its end a transfer certificate is renewed. */
    public static final Duration RENEW_BEFORE = Duration.ofDays(30);
    /** The RDN the transport certificate's subject adds to the KMS server entry's DN. */
    public static final String TRANSPORT_RDN = "cn=Transfer Transport";
    /** The RDN the signing certificate's subject adds to the KMS server entry's DN. */
    public static final String SIGNING_RDN = "cn=Transfer Signing";
    private static final String ALIAS = "transfer";

    /**
     * One key of the identity with its certificate chain (its certificate first, then the CA's).
     *
     * @param privateKey the key: secret
     * @param chain its certificate, then the chain of the CA that issued it
     */
    public record Credential(PrivateKey privateKey, List<X509Certificate> chain) {
        /** Copies the chain. */
        public Credential {
            chain = List.copyOf(chain);
        }

        /** The key's certificate. */
        public X509Certificate certificate() {
            return chain.get(0);
        }

        /** Never shows the key. */
        @Override
        public String toString() {
            return "Credential[" + certificate().getSubjectX500Principal().getName() + ", private key withheld]";
        }
    }

    private final Credential transport;
    private final Credential signing;
    private final boolean made;

    private TransferIdentity(Credential transport, Credential signing, boolean made) {
        this.transport = transport;
        this.signing = signing;
        this.made = made;
    }

    /**
     * Opens the identity in {@code data}, making or renewing either key as needed with
     * {@code ca}: what {@code dirkms serve} does at start.
     *
     * @param serverDn the DN of the KMS server entry: the subjects are {@link #TRANSPORT_RDN} and
     *        {@link #SIGNING_RDN} below it
     * @throws IllegalStateException if a file cannot be written or a key store not opened
     */
    public static TransferIdentity openOrCreate(DataFolder data, CertificationAuthority ca, String serverDn,
            Clock clock, SecureRandom random) {
        Credential transport = readIfCurrent(data.transferTransportKeyStore(), data.transferTransportPassphrase(), ca,
                clock);
        Credential signing = readIfCurrent(data.transferSigningKeyStore(), data.transferSigningPassphrase(), ca, clock);
        boolean made = transport == null || signing == null;
        if (transport == null) {
            transport = issue(data.transferTransportKeyStore(), data.transferTransportPassphrase(), ca,
                    TRANSPORT_RDN + "," + serverDn, true, random);
        }
        if (signing == null) {
            signing = issue(data.transferSigningKeyStore(), data.transferSigningPassphrase(), ca,
                    SIGNING_RDN + "," + serverDn, false, random);
        }
        return new TransferIdentity(transport, signing, made);
    }

    /**
     * Opens the identity in {@code data} as it is: what {@code dirkms export} and {@code import} do.
     *
     * @throws IllegalArgumentException if a key store is missing or cannot be opened (the message
     *         names the file and says how to make it, never the passphrase)
     */
    public static TransferIdentity open(DataFolder data) {
        return new TransferIdentity(read(data.transferTransportKeyStore(), data.transferTransportPassphrase()),
                read(data.transferSigningKeyStore(), data.transferSigningPassphrase()), false);
    }

    /** The transport key: it opens the files sent to this server. */
    public Credential transport() {
        return transport;
    }

    /** The signing key: it signs the files this server exports. */
    public Credential signing() {
        return signing;
    }

    /** True if {@link #openOrCreate} made or renewed a key. */
    public boolean made() {
        return made;
    }

    private static Credential readIfCurrent(Path keyStore, Path passphrase, CertificationAuthority ca, Clock clock) {
        if (!Files.exists(keyStore) || !Files.exists(passphrase)) {
            return null;
        }
        Credential existing = read(keyStore, passphrase);
        X509Certificate certificate = existing.certificate();
        try {
            certificate.verify(ca.certificate().getPublicKey());
        } catch (GeneralSecurityException e) {
            return null; // issued by an earlier key of the CA: renew
        }
        Instant now = clock.instant();
        if (now.isBefore(certificate.getNotBefore().toInstant())
                || !now.plus(RENEW_BEFORE).isBefore(certificate.getNotAfter().toInstant())) {
            return null;
        }
        return existing;
    }

    private static Credential read(Path keyStore, Path passphraseFile) {
        if (!Files.exists(keyStore) || !Files.exists(passphraseFile)) {
            throw new IllegalArgumentException("there is no transfer key store " + keyStore + ": start 'dirkms serve'"
                    + " on this data folder once to make the server's transfer identity, or give --data DIR of the"
                    + " server");
        }
        char[] password = null;
        try (InputStream in = Files.newInputStream(keyStore)) {
            password = PasswordFile.read(passphraseFile);
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(in, password);
            if (!(store.getKey(ALIAS, password) instanceof PrivateKey key)) {
                throw new IllegalArgumentException("the key store " + keyStore + " holds no key named '" + ALIAS + "'");
            }
            List<X509Certificate> chain = new ArrayList<>();
            for (Certificate certificate : store.getCertificateChain(ALIAS)) {
                chain.add((X509Certificate) certificate);
            }
            return new Credential(key, chain);
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
            if (e instanceof IllegalArgumentException refused) {
                throw refused;
            }
            // Neither the JDK's message nor this one holds the passphrase.
            throw new IllegalArgumentException("cannot open the transfer key store " + keyStore
                    + " (missing, damaged, or wrong passphrase): " + e.getClass().getSimpleName(), e);
        } finally {
            if (password != null) {
                Arrays.fill(password, '\0');
            }
        }
    }

    private static Credential issue(Path keyStore, Path passphraseFile, CertificationAuthority ca, String subjectDn,
            boolean forEncryption, SecureRandom random) {
        // The CA's family: an RSA CA gets RSA transfer keys, which every relying party that
        // verifies the CA handles; an EC CA gets P-256 keys.
        KeyAlgorithm algorithm = ca.certificate().getPublicKey() instanceof RSAPublicKey ? KeyAlgorithm.RSA_3072
                : KeyAlgorithm.EC_P256;
        KeyPair pair = new KeyPairFactory(random).generate(algorithm);
        List<X509Certificate> chain = new ArrayList<>();
        chain.add(ca.certifyTransferKey(pair.getPublic(), subjectDn, forEncryption, VALIDITY));
        chain.addAll(ca.chain());
        char[] password = null;
        Path temporary = keyStore.resolveSibling(keyStore.getFileName() + ".new");
        try {
            Files.createDirectories(keyStore.getParent(), PosixFilePermissions.asFileAttribute(DataFolder.FOLDER_MODE));
            if (!Files.exists(passphraseFile)) {
                byte[] secret = new byte[24];
                random.nextBytes(secret);
                Files.createFile(passphraseFile, PosixFilePermissions.asFileAttribute(DataFolder.FILE_MODE));
                Files.write(passphraseFile, (Base64.getUrlEncoder().withoutPadding().encodeToString(secret) + "\n")
                        .getBytes(StandardCharsets.US_ASCII), StandardOpenOption.TRUNCATE_EXISTING);
                Arrays.fill(secret, (byte) 0);
            }
            password = PasswordFile.read(passphraseFile);
            Files.deleteIfExists(temporary);
            Files.createFile(temporary, PosixFilePermissions.asFileAttribute(DataFolder.FILE_MODE));
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            store.setKeyEntry(ALIAS, pair.getPrivate(), password, chain.toArray(new Certificate[0]));
            try (OutputStream out = Files.newOutputStream(temporary)) {
                store.store(out, password);
            }
            try {
                Files.move(temporary, keyStore, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temporary, keyStore, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException("cannot write the transfer key store " + keyStore + ": "
                    + e.getClass().getSimpleName(), e);
        } finally {
            if (password != null) {
                Arrays.fill(password, '\0');
            }
        }
        return new Credential(pair.getPrivate(), chain);
    }
}
