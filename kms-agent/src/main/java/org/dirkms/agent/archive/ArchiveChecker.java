package org.dirkms.agent.archive;

import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import org.dirkms.agent.keys.KeyPairFactory;

/**
 * Checks that an archived key is recoverable and is the private half of a given certificate's
 * public key: the invariant "every published encryption certificate has its key in the archive"
 * made testable, and the core of the checker command.
 */
public final class ArchiveChecker {

    /** How a check ended. */
    public enum Outcome {
        /** The archive unwraps to the private half of the certificate's key. */
        MATCHES,
        /** The archive unwraps, but to another key than the certificate's. */
        MISMATCH,
        /** The archive cannot be unwrapped with the recovery keys at hand. */
        UNRECOVERABLE
    }

    /**
     * The result of one check.
     *
     * @param outcome how it ended
     * @param message a plain-language sentence naming the certificate and, on failure, why;
     *        never key material
     */
    public record Verdict(Outcome outcome, String message) {
        /** True for {@link Outcome#MATCHES}. */
        public boolean matches() {
            return outcome == Outcome.MATCHES;
        }
    }

    private final KeyRecoverer recoverer;

    /** A checker unwrapping with {@code recoverer}. */
    public ArchiveChecker(KeyRecoverer recoverer) {
        this.recoverer = recoverer;
    }

    /**
     * Unwraps {@code envelopedDataDer} and compares the key with {@code certificate}'s public key.
     * The unwrapped key is dropped at once; only the verdict leaves this method.
     */
    public Verdict check(byte[] envelopedDataDer, X509Certificate certificate) {
        String name = "certificate " + certificate.getSubjectX500Principal().getName() + " serial "
                + certificate.getSerialNumber().toString(16);
        PrivateKey key;
        try {
            key = recoverer.unwrap(envelopedDataDer);
        } catch (KeyRecoveryException e) {
            return new Verdict(Outcome.UNRECOVERABLE, "the archived key of " + name + " cannot be recovered: " + e.getMessage());
        }
        if (KeyPairFactory.matches(key, certificate.getPublicKey())) {
            return new Verdict(Outcome.MATCHES, "the archived key is the private key of " + name);
        }
        return new Verdict(Outcome.MISMATCH, "the archived key is not the private key of " + name
                + ": mail encrypted to that certificate could not be recovered");
    }

    /**
     * The archived key of {@code certificate}: {@code envelopedDataDer} unwrapped and checked to be
     * the private half of the certificate's public key, the check {@link #check} makes, for a
     * caller that hands the key on (a key recovery). The caller drops the key once it is used.
     *
     * @throws KeyRecoveryException saying in plain language, without key material, why the key
     *         cannot be recovered or that it is not the certificate's
     */
    public PrivateKey recover(byte[] envelopedDataDer, X509Certificate certificate) throws KeyRecoveryException {
        PrivateKey key = recoverer.unwrap(envelopedDataDer);
        if (!KeyPairFactory.matches(key, certificate.getPublicKey())) {
            throw new KeyRecoveryException("the archived key is not the private key of certificate "
                    + certificate.getSubjectX500Principal().getName() + " serial "
                    + certificate.getSerialNumber().toString(16), null);
        }
        return key;
    }

    /** As {@link #check(byte[], X509Certificate)} for a {@link WrappedKey}. */
    public Verdict check(WrappedKey wrappedKey, X509Certificate certificate) {
        return check(wrappedKey.envelopedDataDer(), certificate);
    }
}
