/**
 * The embedded directory server of dirkms: an ApacheDS instance built from a data folder that
 * survives restarts (schema partition, system and suffix partitions with their indexes), the KMS
 * schema, the bootstrap tree, the generated administrator and KMS agent credentials, the TLS
 * credentials, and an LDAP server on loopback with StartTLS, LDAPS, persistent search and the
 * syncrepl provider, with the KMS guard wired in, and the wire filter that works around ApacheDS
 * AM27's failures of searches for no attributes ({@code "1.1"}), with or without the guard.
 *
 * <p>Owns: {@link org.dirkms.ds.server.ServerSettings}, {@link org.dirkms.ds.server.DirectoryServer}
 * and the {@link org.dirkms.ds.server.TlsCredentialSource} seam; what a server does with its
 * data folder (whose layout is {@link org.dirkms.schema.DataFolder}'s): making it, its modes, its
 * lock and the {@link org.dirkms.ds.server.ServerEndpoint} a running server leaves in it; and the
 * {@link org.dirkms.ds.server.StoppedDirectory}, which reads a stopped folder's audit anchor for
 * the command line. May depend on ApacheDS, the
 * Apache LDAP API, the KMS schema ({@code org.dirkms.schema}), the guard
 * ({@code org.dirkms.ds.guard}, through its public constructor and installer only) and Bouncy
 * Castle for the self-signed certificate, and the audit log ({@code org.dirkms.ds.audit}); never
 * on the KMS agent.
 */
package org.dirkms.ds.server;
