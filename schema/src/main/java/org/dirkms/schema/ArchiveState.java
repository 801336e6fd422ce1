package org.dirkms.schema;

/**
 * Values of {@code kmsArchiveState}: whether the key of an archive record was ever certified.
 * The key archive is append-only: a record is never deleted, so an attempt that died before it
 * published its certificate leaves a record that the KMS marks instead.
 */
public enum ArchiveState implements LdapEnumeration {
    /** The key was archived for an enrollment that published it, or that is still going on. */
    ARCHIVED("archived"),
    /** The enrollment that archived the key ended without publishing it: no certificate for it was ever in use. */
    ABANDONED("abandoned");

    private final String ldapValue;

    ArchiveState(String ldapValue) {
        this.ldapValue = ldapValue;
    }

    @Override
    public String ldapValue() {
        return ldapValue;
    }
}
