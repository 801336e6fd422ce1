/**
 * Integration tests that prove the three committed forms of the KMS schema
 * ({@code ldif/schema/}) load into real servers and come back unchanged: a throwaway OpenLDAP
 * slapd (cn=config form) and plain ApacheDS instances (RFC 4512 form through
 * {@code ldapmodify}, meta-schema form through {@code ldapadd}); and, on such a slapd with the
 * KMS schema and a small size limit, that the KMS agent's directory listings
 * ({@code org.dirkms.agent.directory}) still see every entry.
 *
 * <p>Depends on {@code org.dirkms.schema} (the definitions to compare with), the agent's public
 * directory records ({@code org.dirkms.agent.directory}: the listings, and the CA's CRL swap,
 * which must work on slapd too), the Apache LDAP
 * API (LDIF reader and RFC 4512 description parsers), the ApacheDS test framework, and the
 * Debian tools of the packages slapd and ldap-utils, which the tests require rather than skip.
 */
package org.dirkms.it.schema;
