package org.dirkms.schema;

/** Values of {@code kmsMessageFormat}. */
public enum MessageFormat implements LdapEnumeration {
    /** S/MIME version 3.2 (RFC 5751). */
    SMIME_3_2("S/MIME-3.2"),
    /** S/MIME version 4.0 (RFC 8551). */
    SMIME_4_0("S/MIME-4.0");

    private final String ldapValue;

    MessageFormat(String ldapValue) {
        this.ldapValue = ldapValue;
    }

    @Override
    public String ldapValue() {
        return ldapValue;
    }
}
