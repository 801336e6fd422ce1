package org.dirkms.schema;

import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * An enumeration whose constants are the only values an enumerated attribute accepts.
 * Values are compared exactly: the schema gives enumerated attributes {@code caseExactMatch}
 * so that a filter and the validator agree on what a value is.
 */
public interface LdapEnumeration {

    /** The value as stored in the directory. */
    String ldapValue();

    /**
     * Finds the constant whose {@link #ldapValue()} is {@code value}.
     *
     * @throws IllegalArgumentException naming the attribute and listing every accepted value,
     *         as in {@code kmsEnrollmentState 'enroled' is not one of: requested, ...}
     */
    static <E extends Enum<E> & LdapEnumeration> E parse(Class<E> type, String attribute, String value) {
        for (E constant : type.getEnumConstants()) {
            if (constant.ldapValue().equals(value)) {
                return constant;
            }
        }
        throw new IllegalArgumentException(attribute + " '" + value + "' is not one of: " + values(type));
    }

    /** Every accepted value of {@code type}, comma-separated, in declaration order. */
    static <E extends Enum<E> & LdapEnumeration> String values(Class<E> type) {
        return Arrays.stream(type.getEnumConstants()).map(LdapEnumeration::ldapValue)
                .collect(Collectors.joining(", "));
    }
}
