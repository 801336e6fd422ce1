/**
 * The key recovery state machine, the second workflow on the kernel (docs/state-machines.md,
 * "Recovery"; docs/reliability.md). A KMS administrator's {@code kmsRecoveryRequest} waits
 * {@code pending} for the approvals of distinct recovery agents; once their number reaches what
 * the user's KMS server requires, {@link org.dirkms.agent.recovery.RecoveryService} claims the
 * request with a lease, unwraps every encryption key the user ever had and checks each against
 * its certificate ({@code KeyHistory}), builds one PKCS#12 of them with their chains in the
 * user's group's package format, protected by a fresh one-time token, and writes package and
 * token on the request for the requester in one test-and-set modify ({@code approved}). The
 * requester's deletion of the package makes it {@code delivered}; a request short of approvals
 * and a package left unfetched expire; a recovery that cannot be made ends {@code failed}. The
 * counting of approvals is {@code Approvals}, which agent serves a request {@code RecoveryScope}.
 *
 * <p>May depend on {@code org.dirkms.agent.workflow} (leases, attempts, the {@code Workflow} the
 * running agent drives), {@code org.dirkms.agent.directory} (all directory access, behind
 * {@link org.dirkms.agent.directory.RecoveryRecords}), {@code org.dirkms.agent.archive} (unwrap
 * and check), {@code org.dirkms.agent.smime} (the package and its token), {@code keys},
 * {@code names}, {@code org.dirkms.schema} and the Apache LDAP API client (only to be wired to a
 * connection); never on {@code enroll}, {@code escrow}, the CA's code nor ApacheDS server
 * classes. Signing keys are never archived, so never recovered. No private key, package, token
 * or wrapped key reaches a log line, an exception message, a {@code toString()} or
 * {@code kmsLastError}.
 */
package org.dirkms.agent.recovery;
