package org.dirkms.dist;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.directory.api.ldap.model.exception.LdapException;
import org.apache.directory.ldap.client.api.LdapNetworkConnection;
import org.dirkms.agent.directory.DirectoryAccessException;
import org.dirkms.agent.transfer.TransferIdentity;
import org.dirkms.agent.transfer.TransferImport;
import org.dirkms.agent.transfer.TransferRefusedException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code dirkms import}: checks a transfer file whole, then writes its users under this
 * directory's suffix (docs/transfer.md, {@link TransferImport}). Run where the destination KMS
 * runs: it opens the file with the data folder's transport key. A refused file is one line on
 * standard error, exit 1, and nothing written.
 */
@Command(name = "import", description = {"Import the users of a transfer file that 'dirkms export' wrote for this"
        + " server: check it whole (addressee, signature and chain to --trust, expiry, manifest, every key against its"
        + " certificate), then write each user's archive records (re-wrapped to this KMS's recovery certificate),"
        + " certificates and enrollment state. Running it again completes an interrupted import and writes nothing"
        + " once complete.", "", TransferCommand.STEPS})
final class ImportCommand extends Subcommand {

    @Mixin
    ConnectionOptions connection;

    @Parameters(index = "0", paramLabel = "FILE", description = "the transfer file")
    Path file;

    @Option(names = "--trust", paramLabel = "CA", required = true,
            description = "the source's CA certificate (PEM or DER; its data/tls/ca.crt): the signature must chain"
                    + " to it")
    Path trust;

    @Option(names = "--dry-run", description = "check the file and print, per user, what would be written; write"
            + " nothing")
    boolean dryRun;

    @Override
    List<String> examples() {
        return List.of("dirkms import users.p7m --trust source-ca.pem --dry-run", "what the import would write, per user",
                "dirkms import users.p7m --trust source-ca.pem", "import, or finish an interrupted import");
    }

    @Override
    Map<ExitCode, String> exitCodes() {
        Map<ExitCode, String> codes = super.exitCodes();
        codes.put(ExitCode.OK, "every user is imported (or already was); with --dry-run, the file is good");
        codes.put(ExitCode.FAILED, "the file is refused (nothing was written), a user is refused (the others are"
                + " imported; its line says why), or the directory failed (run it again to finish)");
        return codes;
    }

    @Override
    int run() throws UsageException {
        byte[] content = TransferFiles.read(file, "FILE");
        X509Certificate sourceCa = TransferFiles.certificate(trust, "--trust");
        KmsContext kms = connection.context();
        TransferIdentity identity;
        try {
            identity = TransferIdentity.open(kms.dataFolder());
        } catch (IllegalArgumentException e) {
            return failed(e.getMessage());
        }
        PrintWriter out = out();
        try (LdapNetworkConnection directory = kms.openConnection(Duration.ofMinutes(5).toMillis())) {
            Optional<byte[]> recovery = kms.recoveryKeyRecords(directory).currentRecoveryCertificate();
            if (recovery.isEmpty()) {
                return failed("the directory publishes no key recovery certificate at " + kms.recoveryAgentDn()
                        + ": start 'dirkms serve' once to publish it; nothing was written");
            }
            X509Certificate recoveryCertificate = (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(new ByteArrayInputStream(recovery.get()));
            TransferImport transfer = new TransferImport(kms.enrollmentRecords(directory), kms.transferRecords(directory),
                    kms.layout(), identity, recoveryCertificate, kms.clock(), kms.random());
            TransferImport.Report report;
            try {
                report = transfer.run(content, sourceCa, dryRun);
            } catch (TransferRefusedException e) {
                return failed("refused " + file + ": " + e.getMessage() + "; nothing was written");
            }
            for (TransferImport.UserPlan user : report.users()) {
                out.println((dryRun ? "would " : "") + user.line());
            }
            long already = report.users().stream()
                    .filter(u -> u.action() == TransferImport.Action.ALREADY_IMPORTED).count();
            String counts = report.imported() + " users from " + report.source() + " (" + already
                    + " already imported, " + report.refused() + " refused)";
            if (dryRun) {
                out.println("dry run: would import " + counts + "; nothing was written");
            } else if (!report.written()) {
                out.println(report.refused() == 0 ? "nothing to import: every user is already imported"
                        : "nothing to import: every user is already imported or refused (" + report.refused()
                                + " refused)");
            } else {
                out.println("imported " + counts + "; recorded as cn=" + report.recordDn() + ",ou=Transfers,"
                        + kms.layout().kms());
            }
            return report.refused() == 0 ? OK : FAILED;
        } catch (IOException | LdapException | GeneralSecurityException | DirectoryAccessException
                | IllegalArgumentException | IllegalStateException e) {
            return failed(kms, e);
        }
    }
}
