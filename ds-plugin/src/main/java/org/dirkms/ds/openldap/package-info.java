/**
 * dirkms on OpenLDAP: the slapd configuration of a KMS directory, made without slapd
 * installed. {@link org.dirkms.ds.openldap.OpenLdapConfiguration} writes the LDIF files
 * ({@code dirkms openldap config}): the KMS schema, an mdb database with syncprov, its indexes,
 * limits, access rules and multi-provider replication, and the bootstrap tree;
 * {@link org.dirkms.ds.openldap.OpenLdapAccessRules} makes the {@code olcAccess} rules from the
 * constants of {@link org.dirkms.ds.guard.AccessPolicy}, so the embedded server's guard and
 * slapd enforce one policy (docs/security.md); {@link org.dirkms.ds.openldap.OpenLdapSettings}
 * says what the configuration is for.
 *
 * <p>May depend on the KMS schema, the guard's public constants, the bootstrap LDIF of
 * {@link org.dirkms.ds.server} and the Apache LDAP API's LDIF and DN classes; never on the KMS
 * agent.
 */
package org.dirkms.ds.openldap;
