package org.dirkms.dist;

import java.io.PrintStream;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ScheduledExecutorService;

import org.dirkms.agent.enroll.KmsAgent;
import org.dirkms.ds.server.DirectoryServer;
import org.dirkms.ds.server.ServerSettings;
import org.dirkms.ds.server.ServerStartException;

/**
 * {@code dirkms serve}: runs the embedded directory until SIGTERM or Ctrl-C, after printing how
 * to reach it.
 */
public final class ServeCommand implements Subcommand {

    /** How often the CA serves the certificate request queue. */
    static final Duration QUEUE_PERIOD = Duration.ofSeconds(2);
    /** How often the CA's CRL is checked and, when due, republished. */
    static final Duration CRL_CHECK_PERIOD = Duration.ofHours(1);

    @Override
    public String name() {
        return "serve";
    }

    @Override
    public String summary() {
        return "run the directory server (LDAP, LDAPS, StartTLS) until stopped";
    }

    @Override
    public String usage() {
        return """
                usage: dirkms serve [--data DIR] [--ldap-port N] [--ldaps-port N] [--suffix DN]
                                    [--bind ADDRESS] [--no-anonymous] [--allow-plain-binds]
                                    [--accept-broken-audit-log]

                  --data DIR        data folder, kept across restarts (default ./data); made (or
                                    tightened to) mode 0700, everything in it the owner's only
                  --ldap-port N     LDAP port, StartTLS available (default 10389; 0 = any free port)
                  --ldaps-port N    LDAPS port (default 10636; 0 = any free port)
                  --suffix DN       naming context served (default dc=example,dc=com)
                  --bind ADDRESS    IP address to listen on (default 127.0.0.1: this machine only)
                  --no-anonymous    refuse anonymous searches
                  --allow-plain-binds
                                    accept binds with a password on connections without TLS (a lab
                                    on a loopback address only; by default they are refused with
                                    confidentialityRequired: use -ZZ or ldaps://)
                  --accept-broken-audit-log
                                    for this start only: the audit log DIR/audit/audit.log does not
                                    match the head anchored in the directory (deleted, truncated,
                                    rewritten), and you accept that. It is moved to
                                    DIR/audit/audit.log.broken-<UTC time> and a new chain starts whose
                                    first record names the old anchored head and what was wrong. Refused
                                    when the log is sound; never leave it in a start script.

                Every start checks the whole audit log against its anchor in the directory first and
                refuses to start when they disagree, saying what is wrong.

                The first start generates the administrator password into DIR/admin.password and
                an enterprise root CA (key in DIR/ca/) that issues the server certificate;
                clients trust DIR/tls/ca.crt. The KMS agent runs inside (key recovery key in
                DIR/recovery/): mark a user with ldif/samples/30-enroll-user.ldif and it is enrolled.
                Stop with Ctrl-C or SIGTERM.""";
    }

    @Override
    public int run(List<String> arguments, PrintStream out, PrintStream err) {
        ServerSettings settings;
        try {
            settings = parse(arguments);
        } catch (UsageException e) {
            err.println("dirkms serve: " + e.getMessage());
            err.println("'dirkms serve --help' lists the flags.");
            return USAGE;
        }
        if (settings == null) {
            out.println(usage());
            return OK;
        }
        CaServeSetup.Serving serving;
        Clock clock = Clock.systemUTC();
        SecureRandom random = new SecureRandom();
        try {
            // On a fresh data folder this also creates the enterprise root CA with the standard
            // templates, and the CA issues the server's TLS certificate.
            serving = CaServeSetup.startServing(settings, clock, random);
        } catch (ServerStartException e) {
            err.println("dirkms serve: " + e.getMessage());
            return FAILED;
        }
        DirectoryServer server = serving.server();
        ScheduledExecutorService caWork = CaServeSetup.scheduleCaWork(serving, QUEUE_PERIOD, CRL_CHECK_PERIOD);
        KmsAgent agent;
        try {
            // The KMS agent follows the directory and enrolls, revokes and expires packages.
            agent = AgentServeSetup.start(serving);
        } catch (ServerStartException e) {
            caWork.shutdownNow();
            server.close();
            err.println("dirkms serve: " + e.getMessage());
            return FAILED;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                caWork.shutdownNow();
                agent.close();
                server.close();
                out.println("dirkms directory stopped");
                out.flush();
            } finally {
                stopped.countDown();
            }
        }, "dirkms-shutdown"));
        out.println(banner(server));
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
        String suffix = server.layout().suffix();
        Path caCertificate = server.dataFolder().caCertificate();
        return "dirkms directory " + suffix + " is running\n"
                + "  LDAP (StartTLS): " + server.ldapUrl() + "\n"
                + "  LDAPS:           " + server.ldapsUrl() + "\n"
                + "  admin DN:        " + server.adminDn() + "\n"
                + "  admin password:  " + server.adminPasswordFile() + "\n"
                + "  CA certificate:  " + caCertificate + "\n"
                + "try:\n"
                + "  LDAPTLS_CACERT=" + caCertificate + " ldapsearch -H " + server.ldapUrl()
                + " -ZZ -x -D " + server.adminDn() + " -y " + server.adminPasswordFile() + " -b " + suffix
                + " -s one\n"
                + "Stop with Ctrl-C.";
    }

    /** The settings named by the flags, or null when help was asked for. */
    static ServerSettings parse(List<String> arguments) throws UsageException {
        ServerSettings defaults = ServerSettings.defaults(Path.of("data"));
        Path data = defaults.dataDirectory();
        int ldapPort = defaults.ldapPort();
        int ldapsPort = defaults.ldapsPort();
        String suffix = defaults.suffix();
        String bind = defaults.bindAddress();
        boolean anonymous = defaults.anonymousAccess();
        boolean plainBinds = false;
        boolean acceptBrokenAuditLog = false;
        for (int i = 0; i < arguments.size(); i++) {
            String flag = arguments.get(i);
            switch (flag) {
                case "--help", "-h" -> {
                    return null;
                }
                case "--data" -> data = Path.of(value(arguments, ++i, flag));
                case "--ldap-port" -> ldapPort = port(value(arguments, ++i, flag), flag);
                case "--ldaps-port" -> ldapsPort = port(value(arguments, ++i, flag), flag);
                case "--suffix" -> suffix = value(arguments, ++i, flag);
                case "--bind" -> bind = value(arguments, ++i, flag);
                case "--no-anonymous" -> anonymous = false;
                case "--allow-plain-binds" -> plainBinds = true;
                case "--accept-broken-audit-log" -> acceptBrokenAuditLog = true;
                default -> throw new UsageException("unknown flag '" + flag + "'");
            }
        }
        try {
            return new ServerSettings(data, bind, ldapPort, ldapsPort, suffix, anonymous, true, 0, plainBinds,
                    acceptBrokenAuditLog);
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
    }

    private static String value(List<String> arguments, int index, String flag) throws UsageException {
        if (index >= arguments.size() || arguments.get(index).startsWith("--")) {
            throw new UsageException(flag + " needs a value");
        }
        return arguments.get(index);
    }

    private static int port(String text, String flag) throws UsageException {
        try {
            int port = Integer.parseInt(text);
            if (port < 0 || port > 65535) {
                throw new UsageException(flag + " " + text + " is out of range 0..65535");
            }
            return port;
        } catch (NumberFormatException e) {
            throw new UsageException(flag + " '" + text + "' is not a port number");
        }
    }
}
