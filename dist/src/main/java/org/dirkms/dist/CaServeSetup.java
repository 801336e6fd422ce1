package org.dirkms.dist;

import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.directory.api.ldap.model.exception.LdapException;
import org.apache.directory.ldap.client.api.LdapNetworkConnection;
import org.dirkms.agent.ca.CaService;
import org.dirkms.agent.ca.CertificationAuthority;
import org.dirkms.agent.directory.DirectoryAccessException;
import org.dirkms.agent.directory.LdapCaRecords;
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

    /** A running server and the CA that issued its certificate. */
    public record Serving(DirectoryServer server, CertificationAuthority ca) {
    }

    /**
     * As {@link #start(ServerSettings, Clock, SecureRandom)}, also returning the CA, so that the
     * caller can run the CA's schedule ({@link #scheduleCrlPublication}).
     */
    public static Serving startServing(ServerSettings settings, Clock clock, SecureRandom random)
            throws ServerStartException {
        DirectoryLayout layout = new DirectoryLayout(settings.suffix());
        CaTlsCredentialSource tls = new CaTlsCredentialSource(settings.dataDirectory(), layout, clock, random);
        DirectoryServer server = DirectoryServer.start(settings, random, tls);
        try {
            try (LdapNetworkConnection connection = CaDirectoryConnection.open(server.ldapUrl(), server.kmsAgentDn(),
                    server.kmsAgentPasswordFile(), server.tlsCertificateFile())) {
                new CaService(new LdapCaRecords(connection, layout, clock), layout, clock, random)
                        .adoptRoot(tls.certificationAuthority(), 1);
            }
            return new Serving(server, tls.certificationAuthority());
        } catch (IOException | LdapException | GeneralSecurityException | DirectoryAccessException e) {
            server.close();
            throw new ServerStartException("cannot publish the CA in the directory: " + e.getMessage(), e);
        }
    }

    /**
     * Publishes the CA's CRL on a schedule: every {@code period} the CRL on the CA entry is
     * re-signed when its next update is less than half its validity away (RFC 5280 section
     * 5.1.2.5: relying parties must always find a CRL whose nextUpdate has not passed). A failed
     * round is logged and retried at the next period; revocations publish at once regardless.
     *
     * @return the scheduler; shut it down before closing the server
     */
    public static ScheduledExecutorService scheduleCrlPublication(Serving serving, Clock clock, SecureRandom random,
            Duration period) {
        ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(task -> {
            Thread thread = new Thread(task, "dirkms-crl-publication");
            thread.setDaemon(true);
            return thread;
        });
        DirectoryServer server = serving.server();
        DirectoryLayout layout = server.layout();
        Duration margin = CertificationAuthority.Publication.ldapOnly().crlValidity().dividedBy(2);
        scheduler.scheduleAtFixedRate(() -> {
            try (LdapNetworkConnection connection = CaDirectoryConnection.open(server.ldapUrl(), server.kmsAgentDn(),
                    server.kmsAgentPasswordFile(), server.tlsCertificateFile())) {
                new CaService(new LdapCaRecords(connection, layout, clock), layout, clock, random)
                        .renewCrlIfDue(serving.ca(), margin)
                        .ifPresent(crl -> LOG.info("Published a renewed CRL of {} (next update {})",
                                serving.ca().dn(), crl.getNextUpdate().toInstant()));
            } catch (IOException | LdapException | GeneralSecurityException | RuntimeException e) {
                // The next round retries; the published CRL stays valid until its nextUpdate.
                LOG.warn("Scheduled CRL publication of {} failed: {}", serving.ca().dn(), e.getMessage());
            }
        }, 0, period.toMillis(), TimeUnit.MILLISECONDS);
        return scheduler;
    }
}
