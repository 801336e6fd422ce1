package org.dirkms.dist;

import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;

import org.dirkms.agent.enroll.AgentConnection;
import org.dirkms.schema.DataFolder;
import org.dirkms.schema.DirectoryLayout;
import picocli.CommandLine.Option;

/**
 * The flags of every command that talks to the directory as the KMS agent ({@code agent},
 * {@code enroll}, {@code archive check}, {@code roles}): where the data folder is, which
 * directory, as whom, trusting what. Their defaults are the files of the data folder
 * ({@link DataFolder}), so that a command run where {@code dirkms serve} runs needs none.
 */
final class ConnectionOptions {

    @Option(names = "--data", paramLabel = "DIR", defaultValue = "data",
            description = "data folder holding the agent's password, the CA certificate, ca/ and recovery/"
                    + " (default ./data; the embedded server's own folder works as is)")
    Path data;

    @Option(names = "--url", paramLabel = "URL",
            description = "the directory: ldap://host:port (StartTLS) or ldaps://host:port"
                    + " (default: the server running on DIR, as it wrote DIR/endpoint, else " + LocalServer.DEFAULT_URL + ")")
    String url;

    @Option(names = "--bind-dn", paramLabel = "DN",
            description = "the agent's identity, a member of cn=KMS Agents (default uid=kms-agent,ou=KMS,<suffix>)")
    String bindDn;

    @Option(names = "--password-file", paramLabel = "F",
            description = "the agent's password, first line (default DIR/kms-agent.password)")
    Path passwordFile;

    @Option(names = "--ca-cert", paramLabel = "F",
            description = "the CA certificate (PEM) the server's TLS certificate chains to (default DIR/tls/ca.crt)")
    Path caCertificate;

    @Option(names = "--suffix", paramLabel = "DN", defaultValue = DirectoryLayout.DEFAULT_SUFFIX,
            description = "the directory suffix (default ${DEFAULT-VALUE})")
    String suffix;

    /** The data folder named by {@code --data}. */
    DataFolder dataFolder() {
        return DataFolder.of(data);
    }

    /**
     * The KMS wiring the flags name, with the system clock and a strong random source.
     *
     * @throws UsageException when {@code --url} is not an LDAP URL or {@code --suffix} is empty
     */
    KmsContext context() throws UsageException {
        DataFolder folder = dataFolder();
        DirectoryLayout layout;
        AgentConnection connection;
        try {
            layout = new DirectoryLayout(suffix);
            connection = new AgentConnection(url != null ? url : LocalServer.url(folder),
                    bindDn != null ? bindDn : layout.kmsAgentIdentity(),
                    passwordFile != null ? passwordFile : folder.kmsAgentPassword(),
                    caCertificate != null ? caCertificate : folder.caCertificate());
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        return new KmsContext(folder, layout, connection, Clock.systemUTC(), new SecureRandom());
    }
}
