package org.dirkms.schema;

/** Values of {@code kmsRecoveryState}: the key recovery workflow. */
public enum RecoveryState implements LdapEnumeration {
    /** Waiting for approvals. */
    PENDING("pending"),
    /** Enough distinct recovery agents approved. */
    APPROVED("approved"),
    /** The recovery package is written for the requester. */
    DELIVERED("delivered"),
    /** Recovery failed; {@code kmsLastError} says why. */
    FAILED("failed");

    private final String ldapValue;

    RecoveryState(String ldapValue) {
        this.ldapValue = ldapValue;
    }

    @Override
    public String ldapValue() {
        return ldapValue;
    }
}
