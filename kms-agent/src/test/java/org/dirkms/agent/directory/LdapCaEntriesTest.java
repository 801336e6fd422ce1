package org.dirkms.agent.directory;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * The value of the assertion control the CRL swap sends to servers that cannot match CRL values,
 * byte for byte: the filter's equalityMatch (RFC 4511 section 4.5.1) with X.690 lengths.
 * OpenLdapSchemaIT shows slapd evaluating it.
 */
class LdapCaEntriesTest {

    @Test
    void equalityFilterIsTheBerOfEqualityMatch() {
        byte[] expected = {(byte) 0xA3, 0x0D, 0x04, 0x08, 'e', 'n', 't', 'r', 'y', 'C', 'S', 'N', 0x04, 0x01, 'x'};
        assertArrayEquals(expected, LdapCaEntries.equalityFilter("entryCSN", "x"));
    }

    @Test
    void longValuesUseTheLongLengthForm() {
        String value = "v".repeat(300);
        byte[] filter = LdapCaEntries.equalityFilter("a", value);
        // Content: 04 01 'a' (3 bytes) + 04 82 01 2C and 300 bytes (304) = 307 = 0x0133.
        assertArrayEquals(new byte[] {(byte) 0xA3, (byte) 0x82, 0x01, 0x33, 0x04, 0x01, 'a', 0x04, (byte) 0x82, 0x01, 0x2C},
                Arrays.copyOf(filter, 11));
        assertEquals(4 + 307, filter.length);
        assertEquals(value, new String(filter, filter.length - 300, 300, StandardCharsets.US_ASCII));
    }
}
