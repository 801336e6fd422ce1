package org.dirkms.agent.smime;

import java.io.ByteArrayInputStream;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Chooses the certificate to encrypt to among those a recipient's directory entry publishes
 * ({@code userCertificate;binary}): the first one, in the directory's order, whose key usage
 * allows keyEncipherment (RSA) or keyAgreement (EC) and that is valid now (RFC 8550 section
 * 4.4.2). A signing-only certificate (digitalSignature, nonRepudiation) is never chosen; the
 * single certificate of a single-key user (digitalSignature with keyEncipherment, from any CA)
 * is.
 */
public final class RecipientCertificates {

    private RecipientCertificates() {
    }

    /**
     * The certificate to encrypt to for {@code address}.
     *
     * @param published the DER of each published certificate, in the directory's order
     * @throws SecureMailException when none is published, only signing certificates are, or
     *         every encryption certificate is outside its validity period
     */
    public static X509Certificate choose(String address, List<byte[]> published, Instant now) throws SecureMailException {
        if (published.isEmpty()) {
            throw new SecureMailException(address + " has no certificate in the directory: they are not enrolled,"
                    + " or their certificates were revoked");
        }
        List<X509Certificate> encrypting = new ArrayList<>();
        CertificateFactory factory;
        try {
            factory = CertificateFactory.getInstance("X.509");
        } catch (CertificateException e) {
            throw new IllegalStateException("the JDK has no X.509 certificate factory", e);
        }
        for (byte[] der : published) {
            X509Certificate certificate;
            try {
                certificate = (X509Certificate) factory.generateCertificate(new ByteArrayInputStream(der));
            } catch (CertificateException | RuntimeException e) {
                continue;
            }
            if (KeyUsages.encrypts(certificate)) {
                encrypting.add(certificate);
            }
        }
        if (encrypting.isEmpty()) {
            throw new SecureMailException(address + " publishes only a signing certificate: there is no"
                    + " certificate to encrypt to (keyEncipherment or keyAgreement)");
        }
        for (X509Certificate certificate : encrypting) {
            if (!now.isBefore(certificate.getNotBefore().toInstant()) && !now.isAfter(certificate.getNotAfter().toInstant())) {
                return certificate;
            }
        }
        throw new SecureMailException("the encryption certificate of " + address + " is not valid now (valid to "
                + encrypting.get(0).getNotAfter().toInstant() + ")");
    }
}
