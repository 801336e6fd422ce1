package org.dirkms.dist;

import java.io.IOException;
import java.io.PrintWriter;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;

import org.apache.directory.api.ldap.model.exception.LdapException;
import org.apache.directory.ldap.client.api.LdapNetworkConnection;
import org.dirkms.agent.ca.CaService;
import org.dirkms.agent.ca.CertificationAuthority;
import org.dirkms.agent.ca.KeyStorePassphrase;
import org.dirkms.agent.queue.QueueServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code dirkms ca serve}: one more certification authority serving the request queue
 * (docs/state-machines.md, "The certificate request queue") beside {@code dirkms serve}'s own
 * and any other, until SIGTERM or Ctrl-C. It connects to the directory as the other
 * {@code dirkms ca} commands do, keeps a heartbeat on its CA entry, claims what a template
 * installed on it allows up to its capacity, issues, and republishes its CRL before it runs out.
 * Killed, it leaves its claims to the other CAs once their lease runs out.
 */
@Command(name = "serve", description = {"Serve the certificate request queue (ou=Requests) with this CA until"
        + " stopped with Ctrl-C or SIGTERM, beside 'dirkms serve' and any other CA: it takes the requests for the"
        + " templates installed on it ('dirkms ca templates'), never more at once than its kmsCapacity, and keeps"
        + " its heartbeat on its entry ('dirkms queue' shows both)."})
final class CaServeCommand extends CaCommand.Action {
    private static final Logger LOG = LoggerFactory.getLogger(CaServeCommand.class);

    @Option(names = "--name", paramLabel = "CN", defaultValue = CaCommand.DEFAULT_NAME,
            description = "the CA (default \"${DEFAULT-VALUE}\"); its key store is DIR/ca/<name>.p12")
    String name;

    @Option(names = "--period-ms", paramLabel = "N", defaultValue = "1000",
            description = "how often it looks at the queue, in milliseconds (default ${DEFAULT-VALUE})")
    String periodMillis;

    @Option(names = "--lease-seconds", paramLabel = "N",
            description = "how long a claim on a request lasts before another CA may take it over (default 120)")
    String leaseSeconds;

    /** How often the CRL's freshness is checked. */
    private static final Duration CRL_CHECK = Duration.ofMinutes(10);

    @Override
    List<String> examples() {
        return List.of("dirkms ca serve --name \"Second CA\" --data ca2-data --url ldap://kms.example.com:10389",
                "a second CA serving the queue of another host's directory");
    }

    @Override
    Map<ExitCode, String> exitCodes() {
        Map<ExitCode, String> codes = new LinkedHashMap<>(super.exitCodes());
        codes.put(ExitCode.OK, "stopped with Ctrl-C or SIGTERM");
        return codes;
    }

    @Override
    int act(KmsContext kms, PrintWriter out) throws UsageException, IOException, LdapException,
            GeneralSecurityException {
        long period = Numbers.integer("--period-ms", periodMillis, 1000, 10, 3_600_000);
        Duration lease = Duration.ofSeconds(Numbers.integer("--lease-seconds", leaseSeconds,
                (int) KmsContext.QUEUE_LEASE.toSeconds(), 1, 86_400));
        KeyStorePassphrase passphrase = passphrase(kms, name, false);
        CertificationAuthority ca;
        try (LdapNetworkConnection connection = kms.openConnection(KmsContext.OPERATION_TIMEOUT_MILLIS)) {
            CaService service = kms.caService(connection);
            ca = service.open(service.caDn(name), kms.dataFolder().caKeyStore(name), passphrase, kms.publication());
        }
        QueueServer queue = kms.queueServer(ca, lease);
        AtomicBoolean running = new AtomicBoolean(true);
        CountDownLatch stopped = new CountDownLatch(1);
        Thread worker = Thread.currentThread();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            running.set(false);
            worker.interrupt();
            try {
                stopped.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "dirkms-ca-shutdown"));
        out.println("CA " + ca.dn() + " serves the request queue of " + kms.connection().url() + " (every " + period
                + " ms, claims last " + lease.toSeconds() + " s); stop with Ctrl-C");
        out.flush();
        long nextCrlCheck = 0;
        try {
            while (running.get()) {
                CaServeSetup.serveQueue(kms, queue);
                if (System.nanoTime() - nextCrlCheck >= 0) {
                    renewCrl(kms, queue.ca());
                    nextCrlCheck = System.nanoTime() + CRL_CHECK.toNanos();
                }
                try {
                    Thread.sleep(period);
                } catch (InterruptedException e) {
                    break;
                }
            }
        } finally {
            out.println("CA " + ca.dn() + " stopped serving the request queue");
            out.flush();
            stopped.countDown();
        }
        return OK;
    }

    /** Republishes the CRL when less than half its validity is left, as {@code dirkms serve} does. */
    private static void renewCrl(KmsContext kms, CertificationAuthority ca) {
        try (LdapNetworkConnection connection = kms.openConnection(KmsContext.OPERATION_TIMEOUT_MILLIS)) {
            kms.caService(connection).renewCrlIfDue(ca, ca.publication().crlValidity().dividedBy(2))
                    .ifPresent(crl -> LOG.info("Published a renewed CRL of {} (next update {})", ca.dn(),
                            crl.getNextUpdate().toInstant()));
        } catch (IOException | LdapException | GeneralSecurityException | RuntimeException e) {
            LOG.warn("Could not publish the CRL of {}: {}", ca.dn(), e.getMessage());
        }
    }
}
