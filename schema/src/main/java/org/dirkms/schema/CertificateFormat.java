package org.dirkms.schema;

/**
 * Values of {@code kmsCertificateFormat}: which X.509 version the certificates of an
 * administrative group's users are.
 */
public enum CertificateFormat implements LdapEnumeration {
    /**
     * X.509 version 3 (RFC 5280 section 4.1.2.1) with key usage, extended key usage and the
     * user's e-mail address: one certificate for signing and one for encryption. The default.
     */
    X509_V3("x509v3"),
    /**
     * X.509 version 1, no extensions (RFC 5280 section 4.1.2.9), from the template
     * {@code legacy-v1}, for clients that cannot read version 3: a client cannot tell the
     * signing certificate from the encryption one, and nothing limits what either key does.
     */
    X509_V1("x509v1");

    private final String ldapValue;

    CertificateFormat(String ldapValue) {
        this.ldapValue = ldapValue;
    }

    @Override
    public String ldapValue() {
        return ldapValue;
    }
}
