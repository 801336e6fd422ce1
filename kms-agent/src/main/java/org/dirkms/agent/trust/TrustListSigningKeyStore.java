package org.dirkms.agent.trust;

import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import org.dirkms.agent.ca.CertificationAuthority;
import org.dirkms.agent.ca.DelegatedKeyStore;
import org.dirkms.schema.DataFolder;

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

    /** What the key is for, as {@link DelegatedKeyStore} keeps it. */
    public static final DelegatedKeyStore.Purpose PURPOSE = new DelegatedKeyStore.Purpose("trust list", VALIDITY,
            RENEW_BEFORE, CertificationAuthority::certifyTrustListSigner);

    private TrustListSigningKeyStore() {
    }

    /**
     * Opens the key certified by {@code ca} at {@code keyStore} (passphrase in
     * {@code passphraseFile}), making or renewing it as needed ({@link DelegatedKeyStore}).
     *
     * @throws IllegalStateException if the files cannot be written or the key store not opened
     */
    public static DelegatedKeyStore openOrCreate(Path keyStore, Path passphraseFile, CertificationAuthority ca,
            Clock clock, SecureRandom random) {
        return DelegatedKeyStore.openOrCreate(keyStore, passphraseFile, ca, PURPOSE, clock, random);
    }
}
