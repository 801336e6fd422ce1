package org.dirkms.agent.smime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.SecureRandom;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Tokens are human-typable (Crockford base 32 without I, L, O, U, in hyphenated groups of
 * four) and carry 120 random bits: every symbol's 5 bits come from the injected randomness.
 */
class OneTimeTokenTest {

    @Test
    void tokensAreSixGroupsOfFourUnambiguousSymbols() {
        SecureRandom random = new SecureRandom();
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 200; i++) {
            String token = new String(OneTimeToken.generate(random));
            assertTrue(token.matches("[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){5}"), token);
            seen.add(token);
        }
        assertEquals(200, seen.size(), "no token repeats");
        assertTrue(OneTimeToken.BITS >= 100);
        assertEquals(OneTimeToken.BITS, 24 * 5, "24 symbols of 5 bits");
    }

    @Test
    void everySymbolIsFiveBitsOfTheInjectedRandomness() {
        // A source that counts its draws and returns each symbol index in turn: the token must
        // consume exactly one 32-way draw per symbol and map index i to the i-th symbol.
        int[] draws = {0};
        SecureRandom counting = new SecureRandom() {
            private static final long serialVersionUID = 1L;

            @Override
            public int nextInt(int bound) {
                assertEquals(32, bound, "one symbol is a uniform draw among 32");
                return draws[0]++ % bound;
            }
        };
        String token = new String(OneTimeToken.generate(counting));
        assertEquals(24, draws[0]);
        assertEquals("0123-4567-89AB-CDEF-GHJK-MNPQ", token);
    }
}
