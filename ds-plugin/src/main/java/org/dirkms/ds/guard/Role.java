package org.dirkms.ds.guard;

/**
 * The roles the guard knows (docs/security.md, the access model). A session's roles are
 * computed per operation from its bound DN (see {@link Identity}); "self" is not a role but a
 * relation between the bound DN and the target entry, decided per operation by
 * {@link AccessPolicy}.
 */
public enum Role {
    /** Not bound. */
    ANONYMOUS,
    /** Bound as some identity. */
    AUTHENTICATED,
    /**
     * The directory superuser {@code uid=admin,ou=system}: owns the directory's identities
     * (people, their names, addresses and passwords) but holds no KMS role and reads no secret.
     */
    DIRECTORY_ADMINISTRATOR,
    /** Member of {@code cn=KMS Administrators}: asks for KMS work and reads enrollment tokens. */
    KMS_ADMINISTRATOR,
    /** Member of {@code cn=Recovery Agents}: approves recovery requests. */
    RECOVERY_AGENT,
    /** Member of {@code cn=KMS Agents}: completes KMS work and reads every secret. */
    KMS_AGENT,
    /** The directory server itself (bootstrap, schema, the audit anchor): not a client. */
    SERVER
}
