package org.dirkms.it.trust;

import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.CRLNumber;
import org.bouncycastle.cert.X509v2CRLBuilder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CRLConverter;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A partner organisation's PKI made with Bouncy Castle, as another vendor's CA would make it: an
 * EC P-256 root (self-signed, basicConstraints cA critical, keyCertSign and cRLSign, a subject
 * key identifier), users' S/MIME certificates under it (an authority key identifier naming the
 * root's key, as openssl's default keyid does; rfc822Name), its CRL; and the broken "roots" a
 * careless partner might send.
 */
final class PartnerPki {
    private static final SecureRandom RANDOM = new SecureRandom();

    private final X500Name subject;
    private final KeyPair key;
    private final X509Certificate root;

    private PartnerPki(X500Name subject, KeyPair key, X509Certificate root) {
        this.subject = subject;
        this.key = key;
        this.root = root;
    }

    /** A partner root {@code o=<organisation>,cn=<organisation> Root CA}, valid from an hour ago for {@code validity}. */
    static PartnerPki create(String organisation, Duration validity) throws Exception {
        return create(organisation, Instant.now().minus(Duration.ofHours(1)), validity, true);
    }

    /** A self-signed certificate; a CA's ({@code ca}) or an end entity's. */
    static PartnerPki create(String organisation, Instant notBefore, Duration validity, boolean ca) throws Exception {
        X500Name subject = new X500Name("O=" + organisation + ",CN=" + organisation + " Root CA");
        KeyPair key = ecKey();
        JcaX509ExtensionUtils utils = new JcaX509ExtensionUtils();
        X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(subject, serial(), Date.from(notBefore),
                Date.from(notBefore.plus(validity)), subject, key.getPublic());
        builder.addExtension(Extension.basicConstraints, true, ca ? new BasicConstraints(true) : new BasicConstraints(false));
        builder.addExtension(Extension.keyUsage, true, new KeyUsage(ca ? KeyUsage.keyCertSign | KeyUsage.cRLSign
                : KeyUsage.digitalSignature));
        builder.addExtension(Extension.subjectKeyIdentifier, false, utils.createSubjectKeyIdentifier(key.getPublic()));
        X509Certificate certificate = new JcaX509CertificateConverter().getCertificate(
                builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(key.getPrivate())));
        return new PartnerPki(subject, key, certificate);
    }

    /** The root certificate. */
    X509Certificate root() {
        return root;
    }

    /** A user certificate for {@code address}, issued by this root. */
    X509Certificate issueUser(String commonName, String address) throws Exception {
        KeyPair user = ecKey();
        JcaX509ExtensionUtils utils = new JcaX509ExtensionUtils();
        Instant now = Instant.now();
        X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(subject, serial(),
                Date.from(now.minus(Duration.ofMinutes(30))), Date.from(now.plus(Duration.ofDays(30))),
                new X500Name("CN=" + commonName), user.getPublic());
        builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
        builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyAgreement));
        builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_emailProtection));
        builder.addExtension(Extension.subjectAlternativeName, false,
                new GeneralNames(new GeneralName(GeneralName.rfc822Name, address)));
        builder.addExtension(Extension.subjectKeyIdentifier, false, utils.createSubjectKeyIdentifier(user.getPublic()));
        builder.addExtension(Extension.authorityKeyIdentifier, false, utils.createAuthorityKeyIdentifier(root.getPublicKey()));
        return new JcaX509CertificateConverter().getCertificate(
                builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(key.getPrivate())));
    }

    /** This root's CRL, revoking nothing: what a relying party that checks every CRL of a path needs. */
    X509CRL crl() throws Exception {
        Instant now = Instant.now();
        X509v2CRLBuilder builder = new X509v2CRLBuilder(subject, Date.from(now.minus(Duration.ofMinutes(5))));
        builder.setNextUpdate(Date.from(now.plus(Duration.ofDays(7))));
        builder.addExtension(Extension.authorityKeyIdentifier, false,
                new JcaX509ExtensionUtils().createAuthorityKeyIdentifier(root.getPublicKey()));
        builder.addExtension(Extension.cRLNumber, false, new CRLNumber(BigInteger.ONE));
        return new JcaX509CRLConverter().getCRL(
                builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(key.getPrivate())));
    }

    /** The root's DER with one bit of its signature flipped: its self-signature no longer verifies. */
    byte[] rootWithBrokenSignature() throws Exception {
        byte[] der = root.getEncoded();
        // The signature BIT STRING ends the certificate: flip a bit of its last octet (the end of
        // the ECDSA signature's s), which leaves the DER well formed.
        der[der.length - 1] ^= 0x01;
        return der;
    }

    /** Writes {@code der} as PEM to {@code file}. */
    static Path pem(Path file, String type, byte[] der) throws Exception {
        return Files.writeString(file, "-----BEGIN " + type + "-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(der) + "\n-----END " + type + "-----\n");
    }

    private static KeyPair ecKey() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
        return generator.generateKeyPair();
    }

    private static BigInteger serial() {
        return new BigInteger(64, RANDOM).add(BigInteger.ONE);
    }
}
