package org.dirkms.agent.archive;

import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.List;
import java.util.function.UnaryOperator;
import org.dirkms.agent.keys.RecoveryKey;

/**
 * Re-wraps archived keys to a new recovery key: what {@code dirkms archive rewrap} does to each
 * record after {@code dirkms archive rekey}. The archived content — the PKCS#8 PrivateKeyInfo
 * exactly as it was wrapped — is unwrapped with whichever recovery key it is wrapped to
 * ({@link KeyRecoverer}), sealed as new CMS EnvelopedData to the target key's certificate
 * ({@link CmsEnvelope}, as {@link KeyArchiver} seals), and the new envelope is unwrapped again
 * with the target's private key and compared, byte for byte, with the content before: only a
 * wrap that gives back exactly the key it replaces leaves this class, so a record is never
 * replaced by one that does not recover. Instances are immutable and safe for concurrent use;
 * no message contains key material, and every copy of a key's bytes is cleared after use.
 */
public final class KeyRewrapper {
    private final KeyRecoverer recoverer;
    private final RecoveryKey target;
    private final KeyRecoverer targetOnly;
    private final String algorithm;
    private final UnaryOperator<byte[]> seal;

    /**
     * A rewrapper unwrapping with {@code recoverer}'s keys and wrapping to {@code target}.
     *
     * @throws IllegalArgumentException if the target's key is neither RSA nor EC
     */
    public KeyRewrapper(KeyRecoverer recoverer, RecoveryKey target, SecureRandom random) {
        this(recoverer, target, CmsEnvelope.toCertificate(target.certificate(), random));
    }

    private KeyRewrapper(KeyRecoverer recoverer, RecoveryKey target, CmsEnvelope envelope) {
        this(recoverer, target, envelope.algorithm(), envelope::seal);
    }

    /** With {@code seal} in place of the envelope: for tests that show a faulty wrap is caught. */
    KeyRewrapper(KeyRecoverer recoverer, RecoveryKey target, String algorithm, UnaryOperator<byte[]> seal) {
        this.recoverer = recoverer;
        this.target = target;
        this.targetOnly = new KeyRecoverer(List.of(target));
        this.algorithm = algorithm;
        this.seal = seal;
    }

    /** The recovery key archived keys are re-wrapped to. */
    public RecoveryKey target() {
        return target;
    }

    /**
     * Whether {@code envelopedDataDer} is wrapped to the target key already (judged by its
     * recipient identifier, RFC 5652 section 6.2, without decrypting).
     *
     * @throws KeyRecoveryException if it is not CMS EnvelopedData
     */
    public boolean wrapsToTarget(byte[] envelopedDataDer) throws KeyRecoveryException {
        return targetOnly.recipient(envelopedDataDer).isPresent();
    }

    /**
     * The key archived in {@code envelopedDataDer}, wrapped to the target key, checked to unwrap
     * with the target's private key to exactly the content it had before.
     *
     * @throws KeyRecoveryException if the archive cannot be unwrapped with the recoverer's keys,
     *         or the new wrap does not give the same key back (nothing may then replace the old one)
     */
    public WrappedKey rewrap(byte[] envelopedDataDer) throws KeyRecoveryException {
        byte[] before = recoverer.unwrapPkcs8(envelopedDataDer);
        byte[] after = null;
        try {
            byte[] sealed;
            try {
                sealed = seal.apply(before);
            } catch (IllegalStateException e) {
                throw new KeyRecoveryException("the key cannot be wrapped to recovery key " + target.keyId() + ": "
                        + e.getMessage(), e);
            }
            try {
                after = targetOnly.unwrapPkcs8(sealed);
            } catch (KeyRecoveryException e) {
                throw new KeyRecoveryException("the new wrap to recovery key " + target.keyId()
                        + " does not unwrap with that key (" + e.getMessage() + "); the record keeps its old wrap", e);
            }
            if (!MessageDigest.isEqual(before, after)) {
                throw new KeyRecoveryException("the new wrap to recovery key " + target.keyId()
                        + " unwraps to another key than the archived one; the record keeps its old wrap", null);
            }
            return new WrappedKey(sealed, algorithm, target.keyId());
        } finally {
            Arrays.fill(before, (byte) 0);
            if (after != null) {
                Arrays.fill(after, (byte) 0);
            }
        }
    }

    /** Names the target key, nothing else. */
    @Override
    public String toString() {
        return "KeyRewrapper[" + algorithm + " to " + target.keyId() + "]";
    }
}
