package org.dirkms.agent.trust;

import java.io.ByteArrayInputStream;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Objects;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.RFC4519Style;

/**
 * A partner organisation's root certificate that the KMS may put on its trust list: an X.509
 * certificate that is self-signed (its signature verifies with its own key, RFC 5280 section
 * 6.1: a trust anchor is the start of a path), a CA certificate (basicConstraints cA TRUE, RFC
 * 5280 section 4.2.1.9; keyCertSign when it has a keyUsage, section 4.2.1.3) and valid now.
 *
 * @param certificate the checked certificate
 */
public record PartnerRoot(X509Certificate certificate) {

    /** Checks the field. */
    public PartnerRoot {
        Objects.requireNonNull(certificate, "certificate");
    }

    /**
     * Parses and checks {@code der} (a DER certificate) as a partner root at {@code now}.
     *
     * @throws PartnerRefusedException with one line saying what is wrong with it
     */
    public static PartnerRoot check(byte[] der, Instant now) throws PartnerRefusedException {
        X509Certificate certificate;
        try {
            certificate = (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(new ByteArrayInputStream(der));
        } catch (CertificateException | RuntimeException e) {
            throw new PartnerRefusedException("it is not an X.509 certificate (DER or PEM, RFC 5280): give the partner's"
                    + " root CA certificate");
        }
        String subject = subject(certificate);
        if (certificate.getBasicConstraints() < 0) {
            throw new PartnerRefusedException("'" + subject + "' is not a CA certificate (no basicConstraints cA TRUE,"
                    + " RFC 5280 section 4.2.1.9): give the partner's root CA certificate, not a user's");
        }
        boolean[] usage = certificate.getKeyUsage();
        if (usage != null && !usage[5]) {
            throw new PartnerRefusedException("'" + subject + "' may not sign certificates (its keyUsage lacks"
                    + " keyCertSign, RFC 5280 section 4.2.1.3)");
        }
        if (!certificate.getSubjectX500Principal().equals(certificate.getIssuerX500Principal())) {
            throw new PartnerRefusedException("'" + subject + "' is issued by '" + dn(certificate.getIssuerX500Principal()) + "', not by itself: give the partner's root"
                    + " certificate, the one at the top of its chain");
        }
        try {
            certificate.verify(certificate.getPublicKey());
        } catch (GeneralSecurityException | RuntimeException e) {
            throw new PartnerRefusedException("the self-signature of '" + subject + "' does not verify with its own key:"
                    + " the certificate was altered or is not self-signed");
        }
        if (now.isBefore(certificate.getNotBefore().toInstant())) {
            throw new PartnerRefusedException("'" + subject + "' is not valid before "
                    + certificate.getNotBefore().toInstant() + "; add it once it is");
        }
        if (!now.isBefore(certificate.getNotAfter().toInstant())) {
            throw new PartnerRefusedException("'" + subject + "' expired on " + certificate.getNotAfter().toInstant()
                    + ": ask the partner for its current root certificate");
        }
        return new PartnerRoot(certificate);
    }

    /** The subject DN (RFC 4514). */
    public String subject() {
        return subject(certificate);
    }

    /** The DER encoding. */
    public byte[] der() {
        try {
            return certificate.getEncoded();
        } catch (CertificateException e) {
            throw new IllegalStateException("a parsed certificate cannot be encoded", e);
        }
    }

    /**
     * The SHA-256 fingerprint as {@code openssl x509 -noout -fingerprint -sha256} prints it:
     * upper-case hexadecimal pairs joined by colons.
     */
    public String fingerprint() {
        return fingerprint(der());
    }

    /** The SHA-256 fingerprint of the DER {@code der}, written as {@link #fingerprint()}. */
    public static String fingerprint(byte[] der) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(der);
            return HexFormat.ofDelimiter(":").withUpperCase().formatHex(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from the JDK", e);
        }
    }

    /** A name for a partner taken from its root's subject: its common name, else its organisation. */
    public String suggestedName() {
        X500Name name = X500Name.getInstance(certificate.getSubjectX500Principal().getEncoded());
        for (org.bouncycastle.asn1.ASN1ObjectIdentifier type : java.util.List.of(
                org.bouncycastle.asn1.x500.style.BCStyle.CN, org.bouncycastle.asn1.x500.style.BCStyle.O)) {
            org.bouncycastle.asn1.x500.RDN[] rdns = name.getRDNs(type);
            if (rdns.length > 0) {
                return org.bouncycastle.asn1.x500.style.IETFUtils.valueToString(rdns[0].getFirst().getValue());
            }
        }
        return subject().toLowerCase(Locale.ROOT);
    }

    /** The subject DN (RFC 4514) of any certificate, written as {@link #subject()} is. */
    public static String subjectOf(X509Certificate certificate) {
        return subject(certificate);
    }

    private static String subject(X509Certificate certificate) {
        return dn(certificate.getSubjectX500Principal());
    }

    /**
     * The RFC 4514 string of an X.509 name, written as the enterprise CA writes its own entry's
     * DN (RFC 4519 attribute names, the last RDN first).
     */
    static String dn(javax.security.auth.x500.X500Principal principal) {
        X500Name name = X500Name.getInstance(principal.getEncoded());
        return RFC4519Style.INSTANCE.toString(X500Name.getInstance(RFC4519Style.INSTANCE, name));
    }
}
