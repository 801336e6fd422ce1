package org.dirkms.schema;

/** Values of {@code kmsCertificatePurpose} on a published certificate entry. */
public enum CertificatePurpose implements LdapEnumeration {
    /** The user's signature certificate. */
    SIGNING("signing"),
    /** The user's encryption certificate. */
    ENCRYPTION("encryption"),
    /** A single-key certificate for both. */
    SIGNING_AND_ENCRYPTION("signing-and-encryption");

    private final String ldapValue;

    CertificatePurpose(String ldapValue) {
        this.ldapValue = ldapValue;
    }

    @Override
    public String ldapValue() {
        return ldapValue;
    }
}
