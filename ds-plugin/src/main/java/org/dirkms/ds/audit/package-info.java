/**
 * The embedded server's audit log at its start: the rules a server applies to its log
 * ({@code audit/audit.log}) at every start, with the operator's one way past a broken chain
 * ({@link org.dirkms.ds.audit.AuditStartCheck}). The log's format, its chain and its check are
 * {@link org.dirkms.schema.audit}'s, shared with the standalone KMS agent's own log.
 *
 * <p>Depends on the JDK, {@link org.dirkms.schema.audit} and the data folder's layout
 * ({@link org.dirkms.schema.DataFolder}) only; the caller reads the anchor
 * ({@link org.dirkms.schema.audit.AuditHead}) from wherever it is kept.
 */
package org.dirkms.ds.audit;
