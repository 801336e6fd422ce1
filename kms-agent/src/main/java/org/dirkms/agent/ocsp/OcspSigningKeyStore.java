package org.dirkms.agent.ocsp;

import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import org.dirkms.agent.ca.CertificationAuthority;
import org.dirkms.agent.ca.DelegatedKeyStore;
import org.dirkms.schema.DataFolder;

/**
 * The delegated OCSP-signing key of one CA (RFC 6960 section 4.2.2.2): a key of its own, in its
 * own key store ({@link DataFolder#OCSP_KEY_STORE}, mode 0600, passphrase in
 * {@link DataFolder#OCSP_PASSPHRASE}), certified by the CA with id-kp-OCSPSigning and
 * id-pkix-ocsp-nocheck ({@link CertificationAuthority#certifyOcspResponder}). The CA key never
 * signs a response, and this key signs nothing but responses.
 *
 * <p>Made at the first start, and renewed (a new key, a new certificate) when its certificate
 * comes within {@link #RENEW_BEFORE} of its end or was not issued by the CA's current key:
 * with ocsp-nocheck, a short validity is what limits the harm of a stolen responder key. The
 * key store is replaced atomically; a response signed meanwhile uses either the old or the new
 * key, both valid.
 *
 * <p>Safe for concurrent use.
 */
public final class OcspSigningKeyStore {
    /** How long a responder certificate is valid. */
    public static final Duration VALIDITY = Duration.ofDays(30);
    /** How long before its end a responder certificate is renewed. */
    public static final Duration RENEW_BEFORE = Duration.ofDays(10);

    /** What the key is for, as {@link DelegatedKeyStore} keeps it. */
    public static final DelegatedKeyStore.Purpose PURPOSE = new DelegatedKeyStore.Purpose("OCSP", VALIDITY,
            RENEW_BEFORE, CertificationAuthority::certifyOcspResponder);

    private OcspSigningKeyStore() {
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
