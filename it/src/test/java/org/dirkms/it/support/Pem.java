package org.dirkms.it.support;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.Base64;

/** PEM files (RFC 7468) of certificates, for the command-line tools the tests run. */
public final class Pem {

    private Pem() {
    }

    /** Writes {@code certificate} to {@code file} as PEM and returns the file. */
    public static Path write(Path file, X509Certificate certificate) throws java.io.IOException {
        try {
            return Files.writeString(file, "-----BEGIN CERTIFICATE-----\n"
                    + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                            .encodeToString(certificate.getEncoded()) + "\n-----END CERTIFICATE-----\n");
        } catch (CertificateEncodingException e) {
            throw new IllegalArgumentException("the certificate cannot be encoded", e);
        }
    }
}
