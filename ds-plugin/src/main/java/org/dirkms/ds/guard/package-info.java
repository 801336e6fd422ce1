/**
 * The KMS guard inside the directory server: the interceptor that validates every write to
 * KMS attributes, enforces who may do what, keeps secret attributes from everyone not entitled
 * to them, and audits KMS writes; and the wire guard that applies the same rules to what leaves
 * the server by paths that bypass interceptors (persistent search, syncrepl, diagnostics).
 *
 * <p>Public face: {@link org.dirkms.ds.guard.KmsInterceptor} (inserted after the schema
 * interceptor, before start-up), {@link org.dirkms.ds.guard.WireGuard#install} (after the LDAP
 * server started), and {@link org.dirkms.ds.guard.AccessPolicy}, the one readable statement of
 * the access rules. {@link org.dirkms.ds.guard.WriteValidator} judges values;
 * {@link org.dirkms.ds.guard.RoleDirectory} caches the role groups.
 *
 * <p>May depend on ApacheDS, MINA, the Apache LDAP API, the KMS schema, Bouncy Castle's
 * parsers, {@link org.dirkms.ds.audit} and {@link org.dirkms.schema.audit}; never on the KMS agent's CA or key code.
 */
package org.dirkms.ds.guard;
