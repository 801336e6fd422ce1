package org.dirkms.schema;

/** Values of {@code kmsContentEncryptionAlgorithm}: the S/MIME content encryption an administrative group announces. */
public enum ContentEncryptionAlgorithm implements LdapEnumeration {
    /** AES-256 in CBC mode (RFC 3565). */
    AES_256_CBC("AES-256-CBC"),
    /** AES-128 in CBC mode (RFC 3565). */
    AES_128_CBC("AES-128-CBC"),
    /** AES-256 in GCM, AuthEnvelopedData (RFC 5084). */
    AES_256_GCM("AES-256-GCM"),
    /** AES-128 in GCM, AuthEnvelopedData (RFC 5084). */
    AES_128_GCM("AES-128-GCM"),
    /** Triple DES, for legacy clients only. */
    DES_EDE3_CBC("DES-EDE3-CBC");

    private final String ldapValue;

    ContentEncryptionAlgorithm(String ldapValue) {
        this.ldapValue = ldapValue;
    }

    @Override
    public String ldapValue() {
        return ldapValue;
    }
}
