package org.dirkms.it.fuzz;

/**
 * Whether a generated value is one its attribute accepts, as far as the generator can tell
 * without asking the server: an oracle decides where one exists (the JDK's X.509 factory for
 * certificates and CRLs, Bouncy Castle for PKCS#10 and CMS, the enumeration, RFC 4517's
 * grammar of integers); a mutated value no oracle judges is {@link #UNKNOWN}.
 */
enum Validity {
    VALID, INVALID, UNKNOWN
}
