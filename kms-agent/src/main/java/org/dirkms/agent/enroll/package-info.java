/**
 * The agent runtime of the KMS (README, "What the KMS answers"): the enrollment state machine of a user
 * ({@link org.dirkms.agent.enroll.EnrollmentService}: claim by test-and-set with a lease, keys,
 * certificates from the CA in this process or, when there is none, through the request queue
 * under {@code ou=Requests}, the encryption key archived before anything is published (before
 * its request is queued), re-enrollment revoking the superseded certificates, publication and delivery in as few writes as possible, revocation, package expiry),
 * the running agent that reconciles and follows the directory with syncrepl
 * ({@link org.dirkms.agent.enroll.KmsAgent}), bulk enrollment
 * ({@link org.dirkms.agent.enroll.BulkEnrollment}), the archive checker that holds the whole
 * tree to the archive's invariant with the enrollment's own idea of history and orphans
 * ({@link org.dirkms.agent.enroll.ArchiveAudit}), and the protected connection they use
 * ({@link org.dirkms.agent.enroll.AgentConnection}).
 *
 * <p>May depend on {@code org.dirkms.agent.ca} (issuing and revoking), {@code keys},
 * {@code archive} and {@code smime} (behind the package-private {@code EnrollmentCryptography}
 * seam), {@code org.dirkms.agent.directory} (all directory access, behind
 * {@link org.dirkms.agent.directory.EnrollmentRecords}), the Apache LDAP API client (the
 * connection and the syncrepl controls) and {@code org.dirkms.schema}; never on ApacheDS server
 * classes. Secrets (private keys, packages, tokens) never reach a log or an exception message.
 */
package org.dirkms.agent.enroll;
