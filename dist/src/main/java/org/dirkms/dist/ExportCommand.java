package org.dirkms.dist;

import java.io.IOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.directory.api.ldap.model.exception.LdapException;
import org.apache.directory.ldap.client.api.LdapNetworkConnection;
import org.dirkms.agent.archive.KeyRecoverer;
import org.dirkms.agent.directory.DirectoryAccessException;
import org.dirkms.agent.directory.TransferRecords;
import org.dirkms.agent.transfer.TransferDocument;
import org.dirkms.agent.transfer.TransferEnvelope;
import org.dirkms.agent.transfer.TransferExport;
import org.dirkms.agent.transfer.TransferIdentity;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code dirkms export}: writes the selected users with their certificates and archived keys
 * into a transfer file for one destination server (docs/transfer.md, {@link TransferExport}).
 * Run where the source KMS runs: it needs the data folder's recovery key store and transfer
 * identity; under custody, M recovery agents approve the custody session it opens, and the keys
 * are rebuilt in its memory only (docs/custody.md, "Archive operations under custody"). The keys leave the server only inside the file, which is sealed to the destination's
 * transport certificate and written with mode 0600.
 */
@Command(name = "export", description = {"Export users with every certificate they had and every archived"
        + " encryption key, signed by this KMS and encrypted to the destination server's transport certificate"
        + " (CMS; docs/transfer.md).", "", TransferCommand.STEPS})
final class ExportCommand extends Subcommand {

    @Mixin
    ConnectionOptions connection;

    @Option(names = "--to", paramLabel = "CERT", required = true,
            description = "the destination's transport certificate (PEM or DER): 'dirkms transfer certificate' there")
    Path to;

    /** Which users: exactly one of the two. */
    static final class Selection {
        @Option(names = "--filter", paramLabel = "F", required = true,
                description = "the KMS users matching this LDAP filter (RFC 4515), e.g. '(mail=*@example.com)'")
        String filter;

        @Option(names = "--group", paramLabel = "DN", required = true,
                description = "the KMS users of this group: an administrative group's users, or a group's members")
        String group;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    Selection selection;

    @Option(names = "--out", paramLabel = "FILE", required = true,
            description = "the transfer file to write (a new file, mode 0600)")
    Path out;

    @Option(names = "--days", paramLabel = "N", defaultValue = "7",
            description = "how many days the destination may import the file (default ${DEFAULT-VALUE}; 0: never,"
                    + " for a test of the refusal)")
    int days;

    @Option(names = "--wait-minutes", paramLabel = "N", description = ArchiveCommand.WAIT)
    String waitMinutes;

    @Override
    List<String> examples() {
        return List.of("dirkms export --to dest-transport.pem --filter '(mail=*@example.com)' --out users.p7m",
                "every KMS user with an address at example.com, for the destination",
                "dirkms export --to dest-transport.pem --group 'cn=Default,ou=Administrative Groups,dc=example,dc=com'"
                        + " --out users.p7m",
                "the users of one administrative group");
    }

    @Override
    Map<ExitCode, String> exitCodes() {
        Map<ExitCode, String> codes = super.exitCodes();
        codes.put(ExitCode.OK, "the file is written, and the export recorded under ou=Transfers,ou=KMS");
        codes.put(ExitCode.FAILED, "nothing selected, a key that does not unwrap, the directory failed, or under"
                + " custody the recovery agents did not approve in time: no file was written");
        return codes;
    }

    @Override
    int run() throws UsageException {
        if (days < 0 || days > 365) {
            throw new UsageException("--days is 0 to 365, not " + days);
        }
        if (java.nio.file.Files.exists(out)) {
            throw new UsageException("--out " + out + " exists; give a new file name (nothing was written)");
        }
        X509Certificate destination = TransferFiles.certificate(to, "--to");
        int wait = ArchiveCommand.waitMinutes(waitMinutes);
        KmsContext kms = connection.context();
        TransferIdentity identity;
        boolean custody = ArchiveKeys.underCustody(kms);
        org.dirkms.agent.keys.RecoveryKeyStore store;
        try {
            identity = TransferIdentity.open(kms.dataFolder());
            store = custody ? null : ArchiveCommand.openStore(kms);
        } catch (IllegalArgumentException e) {
            return failed(e.getMessage());
        }
        ArchiveKeys keys = null;
        try (LdapNetworkConnection directory = kms.openConnection(Duration.ofMinutes(5).toMillis())) {
            TransferRecords records = kms.transferRecords(directory);
            // The selection first: under custody, nothing calls the recovery agents in for an export of nobody.
            List<TransferRecords.Person> users = select(records);
            if (users.isEmpty()) {
                return failed("no KMS user matches " + (selection.filter != null ? "--filter " + selection.filter
                        : "--group " + selection.group) + "; nothing was written");
            }
            if (custody) {
                keys = ArchiveKeys.rebuild(kms, directory, "dirkms export of " + users.size() + " users to "
                        + destination.getSubjectX500Principal().getName() + ": unwrap their archived keys",
                        Duration.ofMinutes(wait), out()).orElse(null);
                if (keys == null) {
                    return failed("the recovery agents did not give their shares within " + wait + " minutes;"
                            + " nothing was written");
                }
            } else {
                keys = ArchiveKeys.of(kms, directory, store);
            }
            KeyRecoverer recoverer = new KeyRecoverer(keys.keys());
            TransferExport export = new TransferExport(kms.enrollmentRecords(directory), records, recoverer, identity,
                    kms.serverDn(), kms.layout().suffix(), kms.clock(), kms.random());
            try {
                export.checkDestination(destination);
            } catch (IllegalArgumentException e) {
                throw new UsageException("--to " + to + ": " + e.getMessage());
            }
            TransferExport.Result result = export.export(users, destination, Duration.ofDays(days));
            TransferFiles.writeNew(out, result.file(), "--out");
            result = export.record(result, TransferDocument.sha256(result.file()));
            TransferDocument.Manifest m = result.manifest();
            out().println("exported " + m.userCount() + " users (" + m.certificateCount() + " certificates, "
                    + m.keyCount() + " archived keys) to " + out + " for the server whose transport certificate is "
                    + destination.getSubjectX500Principal().getName() + " (SHA-256 "
                    + TransferEnvelope.thumbprint(destination) + "); importable until " + m.notAfter());
            out().println("recorded as cn=" + result.recordDn() + ",ou=Transfers," + kms.layout().kms());
            return OK;
        } catch (IllegalArgumentException e) {
            return failed(e.getMessage());
        } catch (IOException | LdapException | GeneralSecurityException | DirectoryAccessException
                | IllegalStateException e) {
            return failed(kms, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return failed("interrupted while waiting for the recovery agents; nothing was written");
        } finally {
            if (keys != null) {
                keys.close();
            }
        }
    }

    private List<TransferRecords.Person> select(TransferRecords records) throws UsageException {
        if (selection.filter != null) {
            return records.kmsUsers(selection.filter);
        }
        Optional<List<String>> members = records.groupMembers(selection.group);
        if (members.isEmpty()) {
            throw new UsageException("--group " + selection.group + ": there is no such entry");
        }
        List<TransferRecords.Person> users = new ArrayList<>();
        for (String dn : members.get()) {
            records.person(dn).filter(p -> p.enrollmentState() != null).ifPresent(users::add);
        }
        return users;
    }
}
