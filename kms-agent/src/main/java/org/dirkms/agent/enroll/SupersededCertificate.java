package org.dirkms.agent.enroll;

import java.io.ByteArrayInputStream;
import java.math.BigInteger;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import javax.security.auth.x500.X500Principal;

/**
 * A certificate that claimed work must revoke: one a re-enrollment supersedes, or one the CA
 * issued to an attempt that died before publishing it. The claim keeps it as DER
 * ({@code kmsSupersededCertificate}) until it is on the CRL; this is its parsed view.
 *
 * @param der    the certificate as stored
 * @param serial its serial number
 * @param issuer its issuer's name
 */
record SupersededCertificate(byte[] der, BigInteger serial, X500Principal issuer) {

    /** The certificate {@code certificate}. */
    static SupersededCertificate of(X509Certificate certificate) {
        try {
            return new SupersededCertificate(certificate.getEncoded(), certificate.getSerialNumber(),
                    certificate.getIssuerX500Principal());
        } catch (CertificateEncodingException e) {
            throw new IllegalStateException("a certificate cannot be encoded", e);
        }
    }

    /**
     * The certificates among {@code values} (DER), each once, in order; a value that is not a
     * certificate (written by hand) is skipped: there is nothing to revoke for it.
     */
    static List<SupersededCertificate> parse(List<byte[]> values) {
        Map<String, SupersededCertificate> found = new LinkedHashMap<>();
        for (byte[] der : values) {
            try {
                X509Certificate certificate = (X509Certificate) CertificateFactory.getInstance("X.509")
                        .generateCertificate(new ByteArrayInputStream(der));
                SupersededCertificate parsed = of(certificate);
                found.putIfAbsent(parsed.key(), parsed);
            } catch (CertificateException | RuntimeException e) {
                // Not a certificate: nothing to revoke.
            }
        }
        return List.copyOf(found.values());
    }

    /** The DER of each of {@code certificates}, for the claim. */
    static List<byte[]> der(List<SupersededCertificate> certificates) {
        List<byte[]> values = new ArrayList<>();
        for (SupersededCertificate certificate : certificates) {
            values.add(certificate.der());
        }
        return values;
    }

    /** {@code all} without those in {@code others} (compared by issuer and serial). */
    static List<SupersededCertificate> without(List<SupersededCertificate> all, List<SupersededCertificate> others) {
        List<SupersededCertificate> left = new ArrayList<>();
        for (SupersededCertificate certificate : all) {
            if (others.stream().noneMatch(other -> other.key().equals(certificate.key()))) {
                left.add(certificate);
            }
        }
        return left;
    }

    /** {@code first} then those of {@code second} not in it. */
    static List<SupersededCertificate> union(List<SupersededCertificate> first, List<SupersededCertificate> second) {
        List<SupersededCertificate> all = new ArrayList<>(first);
        all.addAll(without(second, first));
        return all;
    }

    /** Whether the CA whose certificate is {@code caCertificate} issued this one. */
    boolean issuedBy(X509Certificate caCertificate) {
        return issuer.equals(caCertificate.getSubjectX500Principal());
    }

    /** One certificate, one key: its issuer (canonical, RFC 2253) and serial. */
    String key() {
        return issuer.getName(X500Principal.CANONICAL) + "#" + serial.toString(16);
    }

    /** Compared by issuer and serial. */
    @Override
    public boolean equals(Object other) {
        return other instanceof SupersededCertificate certificate && certificate.key().equals(key());
    }

    @Override
    public int hashCode() {
        return key().hashCode();
    }

    /** The serial in hex and the issuer. */
    @Override
    public String toString() {
        return serial.toString(16) + " of " + issuer.getName();
    }
}
