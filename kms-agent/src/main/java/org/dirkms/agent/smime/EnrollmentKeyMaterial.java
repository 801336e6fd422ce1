package org.dirkms.agent.smime;

import java.security.KeyPair;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.dirkms.agent.archive.KeyArchiver;
import org.dirkms.agent.archive.WrappedKey;
import org.dirkms.agent.ca.CertificationAuthority;
import org.dirkms.agent.ca.IssuanceRefusedException;
import org.dirkms.agent.ca.IssuanceRequest;
import org.dirkms.agent.ca.StandardTemplates;
import org.dirkms.agent.keys.KeyPairFactory;
import org.dirkms.schema.ContentEncryptionAlgorithm;
import org.dirkms.schema.KeyAlgorithm;
import org.dirkms.schema.MessageFormat;
import org.dirkms.schema.PackageFormat;

/**
 * Everything cryptographic one enrollment does, and nothing else: no directory access, no
 * state. The encryption key pair is made, certified and wrapped to the recovery certificate; the
 * signing certificate is issued for the user's own PKCS#10 request when there is one (the key
 * then never leaves the client) or for a key pair made here; the S/MIME bundle and the key
 * package (with a fresh one-time token) are built.
 *
 * <p>The agent persists the results in its own order (archive before any publication). A
 * benchmark calls {@link #make} in a plain loop on the agent's threads to measure the
 * cryptographic ceiling of enrollment: the same key generations, signatures and wrapping.
 * Instances are immutable and safe for concurrent use.
 */
public final class EnrollmentKeyMaterial {

    /**
     * An administrative group's encryption configuration.
     *
     * @param keyAlgorithm the algorithm of the keys made for users
     * @param contentEncryption the content-encryption algorithm announced first
     * @param messageFormat the S/MIME version whose algorithms follow
     * @param packageFormat how the key package is protected
     */
    public record Configuration(KeyAlgorithm keyAlgorithm, ContentEncryptionAlgorithm contentEncryption,
            MessageFormat messageFormat, PackageFormat packageFormat) {
        /** Requires every part. */
        public Configuration {
            Objects.requireNonNull(keyAlgorithm, "keyAlgorithm");
            Objects.requireNonNull(contentEncryption, "contentEncryption");
            Objects.requireNonNull(messageFormat, "messageFormat");
            Objects.requireNonNull(packageFormat, "packageFormat");
        }
    }

    /**
     * What one enrollment made. The token is the caller's to store and then clear
     * ({@link #clearToken()}); {@link #toString()} shows neither it nor a key.
     *
     * @param encryptionCertificate the certificate of the new encryption key
     * @param signingCertificate the certificate of the signing key (the client's or the new one)
     * @param archivedKey the encryption private key wrapped to the recovery certificate
     * @param smimeBundle the {@code userSMIMECertificate} value
     * @param keyPackage the PKCS#12 for {@code kmsKeyPackage}: the encryption key, and the
     *        signing key when it was made here
     * @param token the one-time token protecting {@code keyPackage}, for {@code kmsEnrollmentToken}
     * @param signingKeyMadeHere true if the signing key was made here (it is then in the package
     *        and never archived), false if it came from the user's request
     */
    public record Result(X509Certificate encryptionCertificate, X509Certificate signingCertificate, WrappedKey archivedKey,
            byte[] smimeBundle, byte[] keyPackage, char[] token, boolean signingKeyMadeHere) {

        /** Overwrites the token in this result. */
        public void clearToken() {
            Arrays.fill(token, '\0');
        }

        /** Names the certificates by serial; no key, no token. */
        @Override
        public String toString() {
            return "Result[encryption " + encryptionCertificate.getSerialNumber().toString(16) + ", signing "
                    + signingCertificate.getSerialNumber().toString(16) + ", " + archivedKey + "]";
        }
    }

    private final CertificationAuthority ca;
    private final KeyArchiver archiver;
    private final KeyPairFactory keys;
    private final SecureRandom random;

    /** Enrollment issuing with {@code ca}, archiving with {@code archiver}, drawing randomness from {@code random}. */
    public EnrollmentKeyMaterial(CertificationAuthority ca, KeyArchiver archiver, SecureRandom random) {
        this.ca = ca;
        this.archiver = archiver;
        this.keys = new KeyPairFactory(random);
        this.random = random;
    }

    /**
     * Makes one user's keys, certificates, archive, bundle and package.
     *
     * @param subjectDn the user's entry, the subject of both certificates (gpgsm needs one
     *        subject for a user's signing and encryption certificates)
     * @param mail the user's {@code mail} values, at least one
     * @param signingRequest the DER of the user's own PKCS#10 request ({@code kmsSigningRequest}),
     *        or null to make the signing key here
     * @param configuration the group's encryption configuration
     * @throws IssuanceRefusedException if the CA refuses a certificate (an invalid signing request,
     *         no mail address, ...), with a reason fit for {@code kmsLastError}
     */
    public Result make(String subjectDn, List<String> mail, byte[] signingRequest, Configuration configuration)
            throws IssuanceRefusedException {
        KeyPair encryption = keys.generate(configuration.keyAlgorithm());
        X509Certificate encryptionCertificate = ca.issue(IssuanceRequest.forPerson(StandardTemplates.SMIME_ENCRYPTION,
                KeyPairFactory.certificationRequest(encryption), subjectDn, mail));
        KeyPair signing = signingRequest == null ? keys.generate(configuration.keyAlgorithm()) : null;
        X509Certificate signingCertificate = ca.issue(IssuanceRequest.forPerson(StandardTemplates.SMIME_SIGNATURE,
                signing != null ? KeyPairFactory.certificationRequest(signing) : signingRequest, subjectDn, mail));
        WrappedKey archived = archiver.wrap(encryption.getPrivate(), encryptionCertificate);

        List<X509Certificate> chain = ca.chain();
        byte[] bundle = signing != null
                ? SmimeCertificateBundle.build(signingCertificate, signing.getPrivate(), encryptionCertificate, chain,
                        configuration.contentEncryption(), configuration.messageFormat())
                : SmimeCertificateBundle.certificatesOnly(signingCertificate, encryptionCertificate, chain);

        String name = mail.isEmpty() ? subjectDn : mail.get(0);
        List<KeyPackage.Item> items = new ArrayList<>();
        items.add(new KeyPackage.Item(encryption.getPrivate(), withChain(encryptionCertificate, chain), name + " (encryption)"));
        if (signing != null) {
            items.add(new KeyPackage.Item(signing.getPrivate(), withChain(signingCertificate, chain), name + " (signature)"));
        }
        char[] token = OneTimeToken.generate(random);
        byte[] keyPackage = KeyPackage.build(items, token, configuration.packageFormat(), random);
        return new Result(encryptionCertificate, signingCertificate, archived, bundle, keyPackage, token, signing != null);
    }

    private static List<X509Certificate> withChain(X509Certificate certificate, List<X509Certificate> chain) {
        List<X509Certificate> all = new ArrayList<>();
        all.add(certificate);
        all.addAll(chain);
        return all;
    }
}
