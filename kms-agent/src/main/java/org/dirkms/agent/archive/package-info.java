/**
 * The key archive's cryptography: wrapping a user's private encryption key as CMS
 * EnvelopedData (RFC 5652 section 6) to the key recovery certificate
 * ({@link org.dirkms.agent.archive.KeyArchiver}, over {@link org.dirkms.agent.archive.CmsEnvelope},
 * the one EnvelopedData builder of dirkms, which sealed key delivery uses too), unwrapping it with a recovery key
 * ({@link org.dirkms.agent.archive.KeyRecoverer}), re-wrapping it to a new recovery key with the
 * new wrap checked to give back exactly the key it replaces
 * ({@link org.dirkms.agent.archive.KeyRewrapper}), and checking that an archived key is the
 * private half of a given certificate ({@link org.dirkms.agent.archive.ArchiveChecker}). The
 * walk over the directory that the checker command runs is
 * {@code org.dirkms.agent.escrow.ArchiveAudit}, which knows the enrollment's semantics.
 *
 * <p>The wrapping follows the recovery key: RSA-OAEP with SHA-256 (RFC 8017, RFC 4055) for an
 * RSA recovery key, ephemeral-static ECDH with the X9.63 SHA-256 KDF and AES-256 key wrap
 * (RFC 5753 section 3.1, RFC 3394) for an EC one; the content is always AES-256-CBC (RFC 3565).
 * The wrapping algorithm and the recovery key's id travel with each
 * {@link org.dirkms.agent.archive.WrappedKey}, so that keys stay recoverable after either changes.
 *
 * <p>May depend on the JDK, Bouncy Castle and {@code org.dirkms.agent.keys}. It knows no
 * directory: callers store a {@code WrappedKey} in a {@code kmsArchivedKey} entry. No message,
 * log line or {@code toString()} of this package contains key material.
 */
package org.dirkms.agent.archive;
