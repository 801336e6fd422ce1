package org.dirkms.schema;

/** Values of {@code kmsRevocationReason}: the CRL reason codes of RFC 5280 section 5.3.1 that an administrator may ask for. */
public enum RevocationReason implements LdapEnumeration {
    /** No reason given. */
    UNSPECIFIED("unspecified"),
    /** The private key is known or suspected to be compromised. */
    KEY_COMPROMISE("keyCompromise"),
    /** The subject's name or affiliation changed. */
    AFFILIATION_CHANGED("affiliationChanged"),
    /** The certificate was replaced. */
    SUPERSEDED("superseded"),
    /** The certificate is no longer needed. */
    CESSATION_OF_OPERATION("cessationOfOperation"),
    /** Temporarily on hold. */
    CERTIFICATE_HOLD("certificateHold"),
    /** The subject lost the right to the certificate. */
    PRIVILEGE_WITHDRAWN("privilegeWithdrawn");

    private final String ldapValue;

    RevocationReason(String ldapValue) {
        this.ldapValue = ldapValue;
    }

    @Override
    public String ldapValue() {
        return ldapValue;
    }
}
