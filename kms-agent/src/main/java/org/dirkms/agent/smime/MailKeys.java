package org.dirkms.agent.smime;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import org.bouncycastle.pkcs.PKCS12PfxPdu;

/**
 * The private keys of one mail user, opened from the key packages dirkms delivered (PKCS#12,
 * RFC 7292; docs/interoperability.md, "Key packages") with their one-time token: one PFX holding
 * both keys, or, in the legacy format, one PFX per key. The signing key is the one whose
 * certificate allows digitalSignature or nonRepudiation, the encryption key the one whose
 * certificate allows keyEncipherment (RSA) or keyAgreement (EC) (RFC 8550 section 4.4.2); a
 * single-key user's one key serves for both.
 *
 * <p>{@link #toString()} names the certificates only; no message of this class holds a key or the token.
 */
public final class MailKeys {

    /**
     * One private key and its certificate chain.
     *
     * @param privateKey the key
     * @param chain its certificate first, then the CA certificates the package holds
     */
    public record Key(PrivateKey privateKey, List<X509Certificate> chain) {
        /** Checks there is a certificate. */
        public Key {
            Objects.requireNonNull(privateKey, "privateKey");
            chain = List.copyOf(chain);
            if (chain.isEmpty()) {
                throw new IllegalArgumentException("a mail key needs its certificate");
            }
        }

        /** The key's certificate. */
        public X509Certificate certificate() {
            return chain.get(0);
        }

        /** Names the certificate, never shows the key. */
        @Override
        public String toString() {
            return "Key[" + certificate().getSubjectX500Principal().getName() + ", serial "
                    + certificate().getSerialNumber().toString(16) + "]";
        }
    }

    private final List<Key> keys;

    private MailKeys(List<Key> keys) {
        this.keys = List.copyOf(keys);
    }

    /** Keys given as they are (tests, and callers that hold the keys already). */
    public static MailKeys of(List<Key> keys) {
        if (keys.isEmpty()) {
            throw new IllegalArgumentException("no key");
        }
        return new MailKeys(keys);
    }

    /**
     * Opens {@code packages} (the DER of each PKCS#12, or its base64 as {@code ldapsearch} shows
     * it) with {@code token}.
     *
     * @throws SecureMailException when a package is not a PKCS#12 or the token does not open it
     *         (the message numbers the package from 1), or when the packages hold no key
     */
    public static MailKeys open(List<byte[]> packages, char[] token) throws SecureMailException {
        List<Key> keys = new ArrayList<>();
        for (int i = 0; i < packages.size(); i++) {
            byte[] der = der(packages.get(i));
            String which = "key package " + (i + 1);
            try {
                new PKCS12PfxPdu(der);
            } catch (IOException | RuntimeException e) {
                throw new SecureMailException(which + " is not a PKCS#12 file (RFC 7292)");
            }
            KeyStore store;
            try {
                store = KeyStore.getInstance("PKCS12");
                store.load(new ByteArrayInputStream(der), token);
            } catch (IOException e) {
                throw new SecureMailException("the token does not open " + which
                        + ": give the token that came with this package");
            } catch (GeneralSecurityException e) {
                throw new SecureMailException("cannot read " + which + ": " + e.getClass().getSimpleName());
            }
            try {
                for (String alias : Collections.list(store.aliases())) {
                    if (!store.isKeyEntry(alias)) {
                        continue;
                    }
                    java.security.Key key = store.getKey(alias, token);
                    Certificate[] chain = store.getCertificateChain(alias);
                    if (!(key instanceof PrivateKey privateKey) || chain == null || chain.length == 0) {
                        continue;
                    }
                    List<X509Certificate> certificates = new ArrayList<>();
                    for (Certificate certificate : chain) {
                        certificates.add((X509Certificate) certificate);
                    }
                    keys.add(new Key(privateKey, certificates));
                }
            } catch (GeneralSecurityException e) {
                throw new SecureMailException("the token does not open the key in " + which);
            }
        }
        if (keys.isEmpty()) {
            throw new SecureMailException("the key package" + (packages.size() == 1 ? " holds" : "s hold")
                    + " no private key");
        }
        return new MailKeys(keys);
    }

    /** A package as DER: as given when it starts with a SEQUENCE, else decoded from base64. */
    private static byte[] der(byte[] file) {
        if (file.length > 0 && file[0] == 0x30) {
            return file;
        }
        try {
            return java.util.Base64.getMimeDecoder().decode(file);
        } catch (IllegalArgumentException e) {
            return file;
        }
    }

    /** Every key, in package order. */
    public List<Key> keys() {
        return keys;
    }

    /**
     * The key to sign with: a dedicated signing key (its certificate signs and does not encrypt)
     * when there is one, else a key whose certificate signs.
     *
     * @throws SecureMailException when no certificate allows signing
     */
    public Key signing() throws SecureMailException {
        return pick(true).orElseThrow(() -> new SecureMailException(
                "the key packages hold no signing key (no certificate with digitalSignature)"));
    }

    /**
     * The key others encrypt to: a dedicated encryption key when there is one, else a key whose
     * certificate encrypts.
     *
     * @throws SecureMailException when no certificate allows keyEncipherment or keyAgreement
     */
    public Key encryption() throws SecureMailException {
        return pick(false).orElseThrow(() -> new SecureMailException(
                "the key packages hold no encryption key (no certificate with keyEncipherment or keyAgreement)"));
    }

    private Optional<Key> pick(boolean signing) {
        Optional<Key> dedicated = keys.stream().filter(key -> signing
                ? KeyUsages.signs(key.certificate()) && !KeyUsages.encrypts(key.certificate())
                : KeyUsages.encrypts(key.certificate()) && !KeyUsages.signs(key.certificate())).findFirst();
        if (dedicated.isPresent()) {
            return dedicated;
        }
        return keys.stream().filter(key -> signing ? KeyUsages.signs(key.certificate())
                : KeyUsages.encrypts(key.certificate())).findFirst();
    }

    /**
     * The owner's mail address: the first rfc822Name of the signing certificate's subject
     * alternative names (RFC 8550 section 3), else of any key's certificate.
     */
    public Optional<String> address() {
        List<X509Certificate> order = new ArrayList<>();
        try {
            order.add(signing().certificate());
        } catch (SecureMailException e) {
            // no signing key: the other certificates still name the owner
        }
        keys.forEach(key -> order.add(key.certificate()));
        for (X509Certificate certificate : order) {
            List<String> addresses = addresses(certificate);
            if (!addresses.isEmpty()) {
                return Optional.of(addresses.get(0));
            }
        }
        return Optional.empty();
    }

    /** The rfc822Name values of {@code certificate}'s subject alternative names, in lower case. */
    public static List<String> addresses(X509Certificate certificate) {
        List<String> addresses = new ArrayList<>();
        try {
            Collection<List<?>> names = certificate.getSubjectAlternativeNames();
            if (names != null) {
                for (List<?> name : names) {
                    // GeneralName rfc822Name is [1] (RFC 5280 section 4.2.1.6)
                    if (Integer.valueOf(1).equals(name.get(0))) {
                        addresses.add(name.get(1).toString().toLowerCase(Locale.ROOT));
                    }
                }
            }
        } catch (CertificateParsingException e) {
            return addresses;
        }
        return addresses;
    }

    /** Names the certificates, never shows a key. */
    @Override
    public String toString() {
        return "MailKeys" + keys;
    }
}
