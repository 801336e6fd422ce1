package org.dirkms.agent.keys;

import java.security.cert.X509Certificate;
import java.util.List;

/**
 * Who certifies a new key recovery agent key: the KMS's CA, with its key recovery agent
 * template ({@code CertificationAuthority::certifyRecoveryAgent}). The recovery key store asks
 * through this interface, so that key material never depends on the CA's code.
 *
 * @param <E> what a refusal throws
 */
@FunctionalInterface
public interface RecoveryCertifier<E extends Exception> {

    /**
     * The key recovery agent certificate for the key that signed {@code certificationRequest}
     * (a DER PKCS#10), with the subject {@code subjectDn}, followed by the chain of the CA that
     * issued it.
     *
     * @throws E when the certificate is refused; nothing was issued then
     */
    List<X509Certificate> certify(String subjectDn, byte[] certificationRequest) throws E;
}
