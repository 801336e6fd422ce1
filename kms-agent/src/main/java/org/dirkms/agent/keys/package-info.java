/**
 * Key material of the KMS: generation of user key pairs per
 * {@link org.dirkms.schema.KeyAlgorithm}, proof-of-possession requests for the CA, the check
 * that a private key is the other half of a public key, and the key recovery agent's key
 * store ({@link org.dirkms.agent.keys.RecoveryKeyStore}).
 *
 * <p>Provider choice is decided here once: Bouncy Castle for EC (about six times the JDK 17's
 * speed), the JDK for RSA key generation (about 1.5 times Bouncy Castle's). The Bouncy Castle
 * provider is a single instance that is never registered globally.
 *
 * <p>May depend on the JDK, Bouncy Castle and {@code org.dirkms.schema} only. The recovery
 * certificate comes from whoever the caller names as the
 * {@link org.dirkms.agent.keys.RecoveryCertifier} (the KMS's CA), so this package never depends
 * on the CA's code. It knows no directory and must not depend on {@code ca}, {@code archive},
 * {@code smime} or {@code enroll}. No message, log line or
 * {@code toString()} of this package contains key material or a passphrase.
 */
package org.dirkms.agent.keys;
