package org.dirkms.agent.archive;

import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.cert.CertificateEncodingException;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cms.CMSEnvelopedData;
import org.bouncycastle.cms.CMSException;
import org.bouncycastle.cms.KeyAgreeRecipientInformation;
import org.bouncycastle.cms.Recipient;
import org.bouncycastle.cms.RecipientInformation;
import org.bouncycastle.cms.jcajce.JceKeyAgreeEnvelopedRecipient;
import org.bouncycastle.cms.jcajce.JceKeyTransEnvelopedRecipient;
import org.dirkms.agent.keys.JcaProviders;
import org.dirkms.agent.keys.RecoveryKey;

/**
 * Unwraps archived keys with the key recovery agent's keys. The recipient of each archive is
 * found by its identifier (issuer and serial number or key identifier, RFC 5652 sections 6.2.1
 * and 6.2.2) among all the recovery keys given, so an archive made with a key since replaced
 * still opens. Instances are immutable and safe for concurrent use.
 */
public final class KeyRecoverer {
    private final List<RecoveryKey> recoveryKeys;
    private final List<X509CertificateHolder> holders;

    /**
     * A recoverer holding {@code recoveryKeys} (for instance
     * {@link org.dirkms.agent.keys.RecoveryKeyStore#keys()}).
     *
     * @throws IllegalArgumentException if there is none
     */
    public KeyRecoverer(List<RecoveryKey> recoveryKeys) {
        if (recoveryKeys.isEmpty()) {
            throw new IllegalArgumentException("a key recoverer needs at least one recovery key");
        }
        this.recoveryKeys = List.copyOf(recoveryKeys);
        List<X509CertificateHolder> list = new ArrayList<>();
        for (RecoveryKey key : recoveryKeys) {
            try {
                list.add(new X509CertificateHolder(key.certificate().getEncoded()));
            } catch (IOException | CertificateEncodingException e) {
                throw new IllegalArgumentException("recovery certificate " + key.keyId() + " cannot be encoded", e);
            }
        }
        this.holders = List.copyOf(list);
    }

    /**
     * The private key archived in {@code envelopedDataDer} (a CMS ContentInfo of EnvelopedData,
     * as {@link KeyArchiver#wrap} makes and {@code kmsWrappedKey} stores).
     *
     * @throws KeyRecoveryException saying in plain language why it cannot be unwrapped
     */
    public PrivateKey unwrap(byte[] envelopedDataDer) throws KeyRecoveryException {
        byte[] pkcs8 = unwrapPkcs8(envelopedDataDer);
        try {
            return privateKey(pkcs8);
        } finally {
            Arrays.fill(pkcs8, (byte) 0);
        }
    }

    /**
     * The recovery key {@code envelopedDataDer} is wrapped to, found by its recipient identifier
     * without decrypting anything; empty when it is wrapped to none of this recoverer's keys.
     *
     * @throws KeyRecoveryException if it is not CMS EnvelopedData
     */
    public java.util.Optional<RecoveryKey> recipient(byte[] envelopedDataDer) throws KeyRecoveryException {
        for (RecipientInformation recipient : parse(envelopedDataDer).getRecipientInfos().getRecipients()) {
            for (int i = 0; i < recoveryKeys.size(); i++) {
                if (recipient.getRID().match(holders.get(i))) {
                    return java.util.Optional.of(recoveryKeys.get(i));
                }
            }
        }
        return java.util.Optional.empty();
    }

    /**
     * The archived content of {@code envelopedDataDer}: the PKCS#8 PrivateKeyInfo exactly as it
     * was wrapped, checked to be an RSA or EC private key. The caller clears it.
     *
     * @throws KeyRecoveryException as {@link #unwrap}
     */
    byte[] unwrapPkcs8(byte[] envelopedDataDer) throws KeyRecoveryException {
        CMSEnvelopedData enveloped = parse(envelopedDataDer);
        for (RecipientInformation recipient : enveloped.getRecipientInfos().getRecipients()) {
            for (int i = 0; i < recoveryKeys.size(); i++) {
                if (recipient.getRID().match(holders.get(i))) {
                    byte[] pkcs8 = decrypt(recipient, recoveryKeys.get(i));
                    try {
                        privateKey(pkcs8);
                        return pkcs8;
                    } catch (KeyRecoveryException | RuntimeException e) {
                        Arrays.fill(pkcs8, (byte) 0);
                        throw e;
                    }
                }
            }
        }
        throw new KeyRecoveryException("the archived key is wrapped to a recovery key this key store does not hold (it holds "
                + recoveryKeys.stream().map(RecoveryKey::keyId).toList() + ")", null);
    }

    private static CMSEnvelopedData parse(byte[] envelopedDataDer) throws KeyRecoveryException {
        try {
            return new CMSEnvelopedData(envelopedDataDer);
        } catch (CMSException | RuntimeException e) {
            throw new KeyRecoveryException("the archived key is not CMS EnvelopedData (RFC 5652 section 6)", e);
        }
    }

    private static byte[] decrypt(RecipientInformation recipient, RecoveryKey key) throws KeyRecoveryException {
        Recipient opener = recipient instanceof KeyAgreeRecipientInformation
                ? new JceKeyAgreeEnvelopedRecipient(key.privateKey()).setProvider(JcaProviders.bouncyCastle())
                : new JceKeyTransEnvelopedRecipient(key.privateKey()).setProvider(JcaProviders.bouncyCastle());
        try {
            return recipient.getContent(opener);
        } catch (CMSException | RuntimeException e) {
            throw new KeyRecoveryException("the archived key wrapped to recovery key " + key.keyId()
                    + " cannot be decrypted: it is damaged or was not wrapped by dirkms", e);
        }
    }

    /** The private key of a PKCS#8 PrivateKeyInfo (RFC 5208), RSA or EC; the caller keeps and clears {@code pkcs8}. */
    private static PrivateKey privateKey(byte[] pkcs8) throws KeyRecoveryException {
        try {
            PrivateKeyInfo info = PrivateKeyInfo.getInstance(pkcs8);
            String algorithm = info.getPrivateKeyAlgorithm().getAlgorithm().equals(X9ObjectIdentifiers.id_ecPublicKey) ? "EC"
                    : info.getPrivateKeyAlgorithm().getAlgorithm().equals(PKCSObjectIdentifiers.rsaEncryption) ? "RSA" : null;
            if (algorithm == null) {
                throw new KeyRecoveryException("the archived key is of an unsupported type "
                        + info.getPrivateKeyAlgorithm().getAlgorithm() + " (RSA and EC are supported)", null);
            }
            // RSA through the JDK, EC through Bouncy Castle: the providers the rest of the agent uses.
            KeyFactory factory = algorithm.equals("EC") ? KeyFactory.getInstance("EC", JcaProviders.bouncyCastle())
                    : KeyFactory.getInstance("RSA");
            return factory.generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new KeyRecoveryException("the archived content is not a PKCS#8 private key", e);
        }
    }

    /** Names the recovery keys, never shows them. */
    @Override
    public String toString() {
        return "KeyRecoverer" + recoveryKeys;
    }
}
