/**
 * The {@code dirkms} command line and the wiring of the KMS side.
 *
 * <p>Owns: the commands ({@link org.dirkms.dist.DirkmsCommand} and the subcommands in its one
 * list: serve, ca init|install|revoke|crl, audit verify, agent, enroll, archive check,
 * roles list|add|remove, smime sign|encrypt|decrypt|verify, help), their shared flags
 * ({@link org.dirkms.dist.ConnectionOptions},
 * {@link org.dirkms.dist.AgentOptions}), the exit codes ({@link org.dirkms.dist.ExitCode}), the
 * embedded server's set-up with its CA and agent ({@link org.dirkms.dist.CaServeSetup},
 * {@link org.dirkms.dist.AgentServeSetup}, {@link org.dirkms.dist.CaTlsCredentialSource}), and
 * the composition root {@link org.dirkms.dist.KmsContext}: every command, the server's set-up
 * and the integration tests take the agent's connection, the CA services, a CA from its key
 * store, the recovery key store, the enrollment service and the agent from it.
 *
 * <p>The command line is declared with picocli's annotations, not parsed by hand: picocli is a
 * small, single-jar library without dependencies of its own, actively maintained and widely
 * used; it gives nested subcommands ({@code dirkms ca init}), consistent {@code --help} and
 * {@code --version} from the same declarations that parse the flags, and the bash completion
 * script the build generates from them ({@code dist/target/dirkms_completion}). Usage errors
 * keep the project's wording: one line, then {@code 'dirkms X --help' lists the flags.}, exit 2.
 * The same model gives the manual pages ({@link org.dirkms.dist.ManPages}, troff written at build
 * time), and the listing commands' {@code --json} output goes through one small helper
 * ({@link org.dirkms.dist.JsonOutput}, on jackson-databind).

 * Every other failure reads through {@link org.dirkms.dist.CommandFailure}: one line saying what
 * went wrong and what to do, exit 1, its stack trace only with {@code --verbose}.
 *
 * <p>It also owns the logging backend: logback, configured by the data folder's
 * {@code logback.xml} ({@code LogConfiguration}; README, "Logs"), the product
 * modules logging through SLF4J only; and the progress displays, which keep log lines off the
 * console while they run ({@code ConsoleLogPause}).
 *
 * <p>May depend on every product module (ds-plugin, kms-agent, schema), picocli and logback;
 * nothing depends on it except the integration tests.
 */
package org.dirkms.dist;
