package org.dirkms.ds.guard;

import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The entry a write applies to, as the policy needs to see it.
 *
 * @param kind          what the write is
 * @param dn            normalised DN of the entry (for a rename or move: its old DN)
 * @param newDn         normalised new DN of a rename or move, otherwise {@code null}
 * @param objectClasses lower-case object classes of the entry (for an add: the new entry's)
 * @param current       lower-case attribute name to current value, for the single-valued state
 *                      attributes the policy judges transitions of and for
 *                      {@code kmsRecoveryRequester}; absent when the entry has none
 */
public record WriteTarget(Kind kind, String dn, String newDn, Set<String> objectClasses, Map<String, String> current) {

    /** The kinds of write. */
    public enum Kind {
        /** A new entry. */
        ADD,
        /** A change to an existing entry's attributes. */
        MODIFY,
        /** Removal of an entry. */
        DELETE,
        /** A rename or a move (modifyDN). */
        RENAME
    }

    /** Lower-cases the object classes and copies the maps. */
    public WriteTarget {
        objectClasses = objectClasses.stream().map(c -> c.toLowerCase(Locale.ROOT)).collect(Collectors.toUnmodifiableSet());
        current = Map.copyOf(current);
    }

    /** Whether the entry is of object class {@code objectClass} (any case). */
    public boolean is(String objectClass) {
        return objectClasses.contains(objectClass.toLowerCase(Locale.ROOT));
    }

    /** The current value of a judged single-valued attribute, or {@code null}. */
    public String currentValue(String attribute) {
        return current.get(attribute.toLowerCase(Locale.ROOT));
    }
}
