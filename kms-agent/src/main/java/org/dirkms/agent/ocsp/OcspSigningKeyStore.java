package org.dirkms.agent.ocsp;

import java.nio.file.Path;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import org.dirkms.agent.ca.CertificationAuthority;
import org.dirkms.agent.ca.DelegatedKeyStore;
import org.dirkms.agent.ca.SoftwareSigner;
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

    private static final DelegatedKeyStore.Purpose PURPOSE = new DelegatedKeyStore.Purpose("OCSP", VALIDITY,
            RENEW_BEFORE, CertificationAuthority::certifyOcspResponder);

    private final DelegatedKeyStore store;

    private OcspSigningKeyStore(DelegatedKeyStore store) {
        this.store = store;
    }

    /**
     * Opens the key certified by {@code ca} at {@code keyStore} (passphrase in
     * {@code passphraseFile}), making or renewing it as needed ({@link DelegatedKeyStore}).
     *
     * @throws IllegalStateException if the files cannot be written or the key store not opened
     */
    public static OcspSigningKeyStore openOrCreate(Path keyStore, Path passphraseFile, CertificationAuthority ca,
            Clock clock, SecureRandom random) {
        return new OcspSigningKeyStore(DelegatedKeyStore.openOrCreate(keyStore, passphraseFile, ca, PURPOSE, clock,
                random));
    }

    /** The key and certificate chain (its certificate, then the CA's chain) that sign now. */
    public SoftwareSigner current() {
        return store.current();
    }

    /** The certificate in use now. */
    public X509Certificate certificate() {
        return store.certificate();
    }

    /**
     * Issues a new key and certificate when the current one is missing, not the CA's, or within
     * {@link #RENEW_BEFORE} of its end.
     *
     * @return true if it renewed
     * @throws IllegalStateException if the files cannot be written or the key store not opened
     */
    public boolean renewIfDue() {
        return store.renewIfDue();
    }
}
