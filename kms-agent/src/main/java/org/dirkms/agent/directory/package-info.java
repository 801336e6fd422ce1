/**
 * Directory access of the KMS agent: the records the CA keeps in the directory, behind
 * {@link org.dirkms.agent.ca.CaRecords}, and the records of enrollment (users and their
 * published certificates, administrative groups, KMS servers, the key archive), behind
 * {@link org.dirkms.agent.directory.EnrollmentRecords}, and of key recovery (recovery requests and
 * what a recovery reads), behind {@link org.dirkms.agent.directory.RecoveryRecords}, and what a
 * mail client reads (entries by address, a sender's group's content encryption, the CAs and their
 * CRLs), behind {@link org.dirkms.agent.directory.MailDirectory}; their LDAP
 * implementations ({@link org.dirkms.agent.directory.LdapCaRecords},
 * {@link org.dirkms.agent.directory.LdapEnrollmentRecords},
 * {@link org.dirkms.agent.directory.LdapRecoveryRecords},
 * {@link org.dirkms.agent.directory.LdapMailDirectory})
 * have one package-private class per kind of record. What the command line shows of the
 * certificate request queue and its CAs is read in one pass into a
 * {@link org.dirkms.agent.directory.QueueSnapshot} ({@link org.dirkms.agent.directory.LdapQueueReadings}),
 * and what an administrator changes of how a CA serves it is written by
 * {@link org.dirkms.agent.directory.LdapCaSettings}. Every search goes through
 * {@code PagedSearch}, which pages (RFC 2696) and splits by entryUUID (RFC 4530) so that a server's
 * size limit never hides an entry from a listing.
 *
 * <p>Speaks LDAP only, through the Apache LDAP API client; may depend on that client, on
 * {@code org.dirkms.schema} and on the records interface the CA owns
 * ({@link org.dirkms.agent.ca.CaRecords}, which it implements), never on ApacheDS server classes
 * nor on the CA's cryptography:
 * certificates, CRLs, bundles, packages and wrapped keys cross this boundary as DER bytes. DNs
 * come from {@link org.dirkms.schema.DirectoryLayout}; two spellings of one DN are one DN
 * everywhere ({@link org.dirkms.agent.names.DistinguishedNames}). A claim on a piece of work
 * ({@link org.dirkms.agent.directory.Claim}) is read and changed here only, by
 * {@code ClaimChanges}' atomic modifies (docs/reliability.md).
 */
package org.dirkms.agent.directory;
