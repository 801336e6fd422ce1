package org.dirkms.agent.ocsp;

import java.math.BigInteger;

/** Where the responder learns the status of a serial of its CA ({@link RevocationStatus} reads the directory). */
@FunctionalInterface
public interface CertificateStatusSource {

    /**
     * The status of the certificate with {@code serial} issued by the responder's CA, current
     * at the moment of the call.
     *
     * @throws RuntimeException if it cannot be told now (the directory is unreachable): the
     *         responder answers tryLater then
     */
    CertificateStatus status(BigInteger serial);
}
