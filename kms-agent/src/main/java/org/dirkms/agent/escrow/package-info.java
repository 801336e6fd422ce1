/**
 * The key archive as it stands in the directory: the walk that checks every archived key
 * against what was published ({@link org.dirkms.agent.escrow.ArchiveAudit}, run by
 * {@code dirkms archive check}), following the enrollment's semantics of which records must
 * exist (docs/state-machines.md, "Enrollment"); the online re-wrap of every record to a new
 * recovery key ({@link org.dirkms.agent.escrow.ArchiveRewrap}, {@code dirkms archive rewrap}) and
 * the check that no record is wrapped to a key any more before it is retired
 * ({@link org.dirkms.agent.escrow.RecoveryKeyRetirement}, {@code dirkms archive retire})
 * (docs/reliability.md, "Rotating the recovery key").
 *
 * <p>May depend on {@code org.dirkms.agent.archive} (the cryptography of one record), the
 * recovery keys of {@code org.dirkms.agent.keys},
 * {@code org.dirkms.agent.directory} (the records), the CA's records interface
 * ({@link org.dirkms.agent.ca.CaRecords}, for the CRLs), {@code org.dirkms.schema} and the JDK;
 * never on {@code enroll}. No finding, message or log line of this package contains a key, a
 * wrapped key or any other secret.
 */
package org.dirkms.agent.escrow;
