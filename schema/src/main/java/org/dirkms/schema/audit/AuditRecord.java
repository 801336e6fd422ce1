package org.dirkms.schema.audit;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;

/**
 * One record of the audit log: who did what to which entry, touching which attributes. It never
 * holds an attribute value, so a secret cannot reach the log through it.
 *
 * <p>On disk a record is one line of eight tab-separated fields: sequence, time (ISO-8601 UTC),
 * actor DN, operation, target DN, attribute names (comma-separated, in the order given),
 * previous hash, hash. Tab, line feed, carriage return and backslash inside a field are written
 * as {@code \t}, {@code \n}, {@code \r} and {@code \\}, so one record is always one line.
 *
 * <p>The hash is the lower-case hex SHA-256 of the UTF-8 bytes of the first seven fields as
 * written (the canonical record, which includes the previous hash): changing any field of any
 * record, or removing or reordering records, breaks the chain from that record on.
 *
 * @param sequence     1 for the first record, then one more for each record
 * @param time         when the audited action happened
 * @param actor        DN of who did it over LDAP, or {@link #SERVER_ACTOR} for the server's own
 *                     writes (bootstrap, schema, a restarted chain)
 * @param operation    what was done: {@code add}, {@code modify}, {@code delete}, {@code rename}, ...
 * @param target       DN of the entry it was done to
 * @param attributes   names of the attributes it changed (never values)
 * @param previousHash hash of the record before ({@link #GENESIS_HASH} for the first)
 * @param hash         hash of this record
 */
public record AuditRecord(long sequence, Instant time, String actor, String operation, String target,
        List<String> attributes, String previousHash, String hash) {

    /**
     * The actor of the server's own writes. It is not a DN, so that they are never mistaken
     * for writes by the directory superuser {@code uid=admin,ou=system}, whose every use over
     * LDAP is in the log under its DN (docs/security.md).
     */
    public static final String SERVER_ACTOR = "dirkms-server";

    /** The previous hash of the first record: 64 zeros. */
    public static final String GENESIS_HASH = "0".repeat(64);

    /** Checks the fields and copies the attribute list. */
    public AuditRecord {
        Objects.requireNonNull(time, "time");
        Objects.requireNonNull(actor, "actor");
        Objects.requireNonNull(operation, "operation");
        Objects.requireNonNull(target, "target");
        attributes = List.copyOf(attributes);
        Objects.requireNonNull(previousHash, "previousHash");
        Objects.requireNonNull(hash, "hash");
    }

    /**
     * Makes the record that follows {@code previous}, computing its hash.
     *
     * @param previous the head of the chain so far
     */
    public static AuditRecord next(AuditHead previous, Instant time, String actor, String operation, String target,
            List<String> attributes) {
        long sequence = previous.sequence() + 1;
        String canonical = canonical(sequence, time, actor, operation, target, attributes, previous.hash());
        return new AuditRecord(sequence, time, actor, operation, target, attributes, previous.hash(),
                sha256Hex(canonical));
    }

    /** The head of the chain ending with this record. */
    public AuditHead head() {
        return new AuditHead(sequence, hash);
    }

    /** The hash this record must carry, recomputed from its other fields. */
    public String computedHash() {
        return sha256Hex(canonical(sequence, time, actor, operation, target, attributes, previousHash));
    }

    /** The record as one line of the log file, without the line end. */
    public String toLine() {
        return canonical(sequence, time, actor, operation, target, attributes, previousHash) + '\t' + hash;
    }

    /**
     * Reads one line of the log file.
     *
     * @throws IllegalArgumentException saying what is malformed (the line is not repeated,
     *         since it is the caller's to show)
     */
    public static AuditRecord parse(String line) {
        List<String> fields = split(line);
        if (fields.size() != 8) {
            throw new IllegalArgumentException("a record has 8 tab-separated fields, this line has " + fields.size());
        }
        long sequence;
        Instant time;
        try {
            sequence = Long.parseLong(fields.get(0));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("the sequence field is not a number");
        }
        try {
            time = Instant.parse(fields.get(1));
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("the time field is not an ISO-8601 instant");
        }
        List<String> attributes = fields.get(5).isEmpty() ? List.of() : List.of(fields.get(5).split(",", -1));
        return new AuditRecord(sequence, time, fields.get(2), fields.get(3), fields.get(4), attributes, fields.get(6),
                fields.get(7));
    }

    private static String canonical(long sequence, Instant time, String actor, String operation, String target,
            List<String> attributes, String previousHash) {
        return sequence + "\t" + time + '\t' + escape(actor) + '\t' + escape(operation) + '\t' + escape(target)
                + '\t' + escape(String.join(",", attributes)) + '\t' + previousHash;
    }

    private static String escape(String field) {
        StringBuilder out = new StringBuilder(field.length());
        for (int i = 0; i < field.length(); i++) {
            char c = field.charAt(i);
            switch (c) {
                case '\\' -> out.append("\\\\");
                case '\t' -> out.append("\\t");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                default -> out.append(c);
            }
        }
        return out.toString();
    }

    private static List<String> split(String line) {
        List<String> fields = new ArrayList<>();
        StringBuilder field = new StringBuilder();
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (c == '\t') {
                fields.add(field.toString());
                field.setLength(0);
            } else if (c == '\\' && i + 1 < line.length()) {
                char escaped = line.charAt(++i);
                field.append(switch (escaped) {
                    case 't' -> '\t';
                    case 'n' -> '\n';
                    case 'r' -> '\r';
                    default -> escaped;
                });
            } else {
                field.append(c);
            }
        }
        fields.add(field.toString());
        return fields;
    }

    static String sha256Hex(String text) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            return HexFormat.of().formatHex(digest.digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            // Every Java SE platform must provide SHA-256 (java.security.MessageDigest Javadoc).
            throw new IllegalStateException("SHA-256 is missing from this Java runtime", e);
        }
    }
}
