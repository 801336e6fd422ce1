package org.dirkms.agent.custody;

import java.security.PrivateKey;
import org.bouncycastle.cms.CMSEnvelopedData;
import org.bouncycastle.cms.CMSException;
import org.bouncycastle.cms.KeyAgreeRecipientInformation;
import org.bouncycastle.cms.KeyTransRecipientInformation;
import org.bouncycastle.cms.Recipient;
import org.bouncycastle.cms.RecipientInformation;
import org.bouncycastle.cms.jcajce.JceKeyAgreeEnvelopedRecipient;
import org.bouncycastle.cms.jcajce.JceKeyTransEnvelopedRecipient;
import org.dirkms.agent.keys.JcaProviders;

/**
 * Opens CMS EnvelopedData (RFC 5652 section 6) sealed to one RSA or EC key, as
 * {@link org.dirkms.agent.archive.CmsEnvelope} seals it or {@code openssl cms -encrypt} does
 * (key transport or ECDH key agreement, RFC 5753): every recipient info of a kind the key can
 * open is tried, so the recipient's name in it (issuer and serial, or key identifier) need not match.
 */
public final class SealedContent {
    private SealedContent() {
    }

    /**
     * The content of {@code envelopedDataDer}, opened with {@code key}; the caller clears it.
     *
     * @throws IllegalArgumentException if it is not EnvelopedData or {@code key} opens none of its recipient infos
     */
    public static byte[] open(byte[] envelopedDataDer, PrivateKey key) {
        CMSEnvelopedData enveloped;
        try {
            enveloped = new CMSEnvelopedData(envelopedDataDer);
        } catch (CMSException | RuntimeException e) {
            throw new IllegalArgumentException("not CMS EnvelopedData (RFC 5652 section 6)");
        }
        boolean ec = key.getAlgorithm().equals("EC") || key.getAlgorithm().equals("ECDH");
        for (RecipientInformation recipient : enveloped.getRecipientInfos().getRecipients()) {
            Recipient opener;
            if (ec && recipient instanceof KeyAgreeRecipientInformation) {
                opener = new JceKeyAgreeEnvelopedRecipient(key).setProvider(JcaProviders.bouncyCastle());
            } else if (!ec && recipient instanceof KeyTransRecipientInformation) {
                opener = new JceKeyTransEnvelopedRecipient(key).setProvider(JcaProviders.bouncyCastle());
            } else {
                continue;
            }
            try {
                return recipient.getContent(opener);
            } catch (CMSException | RuntimeException e) {
                // sealed to another key: try the next recipient info
            }
        }
        throw new IllegalArgumentException("the key does not open it: it is sealed to another key, or damaged");
    }
}
