/**
 * The enrollment state machine of a user and the agent that runs it (docs/state-machines.md,
 * "Enrollment"; docs/architecture.md). {@link org.dirkms.agent.enroll.EnrollmentService}
 * dispatches on {@code kmsEnrollmentState}; each transition is one small class:
 * {@code Enrollment} (an attempt's steps under its claim: checks, keys, the encryption key
 * archived before anything can be published, publication in one modify), a
 * {@code CertificateSource} ({@code InProcessCa}, or {@code RequestQueue} when the CA is
 * elsewhere, chosen once where the service is wired), {@code TakeOver} (an expired claim and the
 * dead attempt's leftovers), {@code Supersession} and {@code Revocation} (through
 * {@code Revocations}: the CA in this process, or nothing, leaving the work named in the claim),
 * and {@code PackageMaintenance}; {@code PublishedLayoutUpgrade} brings what an earlier version
 * published to the current layout once per start. Around it: the running agent that reconciles and follows the
 * directory with syncrepl ({@link org.dirkms.agent.enroll.KmsAgent}), and drives the other
 * workflows it is handed as {@link org.dirkms.agent.workflow.Workflow}s (the recovery of keys,
 * whose classes it never uses), bulk enrollment
 * ({@link org.dirkms.agent.enroll.BulkEnrollment}), and the protected connection they use
 * ({@link org.dirkms.agent.enroll.AgentConnection}).
 *
 * <p>May depend on {@code org.dirkms.agent.workflow} (leases and attempts),
 * {@code org.dirkms.agent.ca} (issuing and revoking), {@code keys}, {@code archive} and
 * {@code smime} (behind the package-private {@code EnrollmentCryptography} seam),
 * {@code org.dirkms.agent.directory} (all directory access, behind
 * {@link org.dirkms.agent.directory.EnrollmentRecords}), the Apache LDAP API client (the
 * connection and the syncrepl controls) and {@code org.dirkms.schema}; never on ApacheDS server
 * classes nor on {@code escrow} or {@code recovery}. Secrets (private keys, packages, tokens)
 * never reach a log or an exception message.
 */
package org.dirkms.agent.enroll;
