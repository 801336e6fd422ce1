/**
 * The {@code dirkms} command line: {@link org.dirkms.dist.DirkmsCommand} dispatches to the
 * {@link org.dirkms.dist.Subcommand}s registered in its one list (serve, ca, audit, agent,
 * enroll, archive, roles). {@link org.dirkms.dist.KmsContext} is the composition root of the KMS
 * side: every command, the embedded server's set-up and the integration tests take the agent's
 * connection, the CA services, a CA from its key store, the recovery key store, the enrollment
 * service and the agent from it.
 *
 * <p>May depend on every product module (ds-plugin, kms-agent, schema); nothing depends on it
 * except the integration tests.
 */
package org.dirkms.dist;
