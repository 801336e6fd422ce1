package org.dirkms.it.fuzz;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A search filter (RFC 4511 section 4.5.1.7) as the fuzz suite builds it: any shape, any
 * attribute description and assertion value, encoded as given. {@link #describe()} renders it
 * like RFC 4515 text, cut short, with assertion values of secrets shown as their length only.
 */
sealed interface FilterTerm {

    /** The BER of this filter. */
    byte[] encode();

    /** RFC 4515-like text, at most about {@code budget} characters. */
    void describe(StringBuilder out, int budget);

    default String describe() {
        StringBuilder out = new StringBuilder();
        describe(out, 160);
        return out.length() > 160 ? out.substring(0, 160) + "..." : out.toString();
    }

    /** and [0], or [1]: a SET OF filters (empty is RFC 4526's absolute true or false). */
    record Branch(boolean and, List<FilterTerm> children) implements FilterTerm {
        @Override
        public byte[] encode() {
            // Encoded without recursion into single-child chains: a filter may be nested
            // tens of thousands of levels deep.
            List<Branch> chain = new ArrayList<>();
            FilterTerm node = this;
            while (node instanceof Branch branch && branch.children.size() == 1) {
                chain.add(branch);
                node = branch.children.get(0);
            }
            byte[] inner;
            if (node instanceof Branch branch) {
                List<byte[]> parts = new ArrayList<>();
                for (FilterTerm child : branch.children) {
                    parts.add(child.encode());
                }
                inner = Ber.constructed(branch.and ? 0xa0 : 0xa1, parts);
            } else {
                inner = node.encode();
            }
            for (int i = chain.size() - 1; i >= 0; i--) {
                inner = Ber.tlv(chain.get(i).and ? 0xa0 : 0xa1, inner);
            }
            return inner;
        }

        @Override
        public void describe(StringBuilder out, int budget) {
            int depth = 0;
            FilterTerm node = this;
            while (node instanceof Branch branch && branch.children.size() == 1 && depth < 100_000) {
                depth++;
                node = branch.children.get(0);
            }
            if (depth > 3) {
                out.append("(").append(and ? "&" : "|").append(" x").append(depth).append(" levels ");
                node.describe(out, budget);
                out.append(")");
                return;
            }
            out.append('(').append(and ? '&' : '|');
            if (children.size() > 8) {
                out.append(children.size()).append(" children: ");
            }
            for (FilterTerm child : children) {
                if (out.length() > budget) {
                    out.append("...");
                    break;
                }
                child.describe(out, budget);
            }
            out.append(')');
        }
    }

    /** not [2]. */
    record Not(FilterTerm child) implements FilterTerm {
        @Override
        public byte[] encode() {
            int depth = 0;
            FilterTerm node = this;
            while (node instanceof Not not) {
                depth++;
                node = not.child;
            }
            byte[] inner = node.encode();
            for (int i = 0; i < depth; i++) {
                inner = Ber.tlv(0xa2, inner);
            }
            return inner;
        }

        @Override
        public void describe(StringBuilder out, int budget) {
            out.append("(!");
            child.describe(out, budget);
            out.append(')');
        }
    }

    /** equalityMatch [3], greaterOrEqual [5], lessOrEqual [6], approxMatch [8]. */
    record Assertion(int tag, byte[] attribute, byte[] value, boolean secretValue) implements FilterTerm {
        @Override
        public byte[] encode() {
            return Ber.constructed(tag, Ber.tlv(0x04, attribute), Ber.tlv(0x04, value));
        }

        @Override
        public void describe(StringBuilder out, int budget) {
            String operator = switch (tag) {
                case 0xa5 -> ">=";
                case 0xa6 -> "<=";
                case 0xa8 -> "~=";
                default -> "=";
            };
            out.append('(').append(text(attribute)).append(operator).append(FilterTerm.value(value, secretValue)).append(')');
        }
    }

    /** substrings [4]: components are {@code [0x80 initial, 0x81 any, 0x82 final]} tags with values. */
    record Substrings(byte[] attribute, List<Integer> tags, List<byte[]> values, boolean secretValue) implements FilterTerm {
        @Override
        public byte[] encode() {
            List<byte[]> parts = new ArrayList<>();
            for (int i = 0; i < tags.size(); i++) {
                parts.add(Ber.tlv(tags.get(i), values.get(i)));
            }
            return Ber.constructed(0xa4, Ber.tlv(0x04, attribute), Ber.constructed(0x30, parts));
        }

        @Override
        public void describe(StringBuilder out, int budget) {
            out.append('(').append(text(attribute)).append('=');
            for (int i = 0; i < tags.size() && i < 6; i++) {
                String kind = tags.get(i) == 0x80 ? "^" : tags.get(i) == 0x82 ? "$" : "*";
                out.append(kind).append(FilterTerm.value(values.get(i), secretValue));
            }
            if (tags.size() > 6) {
                out.append("... ").append(tags.size()).append(" components");
            }
            out.append(')');
        }
    }

    /** present [7]. */
    record Present(byte[] attribute) implements FilterTerm {
        @Override
        public byte[] encode() {
            return Ber.tlv(0x87, attribute);
        }

        @Override
        public void describe(StringBuilder out, int budget) {
            out.append('(').append(text(attribute)).append("=*)");
        }
    }

    /** extensibleMatch [9]: rule [1] and type [2] optional, value [3], dnAttributes [4]. */
    record Extensible(byte[] rule, byte[] type, byte[] value, boolean dnAttributes, boolean secretValue)
            implements FilterTerm {
        @Override
        public byte[] encode() {
            List<byte[]> parts = new ArrayList<>();
            if (rule != null) {
                parts.add(Ber.tlv(0x81, rule));
            }
            if (type != null) {
                parts.add(Ber.tlv(0x82, type));
            }
            parts.add(Ber.tlv(0x83, value));
            if (dnAttributes) {
                parts.add(Ber.bool(0x84, true));
            }
            return Ber.constructed(0xa9, parts);
        }

        @Override
        public void describe(StringBuilder out, int budget) {
            out.append('(').append(type == null ? "" : text(type)).append(dnAttributes ? ":dn" : "")
                    .append(rule == null ? "" : ":" + text(rule)).append(":=").append(FilterTerm.value(value, secretValue))
                    .append(')');
        }
    }

    /** Octets sent as a filter as they are: a malformed filter. */
    record Raw(byte[] octets, String what) implements FilterTerm {
        @Override
        public byte[] encode() {
            return octets.clone();
        }

        @Override
        public void describe(StringBuilder out, int budget) {
            out.append("<malformed: ").append(what).append('>');
        }
    }

    /** Readable text for a description: printable ASCII as is, the rest escaped, long values cut. */
    static String text(byte[] bytes) {
        StringBuilder out = new StringBuilder();
        int shown = Math.min(bytes.length, 40);
        String decoded = new String(bytes, 0, shown, StandardCharsets.ISO_8859_1);
        for (char c : decoded.toCharArray()) {
            if (c >= 0x20 && c < 0x7f && c != '\\') {
                out.append(c);
            } else {
                out.append(String.format("\\%02x", (int) c));
            }
        }
        if (bytes.length > shown) {
            out.append("...(").append(bytes.length).append(" octets)");
        }
        return out.toString();
    }

    /** A value for a description: a secret is shown by its length only. */
    static String value(byte[] value, boolean secret) {
        return secret ? "<secret, " + value.length + " octets>" : text(value);
    }
}
