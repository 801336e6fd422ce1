package org.dirkms.agent.operations;

import java.io.ByteArrayInputStream;
import java.security.cert.CRLException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.time.Instant;

/** The nextUpdate of a CRL (RFC 5280 section 5.1.2.5), read from its DER. */
public final class CrlTimes {
    private CrlTimes() {
    }

    /** The CRL's nextUpdate, or null when {@code der} is null, not a CRL, or has none. */
    public static Instant nextUpdate(byte[] der) {
        if (der == null) {
            return null;
        }
        try {
            X509CRL crl = (X509CRL) CertificateFactory.getInstance("X.509")
                    .generateCRL(new ByteArrayInputStream(der));
            return crl.getNextUpdate() == null ? null : crl.getNextUpdate().toInstant();
        } catch (CertificateException | CRLException | RuntimeException e) {
            return null;
        }
    }
}
