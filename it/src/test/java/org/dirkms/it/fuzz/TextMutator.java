package org.dirkms.it.fuzz;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Mutates text values the way a typo, a copy from a web page, a broken client or an attacker
 * does: case changes, inserted and deleted characters (LDAP and RFC 4514 specials, NUL, line
 * breaks, non-ASCII, right-to-left and zero-width marks, a surrogate pair, fullwidth digits),
 * surrounding spaces, truncation, repetition to tens or hundreds of kilobytes, and octets that
 * are not UTF-8 at all (overlong, surrogate, 0xFF, a lone continuation).
 */
final class TextMutator {

    private static final List<String> SPECIALS = List.of("\u0000", "\n", "\r\n", ",", "=", "+", "\\", "\"", "#", ";",
            "<", ">", " ", "*", "(", ")", "é", "€", "\uD834\uDD1E", "\u202E", "\u200B", "\uFEFF", "\uFF11", "-", ".",
            "%00", "${jndi:ldap://x}", "'", "\t", "\u00A0");
    private static final byte[][] NOT_UTF8 = {{(byte) 0xc0, (byte) 0x80}, {(byte) 0xed, (byte) 0xa0, (byte) 0x80},
        {(byte) 0xff}, {(byte) 0x80}, {(byte) 0xf8, (byte) 0x88, (byte) 0x80, (byte) 0x80, (byte) 0x80}};

    private TextMutator() {
    }

    /** A mutation of {@code seed}: the octets and what was done. */
    static Mutated mutate(String seed, SplittableRandom random) {
        String text = seed;
        int steps = 1 + (random.nextInt(3) == 0 ? random.nextInt(3) : 0);
        StringBuilder what = new StringBuilder();
        byte[] octets = null;
        for (int step = 0; step < steps; step++) {
            int kind = random.nextInt(100);
            if (what.length() > 0) {
                what.append(" + ");
            }
            if (kind < 15) {
                StringBuilder changed = new StringBuilder(text);
                for (int i = 0; i < changed.length(); i++) {
                    if (random.nextInt(3) == 0) {
                        char c = changed.charAt(i);
                        changed.setCharAt(i, Character.isUpperCase(c) ? Character.toLowerCase(c) : Character.toUpperCase(c));
                    }
                }
                text = changed.toString();
                what.append("case changed");
            } else if (kind < 40) {
                String special = SPECIALS.get(random.nextInt(SPECIALS.size()));
                int at = text.isEmpty() ? 0 : random.nextInt(text.length() + 1);
                text = text.substring(0, at) + special + text.substring(at);
                what.append("inserted U+").append(Integer.toHexString(special.isEmpty() ? 0 : special.codePointAt(0)))
                        .append(" at ").append(at);
            } else if (kind < 52 && !text.isEmpty()) {
                int at = random.nextInt(text.length());
                text = text.substring(0, at) + text.substring(at + 1);
                what.append("deleted char ").append(at);
            } else if (kind < 60) {
                text = (random.nextBoolean() ? " " : "") + text + (random.nextBoolean() ? " " : "  ");
                what.append("spaces around");
            } else if (kind < 68 && !text.isEmpty()) {
                int at = random.nextInt(text.length());
                text = text.substring(0, at);
                what.append("truncated to ").append(at);
            } else if (kind < 74) {
                int times = random.nextInt(5) == 0 ? 20_000 : 1 + random.nextInt(200);
                text = text.isEmpty() ? "x".repeat(times) : text.repeat(Math.max(1, times / Math.max(1, text.length() / 4)));
                if (text.length() > 400_000) {
                    text = text.substring(0, 400_000);
                }
                what.append("repeated to ").append(text.length()).append(" chars");
            } else if (kind < 80) {
                text = "";
                what.append("emptied");
            } else if (kind < 90) {
                byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
                byte[] bad = NOT_UTF8[random.nextInt(NOT_UTF8.length)];
                int at = bytes.length == 0 ? 0 : random.nextInt(bytes.length + 1);
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                out.write(bytes, 0, at);
                out.writeBytes(bad);
                out.write(bytes, at, bytes.length - at);
                octets = out.toByteArray();
                what.append("not UTF-8 at ").append(at);
                break; // octets from here on
            } else {
                int at = text.isEmpty() ? 0 : random.nextInt(text.length());
                char c = (char) (0x20 + random.nextInt(0x5f));
                text = text.isEmpty() ? String.valueOf(c) : text.substring(0, at) + c + text.substring(at + 1);
                what.append("replaced char ").append(at);
            }
        }
        return new Mutated(octets != null ? octets : text.getBytes(StandardCharsets.UTF_8), octets == null ? text : null,
                what.toString());
    }

    /**
     * A mutated value.
     *
     * @param octets the value as sent
     * @param text   the value as text, or null when the octets are not UTF-8
     * @param what   what was done
     */
    record Mutated(byte[] octets, String text, String what) {
    }
}
