package org.dirkms.agent.smime;

import java.security.cert.X509Certificate;

/**
 * What a certificate's key may do for mail, from its key usage extension (RFC 5280 section
 * 4.2.1.3), as RFC 8550 section 4.4.2 reads it: digitalSignature or nonRepudiation to sign,
 * keyEncipherment (RSA key transport) or keyAgreement (ECDH, RFC 5753) to receive encrypted
 * mail. A certificate without the extension may do both.
 */
final class KeyUsages {
    private static final int DIGITAL_SIGNATURE = 0;
    private static final int NON_REPUDIATION = 1;
    private static final int KEY_ENCIPHERMENT = 2;
    private static final int KEY_AGREEMENT = 4;

    private KeyUsages() {
    }

    static boolean signs(X509Certificate certificate) {
        boolean[] usage = certificate.getKeyUsage();
        return usage == null || usage[DIGITAL_SIGNATURE] || usage[NON_REPUDIATION];
    }

    static boolean encrypts(X509Certificate certificate) {
        boolean[] usage = certificate.getKeyUsage();
        if (usage == null) {
            return true;
        }
        return switch (certificate.getPublicKey().getAlgorithm()) {
            case "RSA" -> usage[KEY_ENCIPHERMENT];
            case "EC" -> usage[KEY_AGREEMENT];
            default -> usage[KEY_ENCIPHERMENT] || usage[KEY_AGREEMENT];
        };
    }
}
