package org.dirkms.agent.custody;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.io.ByteArrayInputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.asn1.ASN1EncodableVector;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.ASN1Sequence;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.DERSequence;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.cms.CMSAlgorithm;
import org.bouncycastle.cms.CMSEnvelopedData;
import org.bouncycastle.cms.CMSEnvelopedDataGenerator;
import org.bouncycastle.cms.CMSException;
import org.bouncycastle.cms.CMSProcessableByteArray;
import org.bouncycastle.cms.RecipientInformation;
import org.bouncycastle.cms.jcajce.JceCMSContentEncryptorBuilder;
import org.bouncycastle.cms.jcajce.JceKEKEnvelopedRecipient;
import org.bouncycastle.cms.jcajce.JceKEKRecipientInfoGenerator;
import org.dirkms.agent.keys.JcaProviders;
import org.dirkms.agent.keys.RecoveryKey;

/**
 * The key recovery agent's keys (current and earlier, not retired) sealed under a custody secret:
 * CMS EnvelopedData (RFC 5652 section 6) with one KEKRecipientInfo (section 6.2.3) whose key
 * encryption key is the 32-byte custody secret (AES-256 key wrap, RFC 3394) and whose KEK
 * identifier is the custody id, holding
 * <pre>
 * RecoveryKeys ::= SEQUENCE OF SEQUENCE {
 *     certificate  OCTET STRING,   -- the recovery certificate, DER
 *     privateKey   OCTET STRING }  -- its key, PKCS#8 PrivateKeyInfo (RFC 5208)
 * </pre>
 * newest first. This is what {@code kmsSealedRecoveryKeys} holds, on the key recovery agent's
 * entry and nowhere else: without M shares of the secret it opens for nobody.
 */
public final class SealedRecoveryKeys {
    /** The length of a custody secret: an AES-256 key. */
    public static final int SECRET_LENGTH = 32;

    private SealedRecoveryKeys() {
    }

    /** A fresh custody secret; the caller clears it. */
    public static byte[] newSecret(SecureRandom random) {
        byte[] secret = new byte[SECRET_LENGTH];
        random.nextBytes(secret);
        return secret;
    }

    /** Seals {@code keys} (newest first) under {@code secret} for the custody {@code custodyId}. */
    public static byte[] seal(List<RecoveryKey> keys, byte[] secret, String custodyId, SecureRandom random) {
        if (keys.isEmpty()) {
            throw new IllegalArgumentException("there is no recovery key to seal");
        }
        ASN1EncodableVector all = new ASN1EncodableVector();
        List<byte[]> cleared = new ArrayList<>();
        try {
            for (RecoveryKey key : keys) {
                byte[] pkcs8 = key.privateKey().getEncoded();
                cleared.add(pkcs8);
                all.add(new DERSequence(new DEROctetString[] {new DEROctetString(key.certificate().getEncoded()),
                    new DEROctetString(pkcs8)}));
            }
            byte[] content = new DERSequence(all).getEncoded(ASN1Encoding.DER);
            cleared.add(content);
            CMSEnvelopedDataGenerator generator = new CMSEnvelopedDataGenerator();
            generator.addRecipientInfoGenerator(new JceKEKRecipientInfoGenerator(
                    custodyId.getBytes(StandardCharsets.UTF_8), kek(secret)).setProvider(JcaProviders.bouncyCastle()));
            return generator.generate(new CMSProcessableByteArray(content),
                    new JceCMSContentEncryptorBuilder(CMSAlgorithm.AES256_CBC).setSecureRandom(random)
                            .setProvider(JcaProviders.bouncyCastle()).build()).getEncoded();
        } catch (IOException | GeneralSecurityException | CMSException e) {
            throw new IllegalStateException("cannot seal the recovery keys: " + e.getClass().getSimpleName(), e);
        } finally {
            cleared.forEach(bytes -> Arrays.fill(bytes, (byte) 0));
        }
    }

    /**
     * The recovery keys {@code sealed} holds, opened with {@code secret}: each checked to be the
     * key of its certificate.
     *
     * @throws IllegalArgumentException if the secret does not open it (shares of another custody,
     *         or shares that are wrong), or it is damaged; the message shows no key material
     */
    public static List<RecoveryKey> open(byte[] sealed, byte[] secret) {
        byte[] content = null;
        try {
            CMSEnvelopedData enveloped = new CMSEnvelopedData(sealed);
            RecipientInformation recipient = enveloped.getRecipientInfos().getRecipients().iterator().next();
            content = recipient.getContent(new JceKEKEnvelopedRecipient(kek(secret))
                    .setProvider(JcaProviders.bouncyCastle()));
        } catch (CMSException | RuntimeException e) {
            throw new IllegalArgumentException("the rebuilt custody secret does not open the sealed recovery keys"
                    + " (shares of another custody, or damaged shares)");
        }
        try {
            List<RecoveryKey> keys = new ArrayList<>();
            CertificateFactory certificates = CertificateFactory.getInstance("X.509");
            for (var each : ASN1Sequence.getInstance(content)) {
                ASN1Sequence pair = ASN1Sequence.getInstance(each);
                X509Certificate certificate = (X509Certificate) certificates.generateCertificate(
                        new ByteArrayInputStream(ASN1OctetString.getInstance(pair.getObjectAt(0)).getOctets()));
                byte[] pkcs8 = ASN1OctetString.getInstance(pair.getObjectAt(1)).getOctets();
                try {
                    keys.add(new RecoveryKey(certificate, privateKey(pkcs8)));
                } finally {
                    Arrays.fill(pkcs8, (byte) 0);
                }
            }
            if (keys.isEmpty()) {
                throw new IllegalArgumentException("the sealed recovery keys hold no key");
            }
            return List.copyOf(keys);
        } catch (GeneralSecurityException | RuntimeException e) {
            throw new IllegalArgumentException("the sealed recovery keys are damaged (" + e.getClass().getSimpleName()
                    + ")");
        } finally {
            Arrays.fill(content, (byte) 0);
        }
    }

    private static SecretKey kek(byte[] secret) {
        if (secret.length != SECRET_LENGTH) {
            throw new IllegalArgumentException("a custody secret is " + SECRET_LENGTH + " bytes");
        }
        return new SecretKeySpec(secret, "AES");
    }

    private static PrivateKey privateKey(byte[] pkcs8) throws GeneralSecurityException {
        PrivateKeyInfo info = PrivateKeyInfo.getInstance(pkcs8);
        boolean ec = info.getPrivateKeyAlgorithm().getAlgorithm().equals(X9ObjectIdentifiers.id_ecPublicKey);
        KeyFactory factory = ec ? KeyFactory.getInstance("EC", JcaProviders.bouncyCastle()) : KeyFactory.getInstance("RSA");
        return factory.generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
    }
}
