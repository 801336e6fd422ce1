package org.dirkms.agent.keys;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import org.dirkms.schema.DataFolder;
import org.dirkms.schema.EmptyPasswordFileException;
import org.dirkms.schema.KeyAlgorithm;
import org.dirkms.schema.PasswordFile;

/**
 * The key recovery agent's keys: a PKCS#12 file in the data folder,
 * {@link DataFolder#RECOVERY_KEY_STORE} (mode 0600, its folder created 0700), holding every
 * recovery key the KMS ever had, each with its certificate issued by the CA with the
 * key recovery agent template ({@link RecoveryCertifier}), and protected by a generated passphrase
 * in {@link DataFolder#RECOVERY_PASSPHRASE} beside it (mode 0600, the first line).
 *
 * <p>Old keys are kept when a new one is made ({@link #rotate}): a key archived years ago
 * stays recoverable with the key it was wrapped to. New archives use {@link #current()}. An old
 * key is removed ({@link #retire}) only once the archive is re-wrapped away from it.
 *
 * <p>Files are written beside their final name and moved into place, the passphrase before
 * the key store, so a crash never leaves a half-written key store nor a key store without its
 * passphrase. Instances are immutable snapshots of the file.
 */
public final class RecoveryKeyStore {
    private static final String ALIAS_PREFIX = "recovery-";

    private final Path file;
    /** Newest first; entry i has alias recovery-(size - i). */
    private final List<RecoveryKey> keys;
    private final List<List<X509Certificate>> chains;

    private RecoveryKeyStore(Path file, List<RecoveryKey> keys, List<List<X509Certificate>> chains) {
        this.file = file;
        this.keys = List.copyOf(keys);
        this.chains = List.copyOf(chains);
    }

    /** True if the data folder has a recovery key store. */
    public static boolean exists(DataFolder data) {
        return Files.exists(data.recoveryKeyStore());
    }

    /**
     * Makes the first recovery key of the data folder: a new key pair of {@code algorithm},
     * its certificate from {@code certifier} (the CA's key recovery agent template) with the subject
     * {@code subjectDn}, saved with the CA's chain.
     *
     * @throws IllegalStateException if the key store exists already, or cannot be written
     * @throws E if the CA refuses the certificate (nothing is written then)
     */
    public static <E extends Exception> RecoveryKeyStore create(DataFolder data, RecoveryCertifier<E> certifier,
            String subjectDn, KeyAlgorithm algorithm, SecureRandom random) throws E {
        Path file = data.recoveryKeyStore();
        if (Files.exists(file)) {
            throw new IllegalStateException("the recovery key store " + file + " already exists; refusing to overwrite it");
        }
        Entry entry = newEntry(certifier, subjectDn, algorithm, random);
        char[] passphrase = createOrReadPassphrase(data, random);
        try {
            write(file, passphrase, List.of(entry));
        } finally {
            Arrays.fill(passphrase, '\0');
        }
        return new RecoveryKeyStore(file, List.of(entry.key()), List.of(entry.chain()));
    }

    /**
     * Opens the recovery key store of the data folder.
     *
     * @throws IllegalArgumentException if it is missing, damaged, holds no recovery key, or its
     *         passphrase file is missing or wrong (the message names the file, never the passphrase)
     */
    public static RecoveryKeyStore open(DataFolder data) {
        return open(data.recoveryKeyStore(), data.recoveryPassphrase());
    }

    /**
     * Opens the recovery key store {@code file} with the passphrase in the first line of
     * {@code passphraseFile}: a copy kept away from the data folder (the archive checker and
     * recovery may run where the server's data folder is not).
     *
     * @throws IllegalArgumentException as {@link #open(DataFolder)}
     */
    public static RecoveryKeyStore open(Path file, Path passphraseFile) {
        char[] passphrase = readPassphraseFile(passphraseFile);
        try (InputStream in = Files.newInputStream(file)) {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(in, passphrase);
            List<String> aliases = new ArrayList<>();
            for (String alias : Collections.list(store.aliases())) {
                if (alias.startsWith(ALIAS_PREFIX) && store.isKeyEntry(alias)) {
                    aliases.add(alias);
                }
            }
            if (aliases.isEmpty()) {
                throw new IllegalArgumentException("the recovery key store " + file + " holds no recovery key");
            }
            aliases.sort(Comparator.comparingInt(RecoveryKeyStore::sequence).reversed());
            List<RecoveryKey> keys = new ArrayList<>();
            List<List<X509Certificate>> chains = new ArrayList<>();
            for (String alias : aliases) {
                if (!(store.getKey(alias, passphrase) instanceof PrivateKey privateKey)) {
                    throw new IllegalArgumentException("the recovery key store " + file + " entry " + alias + " holds no private key");
                }
                List<X509Certificate> chain = new ArrayList<>();
                for (Certificate certificate : store.getCertificateChain(alias)) {
                    chain.add((X509Certificate) certificate);
                }
                keys.add(new RecoveryKey(chain.get(0), privateKey));
                chains.add(List.copyOf(chain));
            }
            return new RecoveryKeyStore(file, keys, chains);
        } catch (IOException | GeneralSecurityException e) {
            // A wrong passphrase is an IOException caused by UnrecoverableKeyException; neither
            // message contains the passphrase.
            throw new IllegalArgumentException("cannot open the recovery key store " + file
                    + " (missing, damaged, or wrong passphrase): " + e.getClass().getSimpleName(), e);
        } finally {
            Arrays.fill(passphrase, '\0');
        }
    }

    /**
     * Opens the data folder's recovery key store, or makes it as {@link #create} does when
     * there is none: what {@code dirkms serve} does on every start.
     *
     * @throws E if the key store must be made and the CA refuses
     */
    public static <E extends Exception> RecoveryKeyStore openOrCreate(DataFolder data, RecoveryCertifier<E> certifier,
            String subjectDn, KeyAlgorithm algorithm, SecureRandom random) throws E {
        return exists(data) ? open(data) : create(data, certifier, subjectDn, algorithm, random);
    }

    /**
     * Adds a new recovery key, which becomes {@link #current()}, keeping every older key so that
     * what was wrapped to them stays recoverable. The file is replaced atomically.
     *
     * @throws E if the CA refuses the certificate (nothing is written then)
     */
    public <E extends Exception> RecoveryKeyStore rotate(DataFolder data, RecoveryCertifier<E> certifier,
            String subjectDn, KeyAlgorithm algorithm, SecureRandom random) throws E {
        if (!data.recoveryKeyStore().equals(file)) {
            throw new IllegalArgumentException("this key store is " + file + ", not the one of " + data.root());
        }
        Entry added = newEntry(certifier, subjectDn, algorithm, random);
        List<Entry> entries = new ArrayList<>();
        entries.add(added);
        for (int i = 0; i < keys.size(); i++) {
            entries.add(new Entry(keys.get(i), chains.get(i)));
        }
        char[] passphrase = readPassphraseFile(data.recoveryPassphrase());
        try {
            write(file, passphrase, entries);
        } finally {
            Arrays.fill(passphrase, '\0');
        }
        return new RecoveryKeyStore(file, entries.stream().map(Entry::key).toList(),
                entries.stream().map(Entry::chain).toList());
    }

    /**
     * A new recovery key of {@code algorithm}, certified by {@code certifier}, kept in memory only
     * and written nowhere: a key added under threshold custody, sealed with the others in the
     * directory (docs/custody.md).
     *
     * @throws E if the CA refuses the certificate
     */
    public static <E extends Exception> RecoveryKey newKey(RecoveryCertifier<E> certifier, String subjectDn,
            KeyAlgorithm algorithm, SecureRandom random) throws E {
        return newEntry(certifier, subjectDn, algorithm, random).key();
    }

    /**
     * Removes the recovery key {@code keyId} from the store, keeping every other: once no archive
     * record is wrapped to a key any more (the caller checks that against the directory), the key
     * can go, so that whoever takes a copy of the store later cannot open what it once protected.
     * The current key is never retired. The file is replaced atomically.
     *
     * @throws IllegalArgumentException if the store holds no key {@code keyId}, or it is the current key
     */
    public RecoveryKeyStore retire(DataFolder data, String keyId) {
        if (!data.recoveryKeyStore().equals(file)) {
            throw new IllegalArgumentException("this key store is " + file + ", not the one of " + data.root());
        }
        if (current().keyId().equals(keyId)) {
            throw new IllegalArgumentException("recovery key " + keyId + " is the current key, which new archives are"
                    + " wrapped to; make a new one first ('dirkms archive rekey') and re-wrap the archive to it");
        }
        List<Entry> kept = new ArrayList<>();
        for (int i = 0; i < keys.size(); i++) {
            if (!keys.get(i).keyId().equals(keyId)) {
                kept.add(new Entry(keys.get(i), chains.get(i)));
            }
        }
        if (kept.size() == keys.size()) {
            throw new IllegalArgumentException("the recovery key store " + file + " holds no key " + keyId + " (it holds "
                    + keys.stream().map(RecoveryKey::keyId).toList() + ")");
        }
        char[] passphrase = readPassphraseFile(data.recoveryPassphrase());
        try {
            write(file, passphrase, kept);
        } finally {
            Arrays.fill(passphrase, '\0');
        }
        return new RecoveryKeyStore(file, kept.stream().map(Entry::key).toList(), kept.stream().map(Entry::chain).toList());
    }

    /**
     * The key of this store whose id is {@code idOrPrefix}, or starts with it (at least
     * {@value #SHORTEST_KEY_ID_PREFIX} characters, {@code sha256:} and 8 hex digits, as a person
     * copies it from a listing).
     *
     * @throws IllegalArgumentException if no key, or more than one, has that id or prefix
     */
    public RecoveryKey key(String idOrPrefix) {
        String wanted = idOrPrefix.trim().toLowerCase(java.util.Locale.ROOT);
        List<RecoveryKey> found = keys.stream().filter(k -> k.keyId().equals(wanted)
                || (wanted.length() >= SHORTEST_KEY_ID_PREFIX && k.keyId().startsWith(wanted))).toList();
        if (found.size() == 1) {
            return found.get(0);
        }
        throw new IllegalArgumentException((found.isEmpty() ? "the recovery key store " + file + " holds no key "
                + idOrPrefix : "more than one recovery key starts with " + idOrPrefix + ": give more of the id")
                + " (it holds " + keys.stream().map(RecoveryKey::keyId).toList() + ")");
    }

    /** The shortest prefix of a key id {@link #key(String)} accepts: {@code sha256:} and 8 hex digits. */
    public static final int SHORTEST_KEY_ID_PREFIX = 15;

    /** The key new archives are wrapped to: the newest. */
    public RecoveryKey current() {
        return keys.get(0);
    }

    /** Every recovery key, newest first. */
    public List<RecoveryKey> keys() {
        return keys;
    }

    /** The current key's certificate followed by the chain of the CA that issued it. */
    public List<X509Certificate> currentChain() {
        return chains.get(0);
    }

    /** The key store file. */
    public Path file() {
        return file;
    }

    /** Names the file and the keys, never shows them. */
    @Override
    public String toString() {
        return "RecoveryKeyStore[" + file + ", " + keys + "]";
    }

    private record Entry(RecoveryKey key, List<X509Certificate> chain) {
    }

    private static <E extends Exception> Entry newEntry(RecoveryCertifier<E> certifier, String subjectDn,
            KeyAlgorithm algorithm, SecureRandom random) throws E {
        KeyPair pair = new KeyPairFactory(random).generate(algorithm);
        List<X509Certificate> chain = List.copyOf(certifier.certify(subjectDn, KeyPairFactory.certificationRequest(pair)));
        X509Certificate certificate = chain.get(0);
        if (!certificate.getPublicKey().equals(pair.getPublic())) {
            throw new IllegalStateException("the recovery certificate the CA returned is not for the key just made");
        }
        // The CA's template could have been edited in the directory: make sure the result is still a KRA certificate.
        RecoveryKey.requireRecoveryAgentCertificate(certificate);
        return new Entry(new RecoveryKey(certificate, pair.getPrivate()), chain);
    }

    private static int sequence(String alias) {
        try {
            return Integer.parseInt(alias.substring(ALIAS_PREFIX.length()));
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private static void write(Path file, char[] passphrase, List<Entry> newestFirst) {
        Path temporary = file.resolveSibling(file.getFileName() + ".new");
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            for (int i = 0; i < newestFirst.size(); i++) {
                Entry entry = newestFirst.get(i);
                store.setKeyEntry(ALIAS_PREFIX + (newestFirst.size() - i), entry.key().privateKey(), passphrase,
                        entry.chain().toArray(new Certificate[0]));
            }
            Files.deleteIfExists(temporary);
            Files.createFile(temporary, PosixFilePermissions.asFileAttribute(DataFolder.FILE_MODE));
            try (OutputStream out = Files.newOutputStream(temporary)) {
                store.store(out, passphrase);
            }
            move(temporary, file);
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException("cannot write the recovery key store " + file + ": " + e.getClass().getSimpleName(), e);
        }
    }

    /**
     * Reuses a passphrase file left by a start that died before its key store was written;
     * otherwise writes a new one: 256 random bits, base64url, mode 0600.
     */
    private static char[] createOrReadPassphrase(DataFolder data, SecureRandom random) {
        Path passphraseFile = data.recoveryPassphrase();
        if (Files.exists(passphraseFile)) {
            return readPassphraseFile(passphraseFile);
        }
        Path folder = passphraseFile.getParent();
        byte[] secret = new byte[32];
        random.nextBytes(secret);
        byte[] text = (Base64.getUrlEncoder().withoutPadding().encodeToString(secret) + "\n").getBytes(StandardCharsets.US_ASCII);
        Arrays.fill(secret, (byte) 0);
        Path temporary = passphraseFile.resolveSibling(passphraseFile.getFileName() + ".new");
        try {
            if (!Files.isDirectory(folder)) {
                Files.createDirectories(folder, PosixFilePermissions.asFileAttribute(DataFolder.FOLDER_MODE));
            }
            Files.deleteIfExists(temporary);
            Files.createFile(temporary, PosixFilePermissions.asFileAttribute(DataFolder.FILE_MODE));
            Files.write(temporary, text);
            move(temporary, passphraseFile);
        } catch (IOException e) {
            throw new IllegalStateException("cannot write the recovery passphrase file " + passphraseFile + ": "
                    + e.getClass().getSimpleName(), e);
        } finally {
            Arrays.fill(text, (byte) 0);
        }
        return readPassphraseFile(passphraseFile);
    }

    /** The passphrase: the first line of {@code passphraseFile} ({@link PasswordFile}). */
    private static char[] readPassphraseFile(Path passphraseFile) {
        try {
            return PasswordFile.read(passphraseFile);
        } catch (EmptyPasswordFileException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read the recovery passphrase file " + passphraseFile + ": "
                    + e.getClass().getSimpleName(), e);
        }
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
