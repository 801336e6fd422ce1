package org.dirkms.schema;

/**
 * How many distinct recovery agents must approve a key recovery ({@code kmsRequiredApprovals}):
 * part of a KMS server's configuration (its {@code kmsServer} entry), copied onto each recovery
 * request when it is made (docs/administrator-contract.md, 5). Only KMS agents write it, so no
 * LDAP client, administrators included, can lower it; {@code dirkms recovery required-approvals}
 * changes it where the KMS runs.
 *
 * <p>The requester never approves their own request, so even one approval means two people;
 * the default asks for two recovery agents besides the requester.
 */
public final class RequiredApprovals {

    /** The count when a KMS server's entry names none. */
    public static final int DEFAULT = 2;
    /** The fewest approvals a configuration may ask for. */
    public static final int MINIMUM = 1;
    /** The most approvals a configuration may ask for. */
    public static final int MAXIMUM = 100;

    private RequiredApprovals() {
    }

    /**
     * The count a stored value says.
     *
     * @param value the value as stored, or {@code null} when the entry has none ({@link #DEFAULT})
     * @param where the entry the value is on, for the message
     * @throws IllegalArgumentException naming the entry and the attribute when the value is not a
     *         whole number from {@link #MINIMUM} to {@link #MAXIMUM}
     */
    public static int parse(String value, String where) {
        if (value == null) {
            return DEFAULT;
        }
        try {
            return check(Integer.parseInt(value.trim()), where);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(message(value, where));
        }
    }

    /**
     * {@code count} itself when it is from {@link #MINIMUM} to {@link #MAXIMUM}.
     *
     * @throws IllegalArgumentException otherwise, naming the entry and the attribute
     */
    public static int check(int count, String where) {
        if (count < MINIMUM || count > MAXIMUM) {
            throw new IllegalArgumentException(message(Integer.toString(count), where));
        }
        return count;
    }

    private static String message(String value, String where) {
        return AttributeNames.REQUIRED_APPROVALS + " '" + value + "'" + (where == null ? "" : " of " + where)
                + " is not a whole number from " + MINIMUM + " to " + MAXIMUM;
    }
}
