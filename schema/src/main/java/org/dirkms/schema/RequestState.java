package org.dirkms.schema;

/** Values of {@code kmsRequestState}: the life of a queued certificate request. */
public enum RequestState implements LdapEnumeration {
    /** Waiting for a CA. */
    PENDING("pending"),
    /** A CA holds a lease on the request. */
    CLAIMED("claimed"),
    /** The certificate is in the request's {@code userCertificate}. */
    ISSUED("issued"),
    /** Refused; {@code kmsLastError} says why. */
    FAILED("failed"),
    /** No CA served the request before {@code kmsExpiresTime}. */
    EXPIRED("expired");

    private final String ldapValue;

    RequestState(String ldapValue) {
        this.ldapValue = ldapValue;
    }

    @Override
    public String ldapValue() {
        return ldapValue;
    }
}
