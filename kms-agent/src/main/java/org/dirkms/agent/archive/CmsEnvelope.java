package org.dirkms.agent.archive;

import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.AlgorithmParameterSpec;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.MGF1ParameterSpec;
import javax.crypto.spec.OAEPParameterSpec;
import javax.crypto.spec.PSource;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cms.CMSAlgorithm;
import org.bouncycastle.cms.CMSEnvelopedDataGenerator;
import org.bouncycastle.cms.CMSException;
import org.bouncycastle.cms.CMSProcessableByteArray;
import org.bouncycastle.cms.RecipientInfoGenerator;
import org.bouncycastle.cms.jcajce.JceCMSContentEncryptorBuilder;
import org.bouncycastle.cms.jcajce.JceKeyAgreeRecipientInfoGenerator;
import org.bouncycastle.cms.jcajce.JceKeyTransRecipientInfoGenerator;
import org.bouncycastle.operator.jcajce.JcaAlgorithmParametersConverter;
import org.dirkms.agent.keys.JcaProviders;

/**
 * Seals content to one recipient's public key as CMS EnvelopedData (RFC 5652 section 6), so that
 * {@code openssl cms -decrypt -inkey <the private key>} alone opens it. The one place dirkms
 * encrypts to a key: the key archive seals private keys to the key recovery certificate
 * ({@link KeyArchiver}), and sealed key delivery seals a user's key package to the delivery key
 * the user's client made.
 *
 * <p>An RSA recipient gets KeyTransRecipientInfo with RSAES-OAEP, SHA-256 and MGF1-SHA-256 (RFC
 * 8017 section 7.1, RFC 4055 section 4); an EC recipient gets KeyAgreeRecipientInfo with an
 * ephemeral key on the recipient's curve, dhSinglePass-stdDH-sha256kdf-scheme and id-aes256-wrap
 * (RFC 5753 sections 3.1 and 7.1.4). The content is encrypted with a fresh AES-256-CBC key (RFC
 * 3565). A recipient given as a certificate is named by issuer and serial number; one given as a
 * bare key, by its subject key identifier (RFC 5652 sections 6.2.1 and 6.2.2), the SHA-1 of the
 * key (RFC 5280 section 4.2.1.2, method 1). Instances are immutable and safe for concurrent use.
 */
public final class CmsEnvelope {
    private final X509Certificate certificate;
    private final PublicKey key;
    private final byte[] subjectKeyIdentifier;
    private final String algorithm;
    private final SecureRandom random;
    /** The curve of the ephemeral ECDH keys, by name when the key names it; null for RSA. */
    private final AlgorithmParameterSpec ephemeralCurve;

    private CmsEnvelope(X509Certificate certificate, PublicKey key, SecureRandom random) {
        this.certificate = certificate;
        this.key = key;
        this.random = random;
        this.subjectKeyIdentifier = certificate != null ? null : keyIdentifier(key);
        if (key instanceof RSAPublicKey) {
            this.algorithm = WrappedKey.RSA_OAEP_SHA256_AES256;
            this.ephemeralCurve = null;
        } else if (key instanceof ECPublicKey ec) {
            this.algorithm = WrappedKey.ECDH_SHA256KDF_AES256_WRAP;
            this.ephemeralCurve = curveOf(ec);
        } else {
            throw new IllegalArgumentException("the recipient's key is " + key.getAlgorithm()
                    + "; content can be sealed to an RSA or EC key only");
        }
    }

    /**
     * Seals to the key of {@code recipient}, which names it by issuer and serial number.
     *
     * @throws IllegalArgumentException if the certificate's key is neither RSA nor EC
     */
    public static CmsEnvelope toCertificate(X509Certificate recipient, SecureRandom random) {
        return new CmsEnvelope(recipient, recipient.getPublicKey(), random);
    }

    /**
     * Seals to {@code recipient}, a key without a certificate, named by its subject key identifier.
     *
     * @throws IllegalArgumentException if the key is neither RSA nor EC
     */
    public static CmsEnvelope toKey(PublicKey recipient, SecureRandom random) {
        return new CmsEnvelope(null, recipient, random);
    }

    /**
     * How content is sealed: {@link WrappedKey#RSA_OAEP_SHA256_AES256} or
     * {@link WrappedKey#ECDH_SHA256KDF_AES256_WRAP}.
     */
    public String algorithm() {
        return algorithm;
    }

    /**
     * The DER of a CMS ContentInfo holding EnvelopedData whose content is {@code content},
     * readable by the holder of the recipient's private key only. The caller keeps and clears
     * {@code content}.
     *
     * @throws IllegalStateException if the CMS cannot be built (the message names no content)
     */
    public byte[] seal(byte[] content) {
        try {
            CMSEnvelopedDataGenerator generator = new CMSEnvelopedDataGenerator();
            generator.addRecipientInfoGenerator(recipient());
            return generator.generate(new CMSProcessableByteArray(content),
                    new JceCMSContentEncryptorBuilder(CMSAlgorithm.AES256_CBC).setProvider(JcaProviders.bouncyCastle())
                            .setSecureRandom(random).build())
                    .toASN1Structure().getEncoded(ASN1Encoding.DER);
        } catch (CMSException | IOException | GeneralSecurityException e) {
            throw new IllegalStateException("cannot build CMS EnvelopedData (" + algorithm + ") to " + recipientName()
                    + ": " + e.getClass().getSimpleName(), e);
        }
    }

    private RecipientInfoGenerator recipient() throws GeneralSecurityException {
        if (ephemeralCurve != null) {
            // Ephemeral-static ECDH (RFC 5753 section 3.1.1): a fresh originator key per
            // envelope, on the recipient's own curve.
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC", JcaProviders.bouncyCastle());
            generator.initialize(ephemeralCurve, random);
            KeyPair ephemeral = generator.generateKeyPair();
            JceKeyAgreeRecipientInfoGenerator agree = new JceKeyAgreeRecipientInfoGenerator(
                    CMSAlgorithm.ECDH_SHA256KDF, ephemeral.getPrivate(), ephemeral.getPublic(),
                    CMSAlgorithm.AES256_WRAP).setProvider(JcaProviders.bouncyCastle()).setSecureRandom(random);
            return certificate != null ? agree.addRecipient(certificate) : agree.addRecipient(subjectKeyIdentifier, key);
        }
        AlgorithmIdentifier oaep = new JcaAlgorithmParametersConverter().getAlgorithmIdentifier(
                PKCSObjectIdentifiers.id_RSAES_OAEP,
                new OAEPParameterSpec("SHA-256", "MGF1", MGF1ParameterSpec.SHA256, PSource.PSpecified.DEFAULT));
        if (certificate == null) {
            return new JceKeyTransRecipientInfoGenerator(subjectKeyIdentifier, oaep, key)
                    .setProvider(JcaProviders.bouncyCastle());
        }
        try {
            return new JceKeyTransRecipientInfoGenerator(certificate, oaep).setProvider(JcaProviders.bouncyCastle());
        } catch (CertificateEncodingException e) {
            throw new IllegalStateException("the recipient certificate cannot be encoded", e);
        }
    }

    /**
     * The recipient's curve by its name (RFC 5480 section 2.1.1.1): a generator initialised by
     * name reuses the provider's precomputed multiples of the base point, while one given the
     * explicit parameters rebuilds them for every ephemeral key, which doubled the cost of each
     * archive.
     */
    private static AlgorithmParameterSpec curveOf(ECPublicKey key) {
        ASN1Encodable parameters = SubjectPublicKeyInfo.getInstance(key.getEncoded()).getAlgorithm().getParameters();
        if (parameters instanceof ASN1ObjectIdentifier named) {
            return new ECGenParameterSpec(named.getId());
        }
        return key.getParams();
    }

    /** RFC 5280 section 4.2.1.2, method 1: the SHA-1 of the subjectPublicKey bit string. */
    private static byte[] keyIdentifier(PublicKey key) {
        try {
            return new JcaX509ExtensionUtils().createSubjectKeyIdentifier(key).getKeyIdentifier();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("SHA-1 is missing from this JVM", e);
        }
    }

    private String recipientName() {
        return certificate != null ? "certificate " + certificate.getSubjectX500Principal().getName() + " serial "
                + certificate.getSerialNumber().toString(16) : "a " + key.getAlgorithm() + " key";
    }

    /** Names the algorithm and the recipient, nothing else. */
    @Override
    public String toString() {
        return "CmsEnvelope[" + algorithm + " to " + recipientName() + "]";
    }
}
