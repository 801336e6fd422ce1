package org.dirkms.agent.archive;

import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.util.Arrays;
import org.dirkms.agent.keys.KeyPairFactory;
import org.dirkms.agent.keys.RecoveryKey;

/**
 * Wraps private keys to one key recovery certificate as CMS EnvelopedData (RFC 5652 section 6)
 * whose content is the key's PKCS#8 PrivateKeyInfo (RFC 5208), so that {@code openssl cms
 * -decrypt} with the recovery key alone gives the key back. The envelope is {@link CmsEnvelope}'s:
 * RSAES-OAEP for an RSA recovery key, ephemeral-static ECDH with AES key wrap for an EC one,
 * AES-256-CBC for the content. Instances are immutable and safe for concurrent use.
 */
public final class KeyArchiver {
    private final X509Certificate recoveryCertificate;
    private final String wrappingKeyId;
    private final CmsEnvelope envelope;

    /**
     * An archiver wrapping to {@code recoveryCertificate}, drawing keys and IVs from {@code random}.
     *
     * @throws IllegalArgumentException if the certificate's key is neither RSA nor EC
     */
    public KeyArchiver(X509Certificate recoveryCertificate, SecureRandom random) {
        this.recoveryCertificate = recoveryCertificate;
        this.wrappingKeyId = RecoveryKey.keyIdOf(recoveryCertificate);
        if (!(recoveryCertificate.getPublicKey() instanceof RSAPublicKey)
                && !(recoveryCertificate.getPublicKey() instanceof ECPublicKey)) {
            throw new IllegalArgumentException("the recovery certificate's key is " + recoveryCertificate.getPublicKey()
                    .getAlgorithm() + "; archived keys can be wrapped to an RSA or EC key only");
        }
        this.envelope = CmsEnvelope.toCertificate(recoveryCertificate, random);
    }

    /** The recovery certificate keys are wrapped to. */
    public X509Certificate recoveryCertificate() {
        return recoveryCertificate;
    }

    /**
     * Wraps {@code privateKey}. When {@code encryptionCertificate} is given, the key must be
     * the private half of its public key: an archive that cannot decrypt what is sent to the
     * published certificate would be worse than none.
     *
     * @param encryptionCertificate the certificate of the key, or null when there is none yet
     * @throws IllegalArgumentException if the key does not belong to {@code encryptionCertificate},
     *         or cannot be encoded as PKCS#8
     */
    public WrappedKey wrap(PrivateKey privateKey, X509Certificate encryptionCertificate) {
        if (encryptionCertificate != null && !KeyPairFactory.matches(privateKey, encryptionCertificate.getPublicKey())) {
            throw new IllegalArgumentException("the private key to archive is not the key of certificate "
                    + encryptionCertificate.getSubjectX500Principal().getName() + " serial "
                    + encryptionCertificate.getSerialNumber().toString(16));
        }
        byte[] pkcs8 = privateKey.getEncoded();
        if (pkcs8 == null || !"PKCS#8".equals(privateKey.getFormat())) {
            throw new IllegalArgumentException("the " + privateKey.getAlgorithm() + " private key cannot be exported as PKCS#8");
        }
        try {
            return new WrappedKey(envelope.seal(pkcs8), envelope.algorithm(), wrappingKeyId);
        } catch (IllegalStateException e) {
            throw new IllegalStateException("cannot wrap a " + privateKey.getAlgorithm() + " key to recovery certificate "
                    + wrappingKeyId + ": " + e.getMessage(), e);
        } finally {
            Arrays.fill(pkcs8, (byte) 0);
        }
    }

    /** Names the recovery key, nothing else. */
    @Override
    public String toString() {
        return "KeyArchiver[" + envelope.algorithm() + " to " + wrappingKeyId + "]";
    }
}
