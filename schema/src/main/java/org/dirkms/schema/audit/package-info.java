/**
 * The hash-chained audit log every writer of the KMS keeps: an append-only file of records, one
 * line each ({@link org.dirkms.schema.audit.AuditRecord}, {@link org.dirkms.schema.audit.AuditLog}),
 * whose head ({@link org.dirkms.schema.audit.AuditHead}) is anchored in the directory, and the
 * check of a whole chain against that anchor ({@link org.dirkms.schema.audit.AuditVerifier}).
 * The embedded server's KMS interceptor keeps one ({@code audit/audit.log}, anchored at
 * {@code cn=head,ou=Audit,ou=KMS,<suffix>}); a standalone KMS agent keeps its own
 * ({@code audit/agent.log}, anchored at the entry its first record names).
 *
 * <p>Owns the file format and the hash rule. Depends on the JDK and the data folder's layout
 * only, so that the server, the agent and the command line share one format, and the verifier
 * runs without a directory server; the caller reads the anchor from wherever it is kept.
 */
package org.dirkms.schema.audit;
