package org.dirkms.schema;

/** Values of {@code kmsPackageFormat}: how key packages (PKCS#12) are protected. */
public enum PackageFormat implements LdapEnumeration {
    /** PBES2 with PBKDF2 and AES-256-CBC (RFC 8018), the default. */
    PBES2_AES_256("pbes2-aes-256"),
    /** PBE-SHA1-3DES (RFC 7292 appendix C), for clients such as gpgsm 2.2 that cannot open PBES2. */
    LEGACY_PBE_SHA1_3DES("legacy-pbe-sha1-3des");

    private final String ldapValue;

    PackageFormat(String ldapValue) {
        this.ldapValue = ldapValue;
    }

    @Override
    public String ldapValue() {
        return ldapValue;
    }
}
