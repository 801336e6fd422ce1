package org.dirkms.it.fuzz;

/**
 * The identities the fuzz cases are sent as, each over its own TLS connection: the KMS agent
 * (StartTLS; it passes authorization, so its writes reach the value validators), the superuser
 * {@code uid=admin,ou=system} (LDAPS; a KMS administrator and recovery agent today), an
 * ordinary user the fixture makes (StartTLS; {@link FuzzFixture#FUZZER_PASSWORD}), and an
 * anonymous client (LDAPS, no bind).
 */
enum Who {
    AGENT, ADMIN, USER, ANONYMOUS;

    /** Whether the access policy lets this identity read and search every secret. */
    boolean isAgent() {
        return this == AGENT;
    }
}
