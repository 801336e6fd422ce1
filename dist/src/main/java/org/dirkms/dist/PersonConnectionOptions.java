package org.dirkms.dist;

import java.io.Console;
import java.io.IOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.Arrays;

import org.apache.directory.api.ldap.model.exception.LdapException;
import org.apache.directory.ldap.client.api.LdapNetworkConnection;
import org.dirkms.agent.enroll.AgentConnection;
import org.dirkms.schema.DataFolder;
import org.dirkms.schema.DirectoryLayout;
import picocli.CommandLine.Option;

/**
 * The flags of a command a person runs as themselves ({@code recovery fetch}, {@code recovery
 * list}): which directory, as whom, trusting what. Without {@code --bind-dn} the command binds as
 * the KMS agent with the data folder's password file, as the commands run where the KMS runs do;
 * with it, the password comes from {@code --password-file} or is asked for on the terminal, never
 * from the command line.
 */
final class PersonConnectionOptions {

    @Option(names = "--data", paramLabel = "DIR", defaultValue = "data",
            description = "data folder holding the CA certificate (and the agent's password when no --bind-dn is"
                    + " given) (default ./data)")
    Path data;

    @Option(names = "--url", paramLabel = "URL",
            description = "the directory: ldap://host:port (StartTLS) or ldaps://host:port"
                    + " (default: the server running on DIR, as it wrote DIR/endpoint, else " + LocalServer.DEFAULT_URL + ")")
    String url;

    @Option(names = "--bind-dn", paramLabel = "DN",
            description = "who you are, e.g. uid=alice,ou=People,dc=example,dc=com (default: the KMS agent"
                    + " uid=kms-agent,ou=KMS,<suffix> with DIR/kms-agent.password)")
    String bindDn;

    @Option(names = "--password-file", paramLabel = "F",
            description = "your password, first line (without it a --bind-dn's password is asked for on the"
                    + " terminal)")
    Path passwordFile;

    @Option(names = "--ca-cert", paramLabel = "F",
            description = "the CA certificate (PEM) the server's TLS certificate chains to (default DIR/tls/ca.crt)")
    Path caCertificate;

    @Option(names = "--suffix", paramLabel = "DN", defaultValue = DirectoryLayout.DEFAULT_SUFFIX,
            description = "the directory suffix (default ${DEFAULT-VALUE})")
    String suffix;

    /**
     * The wiring the flags name, with the system clock and a strong random source.
     *
     * @throws UsageException when {@code --url} is not an LDAP URL or {@code --suffix} is empty
     */
    KmsContext context() throws UsageException {
        DataFolder folder = DataFolder.of(data);
        try {
            DirectoryLayout layout = new DirectoryLayout(suffix);
            Path password = passwordFile != null ? passwordFile : bindDn == null ? folder.kmsAgentPassword() : null;
            AgentConnection connection = new AgentConnection(url != null ? url : LocalServer.url(folder),
                    bindDn != null ? bindDn : layout.kmsAgentIdentity(), password,
                    caCertificate != null ? caCertificate : folder.caCertificate());
            return new KmsContext(folder, layout, connection, Clock.systemUTC(), new SecureRandom());
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
    }

    /**
     * Opens the protected connection of {@code context}, asking for the password on the terminal
     * when there is no password file.
     *
     * @throws UsageException when the password must be asked for but there is no terminal
     */
    static LdapNetworkConnection open(KmsContext context, long timeoutMillis)
            throws UsageException, IOException, LdapException, GeneralSecurityException {
        AgentConnection connection = context.connection();
        if (connection.passwordFile() != null) {
            return connection.open(timeoutMillis);
        }
        Console console = System.console();
        if (console == null) {
            throw new UsageException("there is no terminal to ask for the password of " + connection.bindDn()
                    + ": give --password-file F");
        }
        char[] password = console.readPassword("password of %s: ", connection.bindDn());
        if (password == null) {
            throw new UsageException("no password was given for " + connection.bindDn());
        }
        try {
            return connection.open(timeoutMillis, password);
        } finally {
            Arrays.fill(password, '\0');
        }
    }
}
