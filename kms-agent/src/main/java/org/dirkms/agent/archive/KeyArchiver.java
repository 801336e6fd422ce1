package org.dirkms.agent.archive;

import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.AlgorithmParameterSpec;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.MGF1ParameterSpec;
import java.util.Arrays;
import javax.crypto.spec.OAEPParameterSpec;
import javax.crypto.spec.PSource;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
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
import org.dirkms.agent.keys.KeyPairFactory;
import org.dirkms.agent.keys.RecoveryKey;

/**
 * Wraps private keys to one key recovery certificate as CMS EnvelopedData (RFC 5652 section 6)
 * whose content is the key's PKCS#8 PrivateKeyInfo (RFC 5208), so that {@code openssl cms
 * -decrypt} with the recovery key alone gives the key back.
 *
 * <p>An RSA recovery key gets KeyTransRecipientInfo with RSAES-OAEP, SHA-256 and MGF1-SHA-256
 * (RFC 8017 section 7.1, RFC 4055 section 4); an EC recovery key gets KeyAgreeRecipientInfo
 * with an ephemeral key on the recovery key's curve, dhSinglePass-stdDH-sha256kdf-scheme and
 * id-aes256-wrap (RFC 5753 sections 3.1 and 7.1.4). The content is encrypted with a fresh
 * AES-256-CBC key (RFC 3565). Instances are immutable and safe for concurrent use.
 */
public final class KeyArchiver {
    private final X509Certificate recoveryCertificate;
    private final String wrappingKeyId;
    private final String wrappingAlgorithm;
    private final SecureRandom random;
    /** The curve of the ephemeral ECDH keys, by name when the certificate names it; null for RSA. */
    private final AlgorithmParameterSpec ephemeralCurve;

    /**
     * An archiver wrapping to {@code recoveryCertificate}, drawing keys and IVs from {@code random}.
     *
     * @throws IllegalArgumentException if the certificate's key is neither RSA nor EC
     */
    public KeyArchiver(X509Certificate recoveryCertificate, SecureRandom random) {
        this.recoveryCertificate = recoveryCertificate;
        this.random = random;
        this.wrappingKeyId = RecoveryKey.keyIdOf(recoveryCertificate);
        if (recoveryCertificate.getPublicKey() instanceof RSAPublicKey) {
            this.wrappingAlgorithm = WrappedKey.RSA_OAEP_SHA256_AES256;
            this.ephemeralCurve = null;
        } else if (recoveryCertificate.getPublicKey() instanceof ECPublicKey ec) {
            this.wrappingAlgorithm = WrappedKey.ECDH_SHA256KDF_AES256_WRAP;
            this.ephemeralCurve = curveOf(ec);
        } else {
            throw new IllegalArgumentException("the recovery certificate's key is " + recoveryCertificate.getPublicKey()
                    .getAlgorithm() + "; archived keys can be wrapped to an RSA or EC key only");
        }
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
            CMSEnvelopedDataGenerator generator = new CMSEnvelopedDataGenerator();
            generator.addRecipientInfoGenerator(recipient());
            byte[] der = generator.generate(new CMSProcessableByteArray(pkcs8),
                    new JceCMSContentEncryptorBuilder(CMSAlgorithm.AES256_CBC).setProvider(JcaProviders.bouncyCastle())
                            .setSecureRandom(random).build())
                    .toASN1Structure().getEncoded(ASN1Encoding.DER);
            return new WrappedKey(der, wrappingAlgorithm, wrappingKeyId);
        } catch (CMSException | IOException | GeneralSecurityException e) {
            throw new IllegalStateException("cannot wrap a " + privateKey.getAlgorithm() + " key to recovery certificate "
                    + wrappingKeyId + ": " + e.getClass().getSimpleName(), e);
        } finally {
            Arrays.fill(pkcs8, (byte) 0);
        }
    }

    /**
     * The recovery key's curve by its name (RFC 5480 section 2.1.1.1): a generator initialised
     * by name reuses the provider's precomputed multiples of the base point, while one given
     * the explicit parameters rebuilds them for every ephemeral key, which doubled the cost of
     * each archive.
     */
    private static AlgorithmParameterSpec curveOf(ECPublicKey key) {
        ASN1Encodable parameters = SubjectPublicKeyInfo.getInstance(key.getEncoded()).getAlgorithm().getParameters();
        if (parameters instanceof ASN1ObjectIdentifier named) {
            return new ECGenParameterSpec(named.getId());
        }
        return key.getParams();
    }

    private RecipientInfoGenerator recipient() throws GeneralSecurityException {
        if (ephemeralCurve != null) {
            // Ephemeral-static ECDH (RFC 5753 section 3.1.1): a fresh originator key per archive,
            // on the recovery key's own curve.
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC", JcaProviders.bouncyCastle());
            generator.initialize(ephemeralCurve, random);
            KeyPair ephemeral = generator.generateKeyPair();
            return new JceKeyAgreeRecipientInfoGenerator(CMSAlgorithm.ECDH_SHA256KDF, ephemeral.getPrivate(),
                    ephemeral.getPublic(), CMSAlgorithm.AES256_WRAP).setProvider(JcaProviders.bouncyCastle())
                    .setSecureRandom(random).addRecipient(recoveryCertificate);
        }
        AlgorithmIdentifier oaep = new JcaAlgorithmParametersConverter().getAlgorithmIdentifier(
                PKCSObjectIdentifiers.id_RSAES_OAEP,
                new OAEPParameterSpec("SHA-256", "MGF1", MGF1ParameterSpec.SHA256, PSource.PSpecified.DEFAULT));
        try {
            return new JceKeyTransRecipientInfoGenerator(recoveryCertificate, oaep).setProvider(JcaProviders.bouncyCastle());
        } catch (CertificateEncodingException e) {
            throw new IllegalStateException("the recovery certificate cannot be encoded", e);
        }
    }

    /** Names the recovery key, nothing else. */
    @Override
    public String toString() {
        return "KeyArchiver[" + wrappingAlgorithm + " to " + wrappingKeyId + "]";
    }
}
