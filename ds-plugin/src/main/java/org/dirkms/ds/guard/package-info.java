/**
 * The KMS guard inside the directory server: the interceptor that validates every write to
 * KMS attributes, enforces who may do what, keeps secret attributes from everyone not entitled
 * to them, and audits KMS writes; and the wire guard that applies the same rules to what leaves
 * the server by paths that bypass interceptors (persistent search, syncrepl, diagnostics).
 *
 * <p>May depend on ApacheDS, the Apache LDAP API, the KMS schema and Bouncy Castle's parsers;
 * never on the KMS agent's CA or key code.
 */
package org.dirkms.ds.guard;
