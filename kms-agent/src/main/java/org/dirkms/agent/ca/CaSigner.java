package org.dirkms.agent.ca;

import java.security.PublicKey;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.operator.ContentSigner;

/**
 * The private key of a certification authority, seen only through what it can sign.
 *
 * <p>The CA never touches key bytes: it asks its signer for a {@link ContentSigner} and feeds
 * it the DER of a to-be-signed structure (TBSCertificate, TBSCertList, CertificationRequestInfo).
 * The software implementation is {@link SoftwareSigner}; a PKCS#11 token implements the same
 * interface with a key handle that never leaves the token.
 */
public interface CaSigner {

    /** The public half of the key, as it appears in the CA certificate and its requests. */
    PublicKey publicKey();

    /** The signature algorithm this signer uses (e.g. sha256WithRSAEncryption, ecdsa-with-SHA384). */
    AlgorithmIdentifier signatureAlgorithm();

    /**
     * A fresh content signer over the CA key. Each call returns a new instance, so that
     * concurrent issuances never share a signature state.
     *
     * @throws IllegalStateException if the key cannot sign (e.g. the token is gone)
     */
    ContentSigner contentSigner();

    /**
     * Signs {@code toBeSigned} (the DER of a TBS structure) and returns the signature value.
     *
     * @throws IllegalStateException if the key cannot sign
     */
    default byte[] sign(byte[] toBeSigned) {
        ContentSigner signer = contentSigner();
        try (var out = signer.getOutputStream()) {
            out.write(toBeSigned);
        } catch (java.io.IOException e) {
            throw new IllegalStateException("the CA key could not sign", e);
        }
        return signer.getSignature();
    }
}
