package org.dirkms.dist;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.apache.directory.api.ldap.model.exception.LdapException;
import org.apache.directory.ldap.client.api.LdapNetworkConnection;
import org.dirkms.agent.ca.CaService;
import org.dirkms.agent.ca.CertificationAuthority;
import org.dirkms.agent.ca.DelegatedKeyStore;
import org.dirkms.agent.queue.QueueServer;
import org.dirkms.agent.directory.DirectoryAccessException;
import org.dirkms.agent.ocsp.OcspResponder;
import org.dirkms.agent.ocsp.OcspSigningKeyStore;
import org.dirkms.agent.ocsp.RevocationHttpServer;
import org.dirkms.agent.ocsp.RevocationStatus;
import org.dirkms.schema.CrlDistributionPoints;
import org.dirkms.schema.DataFolder;
import org.dirkms.ds.server.DirectoryServer;
import org.dirkms.ds.server.ServerSettings;
import org.dirkms.ds.server.ServerStartException;
import org.dirkms.schema.DirectoryLayout;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts the embedded directory with its TLS certificate issued by the project's CA and the CA
 * published in the directory: what {@code dirkms serve} does on a fresh data folder so that
 * the embedded default issues certificates out of the box. The CA is created while the server
 * obtains its TLS credentials ({@link CaTlsCredentialSource}); once the server listens, the
 * agent publishes the CA entry and the standard templates over LDAP, as any agent would.
 */
public final class CaServeSetup {
    private static final Logger LOG = LoggerFactory.getLogger(CaServeSetup.class);
    private CaServeSetup() {
    }

    /**
     * Starts the server described by {@code settings} with CA-issued TLS credentials and makes
     * sure the CA entry and the standard templates exist.
     *
     * @throws ServerStartException if the server cannot start or the CA cannot be published;
     *         nothing is left running
     */
    public static DirectoryServer start(ServerSettings settings, Clock clock, SecureRandom random)
            throws ServerStartException {
        return startServing(settings, clock, random).server();
    }

    /**
     * A running server, the CA that issued its certificate, the KMS wiring over the server
     * ({@link KmsContext#of(DirectoryServer, Clock, SecureRandom)}), the CA's HTTP service
     * (null when HTTP is off), and the CA's server of the request queue, which the agent of the
     * process issues through too ({@link org.dirkms.agent.enroll.KmsAgent#issueThroughQueueServer}).
     */
    public record Serving(DirectoryServer server, CertificationAuthority ca, KmsContext kms, RevocationServing http,
            QueueServer queue) {
        /** A server without HTTP service. */
        public Serving(DirectoryServer server, CertificationAuthority ca, KmsContext kms) {
            this(server, ca, kms, null, kms.queueServer(ca, KmsContext.QUEUE_LEASE));
        }

        /** A server whose CA serves the request queue with claims of the default lease. */
        public Serving(DirectoryServer server, CertificationAuthority ca, KmsContext kms, RevocationServing http) {
            this(server, ca, kms, http, kms.queueServer(ca, KmsContext.QUEUE_LEASE));
        }

        /** Stops the HTTP service, if any, then the server. */
        public void close() {
            if (http != null) {
                http.close();
            }
            server.close();
        }
    }

    /**
     * Where {@code dirkms serve} offers the CA over HTTP.
     *
     * @param bind the address and port to listen on (port 0: any free port)
     * @param publicBase {@code http://host:port} the CA's certificates name, or null for the
     *        bound address (a wildcard address named as 127.0.0.1)
     */
    public record HttpSettings(InetSocketAddress bind, String publicBase) {
        /** Checks the public base ({@link CrlDistributionPoints#httpBase}). */
        public HttpSettings {
            if (publicBase != null) {
                publicBase = CrlDistributionPoints.httpBase(publicBase);
            }
        }
    }

    /** HTTP worker threads: OCSP signing is CPU-bound, LDAP reads wait on the directory. */
    static final int HTTP_THREADS = 8;

    /**
     * As {@link #start(ServerSettings, Clock, SecureRandom)}, also returning the CA, so that the
     * caller can run the CA's schedule ({@link #scheduleCrlPublication}).
     */
    public static Serving startServing(ServerSettings settings, Clock clock, SecureRandom random)
            throws ServerStartException {
        return startServing(settings, null, clock, random);
    }

    /**
     * As {@link #startServing(ServerSettings, Clock, SecureRandom)}; a CA made now records
     * {@code publicUrl} ({@code ldap://host:port}, the address clients reach the directory at;
     * null: the server's own LDAP URL) in its distribution points, which every certificate it
     * issues names (docs/interoperability.md). A CA entry that records its distribution points
     * already keeps them.
     */
    public static Serving startServing(ServerSettings settings, String publicUrl, Clock clock, SecureRandom random)
            throws ServerStartException {
        return startServing(settings, publicUrl, null, clock, random);
    }

    /**
     * As {@link #startServing(ServerSettings, String, Clock, SecureRandom)}, also offering the CA
     * over HTTP when {@code http} is not null: once the directory runs (so that a data folder in
     * use is reported as such first) the HTTP port is bound, a CA entry that names no OCSP
     * responder yet records the HTTP CRL, certificate and OCSP URLs under the public base, the
     * delegated OCSP-signing key is made or renewed ({@link OcspSigningKeyStore}), and the
     * listener serves ({@link RevocationHttpServer}). A port in use stops the start, nothing
     * left running.
     */
    public static Serving startServing(ServerSettings settings, String publicUrl, HttpSettings http, Clock clock,
            SecureRandom random) throws ServerStartException {
        DirectoryLayout layout = new DirectoryLayout(settings.suffix());
        CaTlsCredentialSource tls = new CaTlsCredentialSource(settings.dataFolder(), layout, clock, random,
                CertificationAuthority.Publication.at(publicUrl != null ? publicUrl : configuredLdapUrl(settings)));
        DirectoryServer server = DirectoryServer.start(settings, random, tls);
        RevocationHttpServer listener = null;
        try {
            String base = null;
            if (http != null) {
                try {
                    listener = RevocationHttpServer.bind(http.bind(), HTTP_THREADS);
                } catch (IOException e) {
                    throw new ServerStartException("cannot listen for HTTP on " + http.bind().getHostString() + ":"
                            + http.bind().getPort() + ": " + e.getMessage() + " (choose another --http-port, or"
                            + " --no-http)", e);
                }
                base = http.publicBase() != null ? http.publicBase()
                        : httpBase(http.bind().getHostString(), listener.port());
            }
            KmsContext kms = KmsContext.of(server, clock, random);
            CertificationAuthority ca;
            CertificationAuthority.Publication publication =
                    CertificationAuthority.Publication.at(publicUrl != null ? publicUrl : server.ldapUrl());
            String caFileName = DataFolder.caFileName(CaCommand.DEFAULT_NAME);
            if (listener != null) {
                publication = publication.withHttp(base + RevocationHttpServer.crlPath(caFileName),
                        base + RevocationHttpServer.caCertificatePath(caFileName), base + RevocationHttpServer.OCSP_PATH);
            }
            try (LdapNetworkConnection connection = kms.openConnection(KmsContext.OPERATION_TIMEOUT_MILLIS)) {
                ca = kms.caService(connection).adoptRoot(tls.certificationAuthority(), 1, publication);
            }
            if (listener == null) {
                return new Serving(server, ca, kms);
            }
            DataFolder data = settings.dataFolder();
            DelegatedKeyStore signingKey = OcspSigningKeyStore.openOrCreate(data.ocspKeyStore(CaCommand.DEFAULT_NAME),
                    data.ocspPassphrase(CaCommand.DEFAULT_NAME), ca, clock, random);
            PooledCaRecords records = new PooledCaRecords(kms, clock, HTTP_THREADS);
            RevocationStatus status = new RevocationStatus(ca, records);
            listener.serve(caFileName, status, new OcspResponder(ca.certificate(), signingKey::current, status, clock));
            return new Serving(server, ca, kms, new RevocationServing(listener, signingKey, records, base));
        } catch (ServerStartException e) {
            server.close();
            throw e;
        } catch (IOException | LdapException | GeneralSecurityException | DirectoryAccessException
                | IllegalStateException | IllegalArgumentException e) {
            if (listener != null) {
                listener.close();
            }
            server.close();
            throw new ServerStartException("cannot publish the CA in the directory: " + e.getMessage(), e);
        }
    }

    /** {@code http://host:port} of a bound address; a wildcard address is named as 127.0.0.1. */
    private static String httpBase(String host, int port) {
        if (host.equals("0.0.0.0") || host.equals("::")) {
            host = "127.0.0.1";
        }
        return "http://" + (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }

    /**
     * {@code ldap://host:port} of the settings before the server listens: a free port (0) is
     * not known yet, so the default port stands in for it in the server's own certificate.
     */
    private static String configuredLdapUrl(ServerSettings settings) {
        String host = settings.bindAddress();
        if (host.equals("0.0.0.0") || host.equals("::")) {
            host = "127.0.0.1";
        }
        int port = settings.ldapPort() == 0 ? ServerSettings.DEFAULT_LDAP_PORT : settings.ldapPort();
        return "ldap://" + (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }

    /**
     * Runs the CA's own work in the background while the server serves:
     * <ul>
     * <li>every {@code queuePeriod}, the CA writes its heartbeat and serves the certificate
     * request queue ({@code ou=Requests}) with the serving's {@link QueueServer}: it claims what a
     * template installed on it allows, up to its capacity, and issues each request that belongs
     * to an enrollment in progress, or ends it failed with its reason;</li>
     * <li>every {@code crlPeriod}, the CRL on the CA entry is re-signed when its next update is
     * less than half its validity away (RFC 5280 section 5.1.2.5: relying parties must always
     * find a CRL whose nextUpdate has not passed). Revocations publish at once regardless.</li>
     * </ul>
     * A failed round is logged and retried at the next period; the state it works on lives in
     * the directory, so nothing is lost in between.
     *
     * @return the scheduler; shut it down before closing the server
     */
    public static ScheduledExecutorService scheduleCaWork(Serving serving, Duration queuePeriod, Duration crlPeriod) {
        ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(task -> {
            Thread thread = new Thread(task, "dirkms-ca");
            thread.setDaemon(true);
            return thread;
        });
        Duration margin = CertificationAuthority.Publication.at(serving.server().ldapUrl()).crlValidity().dividedBy(2);
        scheduler.scheduleWithFixedDelay(() -> serveQueue(serving.kms(), serving.queue()), 0, queuePeriod.toMillis(),
                TimeUnit.MILLISECONDS);
        scheduler.scheduleWithFixedDelay(() -> withCaService(serving, "publish the CRL",
                service -> service.renewCrlIfDue(serving.ca(), margin)
                        .ifPresent(crl -> LOG.info("Published a renewed CRL of {} (next update {})",
                                serving.ca().dn(), crl.getNextUpdate().toInstant()))),
                0, crlPeriod.toMillis(), TimeUnit.MILLISECONDS);
        if (serving.http() != null) {
            // The responder certificate lives 30 days and is renewed 10 days before its end.
            scheduler.scheduleWithFixedDelay(() -> {
                try {
                    if (serving.http().signingKey().renewIfDue()) {
                        LOG.info("Renewed the OCSP responder certificate of {} (valid until {})", serving.ca().dn(),
                                serving.http().signingKey().certificate().getNotAfter().toInstant());
                    }
                } catch (RuntimeException e) {
                    LOG.warn("Could not renew the OCSP responder certificate of {}: {}", serving.ca().dn(),
                            e.getMessage());
                }
            }, crlPeriod.toMillis(), crlPeriod.toMillis(), TimeUnit.MILLISECONDS);
        }
        return scheduler;
    }

    /**
     * One round of the CA serving the request queue, over a connection of its own: heartbeat,
     * claims, issuance ({@link QueueServer#serve}). A failed round is logged and the next one
     * retries: the queue and the claims live in the directory, and a claim this process could
     * not finish is taken over after its lease.
     */
    static void serveQueue(KmsContext kms, QueueServer queue) {
        try (LdapNetworkConnection connection = kms.openConnection(KmsContext.OPERATION_TIMEOUT_MILLIS)) {
            QueueServer.Round round = kms.serveQueue(connection, queue);
            if (round.issued() + round.refused() + round.lost() > 0) {
                LOG.info("Request queue of {}: {} issued, {} refused, {} lost to another CA{}", queue.ca().dn(),
                        round.issued(), round.refused(), round.lost(), round.busy() ? "; busy, the rest waits" : "");
            }
        } catch (IOException | LdapException | GeneralSecurityException | RuntimeException e) {
            LOG.warn("Could not serve the request queue of {}: {}", queue.ca().dn(), e.getMessage());
        }
    }

    private static void withCaService(Serving serving, String what, Consumer<CaService> work) {
        try (LdapNetworkConnection connection = serving.kms().openConnection(KmsContext.OPERATION_TIMEOUT_MILLIS)) {
            work.accept(serving.kms().caService(connection));
        } catch (IOException | LdapException | GeneralSecurityException | RuntimeException e) {
            // The next round retries: the queue and the CRL live in the directory.
            LOG.warn("Could not {} of {}: {}", what, serving.ca().dn(), e.getMessage());
        }
    }
}
