package org.dirkms.dist;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.directory.api.ldap.model.exception.LdapException;
import org.apache.directory.ldap.client.api.LdapNetworkConnection;
import org.dirkms.agent.ca.CertificationAuthority;
import org.dirkms.agent.ca.IssuanceRefusedException;
import org.dirkms.agent.enroll.AgentConnection;
import org.dirkms.agent.enroll.BulkEnrollment;
import org.dirkms.agent.keys.RecoveryKeyStore;
import org.dirkms.ds.server.ServerSettings;
import org.dirkms.schema.DataFolder;
import org.dirkms.schema.DirectoryLayout;

/**
 * The flags {@code dirkms agent} and {@code dirkms enroll} share, and what they open with them:
 * the protected connection as the agent, the CA whose key store is in the data folder, and the
 * recovery key store.
 */
final class AgentOptions {
    /** The usage lines of the shared flags. */
    static final String USAGE = """
              --data DIR            data folder holding ca/<name>.p12 (the CA key) and recovery/
                                    (default ./data; the embedded server's own folder works as is)
              --url URL             the directory: ldap://host:port (StartTLS) or ldaps://host:port
                                    (default ldap://127.0.0.1:10389)
              --bind-dn DN          the agent's identity, a member of cn=KMS Agents
                                    (default uid=kms-agent,ou=KMS,<suffix>)
              --password-file F     the agent's password, first line (default DIR/kms-agent.password)
              --ca-cert F           the CA certificate (PEM) the server's TLS certificate chains to
                                    (default DIR/tls/ca.crt)
              --suffix DN           the directory suffix (default dc=example,dc=com)
              --ca-name CN          the issuing CA (default "dirkms Root CA")
              --passphrase-file F   the CA key store passphrase (default DIR/ca/<name>.pass)
              --workers N           users handled at once (default 4)
              --lease-seconds N     how long a claim on a user lasts before another process may take
                                    the work over (default 300)
              --sweep-seconds N     how often the agent reconciles the whole tree (default 60)""";

    private static final List<String> SHARED = List.of("data", "url", "bind-dn", "password-file", "ca-cert", "suffix",
            "ca-name", "passphrase-file", "workers", "lease-seconds", "sweep-seconds");

    final DataFolder data;
    final DirectoryLayout layout;
    final AgentConnection connection;
    final String caName;
    final Path passphraseFile;
    final int workers;
    final java.time.Duration lease;
    final java.time.Duration sweep;
    final Map<String, String> specific;
    /** What the options name, wired: the connection, the CA, the recovery key store. */
    final KmsContext context;

    private AgentOptions(Map<String, String> flags, Map<String, String> specific) throws UsageException {
        this.data = DataFolder.of(Path.of(flags.getOrDefault("data", "data")));
        this.layout = new DirectoryLayout(flags.getOrDefault("suffix", DirectoryLayout.DEFAULT_SUFFIX));
        this.caName = flags.getOrDefault("ca-name", CaCommand.DEFAULT_NAME);
        this.passphraseFile = flags.containsKey("passphrase-file") ? Path.of(flags.get("passphrase-file"))
                : data.caPassphrase(caName);
        Path caCertificate = flags.containsKey("ca-cert") ? Path.of(flags.get("ca-cert")) : data.caCertificate();
        try {
            this.connection = new AgentConnection(
                    flags.getOrDefault("url", "ldap://127.0.0.1:" + ServerSettings.DEFAULT_LDAP_PORT),
                    flags.getOrDefault("bind-dn", layout.kmsAgentIdentity()),
                    flags.containsKey("password-file") ? Path.of(flags.get("password-file")) : data.kmsAgentPassword(),
                    caCertificate);
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        this.workers = number(flags, "workers", BulkEnrollment.DEFAULT_WORKERS, 1, 64);
        this.lease = java.time.Duration.ofSeconds(number(flags, "lease-seconds", 300, 1, 86_400));
        this.sweep = java.time.Duration.ofSeconds(number(flags, "sweep-seconds", 60, 1, 86_400));
        this.specific = specific;
        this.context = new KmsContext(data, layout, connection, Clock.systemUTC(), new SecureRandom());
    }

    private static int number(Map<String, String> flags, String flag, int fallback, int min, int max)
            throws UsageException {
        int value;
        try {
            value = Integer.parseInt(flags.getOrDefault(flag, Integer.toString(fallback)));
        } catch (NumberFormatException e) {
            throw new UsageException("--" + flag + " '" + flags.get(flag) + "' is not a number");
        }
        if (value < min || value > max) {
            throw new UsageException("--" + flag + " must be between " + min + " and " + max);
        }
        return value;
    }

    /** The agent's settings: its identity, a process-unique claim owner, the lease; packages last 7 days. */
    org.dirkms.agent.enroll.EnrollmentService.Settings settings() {
        return context.agentSettings(lease);
    }

    /**
     * Parses {@code arguments}: the shared flags plus {@code own} (flags taking a value).
     *
     * @return null when help was asked for
     */
    static AgentOptions parse(List<String> arguments, String... own) throws UsageException {
        Map<String, String> shared = new HashMap<>();
        Map<String, String> specific = new HashMap<>();
        List<String> allowed = new ArrayList<>(List.of(own));
        for (int i = 0; i < arguments.size(); i++) {
            String flag = arguments.get(i);
            if (flag.equals("--help") || flag.equals("-h")) {
                return null;
            }
            if (!flag.startsWith("--")) {
                throw new UsageException("unexpected argument '" + flag + "'");
            }
            String key = flag.substring(2);
            if (!SHARED.contains(key) && !allowed.contains(key)) {
                throw new UsageException("unknown flag '" + flag + "'");
            }
            if (i + 1 >= arguments.size() || arguments.get(i + 1).startsWith("--")) {
                throw new UsageException(flag + " needs a value");
            }
            (SHARED.contains(key) ? shared : specific).put(key, arguments.get(++i));
        }
        return new AgentOptions(shared, specific);
    }

    /** Opens the issuing CA: its entry from the directory, its key from the data folder. */
    CertificationAuthority openCa(LdapNetworkConnection directory) throws IOException {
        return context.openCa(directory, caName, passphraseFile);
    }

    /** The key store file of the issuing CA in the data folder (it may be absent: see {@link #hasCaKeyStore}). */
    Path caKeyStore() {
        return data.caKeyStore(caName);
    }

    /** True if the data folder holds the issuing CA's key store, so that the CA can run in this process. */
    boolean hasCaKeyStore() {
        return context.hasCaKeyStore(caName);
    }

    /**
     * The key recovery certificate for an agent without the CA: the PEM file {@code recoveryFile}
     * when given, else the certificate of the data folder's recovery key store.
     *
     * @throws IOException if neither is there or the file holds no certificate
     */
    java.security.cert.X509Certificate recoveryCertificateWithoutCa(String recoveryFile) throws IOException {
        if (recoveryFile != null) {
            try (java.io.InputStream in = Files.newInputStream(Path.of(recoveryFile))) {
                return (java.security.cert.X509Certificate) java.security.cert.CertificateFactory.getInstance("X.509")
                        .generateCertificate(in);
            } catch (java.security.cert.CertificateException e) {
                throw new IOException("--recovery-cert " + recoveryFile + " holds no X.509 certificate (PEM or DER)", e);
            }
        }
        if (RecoveryKeyStore.exists(data)) {
            return context.openRecoveryKeyStore().current().certificate();
        }
        throw new IOException("there is no CA key store " + caKeyStore() + " and no key recovery certificate: give"
                + " --recovery-cert FILE (the key recovery agent's certificate, PEM) to run the agent without the CA,"
                + " or run it where the CA's key is (--data)");
    }

    /** Opens the data folder's recovery key store, making it (certificate from {@code ca}) when missing. */
    RecoveryKeyStore recovery(CertificationAuthority ca) throws IssuanceRefusedException {
        return context.recoveryKeyStore(ca);
    }

    /** A protected connection bound as the agent. */
    LdapNetworkConnection open(long timeoutMillis) throws IOException, LdapException, GeneralSecurityException {
        return context.openConnection(timeoutMillis);
    }
}
