package org.dirkms.dist;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
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
import org.dirkms.ds.audit.AuditRecord;
import org.dirkms.ds.audit.AuditStartCheck;
import org.dirkms.ds.audit.AuditVerifier;
import org.dirkms.ds.server.DataFolderInUseException;
import org.dirkms.ds.server.ServerEndpoint;
import org.dirkms.ds.server.StoppedDirectory;
import org.dirkms.schema.AttributeNames;
import org.dirkms.schema.DataFolder;
import org.dirkms.schema.DirectoryLayout;

/**
 * {@code dirkms audit verify}: checks the whole hash-chained audit log of a data folder against
 * the head anchored in the directory ({@link DirectoryLayout#auditHead()}), always: a deleted,
 * truncated, rewritten (hashes recomputed) or reordered log fails, with one line on standard
 * error naming the problem. The anchor is read from the server named by {@code --url}, or else
 * from the data folder's own directory: from the server running on it (its
 * {@link ServerEndpoint}), or, when none runs, by opening the stopped folder's directory in this
 * process ({@link StoppedDirectory}). Exit 0 when sound, 1 when broken or unanchored, 2 on a
 * usage error, 3 when the anchor could not be read.
 */
public final class AuditCommand implements Subcommand {

    /**
     * Exit code when the anchor could not be read (directory unreachable, bind refused, no data
     * folder): nothing was checked, kept apart from {@link #FAILED}, "the log is broken".
     */
    static final int NOT_CHECKED = 3;

    /** How long reading the anchor may wait for the directory's answer. */
    private static final long TIMEOUT_MILLIS = 30_000;

    @Override
    public String name() {
        return "audit";
    }

    @Override
    public String summary() {
        return "verify the hash-chained audit log against its anchor in the directory";
    }

    @Override
    public String usage() {
        return """
                usage: dirkms audit verify [--data DIR] [--url URL] [--bind-dn DN] [--password-file F]
                                           [--ca-cert F] [--suffix DN]

                Checks every record of DIR/audit/audit.log (sequence, previous hash, own hash) and that
                the head anchored in the directory (cn=head,ou=Audit,ou=KMS,<suffix>) is one of its
                records, so that a deleted, truncated, rewritten or reordered log shows. A missing log,
                or a directory without an anchor, is never sound. The anchor is read:
                  with --url     from that server: ldaps://HOST:PORT, or ldap://HOST:PORT with
                                 StartTLS (never a plain bind)
                  without --url  from DIR's own directory: from the server running on DIR (over LDAPS,
                                 at the address it wrote to DIR/endpoint), or, when none runs, by
                                 opening DIR's directory in this process (no listener; a server cannot
                                 start on DIR for those few seconds)

                  --data DIR            data folder of the server (default ./data)
                  --url URL             the directory holding the anchor
                  --bind-dn DN          identity that reads the anchor (default uid=admin,ou=system)
                  --password-file F     its password, first line (default DIR/admin.password)
                  --ca-cert F           the CA certificate (PEM) the server's TLS certificate chains to
                                        (default DIR/tls/ca.crt; without --url, the certificate the
                                        running server names in DIR/endpoint)
                  --suffix DN           naming context (default: the one DIR/suffix names, else
                                        dc=example,dc=com)

                A log set aside by 'dirkms serve --accept-broken-audit-log'
                (DIR/audit/audit.log.broken-<UTC time>) is named, not checked.
                Exit code 0: sound; 1: broken, missing or unanchored (one line on standard error names
                the first bad record and why); 2: usage error; 3: the anchor could not be read.""";
    }

    @Override
    public int run(List<String> arguments, PrintStream out, PrintStream err) {
        if (!arguments.isEmpty() && (arguments.get(0).equals("--help") || arguments.get(0).equals("-h"))) {
            out.println(usage());
            return OK;
        }
        Options options;
        try {
            options = Options.parse(arguments);
        } catch (UsageException e) {
            err.println("dirkms audit: " + e.getMessage());
            err.println("'dirkms audit --help' lists the flags.");
            return USAGE;
        }
        DataFolder data = DataFolder.of(options.data);
        Path auditDirectory = data.audit();
        if (!Files.isDirectory(options.data)) {
            err.println("dirkms audit: there is no data folder " + options.data + ": give --data DIR of the server");
            return NOT_CHECKED;
        }
        if (!Files.exists(data.auditLog())) {
            return verifyAndReport(auditDirectory, Optional.empty(), out, err);
        }
        String suffix;
        try {
            suffix = options.suffix != null ? options.suffix
                    : StoppedDirectory.suffixOf(data).orElse(DirectoryLayout.DEFAULT_SUFFIX);
        } catch (IOException e) {
            err.println("dirkms audit: cannot read the suffix of " + options.data + ": " + e.getMessage());
            return NOT_CHECKED;
        }
        String anchorDn = new DirectoryLayout(suffix).auditHead();
        Anchor anchor;
        try {
            anchor = readAnchor(options, anchorDn);
        } catch (IOException | LdapException | GeneralSecurityException | IllegalArgumentException e) {
            err.println("dirkms audit: cannot read the anchor " + anchorDn + " from "
                    + (options.url != null ? options.url : "the directory of " + options.data) + ": " + firstLine(e));
            return NOT_CHECKED;
        }
        if (anchor.head().isEmpty()) {
            err.println("audit log UNANCHORED: " + anchor.source() + " holds no head at " + anchorDn + "; a server"
                    + " anchors one at every start, so it was removed: nothing vouches for the log");
            return FAILED;
        }
        AuditHead head = anchor.head().get();
        out.println("anchored head: record " + head.sequence() + " " + head.hash() + " (read from " + anchor.source()
                + ")");
        return verifyAndReport(auditDirectory, anchor.head(), out, err);
    }

    /** Verifies the log against {@code anchor}, prints the outcome and returns the exit code. */
    private static int verifyAndReport(Path auditDirectory, Optional<AuditHead> anchor, PrintStream out,
            PrintStream err) {
        Path log = auditDirectory.resolve(AuditLog.FILE_NAME);
        AuditVerifier.Report report;
        List<Path> setAsideFiles;
        Optional<AuditRecord> first;
        try {
            report = AuditVerifier.verify(auditDirectory, anchor);
            setAsideFiles = setAsideFiles(auditDirectory);
            first = report.valid() ? firstRecord(log) : Optional.empty();
        } catch (IOException e) {
            err.println("dirkms audit: cannot read " + auditDirectory + ": " + firstLine(e));
            return NOT_CHECKED;
        }
        for (Path setAside : setAsideFiles) {
            out.println("set aside: " + setAside + " (a broken log accepted by 'dirkms serve "
                    + AuditStartCheck.ACCEPT_FLAG + "'; not checked)");
        }
        first.filter(record -> record.operation().equals(AuditStartCheck.CHAIN_RESTART))
                .ifPresent(record -> out.println("record 1 began this chain after a broken one, at " + record.time()
                        + ": " + String.join("; ", record.attributes())));
        (report.valid() ? out : err).println(report.summary());
        if (report.valid()) {
            out.println(report.superuserSummary());
        }
        return report.valid() ? OK : FAILED;
    }

    /** The broken logs a start set aside in {@code auditDirectory}, oldest first. */
    private static List<Path> setAsideFiles(Path auditDirectory) throws IOException {
        List<Path> files = new ArrayList<>();
        if (Files.isDirectory(auditDirectory)) {
            try (DirectoryStream<Path> stream = Files.newDirectoryStream(auditDirectory,
                    AuditStartCheck.SET_ASIDE_PREFIX + "*")) {
                stream.forEach(files::add);
            }
        }
        files.sort(null);
        return files;
    }

    /** The first record of a log the verifier found sound (so it parses). */
    private static Optional<AuditRecord> firstRecord(Path log) throws IOException {
        try (BufferedReader reader = Files.newBufferedReader(log, StandardCharsets.UTF_8)) {
            String line = reader.readLine();
            return line == null ? Optional.empty() : Optional.of(AuditRecord.parse(line));
        }
    }

    /** Where the anchor was read and what it holds. */
    private record Anchor(Optional<AuditHead> head, String source) {
    }

    private static Anchor readAnchor(Options options, String anchorDn)
            throws IOException, LdapException, GeneralSecurityException {
        if (options.url != null) {
            return new Anchor(readAnchor(new AgentConnection(options.url, options.bindDn, options.passwordFile,
                    options.caCertificate()), anchorDn), options.url);
        }
        try {
            return new Anchor(StoppedDirectory.readAuditAnchor(DataFolder.of(options.data)),
                    "the directory of the stopped data folder " + options.data);
        } catch (DataFolderInUseException running) {
            ServerEndpoint endpoint = ServerEndpoint.read(DataFolder.of(options.data)).orElseThrow(() -> new IOException(
                    "a server runs on " + options.data + " but has not written " + DataFolder.ENDPOINT.path()
                            + " there yet: try again once it has started, or give --url"));
            Path trusted = options.caCertificate != null ? options.caCertificate : endpoint.trustedCertificate();
            return new Anchor(readAnchor(new AgentConnection(endpoint.url(), options.bindDn, options.passwordFile,
                    trusted), anchorDn), "the server running on " + options.data + " at " + endpoint.url());
        }
    }

    /** Reads the anchor over a protected connection (LDAPS, or StartTLS before the bind). */
    private static Optional<AuditHead> readAnchor(AgentConnection connection, String anchorDn)
            throws IOException, LdapException, GeneralSecurityException {
        try (LdapNetworkConnection ldap = connection.open(TIMEOUT_MILLIS)) {
            Entry head = ldap.lookup(new Dn(anchorDn), AttributeNames.AUDIT_SEQUENCE, AttributeNames.AUDIT_HASH);
            Attribute sequence = head == null ? null : head.get(AttributeNames.AUDIT_SEQUENCE);
            Attribute hash = head == null ? null : head.get(AttributeNames.AUDIT_HASH);
            if (sequence == null || hash == null) {
                return Optional.empty();
            }
            try {
                return Optional.of(new AuditHead(Long.parseLong(sequence.getString()), hash.getString()));
            } catch (IllegalArgumentException e) {
                throw new IOException("the anchor holds no valid head: " + e.getMessage());
            }
        }
    }

    private static String firstLine(Exception e) {
        if (e instanceof NoSuchFileException missing) {
            return "there is no file " + missing.getFile();
        }
        String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        int newline = message.indexOf('\n');
        return (newline < 0 ? message : message.substring(0, newline)).strip();
    }

    /** The parsed command line. */
    private static final class Options {
        Path data = Path.of("data");
        String url;
        String bindDn = DirectoryLayout.ADMIN_DN;
        Path passwordFile;
        Path caCertificate;
        String suffix;

        /** The CA certificate to trust for {@code --url}: the flag's, else DIR/tls/ca.crt. */
        Path caCertificate() {
            return caCertificate != null ? caCertificate
                    : DataFolder.of(data).caCertificate();
        }

        static Options parse(List<String> arguments) throws UsageException {
            if (arguments.isEmpty()) {
                throw new UsageException("the action is missing; the action is 'verify'");
            }
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
                    case "--ca-cert" -> options.caCertificate = Path.of(value(arguments, ++i, flag));
                    case "--suffix" -> options.suffix = value(arguments, ++i, flag);
                    default -> throw new UsageException("unknown flag '" + flag + "'");
                }
            }
            options.data = options.data.toAbsolutePath().normalize();
            if (options.passwordFile == null) {
                options.passwordFile = DataFolder.of(options.data).adminPassword();
            }
            if (options.url != null) {
                try {
                    URI uri = new URI(options.url);
                    String scheme = uri.getScheme();
                    if (!("ldap".equalsIgnoreCase(scheme) || "ldaps".equalsIgnoreCase(scheme)) || uri.getHost() == null) {
                        throw new UsageException("--url must be ldaps://HOST:PORT, or ldap://HOST:PORT (StartTLS), not "
                                + options.url);
                    }
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
