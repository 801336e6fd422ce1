package org.dirkms.agent.enroll;

import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;
import org.dirkms.schema.ContentEncryptionAlgorithm;
import org.dirkms.schema.KeyAlgorithm;
import org.dirkms.schema.MessageFormat;
import org.dirkms.schema.PackageFormat;

/**
 * The cryptography an enrollment needs, as one seam: the agent's state machine is written against
 * it, and {@link KeysCryptography} implements it with the key, archive and S/MIME packages.
 */
interface EnrollmentCryptography {

    /** A key wrapped for the archive: CMS EnvelopedData (DER) and the parameters stored with the record. */
    record Wrapped(byte[] envelopedData, String algorithm, String keyId) {
    }

    /** One private key of a key package, with its certificate chain (leaf first) and friendly name. */
    record PackageItem(PrivateKey key, List<X509Certificate> chain, String friendlyName) {
    }

    /** A new key pair of {@code algorithm}. */
    KeyPair newKeyPair(KeyAlgorithm algorithm);

    /** The PKCS#10 (DER, empty subject) proving possession of {@code pair} to the CA. */
    byte[] certificationRequest(KeyPair pair);

    /** Wraps {@code key} to the key recovery certificate; {@code certificate} is the key's encryption certificate. */
    Wrapped wrap(PrivateKey key, X509Certificate certificate);

    /** A new human-typable one-time token of at least 100 bits. */
    char[] newToken();

    /**
     * The {@code kmsKeyPackage} values of {@code items} protected by {@code token} in
     * {@code format}: one PKCS#12, or one per key in the legacy format (for gpgsm 2.2).
     */
    List<byte[]> keyPackage(List<PackageItem> items, char[] token, PackageFormat format);

    /**
     * Checks that {@code deliveryKey} (a {@code kmsDeliveryKey}: DER PKCS#10) is a key a package
     * can be sealed to.
     *
     * @throws IllegalArgumentException with a plain-language reason if it is not
     */
    void checkDeliveryKey(byte[] deliveryKey);

    /**
     * The {@code kmsKeyPackage} values of {@code items}, each a PKCS#12 in {@code format} with an
     * empty password sealed as CMS EnvelopedData to the key of {@code deliveryKey} (DER PKCS#10,
     * checked with {@link #checkDeliveryKey}): one, or one per key in the legacy format.
     */
    List<byte[]> sealedKeyPackage(List<PackageItem> items, byte[] deliveryKey, PackageFormat format);

    /**
     * The {@code userSMIMECertificate} value: a CMS SignedData carrying the certificates and the
     * S/MIME capabilities (RFC 8551 section 2.5.2) and encryption key preference (2.5.3),
     * signed by {@code signingKey}; when the agent does not hold the signing key (the user's own
     * client made it), a degenerate certificates-only SignedData.
     */
    byte[] smimeBundle(X509Certificate signing, PrivateKey signingKeyOrNull, X509Certificate encryption,
            List<X509Certificate> chain, ContentEncryptionAlgorithm contentEncryption, MessageFormat format);
}
