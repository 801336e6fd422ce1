package org.dirkms.it.smime;

import java.math.BigInteger;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A CA outside the directory, as a partner company runs one: RSA-2048, issuing certificates
 * with one mail address that an administrator publishes in the directory by hand. Made in test
 * set-up, never checked in.
 */
final class PartnerCa {
    /** The CA's subject. */
    static final String SUBJECT = "CN=Partner Root CA,O=Partner";
    private static final SecureRandom RANDOM = new SecureRandom();

    private final KeyPair keys;

    /** A person's key and certificate. */
    record Issued(String address, PrivateKey key, X509Certificate certificate) {
    }

    PartnerCa() throws Exception {
        this.keys = rsa();
    }

    private static KeyPair rsa() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048, RANDOM);
        return generator.generateKeyPair();
    }

    /**
     * A certificate for {@code address}: digitalSignature and nonRepudiation, with keyEncipherment
     * too when {@code singleKey} (RFC 8550 section 4.4.2).
     */
    Issued issue(String address, boolean singleKey) throws Exception {
        KeyPair person = rsa();
        Instant now = Instant.now();
        JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(new X500Name(SUBJECT),
                new BigInteger(64, RANDOM).add(BigInteger.ONE), Date.from(now.minus(Duration.ofMinutes(5))),
                Date.from(now.plus(Duration.ofDays(30))), new X500Name("CN=" + address), person.getPublic());
        builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
        builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.nonRepudiation
                | (singleKey ? KeyUsage.keyEncipherment : 0)));
        builder.addExtension(Extension.subjectAlternativeName, false,
                new GeneralNames(new GeneralName(GeneralName.rfc822Name, address)));
        X509Certificate certificate = new JcaX509CertificateConverter().getCertificate(
                builder.build(new JcaContentSignerBuilder("SHA256withRSA").build(keys.getPrivate())));
        return new Issued(address, person.getPrivate(), certificate);
    }
}
