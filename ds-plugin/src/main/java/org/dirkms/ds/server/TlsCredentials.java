package org.dirkms.ds.server;

import java.nio.file.Path;
import java.util.Objects;

/**
 * The TLS material the LDAP server uses: a PKCS#12 key store holding one private key and its
 * certificate chain, its passphrase, and the server certificate as PEM for clients
 * ({@code LDAPTLS_CACERT}).
 *
 * @param keyStoreFile          PKCS#12 key store, readable by the server process only
 * @param keyStorePassphrase    passphrase of the key store; never printed ({@link #toString()} hides it)
 * @param certificatePemFile    the server certificate (or its issuing CA) as PEM
 */
public record TlsCredentials(Path keyStoreFile, String keyStorePassphrase, Path certificatePemFile) {

    /** Checks every part is given. */
    public TlsCredentials {
        Objects.requireNonNull(keyStoreFile, "keyStoreFile");
        Objects.requireNonNull(keyStorePassphrase, "keyStorePassphrase");
        Objects.requireNonNull(certificatePemFile, "certificatePemFile");
    }

    /** Names the files only: the passphrase is a secret. */
    @Override
    public String toString() {
        return "TlsCredentials[keyStoreFile=" + keyStoreFile + ", certificatePemFile=" + certificatePemFile + "]";
    }
}
