package org.dirkms.it.openldap;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

import org.apache.directory.api.ldap.model.exception.LdapException;
import org.apache.directory.ldap.client.api.LdapConnectionConfig;
import org.apache.directory.ldap.client.api.LdapNetworkConnection;
import org.dirkms.ds.openldap.OpenLdapConfiguration;
import org.dirkms.ds.openldap.OpenLdapSettings;
import org.dirkms.it.support.LdapTools;
import org.dirkms.schema.DirectoryLayout;

/**
 * A real slapd (OpenLDAP 2.5) for integration tests, configured from what
 * {@code dirkms openldap config} writes ({@link OpenLdapConfiguration}): the KMS schema, the mdb
 * database with syncprov, its indexes, limits and access rules, and the bootstrap tree with the
 * KMS agent, the directory administrator and the replicator, each with a generated password in a
 * file kept by the {@link SlapdCa} (shared by the providers of one test). It listens on {@code ldap://127.0.0.1:PORT} with StartTLS, its
 * certificate issued by a throwaway {@link SlapdCa}; its cn=config ({@code slapd.d}), database
 * ({@code db}) and the generated configuration ({@code openldap/}) live in the folder it is given.
 *
 * <pre>{@code
 * Slapd slapd = Slapd.start(work, Slapd.Options.defaults());
 * String alice = slapd.addPerson("alice", "alice@example.com", "alice-password");
 * slapd.grantRole(Slapd.Role.KMS_ADMINISTRATORS, alice);
 * slapd.tools().as(alice, "alice-password").search(slapd.layout().people(), "(mail=*)");
 * slapd.stop();
 * }</pre>
 *
 * <p>What it adds to the shipped configuration, for the harness only: its own cn=config (pid
 * file, TLS files, the modules folder, {@code olcServerID} when replicated), database number 1,
 * and a root DN with a password ({@link #rootDn()}, {@link #rootPasswordFile()}): slapd lets the
 * root DN past every access rule, so a test uses it only to set up what no role may write, never
 * to show what a role can do. People are added by the directory administrator and roles granted
 * by the KMS agent, as {@code dirkms roles} does (which works against it too, with
 * {@code --url url() --bind-dn agentDn() --password-file agentPasswordFile() --ca-cert
 * caCertificate() --suffix suffix()}; SlapdHarnessIT).
 *
 * <p>Two providers replicating each other: make one {@link SlapdCa}, draw two ports with
 * {@link #freePort()}, and start each with {@code Options.defaults().withCa(ca).withPort(p1)
 * .withReplication(1, List.of(url2))}, the second {@link Options#withoutBootstrap()} (it
 * receives the tree by replication; two bootstraps would be two sets of entryUUIDs for the same
 * DNs).
 */
public final class Slapd implements AutoCloseable {

    /** The KMS role groups, for {@link #grantRole}. */
    public enum Role {
        /** {@code cn=KMS Administrators}. */
        KMS_ADMINISTRATORS,
        /** {@code cn=Recovery Agents}. */
        RECOVERY_AGENTS,
        /** {@code cn=KMS Agents}. */
        KMS_AGENTS;

        String groupDn(DirectoryLayout layout) {
            return switch (this) {
                case KMS_ADMINISTRATORS -> layout.kmsAdministratorsGroup();
                case RECOVERY_AGENTS -> layout.recoveryAgentsGroup();
                case KMS_AGENTS -> layout.kmsAgentsGroup();
            };
        }
    }

    /**
     * How to start a slapd.
     *
     * @param suffix    the suffix of the database
     * @param port      the LDAP port on 127.0.0.1, or 0 for a free one
     * @param serverId  this provider's id when replicated
     * @param peerUrls  the other providers' {@code ldap://} URLs when replicated
     * @param ca        the CA that issues the server certificate, or null for a new one
     * @param bootstrap whether to load the bootstrap tree (not on a second provider)
     */
    public record Options(String suffix, int port, OptionalInt serverId, List<String> peerUrls, SlapdCa ca,
            boolean bootstrap) {

        /** Validates. */
        public Options {
            Objects.requireNonNull(suffix, "suffix");
            peerUrls = List.copyOf(peerUrls);
        }

        /** {@code dc=example,dc=com}, a free port, one provider, a new CA, the bootstrap tree. */
        public static Options defaults() {
            return new Options(DirectoryLayout.DEFAULT_SUFFIX, 0, OptionalInt.empty(), List.of(), null, true);
        }

        /** Another suffix. */
        public Options withSuffix(String newSuffix) {
            return new Options(newSuffix, port, serverId, peerUrls, ca, bootstrap);
        }

        /** A given port (e.g. one drawn with {@link Slapd#freePort()} for a peer to name). */
        public Options withPort(int newPort) {
            return new Options(suffix, newPort, serverId, peerUrls, ca, bootstrap);
        }

        /** A CA shared with other servers (replication peers trust it). */
        public Options withCa(SlapdCa newCa) {
            return new Options(suffix, port, serverId, peerUrls, newCa, bootstrap);
        }

        /** Multi-provider replication as provider {@code id} with {@code peers}. */
        public Options withReplication(int id, List<String> peers) {
            return new Options(suffix, port, OptionalInt.of(id), peers, ca, bootstrap);
        }

        /** No bootstrap tree: the database starts empty (a provider that receives it by replication). */
        public Options withoutBootstrap() {
            return new Options(suffix, port, serverId, peerUrls, ca, false);
        }
    }

    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(20);

    private final Path work;
    private final Options options;
    private final int port;
    private final SlapdCa ca;
    private final DirectoryLayout layout;
    private final OpenLdapSettings settings;
    private final Path config;
    private final Path pidFile;
    private final String slapd;

    private Slapd(Path work, Options options, int port, SlapdCa ca, OpenLdapSettings settings, String slapd) {
        this.work = work;
        this.options = options;
        this.port = port;
        this.ca = ca;
        this.layout = new DirectoryLayout(options.suffix());
        this.settings = settings;
        this.config = work.resolve("slapd.d");
        this.pidFile = work.resolve("slapd.pid");
        this.slapd = slapd;
    }

    /**
     * Configures a new slapd in {@code work} (an empty folder) from the generated configuration
     * and starts it; returns once it accepts connections.
     */
    public static Slapd start(Path work, Options options) throws IOException {
        String slapd = requireSbin("slapd");
        String slapadd = requireSbin("slapadd");
        Files.createDirectories(work);
        SlapdCa ca = options.ca() != null ? options.ca() : SlapdCa.create(work.resolve("ca"));
        Path[] tls = ca.issueServerCertificate(work.resolve("tls"));
        int port = options.port() > 0 ? options.port() : freePort();
        DirectoryLayout layout = new DirectoryLayout(options.suffix());
        SecureRandom random = new SecureRandom();
        writeSecret(work.resolve("root.password"), newPassword(random));
        OpenLdapSettings settings = OpenLdapSettings.of(options.suffix(), layout.kmsAgentIdentity())
                .withDatabase(1, work.resolve("db").toAbsolutePath().toString(), "cn=root," + options.suffix());
        if (options.serverId().isPresent()) {
            settings = settings.withReplication(options.serverId().getAsInt(), options.peerUrls(),
                    ca.certificate().toAbsolutePath().toString());
        }
        Slapd server = new Slapd(work, options, port, ca, settings, slapd);
        OpenLdapConfiguration generated = new OpenLdapConfiguration(settings, new OpenLdapConfiguration.IdentityPasswords(
                Optional.of(read(server.agentPasswordFile())), Optional.of(read(server.directoryAdministratorPasswordFile())),
                Optional.of(read(server.replicatorPasswordFile()))), random);
        Path out = work.resolve("openldap");
        generated.write(out);

        Files.createDirectories(work.resolve("db"));
        Files.createDirectories(server.config);
        Path configLdif = work.resolve("cn=config.ldif");
        Files.writeString(configLdif, server.configLdif(out, tls[0], tls[1]), StandardCharsets.UTF_8);
        // slapadd -n0 builds cn=config offline as an integrator does on a fresh host; the
        // database's entries load with slapadd -b before the first start.
        LdapTools.run(List.of(slapadd, "-n0", "-F", server.config.toString(), "-l", configLdif.toString()), Map.of(),
                null).assertSuccess();
        if (options.bootstrap()) {
            LdapTools.run(List.of(slapadd, "-F", server.config.toString(), "-b", options.suffix(), "-l",
                    out.resolve(OpenLdapConfiguration.BOOTSTRAP_FILE).toString()), Map.of(), null).assertSuccess();
        }
        server.launch();
        return server;
    }

    /** The cn=config LDIF: the harness's global settings and modules, then the generated files. */
    private String configLdif(Path generated, Path key, Path certificate) throws IOException {
        StringBuilder ldif = new StringBuilder();
        ldif.append("dn: cn=config\nobjectClass: olcGlobal\ncn: config\n")
                .append("olcPidFile: ").append(pidFile.toAbsolutePath()).append('\n')
                .append("olcTLSCACertificateFile: ").append(ca.certificate().toAbsolutePath()).append('\n')
                .append("olcTLSCertificateFile: ").append(certificate.toAbsolutePath()).append('\n')
                .append("olcTLSCertificateKeyFile: ").append(key.toAbsolutePath()).append('\n');
        if (options.serverId().isPresent()) {
            ldif.append("olcServerID: ").append(options.serverId().getAsInt()).append('\n');
        }
        ldif.append('\n');
        ldif.append("dn: cn=module{0},cn=config\nobjectClass: olcModuleList\ncn: module{0}\n"
                + "olcModulePath: /usr/lib/ldap\nolcModuleLoad: back_mdb\n\n");
        ldif.append(Files.readString(generated.resolve(OpenLdapConfiguration.MODULE_FILE))).append('\n');
        ldif.append("dn: cn=schema,cn=config\nobjectClass: olcSchemaConfig\ncn: schema\n\n");
        for (String schema : List.of("core", "cosine", "inetorgperson")) {
            Path file = Path.of("/etc/ldap/schema", schema + ".ldif");
            if (!Files.isRegularFile(file)) {
                throw new AssertionError(file + " is missing: install the Debian package slapd");
            }
            ldif.append("include: file://").append(file).append("\n\n");
        }
        ldif.append(Files.readString(generated.resolve(OpenLdapConfiguration.SCHEMA_FILE))).append('\n');
        ldif.append("dn: olcDatabase={-1}frontend,cn=config\nobjectClass: olcDatabaseConfig\n"
                + "objectClass: olcFrontendConfig\nolcDatabase: {-1}frontend\n\n");
        ldif.append("dn: olcDatabase={0}config,cn=config\nobjectClass: olcDatabaseConfig\nolcDatabase: {0}config\n\n");
        String database = Files.readString(generated.resolve(OpenLdapConfiguration.DATABASE_FILE));
        String rootDnLine = "olcRootDN: " + settings.rootDn() + "\n";
        if (!database.contains(rootDnLine)) {
            throw new AssertionError("the generated database has no '" + rootDnLine.strip() + "' line");
        }
        ldif.append(database.replace(rootDnLine, rootDnLine + "olcRootPW: " + read(rootPasswordFile()) + "\n"));
        return ldif.toString();
    }

    private void launch() throws IOException {
        Files.deleteIfExists(pidFile);
        // Without -d slapd detaches, and its parent exits once the listener is bound and the
        // databases are open: its exit code says whether the server is ready.
        ProcessBuilder builder = new ProcessBuilder(slapd, "-h", url() + "/", "-F", config.toString());
        builder.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(work.resolve("slapd.log")
                .toFile()));
        Process process = builder.start();
        try {
            if (!process.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new AssertionError("slapd did not start within 60 s; " + work.resolve("slapd.log"));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while slapd started", e);
        }
        if (process.exitValue() != 0) {
            throw new AssertionError("slapd did not start (exit " + process.exitValue() + "): "
                    + Files.readString(work.resolve("slapd.log")));
        }
        Instant deadline = Instant.now().plusSeconds(20);
        while (!Files.isRegularFile(pidFile) || Files.readString(pidFile).isBlank() || !accepts()) {
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("slapd started but does not accept connections on " + url() + ": "
                        + Files.readString(work.resolve("slapd.log")));
            }
            sleep(20);
        }
    }

    /** Whether the listener accepts a TCP connection (slapd's parent may exit a moment before). */
    private boolean accepts() {
        try (java.net.Socket socket = new java.net.Socket()) {
            socket.connect(new java.net.InetSocketAddress("127.0.0.1", port), 1000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** A loopback port nobody listens on right now. */
    public static int freePort() throws IOException {
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    /** {@code ldap://127.0.0.1:PORT} (StartTLS; binds with a password need it). */
    public String url() {
        return "ldap://127.0.0.1:" + port;
    }

    /** The LDAP port. */
    public int port() {
        return port;
    }

    /** The CA certificate (PEM) clients trust: {@code LDAPTLS_CACERT}, {@code dirkms agent --ca-cert}. */
    public Path caCertificate() {
        return ca.certificate();
    }

    /** The CA that issued this server's certificate. */
    public SlapdCa ca() {
        return ca;
    }

    /** The suffix. */
    public String suffix() {
        return options.suffix();
    }

    /** The tree below the suffix. */
    public DirectoryLayout layout() {
        return layout;
    }

    /** What the configuration was generated for (identities, database, replication). */
    public OpenLdapSettings settings() {
        return settings;
    }

    /** The folder {@code dirkms openldap config} output was written to. */
    public Path configurationFolder() {
        return work.resolve("openldap");
    }

    /** The KMS agent's DN, a member of every role group. */
    public String agentDn() {
        return settings.agentDn();
    }

    /** The KMS agent's password file (first line, no newline): {@code dirkms agent --password-file}. */
    public Path agentPasswordFile() {
        try {
            return ca.passwordFile("agent");
        } catch (IOException e) {
            throw new AssertionError("cannot make the password file of agent", e);
        }
    }

    /** The directory administrator: people, names, addresses, passwords; no KMS role. */
    public String directoryAdministratorDn() {
        return settings.directoryAdministratorDn();
    }

    /** The directory administrator's password file. */
    public Path directoryAdministratorPasswordFile() {
        try {
            return ca.passwordFile("directory-admin");
        } catch (IOException e) {
            throw new AssertionError("cannot make the password file of directory-admin", e);
        }
    }

    /** The replicator, as whom the providers replicate each other. */
    public String replicatorDn() {
        return settings.replicatorDn();
    }

    /** The replicator's password file. */
    public Path replicatorPasswordFile() {
        try {
            return ca.passwordFile("replicator");
        } catch (IOException e) {
            throw new AssertionError("cannot make the password file of replicator", e);
        }
    }

    /** The database's root DN, past every access rule: set-up only, never to show what a role may do. */
    public String rootDn() {
        return settings.rootDn();
    }

    /** The root DN's password file. */
    public Path rootPasswordFile() {
        return work.resolve("root.password");
    }

    /** The running slapd's process id. */
    public long pid() {
        try {
            return Long.parseLong(Files.readString(pidFile, StandardCharsets.US_ASCII).strip());
        } catch (IOException e) {
            throw new AssertionError("slapd is not running: no pid file " + pidFile, e);
        }
    }

    /** Kills slapd with SIGKILL (no shutdown: the database is left as a crash leaves it) and waits for it to die. */
    public void kill() {
        ProcessHandle.of(pid()).ifPresent(handle -> {
            handle.destroyForcibly();
            handle.onExit().join();
        });
    }

    /** Stops slapd with SIGTERM and waits for it to exit (nothing when it is not running). */
    public void stop() {
        if (!Files.isRegularFile(pidFile)) {
            return;
        }
        Optional<ProcessHandle> running = ProcessHandle.of(pid());
        running.ifPresent(handle -> {
            handle.destroy();
            try {
                handle.onExit().get(STOP_TIMEOUT.toSeconds(), java.util.concurrent.TimeUnit.SECONDS);
            } catch (Exception e) {
                handle.destroyForcibly();
                throw new AssertionError("slapd " + handle.pid() + " did not stop on SIGTERM; killed", e);
            }
        });
        try {
            Files.deleteIfExists(pidFile);
        } catch (IOException e) {
            throw new AssertionError("cannot remove " + pidFile, e);
        }
    }

    /** Starts slapd again on the same port, configuration and database (after {@link #stop} or {@link #kill}). */
    public void restart() throws IOException {
        if (Files.isRegularFile(pidFile) && ProcessHandle.of(pid()).map(ProcessHandle::isAlive).orElse(false)) {
            stop();
        }
        launch();
    }

    /** Stops slapd. */
    @Override
    public void close() {
        stop();
    }

    // ------------------------------------------------------------------ clients

    /** The OpenLDAP clients against this server, anonymous, trusting its CA. */
    public LdapTools tools() {
        return LdapTools.against(url(), caCertificate());
    }

    /** The clients bound as the KMS agent. */
    public LdapTools asAgent() {
        return tools().asWithPasswordFile(agentDn(), agentPasswordFile());
    }

    /** The clients bound as the directory administrator. */
    public LdapTools asDirectoryAdministrator() {
        return tools().asWithPasswordFile(directoryAdministratorDn(), directoryAdministratorPasswordFile());
    }

    /** The clients bound as the root DN (set-up only). */
    public LdapTools asRoot() {
        return tools().asWithPasswordFile(rootDn(), rootPasswordFile());
    }

    /**
     * Adds a person under {@code ou=People} as the directory administrator ({@code inetOrgPerson}
     * with {@code uid}, {@code cn}, {@code sn}, {@code mail} and the password) and returns the DN.
     */
    public String addPerson(String uid, String mail, String password) {
        String dn = "uid=" + uid + "," + layout.people();
        asDirectoryAdministrator().add("dn: " + dn + "\nobjectClass: inetOrgPerson\nuid: " + uid + "\ncn: " + uid
                + "\nsn: " + uid + "\nmail: " + mail + "\nuserPassword: " + password + "\n").assertSuccess();
        return dn;
    }

    /** Makes {@code dn} a member of the role group, as the KMS agent (what {@code dirkms roles add} does). */
    public void grantRole(Role role, String dn) {
        asAgent().modify("dn: " + role.groupDn(layout) + "\nchangetype: modify\nadd: member\nmember: " + dn + "\n")
                .assertSuccess();
    }

    /**
     * A new Apache LDAP API connection, after StartTLS, bound as {@code dn} with {@code password};
     * anonymous (still over TLS) when {@code dn} is null.
     */
    public LdapNetworkConnection connection(String dn, String password) throws LdapException {
        LdapConnectionConfig connectionConfig = new LdapConnectionConfig();
        connectionConfig.setLdapHost("127.0.0.1");
        connectionConfig.setLdapPort(port);
        connectionConfig.setTrustManagers(trustingCa());
        LdapNetworkConnection connection = new LdapNetworkConnection(connectionConfig);
        try {
            connection.startTls();
            if (dn == null) {
                connection.anonymousBind();
            } else {
                connection.bind(dn, password);
            }
            return connection;
        } catch (LdapException | RuntimeException e) {
            try {
                connection.close();
            } catch (Exception closing) {
                e.addSuppressed(closing);
            }
            throw e;
        }
    }

    /** {@link #connection} as the KMS agent. */
    public LdapNetworkConnection agentConnection() throws LdapException {
        return connection(agentDn(), read(agentPasswordFile()));
    }

    /** A trust manager trusting this server's CA. */
    public X509TrustManager trustingCa() {
        try (InputStream in = Files.newInputStream(caCertificate())) {
            Certificate certificate = CertificateFactory.getInstance("X.509").generateCertificate(in);
            KeyStore trusted = KeyStore.getInstance(KeyStore.getDefaultType());
            trusted.load(null, null);
            trusted.setCertificateEntry("ca", certificate);
            TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            factory.init(trusted);
            return (X509TrustManager) factory.getTrustManagers()[0];
        } catch (IOException | java.security.GeneralSecurityException e) {
            throw new AssertionError("cannot trust " + caCertificate(), e);
        }
    }

    /** The first line of a password file. */
    public static String read(Path passwordFile) {
        try {
            return Files.readString(passwordFile, StandardCharsets.UTF_8).lines().findFirst().orElse("");
        } catch (IOException e) {
            throw new AssertionError("cannot read " + passwordFile, e);
        }
    }

    private static String newPassword(SecureRandom random) {
        byte[] bytes = new byte[18];
        random.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    private static void writeSecret(Path file, String secret) throws IOException {
        Files.deleteIfExists(file);
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(file, secret, StandardCharsets.UTF_8);
    }

    private static String requireSbin(String name) {
        for (String folder : List.of("/usr/sbin", "/usr/local/sbin", "/usr/bin")) {
            Path path = Path.of(folder, name);
            if (Files.isExecutable(path)) {
                return path.toString();
            }
        }
        throw new AssertionError(name + " is missing: install the Debian package slapd");
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    /** The folders the harness made, for a test that inspects them. */
    List<Path> folders() {
        return new ArrayList<>(List.of(work, config, work.resolve("db")));
    }
}
