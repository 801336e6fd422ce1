package org.dirkms.dist;

import java.io.IOException;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.function.Supplier;
import org.apache.directory.api.ldap.model.exception.LdapException;
import org.apache.directory.ldap.client.api.LdapNetworkConnection;
import org.dirkms.agent.directory.LdapOperationsReadings;
import org.dirkms.agent.enroll.KmsAgent;
import org.dirkms.agent.names.DistinguishedNames;
import org.dirkms.agent.operations.CaSigningProbe;
import org.dirkms.agent.operations.Cached;
import org.dirkms.agent.operations.CrlTimes;
import org.dirkms.agent.operations.HealthCheck;
import org.dirkms.agent.operations.OperationsEndpoints;
import org.dirkms.schema.DataFolder;

/**
 * The health report, metrics and status page of {@code dirkms serve} ({@link OperationsEndpoints}),
 * on the CA's HTTP listener. Its four checks:
 * <ol>
 * <li>{@code directory}: the directory answers the searches behind the metrics, over a
 * protected connection bound as the KMS agent;</li>
 * <li>{@code agent}: the agent runs, follows the directory (syncrepl persist phase) and its
 * last reconcile is recent ({@link KmsAgent#liveness()});</li>
 * <li>{@code ca}: the CA key store in the data folder opens with its passphrase file and a test
 * signature verifies with the CA certificate ({@link CaSigningProbe});</li>
 * <li>{@code crl}: the CRL on the CA entry has a nextUpdate in the future (RFC 5280 section
 * 5.1.2.5).</li>
 * </ol>
 * The directory readings and the key store probe are kept {@link #CACHE_PERIOD}, so that
 * scrapes and probes cost the directory and the key store one read each per period.
 */
public final class OperationsServing {
    /** How long a directory reading or a key store probe is reused. */
    public static final Duration CACHE_PERIOD = Duration.ofSeconds(5);
    /** How long a search of the readings may wait. */
    static final long READ_TIMEOUT_MILLIS = 10_000;

    private OperationsServing() {
    }

    /**
     * Mounts {@code /healthz}, {@code /metrics} and {@code /status} on {@code serving}'s HTTP
     * listener, checking the agent {@code agent} answers (null: none runs).
     *
     * @return the endpoints, or null when {@code serving} has no HTTP listener
     */
    public static OperationsEndpoints mount(CaServeSetup.Serving serving, Supplier<KmsAgent> agent) {
        if (serving.http() == null) {
            return null;
        }
        OperationsEndpoints endpoints = endpoints(serving, agent, CACHE_PERIOD);
        endpoints.mountOn(serving.http()::mount);
        return endpoints;
    }

    /** The endpoints of {@code serving}, their readings and probe kept {@code cachePeriod}. */
    static OperationsEndpoints endpoints(CaServeSetup.Serving serving, Supplier<KmsAgent> agent, Duration cachePeriod) {
        KmsContext kms = serving.kms();
        Clock clock = kms.clock();
        Cached<LdapOperationsReadings.Readings> readings = new Cached<>(() -> read(kms), cachePeriod, clock);
        DataFolder data = kms.dataFolder();
        Cached<String> caProbe = new Cached<>(new CaSigningProbe(data.caKeyStore(CaCommand.DEFAULT_NAME),
                data.caPassphrase(CaCommand.DEFAULT_NAME), serving.ca().certificate(), kms.random()), cachePeriod,
                clock);
        String caDn = serving.ca().dn();
        List<HealthCheck> checks = List.of(
                HealthCheck.of("directory", "the directory answers searches", () -> {
                    readings.get();
                    return null;
                }),
                HealthCheck.of("agent", "the agent follows the directory and reconciled recently", () -> {
                    KmsAgent current = agent.get();
                    return current == null ? "no agent runs in this server" : current.liveness().problem(clock.instant());
                }),
                HealthCheck.of("ca", "the CA key store opens and a test signature verifies with the CA certificate",
                        caProbe),
                HealthCheck.of("crl", "the CRL's next update is in the future", () -> crlProblem(readings.get(), caDn,
                        clock.instant())));
        return new OperationsEndpoints(readings, checks, () -> {
            KmsAgent current = agent.get();
            return current == null ? null : current.outcomeCounts();
        }, clock);
    }

    /** Null when the CRL on the CA entry {@code caDn} has a nextUpdate after {@code now}; else what is wrong. */
    static String crlProblem(LdapOperationsReadings.Readings readings, String caDn, Instant now) {
        for (LdapOperationsReadings.CaReading ca : readings.cas()) {
            if (DistinguishedNames.same(ca.dn(), caDn)) {
                if (ca.crl() == null) {
                    return "the CA entry " + caDn + " holds no CRL";
                }
                Instant next = CrlTimes.nextUpdate(ca.crl());
                if (next == null) {
                    return "the CRL on " + caDn + " cannot be read or has no nextUpdate";
                }
                return next.isAfter(now) ? null : "the CRL on " + caDn + " is stale: its nextUpdate " + next + " has passed";
            }
        }
        return "no CA entry " + caDn + " in the directory";
    }

    private static LdapOperationsReadings.Readings read(KmsContext kms) {
        try (LdapNetworkConnection connection = kms.openConnection(READ_TIMEOUT_MILLIS)) {
            return new LdapOperationsReadings(connection, kms.layout()).read();
        } catch (IOException | LdapException | GeneralSecurityException e) {
            throw new IllegalStateException("cannot reach the directory: " + e.getMessage(), e);
        }
    }
}
