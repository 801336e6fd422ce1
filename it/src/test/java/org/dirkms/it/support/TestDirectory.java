package org.dirkms.it.support;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Clock;
import java.util.Objects;
import java.util.function.UnaryOperator;

import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

import org.apache.directory.api.ldap.model.exception.LdapException;
import org.apache.directory.ldap.client.api.LdapConnection;
import org.apache.directory.ldap.client.api.LdapConnectionConfig;
import org.apache.directory.ldap.client.api.LdapNetworkConnection;
import org.dirkms.dist.KmsContext;
import org.dirkms.ds.server.DirectoryServer;
import org.dirkms.ds.server.ServerSettings;
import org.dirkms.ds.server.ServerStartException;
import org.dirkms.schema.DirectoryLayout;
import org.dirkms.schema.DataFolder;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A real embedded dirkms directory for one test class: started on free loopback ports in a
 * fresh temporary folder before the first test, stopped and deleted after the last.
 *
 * <pre>{@code
 * class MyIT {
 *     @RegisterExtension
 *     static final TestDirectory directory = new TestDirectory();
 *
 *     @Test
 *     void searches() throws Exception {
 *         LdapTools.Result result = LdapTools.against(directory).asAdmin()
 *                 .search(directory.layout().people(), "(mail=*)", "mail");
 *         ...
 *     }
 * }
 * }</pre>
 *
 * <p>It also works without JUnit's extension model: {@link #start()} and {@link #close()}.
 * {@link #restart()} stops the server and starts it again over the same data on the same ports.
 */
public final class TestDirectory implements BeforeAllCallback, AfterAllCallback, AutoCloseable {

    private final UnaryOperator<ServerSettings> customizer;
    private Path dataDirectory;
    private DirectoryServer server;
    private String kmsAdministratorPassword;
    /** The settings of the last server, with its bound ports: what {@link #startAgain} reuses. */
    private ServerSettings lastSettings;

    /** A directory with the defaults of {@link ServerSettings#forTests(Path)}. */
    public TestDirectory() {
        this(UnaryOperator.identity());
    }

    /**
     * A directory whose settings are the test defaults changed by {@code customizer}, e.g.
     * {@code settings -> settings.withAnonymousAccess(false)}.
     */
    public TestDirectory(UnaryOperator<ServerSettings> customizer) {
        this.customizer = Objects.requireNonNull(customizer, "customizer");
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        start();
    }

    @Override
    public void afterAll(ExtensionContext context) {
        close();
    }

    /** Starts the server in a new temporary folder. */
    public TestDirectory start() throws IOException, ServerStartException {
        if (server != null) {
            throw new IllegalStateException("already started");
        }
        dataDirectory = Files.createTempDirectory("dirkms-it-");
        server = DirectoryServer.start(customizer.apply(ServerSettings.forTests(dataDirectory)));
        return this;
    }

    /**
     * Stops the server and keeps its data folder, for a test that works on the stopped folder and
     * then calls {@link #startAgain}.
     */
    public void stop() {
        DirectoryServer old = running();
        lastSettings = old.settings().withPorts(old.ldapPort(), old.ldapsPort());
        server = null;
        old.close();
    }

    /**
     * Starts a server again over the stopped data folder, on the same ports, with the last
     * settings changed by {@code change} (e.g. {@code s -> s.withAcceptBrokenAuditLog(true)}).
     * When the start fails the directory stays stopped and this may be called again.
     */
    public void startAgain(UnaryOperator<ServerSettings> change) throws ServerStartException {
        if (server != null || lastSettings == null) {
            throw new IllegalStateException("startAgain needs a directory stopped by stop()");
        }
        server = DirectoryServer.start(change.apply(lastSettings));
    }

    /** Stops the server and starts it again over the same data folder and the same ports. */
    public void restart() throws ServerStartException {
        DirectoryServer old = running();
        ServerSettings settings = old.settings().withPorts(old.ldapPort(), old.ldapsPort());
        old.close();
        server = null;
        server = DirectoryServer.start(settings);
    }

    /**
     * Stops the server, runs {@code whileStopped} on the data folder (to simulate an older
     * version's folder, a lost file, ...), and starts it again on the same ports.
     */
    public void restart(WhileStopped whileStopped) throws Exception {
        DirectoryServer old = running();
        ServerSettings settings = old.settings().withPorts(old.ldapPort(), old.ldapsPort());
        old.close();
        server = null;
        whileStopped.run(dataDirectory);
        server = DirectoryServer.start(settings);
    }

    /** What {@link #restart(WhileStopped)} does to the data folder while the server is down. */
    @FunctionalInterface
    public interface WhileStopped {
        /** @param dataDirectory the stopped server's data folder */
        void run(Path dataDirectory) throws Exception;
    }

    /** Stops the server (if running) and deletes its data folder. */
    @Override
    public void close() {
        try {
            if (server != null) {
                server.close();
            }
        } finally {
            server = null;
            kmsAdministratorPassword = null;
            if (dataDirectory != null) {
                deleteTree(dataDirectory);
                dataDirectory = null;
            }
        }
    }

    /** The running server, for what this class does not expose. */
    public DirectoryServer server() {
        return running();
    }

    /** The data folder of the server (also while it is stopped by {@link #stop()}). */
    public Path dataDirectory() {
        if (dataDirectory == null) {
            running();
        }
        return dataDirectory;
    }

    /** The data folder with the layout of its files (also while the server is stopped). */
    public DataFolder dataFolder() {
        return DataFolder.of(dataDirectory());
    }

    /**
     * The KMS wiring over this directory ({@link KmsContext#of}): the agent's connection (StartTLS
     * to the LDAP port, as {@code uid=kms-agent} with the data folder's password file), the CA
     * services, the recovery key store of the data folder.
     */
    public KmsContext kms() {
        return KmsContext.of(running(), Clock.systemUTC(), new SecureRandom());
    }

    /** {@code ldap://127.0.0.1:port}. */
    public String ldapUrl() {
        return running().ldapUrl();
    }

    /** {@code ldaps://127.0.0.1:port}. */
    public String ldapsUrl() {
        return running().ldapsUrl();
    }

    /** The LDAP port. */
    public int ldapPort() {
        return running().ldapPort();
    }

    /** The LDAPS port. */
    public int ldapsPort() {
        return running().ldapsPort();
    }

    /** The directory tree below the suffix. */
    public DirectoryLayout layout() {
        return running().layout();
    }

    /** {@code uid=admin,ou=system}. */
    public String adminDn() {
        return running().adminDn();
    }

    /** The generated administrator password. */
    public String adminPassword() {
        return running().adminPassword();
    }

    /** The file holding the administrator password (for {@code -y}). */
    public Path adminPasswordFile() {
        return running().adminPasswordFile();
    }

    /** The KMS agent's DN. */
    public String agentDn() {
        return running().kmsAgentDn();
    }

    /** The KMS agent's generated password. */
    public String agentPassword() {
        return running().kmsAgentPassword();
    }

    /** The file holding the KMS agent's password (for {@code -y}). */
    public Path agentPasswordFile() {
        return running().kmsAgentPasswordFile();
    }

    /** The server certificate (PEM), for {@code LDAPTLS_CACERT}. */
    public Path tlsCertificateFile() {
        return running().tlsCertificateFile();
    }

    /**
     * A new Apache LDAP API connection to the LDAP port, bound as the administrator. The caller
     * closes it.
     */
    public LdapConnection adminConnection() throws LdapException {
        return connection(adminDn(), adminPassword());
    }

    /** A new Apache LDAP API connection to the LDAP port, bound as the KMS agent. */
    public LdapConnection agentConnection() throws LdapException {
        return connection(agentDn(), agentPassword());
    }

    /**
     * A new Apache LDAP API connection to the LDAP port, bound as {@code dn} after StartTLS
     * (the server refuses binds with a password without TLS), or anonymous without TLS if
     * {@code dn} is null.
     */
    public LdapConnection connection(String dn, String password) throws LdapException {
        LdapConnectionConfig config = new LdapConnectionConfig();
        config.setLdapHost("127.0.0.1");
        config.setLdapPort(ldapPort());
        config.setTrustManagers(trustingThisServer());
        LdapNetworkConnection connection = new LdapNetworkConnection(config);
        try {
            if (dn == null) {
                connection.anonymousBind();
            } else {
                connection.startTls();
                connection.bind(dn, password);
            }
            return connection;
        } catch (LdapException | RuntimeException e) {
            closeQuietly(connection, e);
            throw e;
        }
    }

    /**
     * A new connection to the LDAP port without TLS, bound as {@code dn} (anonymous if null): to
     * show what the server refuses on such a connection.
     */
    public LdapConnection plainConnection(String dn, String password) throws LdapException {
        LdapNetworkConnection connection = new LdapNetworkConnection("127.0.0.1", ldapPort());
        try {
            if (dn == null) {
                connection.anonymousBind();
            } else {
                connection.bind(dn, password);
            }
            return connection;
        } catch (LdapException | RuntimeException e) {
            closeQuietly(connection, e);
            throw e;
        }
    }

    /**
     * The DN of a KMS administrator of this directory ({@code uid=kms-admin,ou=Staff,...}),
     * made on first use the way an organisation does it ({@link Staff#kmsAdministrator}): the
     * directory superuser adds the person, and {@code dirkms roles add} gives the role.
     */
    public synchronized String kmsAdministratorDn() {
        if (kmsAdministratorPassword == null) {
            Staff.kmsAdministrator(running());
            kmsAdministratorPassword = Staff.PASSWORD;
        }
        return Staff.dn(running(), "kms-admin");
    }

    /** The password of {@link #kmsAdministratorDn()} (made on first use). */
    public synchronized String kmsAdministratorPassword() {
        kmsAdministratorDn();
        return kmsAdministratorPassword;
    }

    /** A new connection (StartTLS) bound as {@link #kmsAdministratorDn()}. */
    public LdapConnection kmsAdministratorConnection() throws LdapException {
        return connection(kmsAdministratorDn(), kmsAdministratorPassword());
    }

    /**
     * A new Apache LDAP API connection over LDAPS that trusts exactly this server's certificate,
     * bound as {@code dn}: for operations the guard allows on protected connections only.
     */
    public LdapConnection secureConnection(String dn, String password) throws LdapException {
        LdapConnectionConfig config = new LdapConnectionConfig();
        config.setLdapHost("127.0.0.1");
        config.setLdapPort(ldapsPort());
        config.setUseSsl(true);
        config.setTrustManagers(trustingThisServer());
        LdapNetworkConnection connection = new LdapNetworkConnection(config);
        try {
            connection.bind(dn, password);
            return connection;
        } catch (LdapException | RuntimeException e) {
            closeQuietly(connection, e);
            throw e;
        }
    }

    /** {@link #secureConnection} as the administrator. */
    public LdapConnection secureAdminConnection() throws LdapException {
        return secureConnection(adminDn(), adminPassword());
    }

    /**
     * A new LDAPS connection bound as the KMS agent, opened the way the agent opens its own: by
     * the KMS wiring ({@link #kms()}) at this server's LDAPS URL, with the data folder's password
     * file, trusting this server's certificate.
     */
    public LdapNetworkConnection secureAgentConnection() throws LdapException {
        try {
            return kms().withUrl(ldapsUrl()).openConnection(KmsContext.OPERATION_TIMEOUT_MILLIS);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot trust " + tlsCertificateFile(), e);
        }
    }

    /**
     * A trust manager that trusts exactly this server's certificate, for clients of a test's
     * own (e.g. a raw TLS socket) that must verify the server like the Apache LDAP API does here.
     */
    public X509TrustManager trustManager() {
        return trustingThisServer();
    }

    private X509TrustManager trustingThisServer() {
        try (InputStream in = Files.newInputStream(tlsCertificateFile())) {
            Certificate certificate = CertificateFactory.getInstance("X.509").generateCertificate(in);
            KeyStore trusted = KeyStore.getInstance(KeyStore.getDefaultType());
            trusted.load(null, null);
            trusted.setCertificateEntry("dirkms-server", certificate);
            TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            factory.init(trusted);
            for (TrustManager manager : factory.getTrustManagers()) {
                if (manager instanceof X509TrustManager x509) {
                    return x509;
                }
            }
            throw new IllegalStateException("no X.509 trust manager");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot trust " + tlsCertificateFile(), e);
        }
    }

    private static void closeQuietly(LdapNetworkConnection connection, Exception cause) {
        try {
            connection.close();
        } catch (RuntimeException e) {
            cause.addSuppressed(e);
        }
    }

    private DirectoryServer running() {
        if (server == null) {
            throw new IllegalStateException("the test directory is not running: register it with @RegisterExtension"
                    + " on a static field, or call start()");
        }
        return server;
    }

    private static void deleteTree(Path root) {
        try {
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attributes) throws IOException {
                    Files.delete(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path folder, IOException failure) throws IOException {
                    Files.delete(folder);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete the test directory's data folder " + root, e);
        }
    }
}
