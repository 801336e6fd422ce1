package org.dirkms.agent.keys;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.HexFormat;

/**
 * One key of the key recovery agent: its certificate (issued with the key recovery agent
 * template) and its private key. Archived keys are wrapped to the certificate; recovery
 * unwraps them with the private key.
 *
 * <p>{@link #toString()} names the key by its {@link #keyId()}, never shows the private key.
 *
 * @param certificate the recovery certificate
 * @param privateKey the private half of the certificate's public key
 */
public record RecoveryKey(X509Certificate certificate, PrivateKey privateKey) {

    /**
     * Checks that the private key is the certificate's.
     *
     * @throws IllegalArgumentException if it is not
     */
    public RecoveryKey {
        if (!KeyPairFactory.matches(privateKey, certificate.getPublicKey())) {
            throw new IllegalArgumentException("the recovery private key is not the key of certificate "
                    + certificate.getSubjectX500Principal().getName() + " serial " + certificate.getSerialNumber().toString(16));
        }
    }

    /** The {@link #keyIdOf key id} of this key's certificate. */
    public String keyId() {
        return keyIdOf(certificate);
    }

    /**
     * The identifier of a recovery certificate as stored in {@code kmsWrappingKeyId}:
     * {@code sha256:} and the lowercase hex SHA-256 of the certificate's DER. A fingerprint of
     * the whole certificate, not of the key, so that a re-certified key is told apart too.
     */
    public static String keyIdOf(X509Certificate certificate) {
        try {
            return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(certificate.getEncoded()));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from the JDK", e);
        } catch (CertificateEncodingException e) {
            throw new IllegalArgumentException("the recovery certificate cannot be encoded", e);
        }
    }

    /** Names the key, never shows it. */
    @Override
    public String toString() {
        return "RecoveryKey[" + keyId() + "]";
    }
}
