package org.dirkms.schema;

/** Values of {@code kmsEnrollmentState}: the enrollment state machine of a user. */
public enum EnrollmentState implements LdapEnumeration {
    /** An administrator asked for enrollment. */
    REQUESTED("requested"),
    /** The KMS has claimed the enrollment and is working on it. */
    IN_PROGRESS("in-progress"),
    /** Both certificates are issued and published. */
    ENROLLED("enrolled"),
    /** Enrollment failed; {@code kmsLastError} says why. */
    FAILED("failed"),
    /** An administrator asked for revocation. */
    REVOKE_REQUESTED("revoke-requested"),
    /** Both certificates are revoked and unpublished. */
    REVOKED("revoked");

    private final String ldapValue;

    EnrollmentState(String ldapValue) {
        this.ldapValue = ldapValue;
    }

    @Override
    public String ldapValue() {
        return ldapValue;
    }
}
