/**
 * Support for integration tests over the real embedded directory: {@link
 * org.dirkms.it.support.TestDirectory} starts {@link org.dirkms.ds.server.DirectoryServer} on free
 * loopback ports in a temporary folder, and {@link org.dirkms.it.support.LdapTools} runs the
 * Debian OpenLDAP clients against it as an administrator would.
 *
 * <p>May depend on the whole product (ds-plugin, kms-agent, dist), JUnit 5 and the Apache LDAP
 * API; nothing in the product depends on it.
 */
package org.dirkms.it.support;
