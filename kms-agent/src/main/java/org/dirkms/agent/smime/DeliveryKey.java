package org.dirkms.agent.smime;

import java.io.IOException;
import java.security.PublicKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.dirkms.agent.ca.IssuanceRefusedException;
import org.dirkms.agent.ca.Pkcs10Request;
import org.dirkms.agent.keys.JcaProviders;

/**
 * The key a user's client made for the KMS to seal that user's key package to
 * ({@code kmsDeliveryKey}): the public key of a self-signed PKCS#10 request (RFC 2986), whose
 * signature proves the client holds the private half. An RSA key of at least 2048 bits or an EC
 * key on a named curve (RFC 5480 section 2.1.1.1), the kinds {@link KeyPackage#sealed} can seal
 * to. Messages name the problem, never key material.
 */
public final class DeliveryKey {
    /** The smallest RSA delivery key: the floor of the templates the KMS certifies keys with. */
    public static final int MINIMUM_RSA_BITS = 2048;

    private final PublicKey publicKey;

    private DeliveryKey(PublicKey publicKey) {
        this.publicKey = publicKey;
    }

    /**
     * The delivery key in the DER PKCS#10 {@code der}, its self-signature verified.
     *
     * @throws IllegalArgumentException with a plain-language reason, if the request is not a
     *         valid self-signed PKCS#10 or its key is not one a package can be sealed to
     */
    public static DeliveryKey fromCertificationRequest(byte[] der) {
        SubjectPublicKeyInfo info;
        try {
            info = Pkcs10Request.parseAndVerify(der).subjectPublicKeyInfo();
        } catch (IssuanceRefusedException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
        PublicKey key;
        try {
            key = new JcaPEMKeyConverter().setProvider(JcaProviders.bouncyCastle()).getPublicKey(info);
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("the public key in the certificate request cannot be read", e);
        }
        if (key instanceof RSAPublicKey rsa) {
            if (rsa.getModulus().bitLength() < MINIMUM_RSA_BITS) {
                throw new IllegalArgumentException("the RSA key of the certificate request has "
                        + rsa.getModulus().bitLength() + " bits; a delivery key needs at least " + MINIMUM_RSA_BITS);
            }
        } else if (key instanceof ECPublicKey) {
            if (!(info.getAlgorithm().getParameters() instanceof ASN1ObjectIdentifier)) {
                throw new IllegalArgumentException("the EC key of the certificate request does not name its curve"
                        + " (RFC 5480 section 2.1.1.1); use a named curve such as P-256");
            }
        } else {
            throw new IllegalArgumentException("the key of the certificate request is " + key.getAlgorithm()
                    + "; a delivery key is an RSA or EC key");
        }
        return new DeliveryKey(key);
    }

    /** The public key the package is sealed to. */
    public PublicKey publicKey() {
        return publicKey;
    }

    /** Names the algorithm only. */
    @Override
    public String toString() {
        return "DeliveryKey[" + publicKey.getAlgorithm() + "]";
    }
}
