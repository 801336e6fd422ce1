/**
 * What a user receives and what mail clients read: the key package (PKCS#12, RFC 7292) of a
 * user's new private keys protected by a one-time token ({@link org.dirkms.agent.smime.KeyPackage},
 * {@link org.dirkms.agent.smime.OneTimeToken}) or sealed to a key the user's client made
 * ({@link org.dirkms.agent.smime.DeliveryKey}), and the {@code userSMIMECertificate} value, a
 * CMS SignedData carrying both certificates and the S/MIME capabilities of the user's
 * administrative group ({@link org.dirkms.agent.smime.SmimeCertificateBundle}); and the mail
 * itself: signing, encrypting, decrypting and verifying whole messages
 * ({@link org.dirkms.agent.smime.SecureMail}, RFC 8551) with the keys opened from the key packages
 * ({@link org.dirkms.agent.smime.MailKeys}), the recipient's encryption certificate chosen by key
 * usage ({@link org.dirkms.agent.smime.RecipientCertificates}) and a certificate's path and
 * revocation checked against given anchors and CRLs ({@link org.dirkms.agent.smime.CertificateCheck}).
 *
 * <p>May depend on the JDK, Bouncy Castle (its S/MIME layer bcjmail included), Jakarta Mail
 * (for MIME), {@code org.dirkms.schema} and
 * {@code org.dirkms.agent.keys}, {@code org.dirkms.agent.archive} (the one EnvelopedData builder,
 * for sealed packages) and {@code org.dirkms.agent.ca} (the PKCS#10 parser that checks a delivery
 * key's self-signature). It knows no directory. No message, log line or
 * {@code toString()} of this package contains a private key or a token.
 */
package org.dirkms.agent.smime;
