package org.dirkms.agent.enroll;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import org.apache.directory.api.ldap.model.exception.LdapAuthenticationException;
import org.apache.directory.api.ldap.model.exception.LdapException;
import org.apache.directory.ldap.client.api.LdapConnectionConfig;
import org.apache.directory.ldap.client.api.LdapNetworkConnection;
import org.dirkms.schema.PasswordFile;

/**
 * How the agent reaches the directory: a URL, the DN it binds as, the file holding its password
 * and the CA certificate (PEM) it trusts for TLS. Every connection is protected — LDAPS for an
 * {@code ldaps://} URL, StartTLS (RFC 4513 section 3) for {@code ldap://} — because the agent
 * reads and writes secrets, which the directory accepts only over protected connections.
 *
 * @param url {@code ldap://host:port} or {@code ldaps://host:port}
 * @param bindDn the agent's DN (a member of {@code cn=KMS Agents})
 * @param passwordFile the file whose first line is the agent's password ({@link PasswordFile}), or
 *        null when the password is given to {@link #open(long, char[])}
 * @param trustedCertificates PEM file of the certificate(s) that the server's certificate must chain to
 * @param journal where every connection opened here reports the writes the directory accepted
 *        ({@link WriteJournal#NONE} unless {@link #journaling} set one)
 */
public record AgentConnection(String url, String bindDn, Path passwordFile, Path trustedCertificates,
        WriteJournal journal) {

    /** Validates the URL's scheme. */
    public AgentConnection {
        String scheme = URI.create(url).getScheme();
        if (!"ldap".equalsIgnoreCase(scheme) && !"ldaps".equalsIgnoreCase(scheme)) {
            throw new IllegalArgumentException("'" + url + "' is not an ldap:// or ldaps:// URL");
        }
        java.util.Objects.requireNonNull(journal, "journal");
    }

    /** A connection whose writes nobody records. */
    public AgentConnection(String url, String bindDn, Path passwordFile, Path trustedCertificates) {
        this(url, bindDn, passwordFile, trustedCertificates, WriteJournal.NONE);
    }

    /** The same connection, every write of which (once the directory accepted it) goes to {@code other}. */
    public AgentConnection journaling(WriteJournal other) {
        return new AgentConnection(url, bindDn, passwordFile, trustedCertificates, other);
    }

    /**
     * The same identity, password, trust and journal towards another server at {@code otherUrl}: another
     * provider of a replicated directory (docs/reliability.md, "Replicated directories").
     *
     * @throws IllegalArgumentException if {@code otherUrl} is not an ldap:// or ldaps:// URL
     */
    public AgentConnection withUrl(String otherUrl) {
        return new AgentConnection(otherUrl, bindDn, passwordFile, trustedCertificates, journal);
    }

    /**
     * Opens a new protected connection bound as {@link #bindDn()}; the caller closes it.
     *
     * @param timeoutMillis how long an operation may wait for its response; 0 for no limit (the
     *        persistent syncrepl search)
     * @throws IOException if the password or certificate file cannot be read
     * @throws LdapException if the connection, TLS or the bind fails; a refused bind is an
     *         {@link LdapAuthenticationException} whose one-line message names the DN and the password's source
     * @throws GeneralSecurityException if the certificate file is not a certificate
     */
    public LdapNetworkConnection open(long timeoutMillis) throws IOException, LdapException, GeneralSecurityException {
        char[] password = PasswordFile.read(passwordFile);
        try {
            return open(timeoutMillis, password, "the password file " + passwordFile);
        } finally {
            java.util.Arrays.fill(password, '\0');
        }
    }

    /**
     * Opens a new protected connection bound as {@link #bindDn()} with {@code password} (asked of
     * a person at a terminal, say) instead of the password file; the caller closes it and clears
     * the password.
     *
     * @throws IOException if the certificate file cannot be read
     * @throws LdapException if the connection, TLS or the bind fails; a refused bind is an
     *         {@link LdapAuthenticationException} whose one-line message names the DN and the password's source
     * @throws GeneralSecurityException if the certificate file is not a certificate
     */
    public LdapNetworkConnection open(long timeoutMillis, char[] password)
            throws IOException, LdapException, GeneralSecurityException {
        return open(timeoutMillis, password, "the password given");
    }

    /**
     * Opens a new protected connection (LDAPS, or StartTLS) without a bind: what a mail client
     * does to look certificates up (RFC 4513 section 5.1.1, anonymous authentication); the
     * caller closes it. The server's certificate is checked as for {@link #open(long)}.
     *
     * @throws IOException if the certificate file cannot be read
     * @throws LdapException if the connection or TLS fails
     * @throws GeneralSecurityException if the certificate file is not a certificate
     */
    public LdapNetworkConnection openAnonymous(long timeoutMillis)
            throws IOException, LdapException, GeneralSecurityException {
        LdapNetworkConnection connection = unbound(timeoutMillis);
        try {
            connection.anonymousBind();
            return connection;
        } catch (LdapException | RuntimeException e) {
            connection.close();
            throw e;
        }
    }

    /** A connection with TLS in place (LDAPS, or StartTLS done), not bound. */
    private LdapNetworkConnection unbound(long timeoutMillis) throws IOException, LdapException, GeneralSecurityException {
        URI uri = URI.create(url);
        boolean ldaps = "ldaps".equalsIgnoreCase(uri.getScheme());
        LdapConnectionConfig config = new LdapConnectionConfig();
        config.setLdapHost(uri.getHost() == null ? "127.0.0.1" : uri.getHost());
        config.setLdapPort(uri.getPort() > 0 ? uri.getPort() : ldaps ? 636 : 389);
        config.setUseSsl(ldaps);
        config.setTrustManagers(trusting(trustedCertificates));
        config.setTimeout(timeoutMillis <= 0 ? Long.MAX_VALUE : timeoutMillis);
        LdapNetworkConnection connection = journal == WriteJournal.NONE ? new LdapNetworkConnection(config)
                : new JournalingConnection(config, journal, bindDn);
        try {
            if (!ldaps) {
                connection.startTls();
            }
            return connection;
        } catch (LdapException | RuntimeException e) {
            connection.close();
            throw e;
        }
    }

    private LdapNetworkConnection open(long timeoutMillis, char[] password, String passwordSource)
            throws IOException, LdapException, GeneralSecurityException {
        LdapNetworkConnection connection = unbound(timeoutMillis);
        try {
            connection.bind(bindDn, new String(password));
            return connection;
        } catch (LdapAuthenticationException e) {
            connection.close();
            // The API's own exception carries no message for result code 49 (RFC 4511
            // section 4.1.9), which left the commands printing an empty line.
            throw new LdapAuthenticationException("the directory at " + url + " refused the bind as " + bindDn
                    + ": invalid credentials (LDAP result code 49); check the DN (--bind-dn) and " + passwordSource);
        } catch (LdapException | RuntimeException e) {
            connection.close();
            throw e;
        }
    }

    private static TrustManager[] trusting(Path certificateFile) throws IOException, GeneralSecurityException {
        KeyStore trusted = KeyStore.getInstance(KeyStore.getDefaultType());
        trusted.load(null, null);
        try (InputStream in = Files.newInputStream(certificateFile)) {
            int index = 0;
            for (Certificate certificate : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                trusted.setCertificateEntry("trusted-" + index++, certificate);
            }
            if (index == 0) {
                throw new GeneralSecurityException(certificateFile + " holds no certificate");
            }
        }
        TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        factory.init(trusted);
        return factory.getTrustManagers();
    }
}
