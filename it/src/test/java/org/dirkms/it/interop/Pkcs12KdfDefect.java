package org.dirkms.it.interop;

import java.math.BigInteger;
import java.security.MessageDigest;
import java.util.Arrays;

/**
 * gpgsm 2.2's answer to a PKCS#12 whose salt it derives a wrong Triple DES key from (RFC 7292
 * appendix B.2 step 6.B; the KMS never draws such a salt, see the agent's GpgsmPkcs12Salt, but
 * OpenSSL does, about one package in 64): a test that exports a partner's PKCS#12 with openssl
 * exports it again when gpgsm answers this, as the partner would.
 */
final class Pkcs12KdfDefect {

    /** What gpgsm 2.2 says about such a package. */
    static final String GPGSM_MESSAGE = "error parsing or decrypting the PKCS#12 file";

    private Pkcs12KdfDefect() {
    }

    /** Whether gpgsm's output is its answer to a package the defect hits. */
    static boolean hit(String gpgsmOutput) {
        // The certificates' bag (bag.encryptedData) or the key's (shrouded_key_bag) decrypted to noise.
        return gpgsmOutput.contains(GPGSM_MESSAGE)
                && (gpgsmOutput.contains("bag.encryptedData") || gpgsmOutput.contains("shrouded_key_bag"));
    }
}
