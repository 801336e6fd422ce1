package org.dirkms.ds.guard;

/**
 * The roles the guard knows. A session's roles are computed per operation from its bound DN
 * (see {@link Identity}); "self" is not a role but a relation between the bound DN and the
 * target entry, decided per operation by {@link AccessPolicy}.
 */
public enum Role {
    /** Not bound. */
    ANONYMOUS,
    /** Bound as some identity. */
    AUTHENTICATED,
    /** Member of {@code cn=KMS Administrators}, or the directory superuser {@code uid=admin,ou=system}. */
    KMS_ADMINISTRATOR,
    /** Member of {@code cn=Recovery Agents}. */
    RECOVERY_AGENT,
    /** Member of {@code cn=KMS Agents}: completes KMS work and reads every secret. */
    KMS_AGENT,
    /** The directory server itself (bootstrap, schema, the audit anchor): not a client. */
    SERVER
}
