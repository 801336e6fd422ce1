/**
 * The KMS audit log: an append-only, hash-chained file of records, one line each, in the audit
 * directory of the server ({@link org.dirkms.ds.audit.AuditLog}); the check of the whole chain
 * against the head anchored in the directory ({@link org.dirkms.ds.audit.AuditVerifier}); and the
 * rules a server applies to the log at every start, with the operator's one way past a broken
 * chain ({@link org.dirkms.ds.audit.AuditStartCheck}).
 *
 * <p>Owns the file format and the hash rule. Depends on the JDK and the data folder's layout
 * ({@link org.dirkms.schema.DataFolder}, for the file names) only, so that the verifier runs
 * from the command line without a directory server; the caller reads the anchor
 * ({@link org.dirkms.ds.audit.AuditHead}) from wherever it is kept.
 */
package org.dirkms.ds.audit;
