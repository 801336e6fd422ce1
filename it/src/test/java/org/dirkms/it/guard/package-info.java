/**
 * Integration tests of the KMS guard over a real socket: the interceptor's validation and
 * access policy, the wire guard's protection of secrets on every read path (search, filter,
 * compare, persistent search, syncrepl, diagnostics), and the audit chain across a restart.
 * Driven with the Debian OpenLDAP clients and with the Apache LDAP API.
 */
package org.dirkms.it.guard;
