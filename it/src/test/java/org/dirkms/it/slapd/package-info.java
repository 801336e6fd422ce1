/**
 * The KMS agent standalone against a real OpenLDAP slapd with the shipped configuration (the
 * shared harness {@link org.dirkms.it.openldap.Slapd}): syncrepl that slapd accepts, enrollment
 * end to end with the agent as a separate process, and the agent's own hash-chained audit trail
 * checked by {@code dirkms audit verify}.
 */
package org.dirkms.it.slapd;
