package org.dirkms.agent.fuzz;

import java.io.IOException;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.RSAKeyGenParameterSpec;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.DERSequence;
import org.bouncycastle.asn1.DERTaggedObject;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.RFC4519Style;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.CRLNumber;
import org.bouncycastle.asn1.x509.CRLReason;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.ExtensionsGenerator;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.X509v1CertificateBuilder;
import org.bouncycastle.cert.X509v2CRLBuilder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.cms.CMSSignedDataGenerator;
import org.bouncycastle.cms.CMSAbsentContent;
import org.bouncycastle.cms.jcajce.JcaSignerInfoGeneratorBuilder;
import org.bouncycastle.cert.jcajce.JcaCertStore;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.dirkms.agent.archive.KeyArchiver;
import org.dirkms.agent.keys.JcaProviders;

/**
 * Valid DER seeds for the {@link DerMutator}, made in test set-up with Bouncy Castle from keys
 * generated here (CONVENTIONS.md: no checked-in key material): a CA certificate, end-entity
 * certificates (EC, RSA, version 1), CRLs, PKCS#10 requests, CMS SignedData (an S/MIME
 * certificate bundle and a certs-only one), CMS EnvelopedData of a private key (what
 * {@code kmsWrappedKey} holds) to an RSA and to an EC recovery certificate, and an RFC 4523
 * CertificatePair.
 *
 * <p>Deterministic: keys and every signature and encryption draw from one seeded SHA1PRNG,
 * ECDSA signatures are deterministic (RFC 6979), dates are fixed, so a run makes the same seeds
 * every time and a fuzz case is replayed exactly from its seed and index.
 */
public final class DerSeeds {
    /** The CA's subject, also the DN of its directory entry. */
    public static final String CA_DN = "cn=Fuzz Root CA,ou=Certification Authorities,ou=KMS,dc=example,dc=com";
    /** The end-entity subject. */
    public static final String USER_DN = "uid=fuzzer,ou=People,dc=example,dc=com";
    /** The end-entity mail address. */
    public static final String USER_MAIL = "fuzzer@example.com";

    private static final Instant NOT_BEFORE = Instant.parse("2026-01-01T00:00:00Z");
    private static final Instant NOT_AFTER = Instant.parse("2036-01-01T00:00:00Z");
    private static DerSeeds instance;

    private final SecureRandom random;
    /** The CA key (EC P-256). */
    public final KeyPair caKeys;
    /** The end-entity EC key (P-256). */
    public final KeyPair userKeys;
    /** An RSA-2048 key: an end entity's and the RSA recovery key. */
    public final KeyPair rsaKeys;
    /** The EC recovery key (P-256). */
    public final KeyPair recoveryKeys;

    // The seeds, DER: see the class comment. Callers must not change the arrays.
    public final byte[] caCertificate;
    public final byte[] userCertificate;
    public final byte[] rsaCertificate;
    public final byte[] v1Certificate;
    public final byte[] recoveryCertificate;
    public final byte[] crl;
    public final byte[] emptyCrl;
    public final byte[] pkcs10;
    public final byte[] pkcs10Rsa;
    public final byte[] pkcs10NoSubject;
    public final byte[] smimeBundle;
    public final byte[] certsOnlyBundle;
    public final byte[] envelopedToRsa;
    public final byte[] envelopedToEc;
    public final byte[] certificatePair;

    /** The seeds of this JVM, made once (an RSA key takes a moment). */
    public static synchronized DerSeeds get() {
        if (instance == null) {
            instance = new DerSeeds();
        }
        return instance;
    }

    private DerSeeds() {
        try {
            random = SecureRandom.getInstance("SHA1PRNG");
            random.setSeed(FuzzSettings.DEFAULT_SEED);
            caKeys = ec();
            userKeys = ec();
            recoveryKeys = ec();
            KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
            rsa.initialize(new RSAKeyGenParameterSpec(2048, RSAKeyGenParameterSpec.F4), random);
            rsaKeys = rsa.generateKeyPair();

            X500Name ca = name(CA_DN);
            JcaX509ExtensionUtils extensions = new JcaX509ExtensionUtils();
            caCertificate = new JcaX509v3CertificateBuilder(ca, BigInteger.valueOf(1), Date.from(NOT_BEFORE),
                    Date.from(NOT_AFTER), ca, caKeys.getPublic())
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
                    .addExtension(Extension.subjectKeyIdentifier, false,
                            extensions.createSubjectKeyIdentifier(caKeys.getPublic()))
                    .build(signer(caKeys)).getEncoded();
            userCertificate = endEntity(userKeys, 2, KeyUsage.digitalSignature | KeyUsage.keyAgreement);
            rsaCertificate = endEntity(rsaKeys, 3, KeyUsage.keyEncipherment | KeyUsage.digitalSignature);
            recoveryCertificate = endEntity(recoveryKeys, 4, KeyUsage.keyAgreement);
            v1Certificate = new X509v1CertificateBuilder(ca, BigInteger.valueOf(5), Date.from(NOT_BEFORE),
                    Date.from(NOT_AFTER), name(USER_DN), org.bouncycastle.asn1.x509.SubjectPublicKeyInfo.getInstance(
                            userKeys.getPublic().getEncoded())).build(signer(caKeys)).getEncoded();

            X509v2CRLBuilder revoked = new X509v2CRLBuilder(ca, Date.from(NOT_BEFORE.plusSeconds(3600)));
            revoked.setNextUpdate(Date.from(NOT_BEFORE.plusSeconds(8 * 86400)));
            revoked.addCRLEntry(BigInteger.valueOf(2), Date.from(NOT_BEFORE.plusSeconds(60)), CRLReason.keyCompromise);
            revoked.addCRLEntry(BigInteger.valueOf(7), Date.from(NOT_BEFORE.plusSeconds(120)), CRLReason.superseded,
                    Date.from(NOT_BEFORE));
            revoked.addCRLEntry(new BigInteger("123456789012345678901234567890"), Date.from(NOT_BEFORE.plusSeconds(180)),
                    CRLReason.cessationOfOperation);
            revoked.addExtension(Extension.cRLNumber, false, new CRLNumber(BigInteger.valueOf(42)));
            revoked.addExtension(Extension.authorityKeyIdentifier, false,
                    extensions.createAuthorityKeyIdentifier(caKeys.getPublic()));
            crl = revoked.build(signer(caKeys)).getEncoded();
            X509v2CRLBuilder empty = new X509v2CRLBuilder(ca, Date.from(NOT_BEFORE));
            empty.setNextUpdate(Date.from(NOT_BEFORE.plusSeconds(86400)));
            empty.addExtension(Extension.cRLNumber, false, new CRLNumber(BigInteger.ONE));
            emptyCrl = empty.build(signer(caKeys)).getEncoded();

            ExtensionsGenerator requested = new ExtensionsGenerator();
            requested.addExtension(Extension.subjectAlternativeName, false,
                    new GeneralNames(new GeneralName(GeneralName.rfc822Name, USER_MAIL)));
            pkcs10 = new JcaPKCS10CertificationRequestBuilder(name(USER_DN), userKeys.getPublic())
                    .addAttribute(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest, requested.generate())
                    .build(signer(userKeys)).getEncoded();
            pkcs10Rsa = new JcaPKCS10CertificationRequestBuilder(
                    new X500Name("CN=Fuzzer,E=" + USER_MAIL), rsaKeys.getPublic()).build(signer(rsaKeys)).getEncoded();
            pkcs10NoSubject = new JcaPKCS10CertificationRequestBuilder(new X500Name(new org.bouncycastle.asn1.x500.RDN[0]),
                    userKeys.getPublic()).build(signer(userKeys)).getEncoded();

            X509Certificate user = certificate(userCertificate);
            X509Certificate caCert = certificate(caCertificate);
            CMSSignedDataGenerator signed = new CMSSignedDataGenerator();
            signed.addSignerInfoGenerator(new JcaSignerInfoGeneratorBuilder(
                    new JcaDigestCalculatorProviderBuilder().setProvider(JcaProviders.bouncyCastle()).build())
                    .build(signer(userKeys), user));
            signed.addCertificates(new JcaCertStore(List.of(user, certificate(rsaCertificate), caCert)));
            smimeBundle = signed.generate(new CMSAbsentContent(), false).toASN1Structure().getEncoded(ASN1Encoding.DER);
            CMSSignedDataGenerator certsOnly = new CMSSignedDataGenerator();
            certsOnly.addCertificates(new JcaCertStore(List.of(user, caCert)));
            certsOnlyBundle = certsOnly.generate(new CMSAbsentContent(), false).toASN1Structure()
                    .getEncoded(ASN1Encoding.DER);

            // As the agent archives a key (KeyArchiver draws the content key, IV and ephemeral
            // key from this generator; only the OAEP padding of the RSA one draws its own).
            envelopedToRsa = new KeyArchiver(certificate(rsaCertificate), random).wrap(userKeys.getPrivate(), null)
                    .envelopedDataDer();
            envelopedToEc = new KeyArchiver(certificate(recoveryCertificate), random).wrap(userKeys.getPrivate(), null)
                    .envelopedDataDer();

            certificatePair = new DERSequence(new org.bouncycastle.asn1.ASN1Encodable[] {
                new DERTaggedObject(true, 0, new X509CertificateHolder(caCertificate).toASN1Structure()),
                new DERTaggedObject(true, 1, new X509CertificateHolder(userCertificate).toASN1Structure())})
                    .getEncoded(ASN1Encoding.DER);
        } catch (GeneralSecurityException | IOException | org.bouncycastle.operator.OperatorCreationException
                | org.bouncycastle.cms.CMSException e) {
            throw new IllegalStateException("cannot make the fuzz seeds", e);
        }
    }

    /** Every seed, for donors of wrong-type values. */
    public List<byte[]> all() {
        List<byte[]> all = new ArrayList<>(List.of(caCertificate, userCertificate, rsaCertificate, v1Certificate,
                recoveryCertificate, crl, emptyCrl, pkcs10, pkcs10Rsa, pkcs10NoSubject, smimeBundle, certsOnlyBundle,
                envelopedToRsa, envelopedToEc, certificatePair));
        return List.copyOf(all);
    }

    /** The certificate in {@code der}. */
    public static X509Certificate certificate(byte[] der) {
        try {
            return new JcaX509CertificateConverter().getCertificate(new X509CertificateHolder(der));
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("a seed certificate does not parse", e);
        }
    }

    private byte[] endEntity(KeyPair keys, long serial, int usage) throws GeneralSecurityException, IOException,
            org.bouncycastle.operator.OperatorCreationException {
        JcaX509ExtensionUtils extensions = new JcaX509ExtensionUtils();
        X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(name(CA_DN), BigInteger.valueOf(serial),
                Date.from(NOT_BEFORE), Date.from(NOT_AFTER), name(USER_DN), keys.getPublic())
                .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                .addExtension(Extension.keyUsage, true, new KeyUsage(usage))
                .addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_emailProtection))
                .addExtension(Extension.subjectAlternativeName, false,
                        new GeneralNames(new GeneralName(GeneralName.rfc822Name, USER_MAIL)))
                .addExtension(Extension.authorityKeyIdentifier, false,
                        extensions.createAuthorityKeyIdentifier(caKeys.getPublic()))
                .addExtension(Extension.subjectKeyIdentifier, false, extensions.createSubjectKeyIdentifier(keys.getPublic()));
        return builder.build(signer(caKeys)).getEncoded();
    }

    private KeyPair ec() throws GeneralSecurityException {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC", JcaProviders.bouncyCastle());
        generator.initialize(new ECGenParameterSpec("secp256r1"), random);
        return generator.generateKeyPair();
    }

    private ContentSigner signer(KeyPair keys) throws org.bouncycastle.operator.OperatorCreationException {
        if (keys.getPrivate().getAlgorithm().startsWith("RSA")) {
            return new JcaContentSignerBuilder("SHA256withRSA").setProvider(JcaProviders.bouncyCastle())
                    .build(keys.getPrivate());
        }
        // Deterministic ECDSA (RFC 6979), so the seeds are the same every run; the signature is
        // an ordinary ecdsa-with-SHA256 one (RFC 5758 section 3.2).
        try {
            java.security.Signature signature = java.security.Signature.getInstance("SHA256withECDDSA",
                    JcaProviders.bouncyCastle());
            signature.initSign(keys.getPrivate());
            java.io.OutputStream sink = new java.io.OutputStream() {
                @Override
                public void write(int b) throws IOException {
                    write(new byte[] {(byte) b}, 0, 1);
                }

                @Override
                public void write(byte[] bytes, int offset, int length) throws IOException {
                    try {
                        signature.update(bytes, offset, length);
                    } catch (java.security.SignatureException e) {
                        throw new IOException(e);
                    }
                }
            };
            return new ContentSigner() {
                @Override
                public org.bouncycastle.asn1.x509.AlgorithmIdentifier getAlgorithmIdentifier() {
                    return new org.bouncycastle.asn1.x509.AlgorithmIdentifier(
                            org.bouncycastle.asn1.x9.X9ObjectIdentifiers.ecdsa_with_SHA256);
                }

                @Override
                public java.io.OutputStream getOutputStream() {
                    return sink;
                }

                @Override
                public byte[] getSignature() {
                    try {
                        return signature.sign();
                    } catch (java.security.SignatureException e) {
                        throw new IllegalStateException("cannot sign a seed", e);
                    }
                }
            };
        } catch (GeneralSecurityException e) {
            throw new org.bouncycastle.operator.OperatorCreationException("no deterministic ECDSA", e);
        }
    }

    private static X500Name name(String dn) {
        return new X500Name(RFC4519Style.INSTANCE, dn);
    }
}
