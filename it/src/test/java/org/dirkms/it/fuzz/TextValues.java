package org.dirkms.it.fuzz;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.regex.Pattern;

import org.dirkms.schema.AttributeTypeDefinition;
import org.dirkms.schema.LdapEnumeration;
import org.dirkms.schema.Syntax;

/**
 * Values of an attribute type by its syntax (RFC 4517) and enumeration: valid ones, known
 * invalid ones, and mutations of either ({@link TextMutator}), each with its {@link Validity}
 * where an oracle decides (the enumeration; RFC 4517's grammars of INTEGER and Boolean; ASCII
 * for IA5String) and {@link Validity#UNKNOWN} where none does.
 */
final class TextValues {

    private static final Pattern INTEGER = Pattern.compile("0|-?[1-9][0-9]*");
    private static final List<String> VALID_INTEGERS = List.of("0", "1", "-1", "42", "2147483647", "2147483648",
            "-9223372036854775809", "1" + "0".repeat(400));
    private static final List<String> INVALID_INTEGERS = List.of("", "+1", "01", "-0", "1.0", "1e3", "0x10", " 1",
            "1 ", "١٢", "\uFF11", "--1", "-", "one");
    private static final List<String> VALID_TIMES = List.of("20261125103000Z", "20261125103000.123Z", "202611251030Z",
            "2026112510Z", "20261125103000+0100", "20261125103000,5Z", "19700101000000Z");
    private static final List<String> INVALID_TIMES = List.of("", "2026-11-25T10:30:00Z", "now", "20261125",
            "2026112510300Z", "Z", "20261125103000+9", "20261125103000.Z");
    private static final List<String> VALID_OIDS = List.of("1.3.6.1.5.5.7.3.4", "1.3.6.1.5.5.7.3.2", "2.5.29.37.0",
            "1.2.840.113549.1.9.1", "0.0");
    private static final List<String> INVALID_OIDS = List.of("", "1..2", "1.2.", ".1", "a.b", "1.2.3 ", "1,2,3", "-1.2");
    private static final List<String> TEXTS = List.of("a plain value", "Zürich ✓", "x", "a reason: the CA was down",
            "worker-1@host", "cn=looks,dc=like,dc=a-dn", "*", "\\2a", "12345");

    private TextValues() {
    }

    /** A value for {@code type}. */
    static Value of(AttributeTypeDefinition type, SplittableRandom random) {
        Syntax syntax = type.syntax();
        if (type.enumeration() != null) {
            List<String> values = Arrays.stream(type.enumeration().getEnumConstants()).map(LdapEnumeration::ldapValue)
                    .toList();
            String seed = values.get(random.nextInt(values.size()));
            if (random.nextInt(3) == 0) {
                return new Value(utf8(seed), Validity.VALID, "'" + seed + "'");
            }
            TextMutator.Mutated mutated = TextMutator.mutate(seed, random);
            boolean member = mutated.text() != null && values.contains(mutated.text());
            return new Value(mutated.octets(), member ? Validity.VALID : Validity.INVALID, "'" + seed + "' " + mutated.what());
        }
        return switch (syntax) {
            case INTEGER -> grammar(random, VALID_INTEGERS, INVALID_INTEGERS, INTEGER);
            case GENERALIZED_TIME -> listed(random, VALID_TIMES, INVALID_TIMES);
            case OID -> listed(random, VALID_OIDS, INVALID_OIDS);
            // RFC 4517 section 3.3.3 in ABNF, whose quoted strings are case-insensitive (RFC 5234).
            case BOOLEAN -> grammar(random, List.of("TRUE", "FALSE", "true"), List.of("", "yes", "1", "T", "TRUE FALSE"),
                    Pattern.compile("TRUE|FALSE", Pattern.CASE_INSENSITIVE));
            case IA5_STRING -> ia5(random);
            case DN -> DnStrings.value(random);
            case OCTET_STRING -> octets(random);
            case DIRECTORY_STRING, ENUMERATED_STRING -> directoryString(random);
        };
    }

    /** A value of the grammar {@code valid}: valid and invalid samples and mutations judged by the grammar. */
    private static Value grammar(SplittableRandom random, List<String> valid, List<String> invalid, Pattern grammar) {
        int draw = random.nextInt(3);
        String seed = draw == 0 ? Draw.one(random, valid) : Draw.one(random, invalid);
        if (draw < 2) {
            return new Value(utf8(seed), grammar.matcher(seed).matches() ? Validity.VALID : Validity.INVALID,
                    "'" + abbreviate(seed) + "'");
        }
        TextMutator.Mutated mutated = TextMutator.mutate(Draw.one(random, valid), random);
        Validity validity = mutated.text() == null ? Validity.INVALID
                : grammar.matcher(mutated.text()).matches() ? Validity.VALID : Validity.INVALID;
        return new Value(mutated.octets(), validity, mutated.what());
    }

    /** Listed valid and invalid samples; a mutation is not judged. */
    private static Value listed(SplittableRandom random, List<String> valid, List<String> invalid) {
        int draw = random.nextInt(3);
        if (draw == 0) {
            String seed = Draw.one(random, valid);
            return new Value(utf8(seed), Validity.VALID, "'" + seed + "'");
        }
        if (draw == 1) {
            String seed = Draw.one(random, invalid);
            return new Value(utf8(seed), Validity.INVALID, "'" + seed + "'");
        }
        TextMutator.Mutated mutated = TextMutator.mutate(Draw.one(random, valid), random);
        return new Value(mutated.octets(), Validity.UNKNOWN, mutated.what());
    }

    private static Value ia5(SplittableRandom random) {
        String seed = Draw.one(random, List.of("example.org", "0f3a9c", "mail.example.com", "a"));
        if (random.nextInt(3) == 0) {
            return new Value(utf8(seed), Validity.VALID, "'" + seed + "'");
        }
        TextMutator.Mutated mutated = TextMutator.mutate(seed, random);
        Validity validity = mutated.text() == null || !mutated.text().chars().allMatch(c -> c < 0x80)
                ? Validity.INVALID : mutated.text().isEmpty() ? Validity.UNKNOWN : Validity.VALID;
        return new Value(mutated.octets(), validity, mutated.what());
    }

    private static Value directoryString(SplittableRandom random) {
        String seed = Draw.one(random, TEXTS);
        if (random.nextInt(3) == 0) {
            return new Value(utf8(seed), Validity.VALID, "'" + seed + "'");
        }
        TextMutator.Mutated mutated = TextMutator.mutate(seed, random);
        Validity validity = mutated.text() == null ? Validity.UNKNOWN
                : mutated.text().isEmpty() ? Validity.INVALID : Validity.UNKNOWN;
        return new Value(mutated.octets(), validity, mutated.what());
    }

    private static Value octets(SplittableRandom random) {
        int length = random.nextInt(10) == 0 ? 100_000 : random.nextInt(300);
        byte[] bytes = new byte[length];
        random.nextBytes(bytes);
        return new Value(bytes, length == 0 ? Validity.UNKNOWN : Validity.VALID, length + " random octets");
    }

    static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    static String abbreviate(String text) {
        String shown = text.length() > 40 ? text.substring(0, 40) + "...(" + text.length() + " chars)" : text;
        StringBuilder out = new StringBuilder();
        shown.codePoints().forEach(c -> {
            if (c >= 0x20 && c < 0x7f) {
                out.appendCodePoint(c);
            } else {
                out.append("\\u").append(Integer.toHexString(c));
            }
        });
        return out.toString();
    }

    /**
     * A value and what the generator knows of it.
     *
     * @param octets      the value as sent
     * @param validity    whether its attribute accepts it
     * @param description what it is, never a secret (secrets are random octets, described by length)
     */
    record Value(byte[] octets, Validity validity, String description) {
    }

    /** Values for many attributes at once, e.g. a multi-valued add. */
    static List<Value> several(AttributeTypeDefinition type, SplittableRandom random, int count) {
        List<Value> values = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            values.add(of(type, random));
        }
        return values;
    }
}
