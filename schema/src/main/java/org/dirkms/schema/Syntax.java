package org.dirkms.schema;

/**
 * The LDAP syntaxes dirkms attributes use, each with the matching rules that go with it
 * (RFC 4517). Names of matching rules are those every server knows.
 */
public enum Syntax {
    /** RFC 4517 section 3.3.6, compared without case. */
    DIRECTORY_STRING("1.3.6.1.4.1.1466.115.121.1.15", "caseIgnoreMatch", null, "caseIgnoreSubstringsMatch"),
    /** Directory String compared exactly: used for enumerated values. */
    ENUMERATED_STRING("1.3.6.1.4.1.1466.115.121.1.15", "caseExactMatch", null, null),
    /** RFC 4517 section 3.3.26: opaque bytes, DER structures and secrets. */
    OCTET_STRING("1.3.6.1.4.1.1466.115.121.1.40", "octetStringMatch", null, null),
    /** RFC 4517 section 3.3.9. */
    DN("1.3.6.1.4.1.1466.115.121.1.12", "distinguishedNameMatch", null, null),
    /** RFC 4517 section 3.3.16. */
    INTEGER("1.3.6.1.4.1.1466.115.121.1.27", "integerMatch", "integerOrderingMatch", null),
    /** RFC 4517 section 3.3.13. */
    GENERALIZED_TIME("1.3.6.1.4.1.1466.115.121.1.24", "generalizedTimeMatch", "generalizedTimeOrderingMatch", null),
    /** RFC 4517 section 3.3.3. */
    BOOLEAN("1.3.6.1.4.1.1466.115.121.1.7", "booleanMatch", null, null),
    /** RFC 4517 section 3.3.15, compared without case: mail domains, hex hashes. */
    IA5_STRING("1.3.6.1.4.1.1466.115.121.1.26", "caseIgnoreIA5Match", null, "caseIgnoreIA5SubstringsMatch"),
    /** RFC 4517 section 3.3.26 applied to dotted OIDs kept as text. */
    OID("1.3.6.1.4.1.1466.115.121.1.38", "objectIdentifierMatch", null, null);

    private final String oid;
    private final String equality;
    private final String ordering;
    private final String substring;

    Syntax(String oid, String equality, String ordering, String substring) {
        this.oid = oid;
        this.equality = equality;
        this.ordering = ordering;
        this.substring = substring;
    }

    /** The syntax OID. */
    public String oid() {
        return oid;
    }

    /** The equality matching rule. */
    public String equality() {
        return equality;
    }

    /** The ordering matching rule, or {@code null}. */
    public String ordering() {
        return ordering;
    }

    /** The substrings matching rule, or {@code null}. */
    public String substring() {
        return substring;
    }
}
