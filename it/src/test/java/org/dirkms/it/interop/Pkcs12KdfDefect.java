package org.dirkms.it.interop;

import java.math.BigInteger;
import java.security.MessageDigest;
import java.util.Arrays;

/**
 * gpgsm 2.2's PKCS#12 key derivation (RFC 7292 appendix B.2, step 6.B) loses the leading zero
 * octets of a block {@code I_j + B + 1} that has them, and so derives a wrong 3DES key for about
 * one salt in 128: gpgsm then refuses a valid legacy key package ("error parsing or decrypting
 * the PKCS#12 file") that OpenSSL opens with the same token. A package has two such derivations
 * (its certificates and its key), so about one dirkms legacy package in 64 does not import
 * ({@code LegacyPackageSaltIT} shows it). Until the KMS draws its salts clear of that case, the
 * tests that import enrolled users' packages into gpgsm ask for a new enrollment when gpgsm
 * answers this, as a user would.
 */
final class Pkcs12KdfDefect {

    /** What gpgsm 2.2 says about such a package. */
    static final String GPGSM_MESSAGE = "error parsing or decrypting the PKCS#12 file";

    private Pkcs12KdfDefect() {
    }

    /**
     * Whether gpgsm 2.2 derives a wrong 3DES key for this salt, iteration count and password
     * (pbeWithSHAAnd3-KeyTripleDES-CBC, RFC 7292 appendix B.2 with SHA-1: a 24-octet key takes two
     * hash blocks, so I is adjusted once): some 64-octet block of I plus B + 1, mod 2^512, has a
     * leading zero octet, which gpgsm drops.
     */
    static boolean derivesWrongKey(byte[] salt, int iterations, char[] password) throws Exception {
        byte[] bmp = new byte[(password.length + 1) * 2];
        for (int i = 0; i < password.length; i++) {
            bmp[2 * i] = (byte) (password[i] >> 8);
            bmp[2 * i + 1] = (byte) password[i];
        }
        byte[] input = new byte[128];
        for (int i = 0; i < 64; i++) {
            input[i] = salt[i % salt.length];
            input[64 + i] = bmp[i % bmp.length];
        }
        MessageDigest sha1 = MessageDigest.getInstance("SHA-1");
        byte[] diversifier = new byte[64];
        Arrays.fill(diversifier, (byte) 1); // ID 1: key material
        sha1.update(diversifier);
        sha1.update(input);
        byte[] a = sha1.digest();
        for (int i = 1; i < iterations; i++) {
            a = sha1.digest(a);
        }
        byte[] b = new byte[64];
        for (int i = 0; i < 64; i++) {
            b[i] = a[i % a.length];
        }
        BigInteger bPlusOne = new BigInteger(1, b).add(BigInteger.ONE);
        for (int j = 0; j < 128; j += 64) {
            BigInteger block = new BigInteger(1, Arrays.copyOfRange(input, j, j + 64)).add(bPlusOne)
                    .mod(BigInteger.ONE.shiftLeft(512));
            if (block.bitLength() <= 504) {
                return true;
            }
        }
        return false;
    }

    /** Whether gpgsm's output is its answer to a package the defect hits. */
    static boolean hit(String gpgsmOutput) {
        // The certificates' bag (bag.encryptedData) or the key's (shrouded_key_bag) decrypted to noise.
        return gpgsmOutput.contains(GPGSM_MESSAGE)
                && (gpgsmOutput.contains("bag.encryptedData") || gpgsmOutput.contains("shrouded_key_bag"));
    }
}
