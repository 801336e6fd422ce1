package org.dirkms.schema;

/** Values of {@code kmsKeyAlgorithm} and {@code kmsAllowedKeyAlgorithm}. */
public enum KeyAlgorithm implements LdapEnumeration {
    /** RSA with a 2048-bit modulus. */
    RSA_2048("RSA-2048"),
    /** RSA with a 3072-bit modulus. */
    RSA_3072("RSA-3072"),
    /** ECDSA/ECDH on NIST P-256. */
    EC_P256("EC-P256"),
    /** ECDSA/ECDH on NIST P-384. */
    EC_P384("EC-P384");

    private final String ldapValue;

    KeyAlgorithm(String ldapValue) {
        this.ldapValue = ldapValue;
    }

    @Override
    public String ldapValue() {
        return ldapValue;
    }
}
