package org.dirkms.agent.directory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import org.apache.directory.api.ldap.model.entry.Value;
import org.junit.jupiter.api.Test;

/**
 * The split that {@link PagedSearch} relies on never loses or duplicates an entry: the halves of
 * a range are disjoint, cover it exactly, and the filters compare UUIDs in the order RFC 4530's
 * UUIDOrderingMatch uses (unsigned octets, i.e. the lower-case string form's order).
 */
class EntryUuidRangeTest {

    @Test
    void theWholeRangeLeavesTheFilterAsItIs() {
        assertEquals("(kmsEnrollmentState=requested)", EntryUuidRange.ALL.restrict("(kmsEnrollmentState=requested)"));
    }

    @Test
    void halvesAreDisjointCoverTheRangeAndRestrictByBothBounds() {
        EntryUuidRange[] halves = EntryUuidRange.ALL.halves();
        assertEquals(BigInteger.ZERO, halves[0].lowest());
        assertEquals(halves[0].highest().add(BigInteger.ONE), halves[1].lowest());
        assertEquals(EntryUuidRange.ALL.highest(), halves[1].highest());
        assertEquals("(&(cn=x)(entryUUID<=7fffffff-ffff-ffff-ffff-ffffffffffff))", halves[0].restrict("(cn=x)"));
        assertEquals("(&(cn=x)(entryUUID>=80000000-0000-0000-0000-000000000000))", halves[1].restrict("(cn=x)"));
        EntryUuidRange[] quarters = halves[1].halves();
        assertEquals("(&(cn=x)(entryUUID>=80000000-0000-0000-0000-000000000000)"
                + "(entryUUID<=bfffffff-ffff-ffff-ffff-ffffffffffff))", quarters[0].restrict("(cn=x)"));
    }

    /** Splitting down to single UUIDs puts every UUID in exactly one leaf, whatever its value. */
    @Test
    void everyUuidLandsInExactlyOneHalfAtEveryLevel() {
        Random random = new Random(2696);
        List<UUID> uuids = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            uuids.add(new UUID(random.nextLong(), random.nextLong()));
        }
        uuids.add(new UUID(0, 0));
        uuids.add(new UUID(-1L, -1L));
        uuids.add(new UUID(Long.MIN_VALUE, 0)); // top bit set: after 7fff... unsigned, before it signed
        EntryUuidRange range = EntryUuidRange.ALL;
        for (int level = 0; level < 40; level++) {
            EntryUuidRange[] halves = range.halves();
            for (UUID uuid : uuids) {
                if (inRange(range, uuid)) {
                    assertTrue(inRange(halves[0], uuid) ^ inRange(halves[1], uuid), uuid + " at level " + level);
                }
            }
            range = halves[level % 2];
        }
    }

    @Test
    void theStringFormSortsAsTheUnsignedNumber() {
        BigInteger a = new BigInteger("7fffffffffffffffffffffffffffffff", 16);
        BigInteger b = a.add(BigInteger.ONE);
        assertTrue(EntryUuidRange.uuid(a).compareTo(EntryUuidRange.uuid(b)) < 0);
        assertEquals(UUID.fromString(EntryUuidRange.uuid(b)).toString(), EntryUuidRange.uuid(b));
    }

    /** What the server returned is checked against the range: in either the string or the octet form. */
    @Test
    void returnedValuesAreReadAsUnsignedNumbersAndCheckedAgainstTheRange() {
        String high = "e4b13ef8-7d0a-1041-92fc-c37c4c707ad4"; // a time-based UUID as slapd makes them
        BigInteger value = EntryUuidRange.value(new Value(high));
        assertEquals(new BigInteger("e4b13ef87d0a104192fcc37c4c707ad4", 16), value);
        assertEquals(high, EntryUuidRange.uuid(value));
        byte[] octets = new byte[16];
        octets[0] = (byte) 0xe4;
        assertEquals(BigInteger.valueOf(0xe4).shiftLeft(120), EntryUuidRange.value(new Value(octets)));
        EntryUuidRange[] halves = EntryUuidRange.ALL.halves();
        assertFalse(halves[0].contains(value));
        assertTrue(halves[1].contains(value));
        assertEquals(null, EntryUuidRange.value(new Value("not-a-uuid")));
        assertEquals(null, EntryUuidRange.value(new Value(new byte[3])));
    }

    @Test
    void aSingleUuidCannotBeSplitAndBadBoundsAreRefused() {
        EntryUuidRange one = new EntryUuidRange(BigInteger.TEN, BigInteger.TEN);
        assertFalse(one.divisible());
        assertThrows(IllegalStateException.class, one::halves);
        assertThrows(IllegalArgumentException.class, () -> new EntryUuidRange(BigInteger.TEN, BigInteger.ONE));
        assertThrows(IllegalArgumentException.class,
                () -> new EntryUuidRange(BigInteger.ZERO, BigInteger.ONE.shiftLeft(128)));
    }

    private static boolean inRange(EntryUuidRange range, UUID uuid) {
        // Compare as the server does: the lower-case string forms (ApacheDS' UuidComparator).
        String value = uuid.toString();
        return value.compareTo(EntryUuidRange.uuid(range.lowest())) >= 0
                && value.compareTo(EntryUuidRange.uuid(range.highest())) <= 0;
    }
}
