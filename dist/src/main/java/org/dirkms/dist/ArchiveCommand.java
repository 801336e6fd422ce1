package org.dirkms.dist;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.directory.api.ldap.model.exception.LdapException;
import org.apache.directory.ldap.client.api.LdapNetworkConnection;
import org.dirkms.agent.archive.KeyRecoverer;
import org.dirkms.agent.directory.DirectoryAccessException;
import org.dirkms.agent.escrow.ArchiveAudit;
import org.dirkms.agent.keys.RecoveryKeyStore;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code dirkms archive check}: the archive checker as a command (README, "Checking the key
 * archive"). It reads every KMS user and every archive record over the agent's protected
 * connection, unwraps each archived key with the recovery key store's keys (all of them,
 * current and earlier), and prints one line per problem ({@link ArchiveAudit.Finding}) and a
 * summary line. Exit 0 when clean, 1 when problems were found, 2 on a usage error, 3 when the
 * check could not run. Nothing it prints contains key material.
 */
@Command(name = "archive", description = {"Check that every archived key unwraps and matches its published"
        + " certificate.", "", ArchiveCommand.FINDINGS},
        subcommands = ArchiveCommand.Check.class)
final class ArchiveCommand extends Subcommand {

    /** What the check's lines start with and mean, for both help texts. */
    static final String FINDINGS = "Each problem is one line, starting with:%n"
            + "  unrecoverable     a record that does not unwrap (unknown recovery key, damaged CMS)%n"
            + "  key-mismatch      a record whose key is not the key of its certificate%n"
            + "  missing-archive   a published encryption certificate with no archive record%n"
            + "  missing-history   a record a user's kmsArchiveRecord lists (each enrollment lists the record of the"
            + " key it published) that no longer exists%n"
            + "  orphan            a record whose owner is gone, or whose certificate was never published"
            + " (records of superseded or revoked certificates are history, kept on purpose, and not reported)%n"
            + "  duplicate         a certificate on two users, twice among one user's children or in two records;"
            + " two encryption certificates on one enrolled user%n"
            + "No key material is ever printed.";

    /** Without an action: a usage error naming it. */
    @Override
    int run() throws UsageException {
        throw new UsageException("the action is missing; " + DirkmsCommand.actionList(spec.commandLine()));
    }

    @Override
    List<String> examples() {
        return List.of("dirkms archive check --data data", "check the archive of the local 'dirkms serve'");
    }

    /** {@code dirkms archive check}. */
    @Command(name = "check", description = {"Walk every KMS user and every record under ou=Key Archive, unwrap each"
            + " archived key with the recovery keys and print one line per problem, then a summary line.", "",
            FINDINGS, "",
            "By default it checks the running local 'dirkms serve' with what its data folder holds (recovery/, the"
                    + " agent's identity, tls/ca.crt); against a remote server it takes the agent's flags and a copy"
                    + " of the recovery key store."})
    static final class Check extends Subcommand {

        @Mixin
        ConnectionOptions connection;

        @Option(names = "--recovery-key", paramLabel = "F",
                description = "a copy of the recovery key store (PKCS#12) holding every recovery key (default"
                        + " DIR/recovery/key-recovery-agent.p12)")
        Path recoveryKey;

        @Option(names = "--recovery-passphrase-file", paramLabel = "F",
                description = "its passphrase, first line (needed with --recovery-key; default"
                        + " DIR/recovery/key-recovery-agent.pass)")
        Path recoveryPassphrase;

        @Override
        List<String> examples() {
            return List.of("dirkms archive check --data data", "the local server's archive, with data's recovery keys",
                    "dirkms archive check --url ldaps://directory.example.com:10636 --bind-dn"
                            + " uid=kms-agent,ou=KMS,dc=example,dc=com --password-file agent.password --ca-cert ca.pem"
                            + " --recovery-key kra.p12 --recovery-passphrase-file kra.pass",
                    "a remote server's archive, with a copy of the recovery key store");
        }

        @Override
        Map<ExitCode, String> exitCodes() {
            Map<ExitCode, String> codes = new LinkedHashMap<>();
            codes.put(ExitCode.OK, "no problems");
            codes.put(ExitCode.FAILED, "problems found");
            codes.put(ExitCode.USAGE, ExitCode.USAGE.meaning());
            codes.put(ExitCode.NOT_CHECKED, "the check could not run (key store or directory unreachable):"
                    + " nothing was checked");
            return codes;
        }

        @Override
        int run() throws UsageException {
            if ((recoveryKey == null) != (recoveryPassphrase == null)) {
                throw new UsageException("--recovery-key and --recovery-passphrase-file go together");
            }
            KmsContext kms = connection.context();
            Path key = recoveryKey != null ? recoveryKey : kms.dataFolder().recoveryKeyStore();
            Path passphrase = recoveryPassphrase != null ? recoveryPassphrase : kms.dataFolder().recoveryPassphrase();
            for (Path file : List.of(key, passphrase)) {
                if (!Files.isReadable(file)) {
                    throw new UsageException("cannot read " + file + (recoveryKey == null ? ": give --data DIR of the"
                            + " server, or --recovery-key and --recovery-passphrase-file" : ""));
                }
            }
            KeyRecoverer recoverer;
            try {
                recoverer = new KeyRecoverer(RecoveryKeyStore.open(key, passphrase).keys());
            } catch (IllegalArgumentException e) {
                // The message names the file, never the passphrase.
                err().println(messagePrefix() + ": " + e.getMessage());
                return NOT_CHECKED;
            }
            PrintWriter out = out();
            try (LdapNetworkConnection directory = kms.openConnection(Duration.ofMinutes(2).toMillis())) {
                ArchiveAudit.Report report = kms.archiveAudit(directory, recoverer).run();
                for (ArchiveAudit.Finding finding : report.findings()) {
                    out.println(finding);
                }
                out.println(report.summary());
                return report.clean() ? OK : FAILED;
            } catch (IOException | LdapException | GeneralSecurityException | DirectoryAccessException e) {
                err().println(messagePrefix() + ": cannot check the archive at " + kms.connection().url() + ": "
                        + e.getMessage());
                return NOT_CHECKED;
            }
        }
    }
}
