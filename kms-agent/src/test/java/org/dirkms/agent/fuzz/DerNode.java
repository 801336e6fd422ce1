package org.dirkms.agent.fuzz;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One TLV of a BER/DER encoding (X.690 section 8.1), as a mutable tree the {@link DerMutator}
 * rearranges and encodes again with correct lengths. An OCTET STRING or BIT STRING whose
 * content is itself one or more DER objects starting with a SEQUENCE or SET (an extension value,
 * an RSA public key) is parsed into children too, so mutations reach inside it.
 */
final class DerNode {
    /** Deeper seeds are not split further; real certificates nest about 10 levels. */
    private static final int MAX_PARSE_DEPTH = 48;

    byte[] identifier;
    /** The content of a primitive node (children == null). */
    byte[] content;
    /** The children of a constructed or encapsulating node, or null. */
    List<DerNode> children;
    /** Octets before the children of an encapsulating node: a BIT STRING's unused-bits octet. */
    byte[] prefix = new byte[0];
    /** Encode with the indefinite length form (X.690 section 8.1.3.6): BER, not DER. */
    boolean indefinite;
    /** Depth below the root (0 for the root), for descriptions. */
    int depth;

    private DerNode() {
    }

    /** A primitive node. */
    static DerNode primitive(byte[] identifier, byte[] content) {
        DerNode node = new DerNode();
        node.identifier = identifier.clone();
        node.content = content.clone();
        return node;
    }

    /** A constructed node. */
    static DerNode constructed(byte[] identifier, List<DerNode> children) {
        DerNode node = new DerNode();
        node.identifier = identifier.clone();
        node.children = new ArrayList<>(children);
        return node;
    }

    /** The tree of {@code der}, or null when it is not exactly one definite-length TLV. */
    static DerNode parse(byte[] der) {
        int[] end = new int[1];
        DerNode node = parse(der, 0, der.length, 0, end);
        return node != null && end[0] == der.length ? node : null;
    }

    private static DerNode parse(byte[] bytes, int from, int to, int depth, int[] end) {
        Header header = Header.read(bytes, from, to);
        if (header == null || header.indefinite() || header.contentEnd() > to) {
            return null;
        }
        DerNode node = new DerNode();
        node.depth = depth;
        node.identifier = Arrays.copyOfRange(bytes, from, from + header.identifierLength());
        int start = header.contentStart();
        int stop = header.contentEnd();
        end[0] = stop;
        if (header.constructed()) {
            List<DerNode> children = depth < MAX_PARSE_DEPTH ? parseAll(bytes, start, stop, depth + 1) : null;
            if (children == null) {
                return null;
            }
            node.children = children;
            return node;
        }
        int tag = bytes[from] & 0xff;
        if (depth < MAX_PARSE_DEPTH && tag == 0x04 && stop - start > 2 && isStructure(bytes[start])) {
            node.children = parseAll(bytes, start, stop, depth + 1);
        } else if (depth < MAX_PARSE_DEPTH && tag == 0x03 && stop - start > 3 && bytes[start] == 0
                && isStructure(bytes[start + 1])) {
            node.children = parseAll(bytes, start + 1, stop, depth + 1);
            node.prefix = node.children == null ? new byte[0] : new byte[] {0};
        }
        if (node.children == null) {
            node.content = Arrays.copyOfRange(bytes, start, stop);
        }
        return node;
    }

    private static boolean isStructure(byte first) {
        return first == 0x30 || first == 0x31;
    }

    private static List<DerNode> parseAll(byte[] bytes, int from, int to, int depth) {
        List<DerNode> nodes = new ArrayList<>();
        int[] end = new int[1];
        int at = from;
        while (at < to) {
            DerNode child = parse(bytes, at, to, depth, end);
            if (child == null) {
                return null;
            }
            nodes.add(child);
            at = end[0];
        }
        return nodes;
    }

    /** The tag number of a low-tag-number identifier (X.690 section 8.1.2.2). */
    int tagNumber() {
        return identifier[0] & 0x1f;
    }

    /** Universal class and primitive? */
    boolean isUniversal(int tagNumber) {
        return (identifier[0] & 0xc0) == 0 && tagNumber() == tagNumber && identifier.length == 1;
    }

    boolean isConstructedTag() {
        return (identifier[0] & 0x20) != 0;
    }

    /** A short name of the tag for descriptions, e.g. {@code SEQUENCE}, {@code [0]}, {@code INTEGER}. */
    String tagName() {
        int first = identifier[0] & 0xff;
        if ((first & 0xc0) == 0x80) {
            return "[" + (first & 0x1f) + "]";
        }
        if ((first & 0xc0) != 0) {
            return "tag 0x" + Integer.toHexString(first);
        }
        return switch (first & 0x1f) {
            case 1 -> "BOOLEAN";
            case 2 -> "INTEGER";
            case 3 -> "BIT STRING";
            case 4 -> "OCTET STRING";
            case 5 -> "NULL";
            case 6 -> "OID";
            case 10 -> "ENUMERATED";
            case 12 -> "UTF8String";
            case 16 -> "SEQUENCE";
            case 17 -> "SET";
            case 19 -> "PrintableString";
            case 20 -> "T61String";
            case 22 -> "IA5String";
            case 23 -> "UTCTime";
            case 24 -> "GeneralizedTime";
            case 30 -> "BMPString";
            default -> "universal " + (first & 0x1f);
        };
    }

    /** This node and every node below it, parents first. */
    List<DerNode> preorder() {
        List<DerNode> all = new ArrayList<>();
        collect(this, all);
        return all;
    }

    private static void collect(DerNode node, List<DerNode> all) {
        all.add(node);
        if (node.children != null) {
            for (DerNode child : node.children) {
                collect(child, all);
            }
        }
    }

    /** The parent of {@code node} below this root, or null. */
    DerNode parentOf(DerNode node) {
        if (children == null) {
            return null;
        }
        for (DerNode child : children) {
            if (child == node) {
                return this;
            }
            DerNode found = child.parentOf(node);
            if (found != null) {
                return found;
            }
        }
        return null;
    }

    /** A deep copy. */
    DerNode copy() {
        DerNode copy = new DerNode();
        copy.identifier = identifier.clone();
        copy.content = content == null ? null : content.clone();
        copy.prefix = prefix.clone();
        copy.indefinite = indefinite;
        copy.depth = depth;
        if (children != null) {
            copy.children = new ArrayList<>();
            for (DerNode child : children) {
                copy.children.add(child.copy());
            }
        }
        return copy;
    }

    /** The content octets as they will be encoded. */
    byte[] encodedContent() {
        if (children == null) {
            return content;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(prefix);
        for (DerNode child : children) {
            out.writeBytes(child.encode());
        }
        return out.toByteArray();
    }

    /**
     * The encoding: definite minimal lengths (DER), or the indefinite form with end-of-contents
     * octets where {@link #indefinite} is set. Iterative over deep single-child chains, which
     * the mutator makes thousands of levels deep.
     */
    byte[] encode() {
        List<DerNode> chain = new ArrayList<>();
        DerNode node = this;
        while (node.children != null && node.children.size() == 1 && node.prefix.length == 0) {
            chain.add(node);
            node = node.children.get(0);
        }
        byte[] inner = node.encodeOne(node.encodedContent());
        if (chain.isEmpty()) {
            return inner;
        }
        // Sizes bottom-up, then one pass: copying the inner encoding once per level would be
        // quadratic in the depth.
        int levels = chain.size();
        long[] size = new long[levels + 1];
        size[levels] = inner.length;
        for (int i = levels - 1; i >= 0; i--) {
            DerNode level = chain.get(i);
            long header = level.indefinite ? 1 : length((int) size[i + 1]).length;
            size[i] = level.identifier.length + header + size[i + 1] + (level.indefinite ? 2 : 0);
            if (size[i] > Integer.MAX_VALUE - 16) {
                throw new IllegalStateException("an encoding past 2 GiB");
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream((int) size[0]);
        for (int i = 0; i < levels; i++) {
            DerNode level = chain.get(i);
            out.writeBytes(level.identifier);
            out.writeBytes(level.indefinite ? new byte[] {(byte) 0x80} : length((int) size[i + 1]));
        }
        out.writeBytes(inner);
        for (int i = levels - 1; i >= 0; i--) {
            if (chain.get(i).indefinite) {
                out.write(0);
                out.write(0);
            }
        }
        return out.toByteArray();
    }

    private byte[] encodeOne(byte[] body) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(body.length + 8);
        out.writeBytes(identifier);
        out.writeBytes(indefinite ? new byte[] {(byte) 0x80} : length(body.length));
        out.writeBytes(body);
        if (indefinite) {
            out.write(0);
            out.write(0);
        }
        return out.toByteArray();
    }

    /** The DER length octets of {@code length} (X.690 section 10.1). */
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

    /**
     * The header of the TLV at {@code from}, read leniently (any identifier, length form).
     *
     * @param identifierLength octets of the identifier
     * @param lengthLength     octets of the length field
     * @param contentLength    the content length it states (-1 for the indefinite form)
     */
    record Header(int from, int identifierLength, int lengthLength, int contentLength, boolean constructed) {

        boolean indefinite() {
            return contentLength < 0;
        }

        int contentStart() {
            return from + identifierLength + lengthLength;
        }

        int contentEnd() {
            return contentStart() + contentLength;
        }

        /** The header at {@code from}, or null when the octets before {@code to} do not hold one. */
        static Header read(byte[] bytes, int from, int to) {
            if (from >= to) {
                return null;
            }
            int at = from;
            int first = bytes[at++] & 0xff;
            if ((first & 0x1f) == 0x1f) {
                while (at < to && (bytes[at] & 0x80) != 0) {
                    at++;
                }
                at++;
            }
            if (at >= to) {
                return null;
            }
            int identifierLength = at - from;
            int lengthOctet = bytes[at++] & 0xff;
            int contentLength;
            int lengthLength = 1;
            if (lengthOctet < 0x80) {
                contentLength = lengthOctet;
            } else if (lengthOctet == 0x80) {
                contentLength = -1;
            } else {
                int count = lengthOctet & 0x7f;
                if (count > 4 || at + count > to) {
                    return null;
                }
                long value = 0;
                for (int i = 0; i < count; i++) {
                    value = (value << 8) | (bytes[at++] & 0xff);
                }
                if (value > Integer.MAX_VALUE / 2) {
                    return null;
                }
                contentLength = (int) value;
                lengthLength += count;
            }
            return new Header(from, identifierLength, lengthLength, contentLength, (first & 0x20) != 0);
        }
    }
}
