/**
 * Directory access of the KMS agent: the records the CA keeps in the directory, behind
 * {@link org.dirkms.agent.directory.CaRecords}, and their LDAP implementation
 * ({@link org.dirkms.agent.directory.LdapCaRecords}) with one package-private class per kind of
 * record (CA entries, certificate templates, request queue entries).
 *
 * <p>Speaks LDAP only, through the Apache LDAP API client; may depend on that client and on
 * {@code org.dirkms.schema}, never on ApacheDS server classes nor on the CA's cryptography:
 * certificates and CRLs cross this boundary as DER bytes. DNs come from
 * {@link org.dirkms.schema.DirectoryLayout}.
 */
package org.dirkms.agent.directory;
