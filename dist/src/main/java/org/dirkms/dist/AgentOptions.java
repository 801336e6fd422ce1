package org.dirkms.dist;

import java.time.Duration;

import org.dirkms.agent.enroll.BulkEnrollment;
import org.dirkms.agent.enroll.EnrollmentService;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The flags {@code dirkms agent} and {@code dirkms enroll} share: the connection
 * ({@link ConnectionOptions}), the issuing CA whose key store is in the data folder, and how the
 * agent works (workers, lease, sweep).
 */
final class AgentOptions {

    @Mixin
    ConnectionOptions connection;

    @Option(names = "--ca-name", paramLabel = "CN", defaultValue = CaCommand.DEFAULT_NAME,
            description = "the issuing CA (default \"${DEFAULT-VALUE}\"); its key store is DIR/ca/<name>.p12")
    String caName;

    @Option(names = "--passphrase-file", paramLabel = "F",
            description = "the CA key store passphrase, first line (default DIR/ca/<name>.pass)")
    java.nio.file.Path passphraseFile;

    @Option(names = "--workers", paramLabel = "N", description = "users handled at once (default "
            + BulkEnrollment.DEFAULT_WORKERS + ")")
    String workers;

    @Option(names = "--lease-seconds", paramLabel = "N",
            description = "how long a claim on a user lasts before another process may take the work over"
                    + " (default 300)")
    String leaseSeconds;

    @Option(names = "--sweep-seconds", paramLabel = "N",
            description = "how often the agent reconciles the whole tree (default 60)")
    String sweepSeconds;

    /** The passphrase file of the issuing CA's key store. */
    java.nio.file.Path passphraseFile(KmsContext context) {
        return passphraseFile != null ? passphraseFile : context.dataFolder().caPassphrase(caName);
    }

    /** {@code --workers}, 1 to 64. */
    int workers() throws UsageException {
        return Numbers.integer("--workers", workers, BulkEnrollment.DEFAULT_WORKERS, 1, 64);
    }

    /** {@code --lease-seconds}. */
    Duration lease() throws UsageException {
        return Duration.ofSeconds(Numbers.integer("--lease-seconds", leaseSeconds,
                (int) EnrollmentService.DEFAULT_LEASE.toSeconds(), 1, 86_400));
    }

    /** {@code --sweep-seconds}. */
    Duration sweep() throws UsageException {
        return Duration.ofSeconds(Numbers.integer("--sweep-seconds", sweepSeconds, 60, 1, 86_400));
    }
}
