package org.dirkms.agent.smime;

import java.io.IOException;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.DERBMPString;
import org.bouncycastle.asn1.oiw.OIWObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PKCS12PBEParams;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x509.SubjectKeyIdentifier;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.OutputEncryptor;
import org.bouncycastle.pkcs.PKCS12MacCalculatorBuilder;
import org.bouncycastle.pkcs.PKCS12PfxPduBuilder;
import org.bouncycastle.pkcs.PKCS12SafeBag;
import org.bouncycastle.pkcs.PKCSException;
import org.bouncycastle.pkcs.jcajce.JcaPKCS12SafeBagBuilder;
import org.bouncycastle.pkcs.jcajce.JcePKCS12MacCalculatorBuilder;
import org.bouncycastle.pkcs.jcajce.JcePKCSPBEOutputEncryptorBuilder;
import org.dirkms.agent.archive.CmsEnvelope;
import org.dirkms.agent.keys.JcaProviders;
import org.dirkms.agent.keys.KeyPairFactory;
import org.dirkms.schema.PackageFormat;

/**
 * Builds the key package a user fetches: a PKCS#12 PFX (RFC 7292) of their new private keys,
 * each with its certificate and the CA chain, protected by a one-time token ({@link #build}), or
 * sealed to a delivery key the user's client made ({@link #sealed}).
 *
 * <p>{@link PackageFormat#PBES2_AES_256} (the default) is what OpenSSL 3 writes: keys and
 * certificates encrypted with PBES2, PBKDF2 with HMAC-SHA-256 and AES-256-CBC (RFC 8018
 * sections 6.2 and 5.2; RFC 9579), integrity from an HMAC-SHA-256 MAC (RFC 7292 appendix B).
 * {@link PackageFormat#LEGACY_PBE_SHA1_3DES} is for clients such as gpgsm 2.2 that cannot open
 * PBES2: pbeWithSHAAnd3-KeyTripleDES-CBC for keys and certificates (RFC 7292 appendix C) and
 * an HMAC-SHA-1 MAC. Triple DES rather than the traditional 40-bit RC2 for the certificates:
 * every client that reads the legacy format reads it, and OpenSSL 3 opens it without its
 * legacy provider.
 *
 * <p>Each key and its certificate share a localKeyId (the SHA-1 key identifier of the public
 * key, RFC 5280 section 4.2.1.2 method 1) and a friendlyName (RFC 2985 section 5.5.1), so
 * clients pair them and show the name. CA certificates shared by several items appear once.
 */
public final class KeyPackage {
    /** PBKDF2 and MAC iterations, OpenSSL 3's default: the token's 120 bits make more pointless. */
    static final int ITERATIONS = 2048;

    /**
     * One private key for the package.
     *
     * @param privateKey the key
     * @param chain its certificate first, then the CA chain up to the root
     * @param friendlyName what clients show, e.g. "Alice Example (encryption)"
     */
    public record Item(PrivateKey privateKey, List<X509Certificate> chain, String friendlyName) {
        /**
         * Checks that there is a certificate and that it is the key's.
         *
         * @throws IllegalArgumentException if the chain is empty or does not start with the key's certificate
         */
        public Item {
            Objects.requireNonNull(privateKey, "privateKey");
            Objects.requireNonNull(friendlyName, "friendlyName");
            chain = List.copyOf(chain);
            if (chain.isEmpty()) {
                throw new IllegalArgumentException("the key package item '" + friendlyName + "' has no certificate");
            }
            if (!KeyPairFactory.matches(privateKey, chain.get(0).getPublicKey())) {
                throw new IllegalArgumentException("the key package item '" + friendlyName
                        + "': the first certificate of the chain is not the private key's");
            }
        }

        /** Names the item, never shows the key. */
        @Override
        public String toString() {
            return "Item[" + friendlyName + ", " + chain.get(0).getSubjectX500Principal().getName() + "]";
        }
    }

    private KeyPackage() {
    }

    /**
     * How {@code items} are spread over the values of a package attribute: all of them in one
     * PKCS#12, or, in {@link PackageFormat#LEGACY_PBE_SHA1_3DES}, one PKCS#12 per key, in the
     * order given. That format is for gpgsm 2.2, which imports a PKCS#12 only when it holds one
     * key (docs/interoperability.md, "Key packages").
     */
    public static List<List<Item>> perValue(List<Item> items, PackageFormat format) {
        if (items.isEmpty()) {
            throw new IllegalArgumentException("a key package needs at least one key");
        }
        return format == PackageFormat.LEGACY_PBE_SHA1_3DES ? items.stream().map(List::of).toList() : List.of(items);
    }

    /**
     * The values of a package attribute holding {@code items} ({@link #perValue}), each built by
     * {@link #build(List, char[], PackageFormat, SecureRandom)} with the one {@code token}.
     */
    public static List<byte[]> buildValues(List<Item> items, char[] token, PackageFormat format, SecureRandom random) {
        List<byte[]> values = new ArrayList<>();
        for (List<Item> value : perValue(items, format)) {
            values.add(build(value, token, format, random));
        }
        return values;
    }

    /**
     * The values of a package attribute holding {@code items} ({@link #perValue}), each sealed by
     * {@link #sealed} to {@code deliveryKey}.
     */
    public static List<byte[]> sealedValues(List<Item> items, PackageFormat format, DeliveryKey deliveryKey,
            SecureRandom random) {
        List<byte[]> values = new ArrayList<>();
        for (List<Item> value : perValue(items, format)) {
            values.add(sealed(value, format, deliveryKey, random));
        }
        return values;
    }

    /**
     * The DER of a PKCS#12 PFX holding {@code items}, protected by {@code token} in {@code format}.
     * Salts come from a fresh {@link SecureRandom}; use {@link #build(List, char[], PackageFormat, SecureRandom)}
     * to inject one.
     *
     * @throws IllegalArgumentException if there is no item or the token is empty
     */
    public static byte[] build(List<Item> items, char[] token, PackageFormat format) {
        return build(items, token, format, new SecureRandom());
    }

    /**
     * As {@link #build(List, char[], PackageFormat)}, drawing salts and IVs from {@code random}.
     *
     * @throws IllegalArgumentException if there is no item or the token is empty
     */
    public static byte[] build(List<Item> items, char[] token, PackageFormat format, SecureRandom random) {
        if (token.length == 0) {
            throw new IllegalArgumentException("a key package needs a non-empty token");
        }
        return pfx(items, token, format, random);
    }

    /**
     * The key package sealed to the user's own {@code deliveryKey}: the DER of a CMS ContentInfo
     * holding EnvelopedData (RFC 5652 section 6, built by {@link CmsEnvelope}: RSAES-OAEP for an
     * RSA key, ephemeral-static ECDH with AES key wrap for an EC key) whose content is the PKCS#12
     * of {@code items} in {@code format} with an empty password. The envelope is the protection:
     * only the holder of the delivery key's private half opens it, and no token exists
     * (docs/security.md, "Key delivery"). The user runs {@code openssl cms -decrypt -inform DER
     * -inkey delivery.key}, then {@code openssl pkcs12 -passin pass:}.
     *
     * @throws IllegalArgumentException if there is no item
     */
    public static byte[] sealed(List<Item> items, PackageFormat format, DeliveryKey deliveryKey, SecureRandom random) {
        // An empty password: the JDK and Bouncy Castle derive the keys of the PKCS#12 MAC and of
        // the legacy 3DES bags from no bytes at all (not the two zero bytes RFC 7292 appendix B.1
        // gives an empty BMPString), and PBKDF2 from no bytes: what OpenSSL tries first for
        // "-passin pass:", so both package formats open (KeyPackageInteropTest).
        byte[] pkcs12 = pfx(items, new char[0], format, random);
        try {
            return CmsEnvelope.toKey(deliveryKey.publicKey(), random).seal(pkcs12);
        } finally {
            Arrays.fill(pkcs12, (byte) 0);
        }
    }

    private static byte[] pfx(List<Item> items, char[] token, PackageFormat format, SecureRandom random) {
        if (items.isEmpty()) {
            throw new IllegalArgumentException("a key package needs at least one key");
        }
        try {
            JcaX509ExtensionUtils extensionUtils = new JcaX509ExtensionUtils();
            List<PKCS12SafeBag> certificateBags = new ArrayList<>();
            List<PKCS12SafeBag> keyBags = new ArrayList<>();
            Map<String, X509Certificate> caCertificates = new LinkedHashMap<>();
            for (Item item : items) {
                X509Certificate certificate = item.chain().get(0);
                SubjectKeyIdentifier localKeyId = extensionUtils.createSubjectKeyIdentifier(certificate.getPublicKey());
                DERBMPString friendlyName = new DERBMPString(item.friendlyName());
                certificateBags.add(new JcaPKCS12SafeBagBuilder(certificate)
                        .addBagAttribute(PKCSObjectIdentifiers.pkcs_9_at_friendlyName, friendlyName)
                        .addBagAttribute(PKCSObjectIdentifiers.pkcs_9_at_localKeyId, localKeyId).build());
                keyBags.add(new JcaPKCS12SafeBagBuilder(item.privateKey(), encryptor(format, token, random))
                        .addBagAttribute(PKCSObjectIdentifiers.pkcs_9_at_friendlyName, friendlyName)
                        .addBagAttribute(PKCSObjectIdentifiers.pkcs_9_at_localKeyId, localKeyId).build());
                for (X509Certificate ca : item.chain().subList(1, item.chain().size())) {
                    caCertificates.putIfAbsent(ca.getSubjectX500Principal().getName() + "#" + ca.getSerialNumber(), ca);
                }
            }
            for (X509Certificate ca : caCertificates.values()) {
                certificateBags.add(new JcaPKCS12SafeBagBuilder(ca).build());
            }
            PKCS12PfxPduBuilder pfx = new PKCS12PfxPduBuilder();
            // The layout OpenSSL writes: certificates in an encrypted SafeContents, the shrouded
            // keys in a plain one (they are encrypted bag by bag already).
            pfx.addEncryptedData(encryptor(format, token, random), certificateBags.toArray(new PKCS12SafeBag[0]));
            for (PKCS12SafeBag keyBag : keyBags) {
                pfx.addData(keyBag);
            }
            return pfx.build(mac(format, random), token).getEncoded(ASN1Encoding.DER);
        } catch (NoSuchAlgorithmException | IOException | PKCSException | OperatorCreationException e) {
            throw new IllegalStateException("cannot build a " + format.ldapValue() + " key package: "
                    + e.getClass().getSimpleName(), e);
        }
    }

    private static OutputEncryptor encryptor(PackageFormat format, char[] token, SecureRandom random)
            throws OperatorCreationException {
        return switch (format) {
            case PBES2_AES_256 -> JdkPasswordProtection.pbes2Aes256(token, ITERATIONS, random);
            case LEGACY_PBE_SHA1_3DES -> legacyEncryptor(token, random);
        };
    }

    /**
     * A pbeWithSHAAnd3-KeyTripleDES-CBC encryptor whose salt gpgsm 2.2 derives the right key
     * from ({@link GpgsmPkcs12Salt}): the legacy format exists for gpgsm 2.2, and about one salt
     * in 128 would make it refuse the package. Redrawing costs nothing in strength: the salt stays
     * uniform over the remaining salts.
     */
    private static OutputEncryptor legacyEncryptor(char[] token, SecureRandom random) throws OperatorCreationException {
        JcePKCSPBEOutputEncryptorBuilder builder = new JcePKCSPBEOutputEncryptorBuilder(
                PKCSObjectIdentifiers.pbeWithSHAAnd3_KeyTripleDES_CBC).setProvider(JcaProviders.bouncyCastle())
                .setIterationCount(ITERATIONS).setRandom(random);
        while (true) {
            OutputEncryptor encryptor = builder.build(token);
            PKCS12PBEParams parameters = PKCS12PBEParams.getInstance(encryptor.getAlgorithmIdentifier().getParameters());
            if (!GpgsmPkcs12Salt.derivesWrongKey(parameters.getIV(), parameters.getIterations().intValue(), token)) {
                return encryptor;
            }
        }
    }

    private static PKCS12MacCalculatorBuilder mac(PackageFormat format, SecureRandom random) {
        return switch (format) {
            case PBES2_AES_256 -> JdkPasswordProtection.hmacSha256Mac(ITERATIONS, random);
            case LEGACY_PBE_SHA1_3DES -> new JcePKCS12MacCalculatorBuilder(OIWObjectIdentifiers.idSHA1)
                    .setProvider(JcaProviders.bouncyCastle()).setIterationCount(ITERATIONS);
        };
    }
}
