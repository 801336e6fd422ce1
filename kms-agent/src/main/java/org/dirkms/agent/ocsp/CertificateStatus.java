package org.dirkms.agent.ocsp;

import java.time.Instant;
import java.security.cert.CRLReason;

/** The status of one certificate, as RFC 6960 section 2.2 names them. */
public sealed interface CertificateStatus {

    /** "good": the CA issued a certificate with this serial and has not revoked it. */
    record Good() implements CertificateStatus {
    }

    /**
     * "revoked": the CA's CRL lists the serial.
     *
     * @param time when it was revoked (the CRL entry's revocationDate)
     * @param reason the CRL entry's reason code (its ordinal is the code of RFC 5280 section
     *        5.3.1), or null when the entry has none (unspecified is left out)
     */
    record Revoked(Instant time, CRLReason reason) implements CertificateStatus {
    }

    /** "unknown": the CA never issued a certificate with this serial that the directory keeps. */
    record Unknown() implements CertificateStatus {
    }
}
