package org.dirkms.agent.custody;

import java.io.ByteArrayInputStream;
import java.math.BigInteger;
import java.security.KeyPair;
import java.security.SecureRandom;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Date;
import java.util.HexFormat;
import javax.security.auth.DestroyFailedException;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.dirkms.agent.archive.CmsEnvelope;
import org.dirkms.agent.keys.KeyPairFactory;
import org.dirkms.schema.KeyAlgorithm;

/**
 * The one-use key of a recovery request or custody session that approving recovery agents seal
 * their custody shares to: an EC P-256 key pair made by the process that will rebuild the recovery
 * keys, kept in its memory only (never written anywhere), its public half published as a
 * self-signed certificate in {@code kmsRequestKey} so that {@code openssl cms -encrypt} can seal
 * to it as well as {@code dirkms recovery approve}. Destroyed when the request is done; a process
 * that dies takes it along, and the shares sealed to it open for nobody.
 */
public final class RequestKey implements AutoCloseable {
    private final KeyPair keys;
    private final X509Certificate certificate;

    private RequestKey(KeyPair keys, X509Certificate certificate) {
        this.keys = keys;
        this.certificate = certificate;
    }

    /** A new request key for {@code purpose} (the request's DN), its certificate valid for {@code lifetime}. */
    public static RequestKey generate(String purpose, Duration lifetime, Instant now, SecureRandom random) {
        KeyPair keys = new KeyPairFactory(random).generate(KeyAlgorithm.EC_P256);
        byte[] serial = new byte[16];
        random.nextBytes(serial);
        serial[0] &= 0x7f;
        X500Name subject = new X500Name("CN=dirkms request key " + HexFormat.of().formatHex(serial, 0, 8));
        try {
            JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(subject, new BigInteger(1, serial),
                    Date.from(now.minus(Duration.ofMinutes(5))), Date.from(now.plus(lifetime)), subject,
                    keys.getPublic());
            builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyAgreement));
            byte[] der = builder.build(KeyPairFactory.contentSigner(keys.getPrivate(), keys.getPublic())).getEncoded();
            return new RequestKey(keys, parse(der));
        } catch (java.io.IOException e) {
            throw new IllegalStateException("cannot make the request key's certificate", e);
        }
    }

    /**
     * The certificate in a {@code kmsRequestKey} value.
     *
     * @throws IllegalArgumentException if it is not one
     */
    public static X509Certificate parse(byte[] der) {
        try {
            return (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(new ByteArrayInputStream(der));
        } catch (CertificateException | RuntimeException e) {
            throw new IllegalArgumentException("the request key is not an X.509 certificate");
        }
    }

    /** The certificate published in {@code kmsRequestKey}. */
    public X509Certificate certificate() {
        return certificate;
    }

    /** The certificate, DER. */
    public byte[] certificateDer() {
        try {
            return certificate.getEncoded();
        } catch (java.security.cert.CertificateEncodingException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Seals {@code content} to the request key whose certificate is {@code requestKey}: what an
     * approving agent does with their share.
     */
    public static byte[] sealTo(X509Certificate requestKey, byte[] content, SecureRandom random) {
        return CmsEnvelope.toCertificate(requestKey, random).seal(content);
    }

    /**
     * The share {@code sealed} holds, opened with this request key.
     *
     * @throws IllegalArgumentException if it does not open with it (sealed to another request, or
     *         damaged) or is not a custody share
     */
    public ShareContent open(byte[] sealed) {
        byte[] content = SealedContent.open(sealed, keys.getPrivate());
        try {
            return ShareContent.decode(content);
        } finally {
            Arrays.fill(content, (byte) 0);
        }
    }

    /** Drops the private key as far as the JDK lets it. */
    @Override
    public void close() {
        try {
            keys.getPrivate().destroy();
        } catch (DestroyFailedException | RuntimeException e) {
            // most providers' keys cannot be destroyed; the reference goes with this object
        }
    }

    @Override
    public String toString() {
        return "RequestKey[" + certificate.getSubjectX500Principal().getName() + "]";
    }
}
