package org.dirkms.schema;

/**
 * Values of {@code kmsRecoveryState}: the key recovery workflow (docs/state-machines.md,
 * "Recovery"). A request starts {@code pending}; the KMS moves it on.
 */
public enum RecoveryState implements LdapEnumeration {
    /** Waiting for approvals, or being recovered under a claim once they are there. */
    PENDING("pending"),
    /** Enough distinct recovery agents approved: the package and its token wait on the request for the requester. */
    APPROVED("approved"),
    /** The requester fetched the package and confirmed it by deleting it; the token is gone too. */
    DELIVERED("delivered"),
    /** Recovery failed; {@code kmsLastError} says why. */
    FAILED("failed"),
    /** Not approved in time, or the package was not fetched in time; {@code kmsLastError} says which. */
    EXPIRED("expired");

    private final String ldapValue;

    RecoveryState(String ldapValue) {
        this.ldapValue = ldapValue;
    }

    @Override
    public String ldapValue() {
        return ldapValue;
    }
}
