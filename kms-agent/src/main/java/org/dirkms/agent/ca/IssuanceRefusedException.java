package org.dirkms.agent.ca;

/**
 * A certificate request the CA refused; nothing was issued. The message is a plain-language
 * reason meant for {@code kmsLastError} on the request and the user entry; it never contains
 * key material.
 */
public final class IssuanceRefusedException extends Exception {
    /** Why a request was refused, for callers that act on the kind of refusal. */
    public enum Kind {
        /** The PKCS#10 request cannot be parsed. */
        MALFORMED_REQUEST,
        /** The PKCS#10 signature does not verify with the key it carries. */
        BAD_SIGNATURE,
        /** The key's algorithm or size is not allowed by the template. */
        KEY_POLICY,
        /** The request's subject or e-mail does not match the directory entry. */
        NAME_MISMATCH,
        /** The template is not installed on this CA. */
        UNKNOWN_TEMPLATE,
        /** The names or validity violate the CA's policy (name constraints, path length, expiry). */
        CA_POLICY,
        /** The request lacks what the template needs (an e-mail address, a host name). */
        MISSING_NAME
    }

    private final Kind kind;

    /** A refusal of {@code kind} with the plain-language {@code reason}. */
    public IssuanceRefusedException(Kind kind, String reason) {
        super(reason);
        this.kind = kind;
    }

    /** The kind of refusal. */
    public Kind kind() {
        return kind;
    }
}
