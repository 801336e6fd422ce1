/**
 * What a user receives and what mail clients read: the key package (PKCS#12, RFC 7292) of a
 * user's new private keys protected by a one-time token ({@link org.dirkms.agent.smime.KeyPackage},
 * {@link org.dirkms.agent.smime.OneTimeToken}) or sealed to a key the user's client made
 * ({@link org.dirkms.agent.smime.DeliveryKey}), and the {@code userSMIMECertificate} value, a
 * CMS SignedData carrying both certificates and the S/MIME capabilities of the user's
 * administrative group ({@link org.dirkms.agent.smime.SmimeCertificateBundle}).
 *
 * <p>May depend on the JDK, Bouncy Castle, {@code org.dirkms.schema} and
 * {@code org.dirkms.agent.keys}, {@code org.dirkms.agent.archive} (the one EnvelopedData builder,
 * for sealed packages) and {@code org.dirkms.agent.ca} (the PKCS#10 parser that checks a delivery
 * key's self-signature). It knows no directory. No message, log line or
 * {@code toString()} of this package contains a private key or a token.
 */
package org.dirkms.agent.smime;
