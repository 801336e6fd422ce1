/**
 * Integration tests of the KMS guard over a real socket: the interceptor's validation and
 * access policy, the wire guard's protection of secrets on every read path (search, filter,
 * compare, persistent search, syncrepl, diagnostics), the audit chain across a restart, and
 * searches for no attributes ("1.1") that page or reach a size limit, with and without the guard.
 * Driven with the Debian OpenLDAP clients and with the Apache LDAP API.
 */
package org.dirkms.it.guard;
