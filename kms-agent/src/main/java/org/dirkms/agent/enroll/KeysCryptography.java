package org.dirkms.agent.enroll;

import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.dirkms.agent.archive.KeyArchiver;
import org.dirkms.agent.archive.WrappedKey;
import org.dirkms.agent.keys.KeyPairFactory;
import org.dirkms.agent.smime.DeliveryKey;
import org.dirkms.agent.smime.KeyPackage;
import org.dirkms.agent.smime.OneTimeToken;
import org.dirkms.agent.smime.SmimeCertificateBundle;
import org.dirkms.schema.ContentEncryptionAlgorithm;
import org.dirkms.schema.KeyAlgorithm;
import org.dirkms.schema.MessageFormat;
import org.dirkms.schema.PackageFormat;

/** {@link EnrollmentCryptography} with the project's key, archive and S/MIME packages. */
final class KeysCryptography implements EnrollmentCryptography {
    private final KeyPairFactory keys;
    private final Supplier<X509Certificate> recoveryCertificate;
    private final SecureRandom random;
    /** The archiver of the last recovery certificate archived to: one per certificate, not per archive. */
    private volatile KeyArchiver archiver;

    /** Archives to {@code recoveryCertificate} always. */
    KeysCryptography(X509Certificate recoveryCertificate, SecureRandom random) {
        this(() -> recoveryCertificate, random);
    }

    /** Archives to whatever {@code recoveryCertificate} says is current at each archive. */
    KeysCryptography(Supplier<X509Certificate> recoveryCertificate, SecureRandom random) {
        this.keys = new KeyPairFactory(random);
        this.recoveryCertificate = recoveryCertificate;
        this.random = random;
    }

    @Override
    public KeyPair newKeyPair(KeyAlgorithm algorithm) {
        return keys.generate(algorithm);
    }

    @Override
    public byte[] certificationRequest(KeyPair pair) {
        return KeyPairFactory.certificationRequest(pair);
    }

    @Override
    public Wrapped wrap(PrivateKey key, X509Certificate certificate) {
        X509Certificate current = recoveryCertificate.get();
        KeyArchiver known = archiver;
        if (known == null || !known.recoveryCertificate().equals(current)) {
            known = new KeyArchiver(current, random);
            archiver = known;
        }
        WrappedKey wrapped = known.wrap(key, certificate);
        return new Wrapped(wrapped.envelopedDataDer(), wrapped.wrappingAlgorithm(), wrapped.wrappingKeyId());
    }

    @Override
    public char[] newToken() {
        return OneTimeToken.generate(random);
    }

    @Override
    public List<byte[]> keyPackage(List<PackageItem> items, char[] token, PackageFormat format) {
        return KeyPackage.buildValues(packageItems(items), token, format, random);
    }

    private static List<KeyPackage.Item> packageItems(List<PackageItem> items) {
        List<KeyPackage.Item> packageItems = new ArrayList<>();
        for (PackageItem item : items) {
            packageItems.add(new KeyPackage.Item(item.key(), item.chain(), item.friendlyName()));
        }
        return packageItems;
    }

    @Override
    public void checkDeliveryKey(byte[] deliveryKey) {
        DeliveryKey.fromCertificationRequest(deliveryKey);
    }

    @Override
    public List<byte[]> sealedKeyPackage(List<PackageItem> items, byte[] deliveryKey, PackageFormat format) {
        return KeyPackage.sealedValues(packageItems(items), format, DeliveryKey.fromCertificationRequest(deliveryKey),
                random);
    }

    @Override
    public byte[] smimeBundle(X509Certificate signing, PrivateKey signingKeyOrNull, X509Certificate encryption,
            List<X509Certificate> chain, ContentEncryptionAlgorithm contentEncryption, MessageFormat format) {
        if (signingKeyOrNull != null) {
            return SmimeCertificateBundle.build(signing, signingKeyOrNull, encryption, chain, contentEncryption, format);
        }
        // The user's client holds the signing key, so nobody here can sign the attributes: a
        // certificates-only SignedData (RFC 8551 section 3.8) still gives clients both certificates.
        return SmimeCertificateBundle.certificatesOnly(signing, encryption, chain);
    }
}
