package org.dirkms.agent.smime;

import java.math.BigInteger;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;

/**
 * Which salts gpgsm 2.2 turns into a wrong key, so that a legacy key package is never built on
 * one.
 *
 * <p>The PKCS#12 key derivation (RFC 7292 appendix B.2) needs two SHA-1 blocks for a 24-octet
 * Triple DES key; between them, step 6.B replaces each 64-octet block {@code I_j} of
 * {@code I = S || P} by {@code (I_j + B + 1) mod 2^512}, written back as 64 octets. gpgsm 2.2
 * (its minip12.c) writes the sum back without its leading zero octets, left-aligned, so when a
 * sum is below {@code 2^504} the second block, and with it the key, differs from every other
 * implementation's: gpgsm then refuses a package that OpenSSL opens with the same token ("error
 * parsing or decrypting the PKCS#12 file"). That happens for about one salt in 128, and a
 * package has two derivations (its certificates and each key). The IV (8 octets, one block) and
 * the MAC key (20 octets, one block) are derived without step 6.B and are not affected.
 */
public final class GpgsmPkcs12Salt {
    private static final int BLOCK = 64;
    private static final BigInteger MODULUS = BigInteger.ONE.shiftLeft(BLOCK * 8);

    private GpgsmPkcs12Salt() {
    }

    /**
     * Whether gpgsm 2.2 derives a different pbeWithSHAAnd3-KeyTripleDES-CBC key than RFC 7292
     * appendix B.2 from this salt, iteration count and password.
     *
     * @param salt       the salt of the PKCS12PBEParams
     * @param iterations the iteration count of the PKCS12PBEParams
     * @param password   the password, as characters (encoded as RFC 7292 appendix B.1 says)
     */
    public static boolean derivesWrongKey(byte[] salt, int iterations, char[] password) {
        byte[] passwordBytes = bmpString(password);
        byte[] input = concat(stretch(salt), stretch(passwordBytes));
        MessageDigest sha1;
        try {
            sha1 = MessageDigest.getInstance("SHA-1");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-1 is missing from the JDK", e);
        }
        byte[] diversifier = new byte[BLOCK];
        Arrays.fill(diversifier, (byte) 1); // ID 1: key material (RFC 7292 appendix B.3)
        sha1.update(diversifier);
        sha1.update(input);
        byte[] a = sha1.digest();
        for (int i = 1; i < iterations; i++) {
            a = sha1.digest(a);
        }
        byte[] b = new byte[BLOCK];
        for (int i = 0; i < BLOCK; i++) {
            b[i] = a[i % a.length];
        }
        BigInteger bPlusOne = new BigInteger(1, b).add(BigInteger.ONE);
        for (int j = 0; j < input.length; j += BLOCK) {
            BigInteger sum = new BigInteger(1, Arrays.copyOfRange(input, j, j + BLOCK)).add(bPlusOne).mod(MODULUS);
            if (sum.bitLength() <= (BLOCK - 1) * 8) {
                return true;
            }
        }
        return false;
    }

    /** RFC 7292 appendix B.1: big-endian UTF-16 with two zero octets at the end; nothing when empty. */
    private static byte[] bmpString(char[] password) {
        if (password.length == 0) {
            return new byte[0];
        }
        byte[] bytes = new byte[(password.length + 1) * 2];
        for (int i = 0; i < password.length; i++) {
            bytes[2 * i] = (byte) (password[i] >> 8);
            bytes[2 * i + 1] = (byte) password[i];
        }
        return bytes;
    }

    /** RFC 7292 appendix B.2 steps 2 and 3: copies of the value up to a multiple of 64 octets. */
    private static byte[] stretch(byte[] value) {
        if (value.length == 0) {
            return value;
        }
        byte[] stretched = new byte[BLOCK * ((value.length + BLOCK - 1) / BLOCK)];
        for (int i = 0; i < stretched.length; i++) {
            stretched[i] = value[i % value.length];
        }
        return stretched;
    }

    private static byte[] concat(byte[] first, byte[] second) {
        byte[] both = Arrays.copyOf(first, first.length + second.length);
        System.arraycopy(second, 0, both, first.length, second.length);
        return both;
    }
}
