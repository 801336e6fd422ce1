package org.dirkms.agent.fuzz;

import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Deque;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A structure-aware mutator of DER values (X.690): given a valid seed (a certificate, a CRL, a
 * PKCS#10 request, a CMS ContentInfo) it makes a value that is almost right, the way a broken
 * encoder, a truncated transfer or an attacker would: bit flips, truncation, corrupted length
 * fields, changed tags of nested elements, deleted, duplicated, swapped and spliced elements,
 * oversize and empty contents, edge values of INTEGER, OBJECT IDENTIFIER, strings and times,
 * deep nesting, BER's indefinite lengths, trailing bytes, random bytes, PEM text instead of DER,
 * and valid objects of the wrong type (the donors).
 *
 * <p>Every choice is drawn from the {@link SplittableRandom} given, so a seed, a donor list and
 * a generator state always give the same mutation. One to three mutations are stacked; those
 * that need the tree fall back to byte-level ones once an earlier mutation broke the framing.
 */
public final class DerMutator {

    /** Sizes of oversize contents: past one and two length octets, past 64 KiB, and (rarely) 300 KB. */
    private static final int[] OVERSIZE = {200, 5_000, 70_000, 300_000};
    /** Depths of nesting: harmless, deep for a recursive parser, very deep. */
    private static final int[] NESTING = {3, 200, 5_000, 40_000};
    private static final int[] INTERESTING_BYTES = {0x00, 0xff, 0x7f, 0x80, 0x81, 0x30, 0x05, 0xa0};
    private static final int[] TAGS = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x0a, 0x0c, 0x13, 0x16, 0x17, 0x18,
        0x1e, 0x1f, 0x30, 0x31, 0x80, 0x81, 0xa0, 0xa1, 0xa3, 0x24, 0x23, 0xff};

    private final List<byte[]> donors;

    /**
     * @param donors valid DER objects of other types, for splicing and wrong-type values (may
     *               be empty)
     */
    public DerMutator(List<byte[]> donors) {
        this.donors = donors.stream().map(byte[]::clone).toList();
    }

    /** A mutation of {@code seed}, drawn from {@code random}. */
    public Mutation mutate(byte[] seed, SplittableRandom random) {
        int steps = random.nextInt(4) == 0 ? 2 + random.nextInt(2) : 1;
        byte[] value = seed.clone();
        List<String> applied = new ArrayList<>();
        for (int step = 0; step < steps; step++) {
            Mutation next = once(value, random);
            value = next.bytes();
            applied.add(next.description());
        }
        return new Mutation(value, String.join(" + ", applied) + " (" + value.length + " bytes)");
    }

    private Mutation once(byte[] value, SplittableRandom random) {
        int choice = random.nextInt(100);
        DerNode tree = choice < 55 ? DerNode.parse(value) : null;
        if (tree != null) {
            return treeMutation(tree, random);
        }
        return byteMutation(value, random, choice);
    }

    // ---------------------------------------------------------------- byte level

    private Mutation byteMutation(byte[] value, SplittableRandom random, int choice) {
        int kind = choice < 55 ? random.nextInt(100) : choice;
        if (value.length == 0 || kind < 12) {
            return randomBytes(random);
        }
        if (kind < 30) {
            return flipBits(value, random);
        }
        if (kind < 40) {
            return interestingBytes(value, random);
        }
        if (kind < 52) {
            return truncate(value, random);
        }
        if (kind < 70) {
            return corruptLength(value, random);
        }
        if (kind < 82) {
            return changeTagInPlace(value, random);
        }
        if (kind < 88) {
            return appendTrailing(value, random);
        }
        if (kind < 92) {
            return pemText(value, random);
        }
        if (kind < 94) {
            return new Mutation(new byte[0], "empty");
        }
        return wholeDonor(value, random);
    }

    private static Mutation randomBytes(SplittableRandom random) {
        int length = random.nextInt(4) == 0 ? random.nextInt(8) : random.nextInt(1024);
        byte[] bytes = new byte[length];
        random.nextBytes(bytes);
        if (length > 2 && random.nextBoolean()) {
            // A plausible SEQUENCE header over random content.
            bytes[0] = 0x30;
            byte[] header = DerNode.length(length - 1 - DerNode.length(length).length);
            System.arraycopy(header, 0, bytes, 1, Math.min(header.length, length - 1));
        }
        return new Mutation(bytes, "random bytes");
    }

    private static Mutation flipBits(byte[] value, SplittableRandom random) {
        byte[] bytes = value.clone();
        int flips = 1 + random.nextInt(4);
        StringBuilder where = new StringBuilder();
        for (int i = 0; i < flips; i++) {
            int at = random.nextInt(bytes.length);
            bytes[at] ^= (byte) (1 << random.nextInt(8));
            where.append(i == 0 ? "" : ",").append(at);
        }
        return new Mutation(bytes, "bit flip @" + where);
    }

    private static Mutation interestingBytes(byte[] value, SplittableRandom random) {
        byte[] bytes = value.clone();
        int at = random.nextInt(bytes.length);
        int chosen = INTERESTING_BYTES[random.nextInt(INTERESTING_BYTES.length)];
        bytes[at] = (byte) chosen;
        return new Mutation(bytes, "byte @" + at + "=0x" + Integer.toHexString(chosen));
    }

    private static Mutation truncate(byte[] value, SplittableRandom random) {
        List<DerNode.Header> headers = headers(value);
        int at;
        if (!headers.isEmpty() && random.nextBoolean()) {
            DerNode.Header header = headers.get(random.nextInt(headers.size()));
            at = random.nextBoolean() ? header.from() : Math.min(value.length - 1, header.contentStart());
        } else {
            at = random.nextInt(value.length);
        }
        return new Mutation(Arrays.copyOf(value, at), "truncated to " + at);
    }

    private static Mutation corruptLength(byte[] value, SplittableRandom random) {
        List<DerNode.Header> headers = headers(value);
        if (headers.isEmpty()) {
            return flipBits(value, random);
        }
        DerNode.Header header = headers.get(random.nextInt(headers.size()));
        int stated = Math.max(header.contentLength(), 0);
        byte[] replacement;
        String what;
        switch (random.nextInt(8)) {
            case 0 -> {
                replacement = DerNode.length(stated + 1);
                what = "+1";
            }
            case 1 -> {
                replacement = DerNode.length(Math.max(0, stated - 1));
                what = "-1";
            }
            case 2 -> {
                replacement = new byte[] {0};
                what = "0";
            }
            case 3 -> {
                replacement = new byte[] {(byte) 0x80};
                what = "indefinite";
            }
            case 4 -> {
                replacement = new byte[] {(byte) 0x84, 0x7f, (byte) 0xff, (byte) 0xff, (byte) 0xff};
                what = "2^31-1";
            }
            case 5 -> {
                replacement = new byte[] {(byte) 0x82, (byte) (stated >> 8), (byte) stated};
                what = "non-minimal";
            }
            case 6 -> {
                replacement = new byte[] {(byte) 0x89, 1, 0, 0, 0, 0, 0, 0, 0, 0};
                what = "9 length octets";
            }
            default -> {
                replacement = new byte[] {(byte) 0xff};
                what = "0xff";
            }
        }
        int lengthAt = header.from() + header.identifierLength();
        byte[] bytes = splice(value, lengthAt, header.lengthLength(), replacement);
        return new Mutation(bytes, "length " + what + " @" + lengthAt);
    }

    private static Mutation changeTagInPlace(byte[] value, SplittableRandom random) {
        List<DerNode.Header> headers = headers(value);
        if (headers.isEmpty()) {
            return flipBits(value, random);
        }
        DerNode.Header header = headers.get(random.nextInt(headers.size()));
        int tag = TAGS[random.nextInt(TAGS.length)];
        byte[] bytes = splice(value, header.from(), header.identifierLength(), new byte[] {(byte) tag});
        return new Mutation(bytes, "tag 0x" + Integer.toHexString(tag) + " @" + header.from());
    }

    private static Mutation appendTrailing(byte[] value, SplittableRandom random) {
        byte[] tail;
        String what;
        switch (random.nextInt(3)) {
            case 0 -> {
                tail = new byte[] {0, 0};
                what = "end-of-contents";
            }
            case 1 -> {
                tail = value.clone();
                what = "a second copy";
            }
            default -> {
                tail = new byte[1 + random.nextInt(16)];
                random.nextBytes(tail);
                what = tail.length + " random bytes";
            }
        }
        byte[] bytes = Arrays.copyOf(value, value.length + tail.length);
        System.arraycopy(tail, 0, bytes, value.length, tail.length);
        return new Mutation(bytes, "trailing " + what);
    }

    private static Mutation pemText(byte[] value, SplittableRandom random) {
        String label = random.nextBoolean() ? "CERTIFICATE" : "CERTIFICATE REQUEST";
        String pem = "-----BEGIN " + label + "-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(value)
                + "\n-----END " + label + "-----\n";
        return new Mutation(pem.getBytes(StandardCharsets.US_ASCII), "PEM text");
    }

    private Mutation wholeDonor(byte[] value, SplittableRandom random) {
        if (donors.isEmpty()) {
            return randomBytes(random);
        }
        int index = random.nextInt(donors.size());
        return new Mutation(donors.get(index).clone(), "wrong-type object #" + index);
    }

    private static byte[] splice(byte[] value, int at, int removed, byte[] inserted) {
        byte[] bytes = new byte[value.length - removed + inserted.length];
        System.arraycopy(value, 0, bytes, 0, at);
        System.arraycopy(inserted, 0, bytes, at, inserted.length);
        System.arraycopy(value, at + removed, bytes, at + inserted.length, value.length - at - removed);
        return bytes;
    }

    /**
     * The headers of the TLVs found in {@code value}, scanned leniently (stopping where the
     * framing breaks), into constructed contents and into OCTET and BIT STRINGs that hold DER.
     */
    static List<DerNode.Header> headers(byte[] value) {
        List<DerNode.Header> found = new ArrayList<>();
        Deque<int[]> ranges = new ArrayDeque<>();
        ranges.push(new int[] {0, value.length});
        while (!ranges.isEmpty() && found.size() < 4096) {
            int[] range = ranges.pop();
            int at = range[0];
            while (at < range[1]) {
                DerNode.Header header = DerNode.Header.read(value, at, range[1]);
                if (header == null || header.indefinite() || header.contentEnd() > range[1]) {
                    break;
                }
                found.add(header);
                int start = header.contentStart();
                int tag = value[at] & 0xff;
                if (header.constructed()) {
                    ranges.push(new int[] {start, header.contentEnd()});
                } else if (tag == 0x04 && header.contentLength() > 2 && value[start] == 0x30) {
                    ranges.push(new int[] {start, header.contentEnd()});
                } else if (tag == 0x03 && header.contentLength() > 3 && value[start] == 0 && value[start + 1] == 0x30) {
                    ranges.push(new int[] {start + 1, header.contentEnd()});
                }
                at = header.contentEnd();
            }
        }
        return found;
    }

    // ---------------------------------------------------------------- tree level

    private Mutation treeMutation(DerNode root, SplittableRandom random) {
        List<DerNode> nodes = root.preorder();
        DerNode node = nodes.get(random.nextInt(nodes.size()));
        DerNode parent = root.parentOf(node);
        String where = " @#" + nodes.indexOf(node) + "(" + node.tagName() + ", depth " + node.depth + ")";
        int kind = random.nextInt(100);
        String what;
        if (kind < 10 && parent != null) {
            parent.children.remove(node);
            what = "deleted";
        } else if (kind < 18 && parent != null) {
            parent.children.add(parent.children.indexOf(node), node.copy());
            what = "duplicated";
        } else if (kind < 24 && parent != null && parent.children.size() > 1) {
            int other = random.nextInt(parent.children.size());
            int self = parent.children.indexOf(node);
            parent.children.set(self, parent.children.get(other));
            parent.children.set(other, node);
            what = "swapped with sibling " + other;
        } else if (kind < 34 && !donors.isEmpty()) {
            int index = random.nextInt(donors.size());
            DerNode donor = DerNode.parse(donors.get(index));
            if (donor == null) {
                return byteMutation(root.encode(), random, 60);
            }
            List<DerNode> donorNodes = donor.preorder();
            DerNode graft = donorNodes.get(random.nextInt(donorNodes.size()));
            replace(root, parent, node, graft);
            what = "replaced by " + graft.tagName() + " of wrong-type object #" + index;
            if (parent == null) {
                return new Mutation(graft.encode(), what + where);
            }
        } else if (kind < 44) {
            what = retag(node, random);
        } else if (kind < 52) {
            what = oversize(node, random);
        } else if (kind < 57) {
            if (node.children != null) {
                node.children.clear();
            } else {
                node.content = new byte[0];
            }
            what = "emptied";
        } else if (kind < 77) {
            what = edgeValue(root, random);
            where = "";
        } else if (kind < 85) {
            int depth = NESTING[random.nextInt(random.nextInt(8) == 0 ? NESTING.length : 2)];
            DerNode wrapped = node;
            for (int i = 0; i < depth; i++) {
                wrapped = DerNode.constructed(new byte[] {0x30}, List.of(wrapped));
            }
            if (parent == null) {
                return new Mutation(wrapped.encode(), "nested in " + depth + " SEQUENCEs" + where);
            }
            parent.children.set(parent.children.indexOf(node), wrapped);
            what = "nested in " + depth + " SEQUENCEs";
        } else if (kind < 92 && node.children != null) {
            node.indefinite = true;
            what = "indefinite length (BER)";
        } else if (parent != null) {
            byte[] extra = new byte[random.nextInt(6)];
            random.nextBytes(extra);
            parent.children.add(random.nextInt(parent.children.size() + 1),
                    DerNode.primitive(new byte[] {(byte) TAGS[random.nextInt(TAGS.length)]}, extra));
            what = "inserted a sibling";
        } else {
            return byteMutation(root.encode(), random, 60);
        }
        return new Mutation(root.encode(), what + where);
    }

    private static void replace(DerNode root, DerNode parent, DerNode node, DerNode graft) {
        if (parent != null) {
            parent.children.set(parent.children.indexOf(node), graft.copy());
        }
    }

    private static String retag(DerNode node, SplittableRandom random) {
        int tag = TAGS[random.nextInt(TAGS.length)];
        boolean constructed = (tag & 0x20) != 0;
        if (node.children != null && !constructed) {
            node.content = node.encodedContent();
            node.children = null;
        } else if (node.children == null && constructed) {
            DerNode inner = DerNode.parse(node.content);
            node.children = inner == null ? null : new ArrayList<>(List.of(inner));
        }
        node.identifier = new byte[] {(byte) tag};
        node.prefix = new byte[0];
        return "retagged 0x" + Integer.toHexString(tag);
    }

    private static String oversize(DerNode node, SplittableRandom random) {
        int size = OVERSIZE[random.nextInt(random.nextInt(6) == 0 ? OVERSIZE.length : 3)];
        if (node.children != null && !node.children.isEmpty() && random.nextBoolean()) {
            DerNode model = node.children.get(random.nextInt(node.children.size()));
            int copies = Math.min(20_000, Math.max(1, size / Math.max(1, model.encode().length)));
            for (int i = 0; i < copies; i++) {
                node.children.add(model.copy());
            }
            return "oversize: " + copies + " more children";
        }
        byte[] content = new byte[size];
        if (random.nextBoolean()) {
            random.nextBytes(content);
        } else {
            Arrays.fill(content, (byte) 'A');
        }
        node.children = null;
        node.prefix = new byte[0];
        node.content = content;
        return "oversize content " + size;
    }

    /** An edge value in an INTEGER, OID, string, time, BOOLEAN or BIT STRING of the tree. */
    private static String edgeValue(DerNode root, SplittableRandom random) {
        List<DerNode> primitives = new ArrayList<>();
        for (DerNode node : root.preorder()) {
            if (node.children == null && node.identifier.length == 1 && (node.identifier[0] & 0xe0) == 0) {
                primitives.add(node);
            }
        }
        if (primitives.isEmpty()) {
            return "no primitive to change";
        }
        DerNode node = primitives.get(random.nextInt(primitives.size()));
        String name = node.tagName();
        byte[][] candidates = switch (node.tagNumber()) {
            case 1 -> new byte[][] {{0x01}, {0, 0}, {}};
            case 2, 10 -> new byte[][] {{0, 0, 1}, {(byte) 0xff, (byte) 0xff}, {(byte) 0x80}, {}, {0},
                repeat((byte) 0x7f, 129), {(byte) 0xff}};
            case 3 -> new byte[][] {{8}, {(byte) 0xff, 0}, {7}, {}, {1}};
            case 5 -> new byte[][] {{0}, {1, 2, 3}};
            case 6 -> new byte[][] {{(byte) 0x80, 0x01}, {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff,
                (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x7f}, {0x2a}, {},
                {(byte) 0x88}, repeat((byte) 0x81, 300)};
            case 23, 24 -> new byte[][] {ascii("991301000000Z"), ascii("20261301000000Z"), ascii("2026"), {},
                ascii("20260101000000+9999"), ascii("20260230246060.999999999Z"), ascii("0000000000Z")};
            case 12, 19, 20, 22, 30 -> new byte[][] {{(byte) 0xc3, 0x28}, {(byte) 0xed, (byte) 0xa0, (byte) 0x80},
                {(byte) 0xf8, (byte) 0x88, (byte) 0x80, (byte) 0x80, (byte) 0x80}, {0}, {0x41}, {},
                repeat((byte) 0xe9, 1000), ascii("\u0000\r\n*()\\")};
            default -> new byte[][] {{}, {0}, {(byte) 0xff}};
        };
        node.content = candidates[random.nextInt(candidates.length)].clone();
        return "edge value (" + node.content.length + " octets) in " + name + " @depth " + node.depth;
    }

    private static byte[] repeat(byte value, int count) {
        byte[] bytes = new byte[count];
        Arrays.fill(bytes, value);
        return bytes;
    }

    private static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.ISO_8859_1);
    }
}
