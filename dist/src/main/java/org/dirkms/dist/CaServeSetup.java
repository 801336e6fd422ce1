package org.dirkms.dist;

import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Clock;
import org.apache.directory.api.ldap.model.exception.LdapException;
import org.apache.directory.ldap.client.api.LdapNetworkConnection;
import org.dirkms.agent.ca.CaService;
import org.dirkms.agent.directory.DirectoryAccessException;
import org.dirkms.agent.directory.LdapCaRecords;
import org.dirkms.ds.server.DirectoryServer;
import org.dirkms.ds.server.ServerSettings;
import org.dirkms.ds.server.ServerStartException;
import org.dirkms.schema.DirectoryLayout;

/**
 * Starts the embedded directory with its TLS certificate issued by the project's CA and the CA
 * published in the directory: what {@code dirkms serve} does on a fresh data folder so that
 * the embedded default issues certificates out of the box. The CA is created while the server
 * obtains its TLS credentials ({@link CaTlsCredentialSource}); once the server listens, the
 * agent publishes the CA entry and the standard templates over LDAP, as any agent would.
 */
public final class CaServeSetup {
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
        DirectoryLayout layout = new DirectoryLayout(settings.suffix());
        CaTlsCredentialSource tls = new CaTlsCredentialSource(settings.dataDirectory(), layout, clock, random);
        DirectoryServer server = DirectoryServer.start(settings, random, tls);
        try {
            try (LdapNetworkConnection connection = CaDirectoryConnection.open(server.ldapUrl(), server.kmsAgentDn(),
                    server.kmsAgentPasswordFile(), server.tlsCertificateFile())) {
                new CaService(new LdapCaRecords(connection, layout, clock), layout, clock, random)
                        .adoptRoot(tls.certificationAuthority(), 1);
            }
            return server;
        } catch (IOException | LdapException | GeneralSecurityException | DirectoryAccessException e) {
            server.close();
            throw new ServerStartException("cannot publish the CA in the directory: " + e.getMessage(), e);
        }
    }
}
