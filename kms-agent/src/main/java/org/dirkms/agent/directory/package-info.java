/**
 * Directory access of the KMS agent: the records the CA keeps in the directory, behind
 * {@link org.dirkms.agent.directory.CaRecords}, and the records of enrollment (users and their
 * published certificates, administrative groups, KMS servers, the key archive), behind
 * {@link org.dirkms.agent.directory.EnrollmentRecords}; their LDAP implementations
 * ({@link org.dirkms.agent.directory.LdapCaRecords}, {@link org.dirkms.agent.directory.LdapEnrollmentRecords})
 * have one package-private class per kind of record. Every search goes through
 * {@code PagedSearch}, which pages (RFC 2696) and splits by entryUUID (RFC 4530) so that a server's
 * size limit never hides an entry from a listing.
 *
 * <p>Speaks LDAP only, through the Apache LDAP API client; may depend on that client and on
 * {@code org.dirkms.schema}, never on ApacheDS server classes nor on the CA's cryptography:
 * certificates, CRLs, bundles, packages and wrapped keys cross this boundary as DER bytes. DNs
 * come from {@link org.dirkms.schema.DirectoryLayout}.
 */
package org.dirkms.agent.directory;
