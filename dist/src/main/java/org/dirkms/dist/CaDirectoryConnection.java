package org.dirkms.dist;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import javax.net.ssl.TrustManagerFactory;
import org.apache.directory.api.ldap.model.exception.LdapException;
import org.apache.directory.ldap.client.api.LdapConnectionConfig;
import org.apache.directory.ldap.client.api.LdapNetworkConnection;

/**
 * Opens the connection the {@code dirkms ca} commands work over: to the directory's URL, bound
 * as the KMS agent with the password from its file, protected by StartTLS ({@code ldap://}) or
 * TLS ({@code ldaps://}) and trusting the server certificate file, because the bind carries
 * the agent's password.
 */
final class CaDirectoryConnection {
    private CaDirectoryConnection() {
    }

    /**
     * Connects to {@code url} and binds as {@code bindDn} with the first line of {@code passwordFile}.
     *
     * @param serverCertificate the server's certificate (PEM) to trust
     * @throws IOException if a file cannot be read
     * @throws LdapException if the connection, TLS or the bind fails
     */
    static LdapNetworkConnection open(String url, String bindDn, Path passwordFile, Path serverCertificate)
            throws IOException, LdapException, GeneralSecurityException {
        URI uri = URI.create(url);
        boolean ldaps = "ldaps".equalsIgnoreCase(uri.getScheme());
        if (!ldaps && !"ldap".equalsIgnoreCase(uri.getScheme())) {
            throw new IllegalArgumentException("'" + url + "' is not an ldap:// or ldaps:// URL");
        }
        LdapConnectionConfig config = new LdapConnectionConfig();
        config.setLdapHost(uri.getHost() == null ? "127.0.0.1" : uri.getHost());
        config.setLdapPort(uri.getPort() > 0 ? uri.getPort() : ldaps ? 636 : 389);
        config.setUseSsl(ldaps);
        config.setTrustManagers(trusting(serverCertificate));
        LdapNetworkConnection connection = new LdapNetworkConnection(config);
        try {
            if (!ldaps) {
                connection.startTls();
            }
            String password = Files.readString(passwordFile).lines().findFirst().orElse("");
            connection.bind(bindDn, password);
            return connection;
        } catch (LdapException | RuntimeException e) {
            connection.close();
            throw e;
        }
    }

    private static javax.net.ssl.TrustManager[] trusting(Path certificateFile) throws IOException, GeneralSecurityException {
        KeyStore trusted = KeyStore.getInstance(KeyStore.getDefaultType());
        trusted.load(null, null);
        try (InputStream in = Files.newInputStream(certificateFile)) {
            int index = 0;
            for (var certificate : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                trusted.setCertificateEntry("server-" + index++, (X509Certificate) certificate);
            }
        }
        TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        factory.init(trusted);
        return factory.getTrustManagers();
    }
}
