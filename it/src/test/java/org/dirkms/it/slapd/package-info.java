/**
 * The KMS agent standalone against a real OpenLDAP slapd (mdb, syncprov, StartTLS): syncrepl that
 * slapd accepts, enrollment end to end with the agent as a separate process, and the agent's own
 * hash-chained audit trail checked by {@code dirkms audit verify}. {@link org.dirkms.it.slapd.ThrowawaySlapd}
 * is this package's slapd, made in the test's temporary folder and listening on loopback only.
 */
package org.dirkms.it.slapd;
