package org.dirkms.schema;

/** Values of {@code kmsCAState}. */
public enum CaState implements LdapEnumeration {
    /** The CA issues certificates. */
    ACTIVE("active"),
    /** A subordinate CA whose certificate from its parent is not installed yet. */
    AWAITING_CERTIFICATE("awaiting-certificate"),
    /** The CA issues nothing. */
    DISABLED("disabled");

    private final String ldapValue;

    CaState(String ldapValue) {
        this.ldapValue = ldapValue;
    }

    @Override
    public String ldapValue() {
        return ldapValue;
    }
}
