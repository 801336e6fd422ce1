package org.dirkms.agent.keys;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.HexFormat;
import java.util.List;

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
    /** Microsoft szOID_KP_KEY_RECOVERY_AGENT, the extended key usage a recovery certificate must have. */
    public static final String KEY_RECOVERY_AGENT_USAGE = "1.3.6.1.4.1.311.21.6";

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

    /**
     * Checks that {@code certificate} is one archives may be wrapped to: a key recovery agent
     * certificate (the extended key usage {@value #KEY_RECOVERY_AGENT_USAGE}) whose key may
     * encipher keys or agree on them, RSA or EC.
     *
     * @throws IllegalStateException saying what is wrong with it
     */
    public static void requireRecoveryAgentCertificate(X509Certificate certificate) {
        try {
            List<String> usages = certificate.getExtendedKeyUsage();
            if (usages == null || !usages.contains(KEY_RECOVERY_AGENT_USAGE)) {
                throw new IllegalStateException("the recovery certificate " + keyIdOf(certificate) + " lacks the"
                        + " key recovery agent extended key usage " + KEY_RECOVERY_AGENT_USAGE);
            }
        } catch (CertificateParsingException e) {
            throw new IllegalStateException("the recovery certificate's extended key usage cannot be read", e);
        }
        boolean[] usage = certificate.getKeyUsage();
        // keyEncipherment (2) for RSA key transport, keyAgreement (4) for ECDH (RFC 5280 section 4.2.1.3).
        if (usage != null && !usage[2] && !usage[4]) {
            throw new IllegalStateException("the recovery certificate " + keyIdOf(certificate)
                    + " allows neither keyEncipherment nor keyAgreement");
        }
        String algorithm = certificate.getPublicKey().getAlgorithm();
        if (!algorithm.equals("RSA") && !algorithm.equals("EC")) {
            throw new IllegalStateException("the recovery certificate " + keyIdOf(certificate) + " has a "
                    + algorithm + " key; archives are wrapped to RSA or EC keys only");
        }
    }

    /** Names the key, never shows it. */
    @Override
    public String toString() {
        return "RecoveryKey[" + keyId() + "]";
    }
}
