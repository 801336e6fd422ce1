/**
 * The {@code dirkms} command line: {@link org.dirkms.dist.DirkmsCommand} dispatches to the
 * {@link org.dirkms.dist.Subcommand}s registered in its one list (serve, ca, audit, agent,
 * enroll, archive).
 *
 * <p>May depend on every product module (ds-plugin, kms-agent, schema); nothing depends on it
 * except the integration tests.
 */
package org.dirkms.dist;
