package org.dirkms.ds.guard;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * One attribute of a write, in a form the policy can judge without the server's classes.
 *
 * @param attribute lower-case primary name of the attribute type, without options
 * @param operation what the write does with the values
 * @param values    the values as sent (bytes); empty for "the whole attribute"
 */
public record AttributeChange(String attribute, Operation operation, List<byte[]> values) {

    /** What a change does. An added entry's attributes are all {@link #ADD}. */
    public enum Operation {
        /** Adds values. */
        ADD,
        /** Removes the values given, or the whole attribute when none is given. */
        REMOVE,
        /** Replaces every value by the values given (none: removes the attribute). */
        REPLACE
    }

    /** Normalises the name and copies the list. */
    public AttributeChange {
        attribute = attribute.toLowerCase(Locale.ROOT);
        Objects.requireNonNull(operation, "operation");
        values = List.copyOf(values);
    }

    /** Value {@code index} as UTF-8 text. */
    public String text(int index) {
        return new String(values.get(index), StandardCharsets.UTF_8);
    }

    /** Whether the change removes values or the attribute, rather than adding any. */
    public boolean removesOnly() {
        return operation == Operation.REMOVE || (operation == Operation.REPLACE && values.isEmpty());
    }
}
