package org.dirkms.agent.directory;

import java.math.BigInteger;
import java.util.Locale;
import org.apache.directory.api.ldap.model.entry.Value;

/**
 * A closed interval of {@code entryUUID} values (RFC 4530), by which {@link PagedSearch} splits a
 * search that a server's size limit cut short into two searches that together match exactly the
 * same entries: every entry has one entryUUID, which never changes, and RFC 4530 section 2.3
 * gives entryUUID the ordering rule {@code UUIDOrderingMatch}, which compares the 16 octets as an
 * unsigned number, as ApacheDS (string order of the lower-case form) and OpenLDAP (octet order) do.
 *
 * @param lowest  the least UUID in the interval, as an unsigned 128-bit number
 * @param highest the greatest UUID in the interval (inclusive)
 */
record EntryUuidRange(BigInteger lowest, BigInteger highest) {
    private static final BigInteger MAX = BigInteger.ONE.shiftLeft(128).subtract(BigInteger.ONE);
    private static final String ENTRY_UUID = "entryUUID";

    /** Every UUID: the range of a search that has not been split. */
    static final EntryUuidRange ALL = new EntryUuidRange(BigInteger.ZERO, MAX);

    EntryUuidRange {
        if (lowest.signum() < 0 || highest.compareTo(MAX) > 0 || lowest.compareTo(highest) > 0) {
            throw new IllegalArgumentException("not a range of 128-bit UUIDs: " + lowest + ".." + highest);
        }
    }

    /** Whether the range holds more than one UUID, so that it can be split. */
    boolean divisible() {
        return lowest.compareTo(highest) < 0;
    }

    /** The lower and the upper half: disjoint, together exactly this range, each non-empty. */
    EntryUuidRange[] halves() {
        if (!divisible()) {
            throw new IllegalStateException("a range of one UUID has no halves");
        }
        BigInteger middle = lowest.add(highest).shiftRight(1);
        return new EntryUuidRange[] {new EntryUuidRange(lowest, middle),
            new EntryUuidRange(middle.add(BigInteger.ONE), highest)};
    }

    /**
     * {@code filter} restricted to entries whose entryUUID lies in this range; {@code filter}
     * itself for {@link #ALL}, so that a search that fits the server's limit is sent unchanged.
     */
    String restrict(String filter) {
        StringBuilder restricted = new StringBuilder();
        if (lowest.signum() > 0) {
            restricted.append('(').append(ENTRY_UUID).append(">=").append(uuid(lowest)).append(')');
        }
        if (highest.compareTo(MAX) < 0) {
            restricted.append('(').append(ENTRY_UUID).append("<=").append(uuid(highest)).append(')');
        }
        return restricted.isEmpty() ? filter : "(&" + filter + restricted + ")";
    }

    /** Whether {@code uuid} (an unsigned 128-bit number) lies in this range. */
    boolean contains(BigInteger uuid) {
        return lowest.compareTo(uuid) <= 0 && uuid.compareTo(highest) <= 0;
    }

    /**
     * The unsigned number of an entryUUID value as a server returned it: the RFC 4122 string
     * form, or the 16 octets; null if it is neither.
     */
    static BigInteger value(Value value) {
        if (!value.isHumanReadable()) {
            byte[] octets = value.getBytes();
            return octets != null && octets.length == 16 ? new BigInteger(1, octets) : null;
        }
        String hex = value.getString().trim().replace("-", "");
        if (hex.length() != 32 || !hex.chars().allMatch(c -> Character.digit(c, 16) >= 0)) {
            return null;
        }
        return new BigInteger(hex, 16);
    }

    /** RFC 4122 section 3 string form, lower case: 8-4-4-4-12 hexadecimal digits. */
    static String uuid(BigInteger value) {
        String hex = String.format(Locale.ROOT, "%032x", value);
        return hex.substring(0, 8) + "-" + hex.substring(8, 12) + "-" + hex.substring(12, 16) + "-"
                + hex.substring(16, 20) + "-" + hex.substring(20);
    }
}
