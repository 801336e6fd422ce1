package org.dirkms.dist;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.List;
import org.apache.directory.api.ldap.model.exception.LdapException;
import org.apache.directory.ldap.client.api.LdapNetworkConnection;
import org.dirkms.agent.archive.KeyRecoverer;
import org.dirkms.agent.directory.DirectoryAccessException;
import org.dirkms.agent.enroll.ArchiveAudit;
import org.dirkms.agent.keys.RecoveryKeyStore;

/**
 * {@code dirkms archive check}: the archive checker of issue 4 as a command. It reads every KMS
 * user and every archive record over the agent's protected connection, unwraps each archived
 * key with the recovery key store's keys (all of them, current and earlier), and prints one line
 * per problem ({@link ArchiveAudit.Finding}) and a summary line. Exit 0 when clean, 1 when
 * problems were found or the check could not run, 2 on a usage error. Nothing it prints
 * contains key material.
 */
public final class ArchiveCommand implements Subcommand {
    /**
     * Exit code when nothing could be checked (the key store or the directory failed), kept
     * apart from {@link #FAILED}, "problems found", so that a script never reads an unreachable
     * directory as a damaged archive or the reverse.
     */
    static final int NOT_CHECKED = 3;

    /** Flags of {@link AgentOptions} that mean nothing to a check: refused rather than ignored. */
    private static final List<String> NOT_FOR_CHECK = List.of("--ca-name", "--passphrase-file", "--workers",
            "--lease-seconds", "--sweep-seconds");

    @Override
    public String name() {
        return "archive";
    }

    @Override
    public String summary() {
        return "check that every archived key unwraps and matches its published certificate";
    }

    @Override
    public String usage() {
        return """
                usage: dirkms archive check [--data DIR] [--url URL --bind-dn DN --password-file F --ca-cert F]
                                            [--suffix DN] [--recovery-key F --recovery-passphrase-file F]

                Walks every KMS user and every record under ou=Key Archive, unwraps each archived key
                with the recovery keys and prints one line per problem, then a summary line:
                  unrecoverable     a record that does not unwrap (unknown recovery key, damaged CMS)
                  key-mismatch      a record whose key is not the key of its certificate
                  missing-archive   a published encryption certificate with no archive record
                  orphan            a record whose owner is gone, or whose certificate was never
                                    published (records of superseded or revoked certificates are
                                    history, kept on purpose, and not reported)
                  duplicate         a certificate on two users, twice among one user's children or in
                                    two records; two encryption certificates on one enrolled user
                Exit code 0: no problems; 1: problems found; 2: usage error; 3: the check could not run
                (key store or directory unreachable): nothing was checked.
                No key material is ever printed.

                  --data DIR            data folder of 'dirkms serve' (default ./data): its recovery/ key
                                        store, kms-agent.password and tls/ca.crt are the defaults below
                  --url URL             the directory: ldap://host:port (StartTLS) or ldaps://host:port
                                        (default ldap://127.0.0.1:10389)
                  --bind-dn DN          an identity that may read kmsWrappedKey: a member of cn=KMS Agents
                                        (default uid=kms-agent,ou=KMS,<suffix>)
                  --password-file F     that identity's password, first line (default DIR/kms-agent.password)
                  --ca-cert F           the CA certificate (PEM) the server's TLS certificate chains to
                                        (default DIR/tls/ca.crt)
                  --suffix DN           the directory suffix (default dc=example,dc=com)
                  --recovery-key F      a copy of the recovery key store (PKCS#12) holding every recovery
                                        key (default DIR/recovery/key-recovery-agent.p12)
                  --recovery-passphrase-file F
                                        its passphrase, first line (needed with --recovery-key; default
                                        DIR/recovery/key-recovery-agent.pass)""";
    }

    @Override
    public int run(List<String> arguments, PrintStream out, PrintStream err) {
        if (!arguments.isEmpty() && (arguments.get(0).equals("--help") || arguments.get(0).equals("-h"))) {
            out.println(usage());
            return OK;
        }
        AgentOptions options;
        Path recoveryKey;
        Path recoveryPassphrase;
        try {
            if (arguments.isEmpty() || !arguments.get(0).equals("check")) {
                throw new UsageException(arguments.isEmpty() ? "the action is missing; the action is 'check'"
                        : "unknown action '" + arguments.get(0) + "'; the action is 'check'");
            }
            List<String> flags = arguments.subList(1, arguments.size());
            for (String flag : flags) {
                if (NOT_FOR_CHECK.contains(flag)) {
                    throw new UsageException(flag + " is not a flag of 'archive check'");
                }
            }
            options = AgentOptions.parse(flags, "recovery-key", "recovery-passphrase-file");
            if (options == null) {
                out.println(usage());
                return OK;
            }
            String key = options.specific.get("recovery-key");
            String passphrase = options.specific.get("recovery-passphrase-file");
            if ((key == null) != (passphrase == null)) {
                throw new UsageException("--recovery-key and --recovery-passphrase-file go together");
            }
            recoveryKey = key == null ? options.data.recoveryKeyStore() : Path.of(key);
            recoveryPassphrase = passphrase == null ? options.data.recoveryPassphrase() : Path.of(passphrase);
            for (Path file : List.of(recoveryKey, recoveryPassphrase)) {
                if (!Files.isReadable(file)) {
                    throw new UsageException("cannot read " + file + (key == null ? ": give --data DIR of the server,"
                            + " or --recovery-key and --recovery-passphrase-file" : ""));
                }
            }
        } catch (UsageException e) {
            err.println("dirkms archive: " + e.getMessage());
            err.println("'dirkms archive --help' lists the flags.");
            return USAGE;
        }
        KeyRecoverer recoverer;
        try {
            recoverer = new KeyRecoverer(RecoveryKeyStore.open(recoveryKey, recoveryPassphrase).keys());
        } catch (IllegalArgumentException e) {
            // The message names the file, never the passphrase.
            err.println("dirkms archive: " + e.getMessage());
            return NOT_CHECKED;
        }
        try (LdapNetworkConnection connection = options.open(Duration.ofMinutes(2).toMillis())) {
            ArchiveAudit audit = options.context.archiveAudit(connection, recoverer);
            ArchiveAudit.Report report = audit.run();
            for (ArchiveAudit.Finding finding : report.findings()) {
                out.println(finding);
            }
            out.println(report.summary());
            return report.clean() ? OK : FAILED;
        } catch (IOException | LdapException | GeneralSecurityException | DirectoryAccessException e) {
            err.println("dirkms archive: cannot check the archive at " + options.connection.url() + ": "
                    + e.getMessage());
            return NOT_CHECKED;
        }
    }
}
