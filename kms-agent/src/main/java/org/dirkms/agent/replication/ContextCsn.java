package org.dirkms.agent.replication;

import java.util.Collection;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a provider of a multi-provider set has applied: its {@code contextCSN}, the newest change
 * sequence number (CSN) it holds from each server id. OpenLDAP's syncprov keeps one value per
 * server id on the suffix entry, each of the form {@code YYYYmmddHHMMSS.ffffffZ#cccccc#sid#mmmmmm}
 * (time, count within the time, server id, count within the change); two CSNs of one server id
 * compare as strings because every field has a fixed width.
 *
 * @param newest the newest CSN of each server id (hexadecimal, as written in the CSN)
 */
public record ContextCsn(Map<String, String> newest) {

    /** No change applied at all (a database with no entry, or a server without {@code contextCSN}). */
    public static final ContextCsn EMPTY = new ContextCsn(Map.of());

    /** Copies and orders the map. */
    public ContextCsn {
        newest = java.util.Collections.unmodifiableMap(new TreeMap<>(newest));
    }

    /**
     * The vector of {@code values} (the {@code contextCSN} values as read); of two values of one
     * server id the newer counts.
     *
     * @throws IllegalArgumentException if a value is not a CSN
     */
    public static ContextCsn parse(Collection<String> values) {
        Map<String, String> newest = new TreeMap<>();
        for (String value : values) {
            String[] fields = value.split("#", -1);
            if (fields.length != 4 || fields[0].length() != 22 || !fields[0].endsWith("Z")
                    || !fields[2].matches("[0-9a-fA-F]{3}")) {
                throw new IllegalArgumentException("'" + value + "' is not a change sequence number"
                        + " (YYYYmmddHHMMSS.ffffffZ#cccccc#sid#mmmmmm)");
            }
            newest.merge(fields[2].toLowerCase(java.util.Locale.ROOT), value, ContextCsn::newer);
        }
        return new ContextCsn(newest);
    }

    /**
     * Whether this provider has applied everything {@code other} had: for every server id of
     * {@code other}, this provider's CSN is the same or newer.
     */
    public boolean covers(ContextCsn other) {
        for (Map.Entry<String, String> change : other.newest.entrySet()) {
            String mine = newest.get(change.getKey());
            if (mine == null || mine.compareTo(change.getValue()) < 0) {
                return false;
            }
        }
        return true;
    }

    private static String newer(String a, String b) {
        return a.compareTo(b) >= 0 ? a : b;
    }
}
