package org.dirkms.dist;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ScheduledExecutorService;

import org.dirkms.agent.enroll.KmsAgent;
import org.dirkms.agent.ocsp.RevocationHttpServer;
import org.dirkms.agent.operations.OperationsEndpoints;
import org.dirkms.ds.server.DirectoryServer;
import org.dirkms.ds.server.ServerSettings;
import org.dirkms.ds.server.ServerStartException;
import org.dirkms.schema.CrlDistributionPoints;
import org.dirkms.schema.DirectoryLayout;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code dirkms serve}: runs the embedded directory until SIGTERM or Ctrl-C, after printing how
 * to reach it.
 */
@Command(name = "serve", description = {"Run the directory server (LDAP, LDAPS, StartTLS) until stopped.",
        "",
        "The KMS agent and the CA run inside. Stop it with Ctrl-C or SIGTERM.",
        "",
        "Every start checks the whole audit log against its anchor in the directory first and refuses to start"
                + " when they disagree, saying what is wrong.",
        "",
        "The first start generates the administrator password into DIR/admin.password and an enterprise root CA"
                + " (key in DIR/ca/) that issues the server certificate; clients trust DIR/tls/ca.crt. The KMS"
                + " agent runs inside (key recovery key in DIR/recovery/): mark a user with"
                + " ldif/samples/30-enroll-user.ldif and it is enrolled.",
        "",
        "The CA's certificate, its current CRL and an OCSP responder answering from the directory's current"
                + " revocation state are served over plain HTTP on 127.0.0.1:10080 (--http-port, --http-bind,"
                + " --public-http-url; --no-http turns it off); the responder signs with a delegated key in DIR/ocsp/.",
        "",
        "The same port answers /healthz (200, or 503 naming the failed check), /metrics (Prometheus text format)"
                + " and /status (a read-only HTML page for administrators)."})
final class ServeCommand extends Subcommand {

    /** The HTTP port of the revocation data when --http-port is not given. */
    static final int DEFAULT_HTTP_PORT = 10080;

    /** How often the CA serves the certificate request queue. */
    static final Duration QUEUE_PERIOD = Duration.ofSeconds(2);
    /** How often the CA's CRL is checked and, when due, republished. */
    static final Duration CRL_CHECK_PERIOD = Duration.ofHours(1);

    @Option(names = "--data", paramLabel = "DIR", defaultValue = "data",
            description = "data folder, kept across restarts (default ./data); made (or tightened to) mode 0700,"
                    + " everything in it the owner's only")
    Path data;

    @Option(names = "--ldap-port", paramLabel = "N",
            description = "LDAP port, StartTLS available (default " + ServerSettings.DEFAULT_LDAP_PORT
                    + "; 0 = any free port)")
    String ldapPort;

    @Option(names = "--ldaps-port", paramLabel = "N",
            description = "LDAPS port (default " + ServerSettings.DEFAULT_LDAPS_PORT + "; 0 = any free port)")
    String ldapsPort;

    @Option(names = "--suffix", paramLabel = "DN", defaultValue = DirectoryLayout.DEFAULT_SUFFIX,
            description = "naming context served (default ${DEFAULT-VALUE})")
    String suffix;

    @Option(names = "--bind", paramLabel = "ADDRESS", defaultValue = ServerSettings.DEFAULT_BIND_ADDRESS,
            description = "IP address to listen on (default ${DEFAULT-VALUE}: this machine only)")
    String bind;

    @Option(names = "--public-url", paramLabel = "URL",
            description = "ldap://host:port clients reach this directory at (default ldap://<--bind>:<--ldap-port>)."
                    + " The CA made at the first start records it in its CRL distribution point, which every"
                    + " certificate it issues names; give the public host name when clients come from elsewhere")
    String publicUrl;

    @Option(names = "--http-port", paramLabel = "N",
            description = "HTTP port of the CA's public revocation data: its certificate, its CRL and its OCSP"
                    + " responder (default " + DEFAULT_HTTP_PORT + "; 0 = any free port)")
    String httpPort;

    @Option(names = "--http-bind", paramLabel = "ADDRESS",
            description = "IP address the HTTP port listens on (default: the --bind address)")
    String httpBind;

    @Option(names = "--public-http-url", paramLabel = "URL",
            description = "http://host:port clients reach the HTTP port at (default http://<--http-bind>:<--http-port>)."
                    + " A CA whose entry names no OCSP responder yet records it at this start: every certificate it"
                    + " issues from then on names <URL>/crl/<name>.crl beside the LDAP CRL, and <URL>/ocsp and"
                    + " <URL>/ca/<name>.crt in its authority information access")
    String publicHttpUrl;

    @Option(names = "--no-http", description = "serve no HTTP: no OCSP responder, CRL and CA certificate over LDAP only")
    boolean noHttp;

    @Option(names = "--no-anonymous", description = "refuse anonymous searches")
    boolean noAnonymous;

    @Option(names = "--allow-plain-binds",
            description = "accept binds with a password on connections without TLS (a lab on a loopback address"
                    + " only; by default they are refused with confidentialityRequired: use -ZZ or ldaps://)")
    boolean allowPlainBinds;

    @Option(names = "--lease-seconds", paramLabel = "N",
            description = "how long the KMS agent's claim on a user or a recovery lasts before another process may"
                    + " take the work over (default 300); under custody, how soon a restarted serve gives a waiting"
                    + " recovery a new request key")
    String leaseSeconds;

    @Option(names = "--sweep-seconds", paramLabel = "N",
            description = "how often the KMS agent reconciles the whole tree (default 60)")
    String sweepSeconds;

    @Option(names = "--accept-broken-audit-log",
            description = "for this start only: the audit log DIR/audit/audit.log does not match the head anchored"
                    + " in the directory (deleted, truncated, rewritten), and you accept that. It is moved to"
                    + " DIR/audit/audit.log.broken-<UTC time> and a new chain starts whose first record names the"
                    + " old anchored head and what was wrong. Refused when the log is sound; never leave it in a"
                    + " start script.")
    boolean acceptBrokenAuditLog;

    @Override
    List<String> examples() {
        return List.of("dirkms serve", "the directory on 127.0.0.1, ports 10389 and 10636, its data in ./data",
                "dirkms serve --data /srv/dirkms --bind 192.0.2.10 --no-anonymous",
                "on one address of this host, its data in /srv/dirkms, without anonymous searches",
                "dirkms serve --bind 192.0.2.10 --public-http-url http://pki.example.com",
                "certificates name http://pki.example.com/ocsp and /crl/…; a proxy there forwards to port 10080",
                "dirkms serve --accept-broken-audit-log",
                "once, after a broken audit log that cannot be restored: set it aside and start a new chain");
    }

    @Override
    java.util.Map<ExitCode, String> exitCodes() {
        java.util.Map<ExitCode, String> codes = super.exitCodes();
        codes.put(ExitCode.OK, "stopped with Ctrl-C or SIGTERM");
        codes.put(ExitCode.FAILED, "could not start (standard error says why: a broken audit log, a port in use)");
        return codes;
    }

    @Override
    int run() throws UsageException {
        ServerSettings settings = settings();
        java.time.Duration lease = java.time.Duration.ofSeconds(Numbers.integer("--lease-seconds", leaseSeconds,
                (int) org.dirkms.agent.enroll.EnrollmentService.DEFAULT_LEASE.toSeconds(), 1, 86_400));
        java.time.Duration sweep = java.time.Duration.ofSeconds(Numbers.integer("--sweep-seconds", sweepSeconds,
                (int) KmsAgent.DEFAULT_SWEEP.toSeconds(), 1, 86_400));
        CaServeSetup.Serving serving;
        Clock clock = Clock.systemUTC();
        SecureRandom random = new SecureRandom();
        try {
            // On a fresh data folder this also creates the enterprise root CA with the standard
            // templates, and the CA issues the server's TLS certificate.
            serving = CaServeSetup.startServing(settings, publicUrl(), httpSettings(settings), clock, random);
        } catch (ServerStartException e) {
            return failed(null, e, null);
        }
        DirectoryServer server = serving.server();
        RevocationServing http = serving.http();
        ScheduledExecutorService caWork = CaServeSetup.scheduleCaWork(serving, QUEUE_PERIOD, CRL_CHECK_PERIOD);
        KmsAgent agent;
        try {
            // The KMS agent follows the directory and enrolls, revokes and expires packages.
            agent = AgentServeSetup.start(serving, lease, sweep);
        } catch (ServerStartException e) {
            caWork.shutdownNow();
            serving.close();
            return failed(null, e, null);
        }
        // /healthz, /metrics and /status beside the revocation data (docs in OperationsServing).
        OperationsServing.mount(serving, () -> agent);
        java.io.PrintWriter out = out();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                caWork.shutdownNow();
                agent.close();
                serving.close();
                out.println("dirkms directory stopped");
                out.flush();
            } finally {
                stopped.countDown();
            }
        }, "dirkms-shutdown"));
        out.println(banner(server, http));
        out.flush();
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return OK;
    }

    /** What an administrator needs to reach the server; the password's file, never the password. */
    static String banner(DirectoryServer server) {
        return banner(server, null);
    }

    /** The banner, with the HTTP service's URLs when it runs. */
    static String banner(DirectoryServer server, RevocationServing http) {
        String suffix = server.layout().suffix();
        Path caCertificate = server.dataFolder().caCertificate();
        return "dirkms directory " + suffix + " is running\n"
                + "  LDAP (StartTLS): " + server.ldapUrl() + "\n"
                + "  LDAPS:           " + server.ldapsUrl() + "\n"
                + "  admin DN:        " + server.adminDn() + "\n"
                + "  admin password:  " + server.adminPasswordFile() + "\n"
                + "  CA certificate:  " + caCertificate + "\n"
                + (http == null ? "" : "  HTTP (CRL, OCSP): " + http.baseUrl() + " (listening on port " + http.port()
                        + "; OCSP at " + http.baseUrl() + RevocationHttpServer.OCSP_PATH + ")\n"
                        + "  status page:     " + http.baseUrl() + OperationsEndpoints.STATUS_PATH + " (health "
                        + OperationsEndpoints.HEALTH_PATH + ", metrics " + OperationsEndpoints.METRICS_PATH + ")\n")
                + "try:\n"
                + "  LDAPTLS_CACERT=" + caCertificate + " ldapsearch -H " + server.ldapUrl()
                + " -ZZ -x -D " + server.adminDn() + " -y " + server.adminPasswordFile() + " -b " + suffix
                + " -s one\n"
                + "Stop with Ctrl-C.";
    }

    /** {@code --public-url} as {@code ldap://host:port}, or null when not given. */
    String publicUrl() throws UsageException {
        if (publicUrl == null) {
            return null;
        }
        try {
            return CrlDistributionPoints.server(publicUrl);
        } catch (IllegalArgumentException e) {
            throw new UsageException("--public-url: " + e.getMessage());
        }
    }

    /** The HTTP service the flags name, or null for {@code --no-http}. */
    CaServeSetup.HttpSettings httpSettings(ServerSettings settings) throws UsageException {
        if (noHttp) {
            if (httpPort != null || httpBind != null || publicHttpUrl != null) {
                throw new UsageException("--no-http serves no HTTP: leave out --http-port, --http-bind and"
                        + " --public-http-url");
            }
            return null;
        }
        int port = Numbers.port("--http-port", httpPort, DEFAULT_HTTP_PORT);
        String address = httpBind != null ? httpBind : settings.bindAddress();
        if (!address.matches("[0-9.]+|[0-9a-fA-F:]*:[0-9a-fA-F:.]*")) {
            throw new UsageException("--http-bind '" + address + "' is not an IP address");
        }
        try {
            return new CaServeSetup.HttpSettings(new InetSocketAddress(InetAddress.getByName(address), port),
                    publicHttpUrl);
        } catch (UnknownHostException e) {
            throw new UsageException("--http-bind '" + address + "' is not an IP address");
        } catch (IllegalArgumentException e) {
            throw new UsageException("--public-http-url: " + e.getMessage());
        }
    }

    /** The settings the flags name. */
    ServerSettings settings() throws UsageException {
        int ldap = Numbers.port("--ldap-port", ldapPort, ServerSettings.DEFAULT_LDAP_PORT);
        int ldaps = Numbers.port("--ldaps-port", ldapsPort, ServerSettings.DEFAULT_LDAPS_PORT);
        try {
            return new ServerSettings(data, bind, ldap, ldaps, suffix, !noAnonymous, true, 0, allowPlainBinds,
                    acceptBrokenAuditLog);
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
    }
}
