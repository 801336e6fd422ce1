package org.dirkms.dist;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.List;
import org.dirkms.agent.transfer.TransferEnvelope;
import org.dirkms.agent.transfer.TransferIdentity;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code dirkms transfer}: the server's transfer identity (docs/transfer.md). {@code certificate}
 * writes the transport certificate a source administrator exports to.
 */
@Command(name = "transfer", description = {"The server's transfer identity, to move users between KMS servers:"
        + " certificate.", "", TransferCommand.STEPS}, subcommands = {TransferCommand.Certificate.class})
final class TransferCommand extends Subcommand {

    /** How an administrator moves users, for the help texts. */
    static final String STEPS = "Moving users from a source server to a destination server (README, \"Moving users"
            + " between servers\"):%n"
            + "  1. on the destination: dirkms transfer certificate --out dest-transport.pem%n"
            + "  2. on the source:      dirkms export --to dest-transport.pem --filter '(mail=*@example.com)'"
            + " --out users.p7m%n"
            + "  3. carry users.p7m and the source's data/tls/ca.crt to the destination%n"
            + "  4. on the destination: dirkms import users.p7m --trust source-ca.pem --dry-run, then without"
            + " --dry-run%n"
            + "  5. on the destination: dirkms archive check";

    /** Without an action: a usage error naming it. */
    @Override
    int run() throws UsageException {
        throw new UsageException("the action is missing; " + DirkmsCommand.actionList(spec.commandLine()));
    }

    @Override
    List<String> examples() {
        return List.of("dirkms transfer certificate --out dest-transport.pem",
                "the transport certificate a source exports to");
    }

    /** {@code dirkms transfer certificate}. */
    @Command(name = "certificate", description = {"Write this server's transport certificate (PEM): what the"
            + " administrator of a source server gives 'dirkms export --to'. It is also the kmsTransportCertificate"
            + " of the KMS server entry (cn=default,ou=Servers,ou=KMS,<suffix>); it is read from the data folder"
            + " (--data DIR: transfer/transport.p12), the other flags are accepted for symmetry with the other"
            + " commands.", "", STEPS})
    static final class Certificate extends Subcommand {
        @picocli.CommandLine.Mixin
        ConnectionOptions connection;

        @Option(names = "--out", paramLabel = "FILE", required = true, description = "where the PEM goes (a new file)")
        Path out;

        @Override
        List<String> examples() {
            return List.of("dirkms transfer certificate --out dest-transport.pem",
                    "the local server's transport certificate, for the source's administrator");
        }

        @Override
        int run() throws UsageException {
            TransferIdentity identity;
            try {
                identity = TransferIdentity.open(connection.dataFolder());
            } catch (IllegalArgumentException e) {
                return failed(e.getMessage());
            }
            X509Certificate certificate = identity.transport().certificate();
            try {
                TransferFiles.writeNew(out, TransferFiles.pem(certificate).getBytes(StandardCharsets.US_ASCII), "--out");
            } catch (IOException | CertificateEncodingException e) {
                return failed("cannot write " + out, e, null);
            }
            out().println("wrote the transport certificate " + certificate.getSubjectX500Principal().getName()
                    + " (SHA-256 " + TransferEnvelope.thumbprint(certificate) + ", valid until "
                    + certificate.getNotAfter().toInstant() + ") to " + out);
            return OK;
        }
    }
}
