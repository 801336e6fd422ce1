package org.dirkms.it.fuzz;

/**
 * The identities the fuzz cases are sent as, each over its own TLS connection: the KMS agent
 * (StartTLS; it passes authorization, so its writes reach the value validators), the directory
 * superuser {@code uid=admin,ou=system} (LDAPS; it owns people, their names, addresses and
 * passwords, and holds no KMS role), a KMS administrator {@code uid=kms-admin,ou=Staff}
 * (StartTLS; enrolls people, asks for key recoveries, writes the trust and the administrative
 * groups), an ordinary user the fixture makes (StartTLS; {@link FuzzFixture#FUZZER_PASSWORD}),
 * and an anonymous client (LDAPS, no bind). docs/security.md describes the roles.
 */
enum Who {
    AGENT, ADMIN, KMS_ADMIN, USER, ANONYMOUS;

    /** Whether the access policy lets this identity read and search every secret. */
    boolean isAgent() {
        return this == AGENT;
    }
}
