package org.dirkms.ds.guard;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
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
 * @param current       lower-case attribute name to the values the entry has now, for the
 *                      attributes the policy and the validator judge against the entry
 *                      ({@link #JUDGED}); absent when the entry has none (always, for an add)
 * @param name          the DN as the client wrote it, for messages (for a rename, the new DN too)
 */
public record WriteTarget(Kind kind, String dn, String newDn, Set<String> objectClasses,
        Map<String, List<byte[]>> current, String name) {

    /**
     * The attributes whose current values a judgement may need: the states whose transitions
     * are judged, the recovery request's requester and approvals, the addresses certificates
     * must name, the CRLs whose numbers may only grow, and a trusted partner's cross-certificate
     * (its entry is not deleted over LDAP while it holds one).
     */
    public static final Set<String> JUDGED = Set.of("kmsenrollmentstate", "kmsrequeststate", "kmsrecoverystate",
            "kmscastate", "kmsrecoveryrequester", "kmsrecoveryapproval", "mail", "certificaterevocationlist",
            "authorityrevocationlist", "deltarevocationlist", "crosscertificatepair");

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

    /** Lower-cases the object classes and copies the map. */
    public WriteTarget {
        objectClasses = objectClasses.stream().map(c -> c.toLowerCase(Locale.ROOT)).collect(Collectors.toUnmodifiableSet());
        current = Map.copyOf(current);
        name = name == null ? dn : name;
    }

    /** A target whose DN, as the client wrote it, is its normalised DN. */
    public WriteTarget(Kind kind, String dn, String newDn, Set<String> objectClasses, Map<String, List<byte[]>> current) {
        this(kind, dn, newDn, objectClasses, current, dn);
    }

    /** Whether the entry is of object class {@code objectClass} (any case). */
    public boolean is(String objectClass) {
        return objectClasses.contains(objectClass.toLowerCase(Locale.ROOT));
    }

    /** The first current value of a judged attribute as text, or {@code null}. */
    public String currentValue(String attribute) {
        List<byte[]> values = current.get(attribute.toLowerCase(Locale.ROOT));
        return values == null || values.isEmpty() ? null : new String(values.get(0), StandardCharsets.UTF_8);
    }

    /** Every current value of a judged attribute as text; empty when none. */
    public List<String> currentTexts(String attribute) {
        List<String> texts = new ArrayList<>();
        for (byte[] value : currentBytes(attribute)) {
            texts.add(new String(value, StandardCharsets.UTF_8));
        }
        return texts;
    }

    /** Every current value of a judged attribute; empty when none. */
    public List<byte[]> currentBytes(String attribute) {
        return current.getOrDefault(attribute.toLowerCase(Locale.ROOT), List.of());
    }
}
