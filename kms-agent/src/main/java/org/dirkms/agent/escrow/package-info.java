/**
 * The key archive as it stands in the directory: the walk that checks every archived key
 * against what was published ({@link org.dirkms.agent.escrow.ArchiveAudit}, run by
 * {@code dirkms archive check}), following the enrollment's semantics of which records must
 * exist (docs/state-machines.md, "Enrollment").
 *
 * <p>May depend on {@code org.dirkms.agent.archive} (the cryptography of one record),
 * {@code org.dirkms.agent.directory} (the records), the CA's records interface
 * ({@link org.dirkms.agent.ca.CaRecords}, for the CRLs), {@code org.dirkms.schema} and the JDK;
 * never on {@code enroll}. No finding, message or log line of this package contains a key, a
 * wrapped key or any other secret.
 */
package org.dirkms.agent.escrow;
