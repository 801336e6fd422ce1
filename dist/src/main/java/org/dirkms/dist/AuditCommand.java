package org.dirkms.dist;

import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import org.apache.directory.api.ldap.model.entry.Attribute;
import org.apache.directory.api.ldap.model.entry.Entry;
import org.apache.directory.api.ldap.model.exception.LdapException;
import org.apache.directory.api.ldap.model.name.Dn;
import org.apache.directory.ldap.client.api.LdapNetworkConnection;
import org.dirkms.agent.enroll.AgentConnection;
import org.dirkms.ds.audit.AuditHead;
import org.dirkms.ds.audit.AuditLog;
import org.dirkms.ds.audit.AuditVerifier;
import org.dirkms.schema.AttributeNames;
import org.dirkms.schema.DirectoryLayout;

/**
 * {@code dirkms audit verify}: checks the whole hash-chained audit log of a data folder and,
 * when a directory is named, that the head anchored in it ({@link DirectoryLayout#auditHead()})
 * is a record of the chain. Exits 0 when sound, 1 naming the first bad record's sequence.
 */
public final class AuditCommand implements Subcommand {

    @Override
    public String name() {
        return "audit";
    }

    @Override
    public String summary() {
        return "verify the hash-chained audit log and its anchor in the directory";
    }

    @Override
    public String usage() {
        return """
                usage: dirkms audit verify --data DIR [--url ldap://HOST:PORT --bind-dn DN --password-file FILE]
                                           [--suffix DN]

                  --data DIR            data folder of the server; the log is DIR/audit/audit.log
                  --url URL             LDAP URL of the directory holding the anchor (ldap:// only)
                  --bind-dn DN          identity to read the anchor as
                  --password-file FILE  file holding that identity's password (e.g. DIR/admin.password)
                  --suffix DN           naming context of the directory (default dc=example,dc=com)

                Without --url only the chain is checked; with it, the anchored head must be one of
                its records, so that a truncated or rewritten log shows. Exit code 0: sound;
                1: broken (the first bad record's sequence is named); 2: usage error.""";
    }

    @Override
    public int run(List<String> arguments, PrintStream out, PrintStream err) {
        if (arguments.isEmpty() || arguments.get(0).equals("--help") || arguments.get(0).equals("-h")) {
            out.println(usage());
            return arguments.isEmpty() ? USAGE : OK;
        }
        Options options;
        try {
            options = Options.parse(arguments);
        } catch (UsageException e) {
            err.println("dirkms audit: " + e.getMessage());
            err.println("'dirkms audit --help' lists the flags.");
            return USAGE;
        }
        Optional<AuditHead> anchor = Optional.empty();
        if (options.url != null) {
            try {
                anchor = readAnchor(options);
            } catch (LdapException | IOException | java.security.GeneralSecurityException e) {
                err.println("dirkms audit: cannot read the anchor " + new DirectoryLayout(options.suffix).auditHead()
                        + " from " + options.url + ": " + e.getMessage());
                return FAILED;
            }
            if (anchor.isEmpty()) {
                out.println("no anchor in the directory yet: checking the chain alone");
            }
        } else {
            out.println("no --url: checking the chain alone, not its anchor in the directory");
        }
        AuditVerifier.Report report;
        try {
            report = AuditVerifier.verify(options.data.resolve("audit"), anchor);
        } catch (IOException e) {
            err.println("dirkms audit: cannot read " + options.data.resolve("audit").resolve(AuditLog.FILE_NAME) + ": "
                    + e.getMessage());
            return FAILED;
        }
        anchor.ifPresent(head -> out.println("anchored head: record " + head.sequence() + " " + head.hash()));
        (report.valid() ? out : err).println(report.summary());
        return report.valid() ? OK : FAILED;
    }

    private static Optional<AuditHead> readAnchor(Options options) throws LdapException, IOException,
            java.security.GeneralSecurityException {
        // The same protected connection the agent uses: StartTLS, trusting the data folder's CA.
        Path tls = options.data.resolve("tls");
        Path trusted = Files.exists(tls.resolve(CaTlsCredentialSource.CA_CERTIFICATE_FILE))
                ? tls.resolve(CaTlsCredentialSource.CA_CERTIFICATE_FILE) : tls.resolve("server.crt");
        AgentConnection link = new AgentConnection(options.url, options.bindDn, options.passwordFile, trusted);
        try (LdapNetworkConnection connection = link.open(60_000)) {
            Entry head = connection.lookup(new Dn(new DirectoryLayout(options.suffix).auditHead()),
                    AttributeNames.AUDIT_SEQUENCE, AttributeNames.AUDIT_HASH);
            if (head == null) {
                return Optional.empty();
            }
            Attribute sequence = head.get(AttributeNames.AUDIT_SEQUENCE);
            Attribute hash = head.get(AttributeNames.AUDIT_HASH);
            if (sequence == null || hash == null) {
                return Optional.empty();
            }
            try {
                return Optional.of(new AuditHead(Long.parseLong(sequence.getString()), hash.getString()));
            } catch (NumberFormatException e) {
                throw new IOException("the anchor's " + AttributeNames.AUDIT_SEQUENCE + " is not a number");
            }
        }
    }

    /** The parsed command line. */
    private static final class Options {
        Path data;
        String url;
        String host;
        int port;
        String bindDn;
        Path passwordFile;
        String suffix = DirectoryLayout.DEFAULT_SUFFIX;

        static Options parse(List<String> arguments) throws UsageException {
            if (!arguments.get(0).equals("verify")) {
                throw new UsageException("unknown action '" + arguments.get(0) + "'; the action is 'verify'");
            }
            Options options = new Options();
            for (int i = 1; i < arguments.size(); i++) {
                String flag = arguments.get(i);
                switch (flag) {
                    case "--data" -> options.data = Path.of(value(arguments, ++i, flag));
                    case "--url" -> options.url = value(arguments, ++i, flag);
                    case "--bind-dn" -> options.bindDn = value(arguments, ++i, flag);
                    case "--password-file" -> options.passwordFile = Path.of(value(arguments, ++i, flag));
                    case "--suffix" -> options.suffix = value(arguments, ++i, flag);
                    default -> throw new UsageException("unknown flag '" + flag + "'");
                }
            }
            if (options.data == null) {
                throw new UsageException("--data DIR is required: the server's data folder");
            }
            if (options.url != null) {
                if (options.bindDn == null || options.passwordFile == null) {
                    throw new UsageException("--url needs --bind-dn and --password-file to read the anchor");
                }
                try {
                    URI uri = new URI(options.url);
                    if (!"ldap".equalsIgnoreCase(uri.getScheme()) || uri.getHost() == null) {
                        throw new UsageException("--url must be ldap://HOST:PORT, not " + options.url);
                    }
                    options.host = uri.getHost();
                    options.port = uri.getPort() < 0 ? 389 : uri.getPort();
                } catch (URISyntaxException e) {
                    throw new UsageException("--url is not a URL: " + e.getMessage());
                }
            }
            return options;
        }

        private static String value(List<String> arguments, int index, String flag) throws UsageException {
            if (index >= arguments.size() || arguments.get(index).startsWith("--")) {
                throw new UsageException(flag + " needs a value");
            }
            return arguments.get(index);
        }
    }
}
