package org.dirkms.agent.smime;

import java.security.SecureRandom;

/**
 * The one-time token that protects a key package: 24 symbols of Crockford's base 32 (digits
 * and capital letters without I, L, O and U, so nothing is misread when it is read out or
 * typed), in six groups of four joined by hyphens, e.g. {@code 7KQ2-M9XD-...}. Each symbol
 * carries 5 bits: 120 bits in all, beyond any guessing against a PKCS#12 MAC.
 */
public final class OneTimeToken {
    /** The bits of randomness in a token. */
    public static final int BITS = 120;
    private static final char[] ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ".toCharArray();
    private static final int SYMBOLS = BITS / 5;
    private static final int GROUP = 4;

    private OneTimeToken() {
    }

    /**
     * A new token drawn from {@code random}. The caller owns the array and should clear it
     * once the token is stored and the package built.
     */
    public static char[] generate(SecureRandom random) {
        char[] token = new char[SYMBOLS + SYMBOLS / GROUP - 1];
        int position = 0;
        for (int i = 0; i < SYMBOLS; i++) {
            if (i > 0 && i % GROUP == 0) {
                token[position++] = '-';
            }
            // 32 symbols: nextInt(32) is uniform, each symbol exactly 5 bits.
            token[position++] = ALPHABET[random.nextInt(ALPHABET.length)];
        }
        return token;
    }
}
