package org.dirkms.it.fuzz;

import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The little of BER (X.690) an LDAP client needs (RFC 4511 section 5.1: definite lengths,
 * one-octet tags), written by hand so that the fuzz client can put on the wire what the Apache
 * LDAP API would refuse to encode: malformed DNs, filters thousands of levels deep, extensible
 * matches with any rule, unknown attribute descriptions, broken PDUs.
 */
final class Ber {

    private Ber() {
    }

    /** One TLV. */
    static byte[] tlv(int tag, byte[] content) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(content.length + 6);
        out.write(tag);
        out.writeBytes(length(content.length));
        out.writeBytes(content);
        return out.toByteArray();
    }

    /** A constructed TLV of the concatenated parts. */
    static byte[] constructed(int tag, byte[]... parts) {
        return tlv(tag, concat(List.of(parts)));
    }

    /** A constructed TLV of the concatenated parts. */
    static byte[] constructed(int tag, List<byte[]> parts) {
        return tlv(tag, concat(parts));
    }

    /** An OCTET STRING (or another primitive {@code tag}) holding UTF-8 text. */
    static byte[] string(int tag, String text) {
        return tlv(tag, text.getBytes(StandardCharsets.UTF_8));
    }

    /** An INTEGER or ENUMERATED in the fewest octets. */
    static byte[] integer(int tag, long value) {
        return tlv(tag, BigInteger.valueOf(value).toByteArray());
    }

    /** A BOOLEAN. */
    static byte[] bool(int tag, boolean value) {
        return tlv(tag, new byte[] {(byte) (value ? 0xff : 0)});
    }

    static byte[] concat(List<byte[]> parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }

    /** The definite length octets (X.690 section 8.1.3). */
    static byte[] length(int length) {
        if (length < 0x80) {
            return new byte[] {(byte) length};
        }
        int octets = (Integer.SIZE - Integer.numberOfLeadingZeros(length) + 7) / 8;
        byte[] encoded = new byte[octets + 1];
        encoded[0] = (byte) (0x80 | octets);
        for (int i = 0; i < octets; i++) {
            encoded[octets - i] = (byte) (length >>> (8 * i));
        }
        return encoded;
    }

    /** A TLV read from a buffer: its tag and the bounds of its content. */
    record Tlv(int tag, byte[] buffer, int start, int end) {

        byte[] content() {
            return java.util.Arrays.copyOfRange(buffer, start, end);
        }

        String text() {
            return new String(buffer, start, end - start, StandardCharsets.UTF_8);
        }

        long integer() {
            if (end == start || end - start > 8) {
                return Long.MIN_VALUE;
            }
            return new BigInteger(content()).longValue();
        }

        /** The TLVs inside this one's content. */
        List<Tlv> children() {
            return read(buffer, start, end);
        }
    }

    /** Every TLV between {@code from} and {@code to}; stops at the first that does not fit. */
    static List<Tlv> read(byte[] buffer, int from, int to) {
        List<Tlv> tlvs = new ArrayList<>();
        int at = from;
        while (at + 2 <= to) {
            int tag = buffer[at] & 0xff;
            int first = buffer[at + 1] & 0xff;
            int headerEnd = at + 2;
            long length = first;
            if (first > 0x80) {
                int count = first & 0x7f;
                if (count > 4 || at + 2 + count > to) {
                    break;
                }
                length = 0;
                for (int i = 0; i < count; i++) {
                    length = (length << 8) | (buffer[at + 2 + i] & 0xff);
                }
                headerEnd += count;
            } else if (first == 0x80) {
                break;
            }
            if (headerEnd + length > to) {
                break;
            }
            tlvs.add(new Tlv(tag, buffer, headerEnd, (int) (headerEnd + length)));
            at = (int) (headerEnd + length);
        }
        return tlvs;
    }
}
