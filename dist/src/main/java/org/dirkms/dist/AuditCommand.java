package org.dirkms.dist;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.apache.directory.api.ldap.model.entry.Attribute;
import org.apache.directory.api.ldap.model.entry.Entry;
import org.apache.directory.api.ldap.model.exception.LdapException;
import org.apache.directory.api.ldap.model.name.Dn;
import org.apache.directory.ldap.client.api.LdapNetworkConnection;
import org.dirkms.agent.audit.AgentAuditTrail;
import org.dirkms.agent.audit.AuditTrailException;
import org.dirkms.agent.enroll.AgentConnection;
import org.dirkms.schema.audit.AuditHead;
import org.dirkms.schema.audit.AuditRecord;
import org.dirkms.ds.audit.AuditStartCheck;
import org.dirkms.schema.audit.AuditVerifier;
import org.dirkms.ds.server.DataFolderInUseException;
import org.dirkms.ds.server.ServerEndpoint;
import org.dirkms.ds.server.StoppedDirectory;
import org.dirkms.schema.AttributeNames;
import org.dirkms.schema.DataFolder;
import org.dirkms.schema.DirectoryLayout;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code dirkms audit verify}: checks the whole hash-chained audit log of a data folder against
 * the head anchored in the directory ({@link DirectoryLayout#auditHead()}), always: a deleted,
 * truncated, rewritten (hashes recomputed) or reordered log fails, with one line on standard
 * error naming the problem. The anchor is read from the server named by {@code --url}, or else
 * from the data folder's own directory: from the server running on it (its
 * {@link ServerEndpoint}), or, when none runs, by opening the stopped folder's directory in this
 * process ({@link StoppedDirectory}). Exit 0 when sound, 1 when broken or unanchored, 2 on a
 * usage error, 3 when the anchor could not be read. The data folder of a standalone agent holds
 * the agent's own log instead ({@link DataFolder#AGENT_AUDIT_LOG}, {@link AgentAuditTrail}),
 * checked the same way against the anchor its first record names; a folder without either log is
 * never sound.
 */
@Command(name = "audit", description = "Verify the hash-chained audit log against its anchor in the directory.",
        subcommands = AuditCommand.Verify.class)
final class AuditCommand extends Subcommand {

    /** How long reading the anchor may wait for the directory's answer. */
    private static final long TIMEOUT_MILLIS = 30_000;

    /** Without an action: a usage error naming it. */
    @Override
    int run() throws UsageException {
        throw new UsageException("the action is missing; " + DirkmsCommand.actionList(spec.commandLine()));
    }

    @Override
    List<String> examples() {
        return List.of("dirkms audit verify --data data", "check data's audit log against its own directory's anchor");
    }

    /** {@code dirkms audit verify}. */
    @Command(name = "verify", description = {"Check every record of DIR/audit/audit.log (sequence, previous hash,"
            + " own hash) and that the head anchored in the directory (cn=head,ou=Audit,ou=KMS,<suffix>) is one of"
            + " its records, so that a deleted, truncated, rewritten or reordered log shows. A missing log, or a"
            + " directory without an anchor, is never sound. The anchor is read:",
            "  with --url     from that server: ldaps://HOST:PORT, or ldap://HOST:PORT with StartTLS (never a"
                    + " plain bind)",
            "  without --url  from DIR's own directory: from the server running on DIR (over LDAPS, at the address"
                    + " it wrote to DIR/endpoint), or, when none runs, by opening DIR's directory in this process (no"
                    + " listener; a server cannot start on DIR for those few seconds)",
            "",
            "A log set aside by 'dirkms serve --accept-broken-audit-log' (DIR/audit/audit.log.broken-<UTC time>) is"
                    + " named, not checked.",
            "",
            "The data folder of a standalone agent ('dirkms agent') holds the agent's own log, DIR/audit/agent.log"
                    + " (every write the agent made), anchored at the entry under ou=Audit,ou=KMS its first record names:"
                    + " with --url of the directory the agent serves, read as the KMS agent with DIR/kms-agent.password."})
    static final class Verify extends Subcommand {

        @Option(names = "--data", paramLabel = "DIR", defaultValue = "data",
                description = "data folder of the server (default ./data)")
        Path data;

        @Option(names = "--url", paramLabel = "URL", description = "the directory holding the anchor")
        String url;

        @Option(names = "--bind-dn", paramLabel = "DN",
                description = "identity that reads the anchor (default " + DirectoryLayout.ADMIN_DN + " for a server's"
                        + " log; the KMS agent uid=kms-agent,ou=KMS,<suffix> for an agent's)")
        String bindDn;

        @Option(names = "--password-file", paramLabel = "F",
                description = "its password, first line (default DIR/admin.password for a server's log,"
                        + " DIR/kms-agent.password for an agent's)")
        Path passwordFile;

        @Option(names = "--log", paramLabel = "server|agent",
                description = "which log of DIR to check: the embedded server's audit/audit.log, or the standalone"
                        + " agent's audit/agent.log (default: the one DIR holds; the server's when it holds both)")
        String log;

        @Option(names = "--ca-cert", paramLabel = "F",
                description = "the CA certificate (PEM) the server's TLS certificate chains to (default"
                        + " DIR/tls/ca.crt; without --url, the certificate the running server names in DIR/endpoint)")
        Path caCertificate;

        @Option(names = "--suffix", paramLabel = "DN",
                description = "naming context (default: the one DIR/suffix names, else "
                        + DirectoryLayout.DEFAULT_SUFFIX + ")")
        String suffix;

        @Option(names = "--json", description = "the result as one JSON object on standard output (when the check"
                + " ran): valid, anchored, anchorSequence, anchorHash, anchorSource, records, headSequence, headHash,"
                + " badSequence, problem, setAside, chainRestartedAt, superuserRecords, lastSuperuserRecord"
                + " (README, \"JSON output\")")
        boolean json;

        @Override
        List<String> examples() {
            return List.of("dirkms audit verify --data data", "against data's own directory, running or stopped",
                    "dirkms audit verify --data data --url ldaps://127.0.0.1:10636",
                    "against the anchor of the server at that address",
                    "dirkms audit verify --data data --json", "the result as JSON, for monitoring");
        }

        @Override
        Map<ExitCode, String> exitCodes() {
            Map<ExitCode, String> codes = new LinkedHashMap<>();
            codes.put(ExitCode.OK, "the log is sound");
            codes.put(ExitCode.FAILED, "broken, missing or unanchored: one line on standard error names the first"
                    + " bad record and why");
            codes.put(ExitCode.USAGE, ExitCode.USAGE.meaning());
            codes.put(ExitCode.NOT_CHECKED, "the anchor could not be read");
            return codes;
        }

        @Override
        int run() throws UsageException {
            if (url != null) {
                try {
                    URI uri = new URI(url);
                    String scheme = uri.getScheme();
                    if (!("ldap".equalsIgnoreCase(scheme) || "ldaps".equalsIgnoreCase(scheme)) || uri.getHost() == null) {
                        throw new UsageException("--url must be ldaps://HOST:PORT, or ldap://HOST:PORT (StartTLS), not "
                                + url);
                    }
                } catch (URISyntaxException e) {
                    throw new UsageException("--url is not a URL: " + e.getMessage());
                }
            }
            PrintWriter out = out();
            PrintWriter err = err();
            String prefix = messagePrefix();
            DataFolder folder = DataFolder.of(data);
            Path auditDirectory = folder.audit();
            if (!Files.isDirectory(folder.root())) {
                err.println(prefix + ": there is no data folder " + folder.root() + ": give --data DIR of the server");
                return NOT_CHECKED;
            }
            ObjectNode document = json ? document() : null;
            boolean agentLog;
            if (log == null) {
                agentLog = !Files.exists(folder.auditLog()) && Files.exists(folder.agentAuditLog());
            } else if (log.equals("server") || log.equals("agent")) {
                agentLog = log.equals("agent");
            } else {
                throw new UsageException("--log is 'server' or 'agent', not '" + log + "'");
            }
            if (agentLog) {
                return verifyAgentLog(this, folder, out, err, document);
            }
            if (!Files.exists(folder.auditLog())) {
                if (log == null) {
                    err.println("audit log BROKEN at record 1: the log file " + folder.auditLog() + " is missing, and so"
                            + " is a standalone agent's " + DataFolder.AGENT_AUDIT_LOG.path() + "; a folder a server or"
                            + " an agent ever wrote to has one, so it was removed (or give --data DIR of the server or"
                            + " the agent)");
                    if (document != null) {
                        document.put("badSequence", 1);
                        document.put("problem", "the log file " + folder.auditLog() + " is missing, and so is "
                                + DataFolder.AGENT_AUDIT_LOG.path());
                        JsonOutput.print(out, document);
                    }
                    return FAILED;
                }
                return verifyAndReport(prefix, auditDirectory, Optional.empty(), out, err, document);
            }
            String served;
            try {
                served = suffix != null ? suffix : StoppedDirectory.suffixOf(folder).orElse(DirectoryLayout.DEFAULT_SUFFIX);
            } catch (IOException e) {
                err.println(prefix + ": cannot read the suffix of " + folder.root() + ": " + e.getMessage());
                return NOT_CHECKED;
            }
            DirectoryLayout layout = new DirectoryLayout(served);
            String anchorDn = layout.auditHead();
            Anchor anchor;
            try {
                anchor = readAnchor(this, folder, layout);
            } catch (IOException | LdapException | GeneralSecurityException | IllegalArgumentException e) {
                err.println(prefix + ": cannot read the anchor " + anchorDn + " from "
                        + (url != null ? url : "the directory of " + folder.root()) + ": " + CommandFailure.describe(null, e, null));
                return NOT_CHECKED;
            }
            if (anchor.head().isEmpty()) {
                String problem = anchor.source() + " holds no head at " + anchorDn + "; a"
                        + " server anchors one at every start, so it was removed: nothing vouches for the log";
                err.println("audit log UNANCHORED: " + problem);
                if (document != null) {
                    document.put("valid", false);
                    document.put("anchorSource", anchor.source());
                    document.put("problem", "unanchored: " + problem);
                    JsonOutput.print(out, document);
                }
                return FAILED;
            }
            AuditHead head = anchor.head().get();
            if (document == null) {
                out.println("anchored head: record " + head.sequence() + " " + head.hash() + " (read from "
                        + anchor.source() + ")");
            } else {
                document.put("anchored", true);
                document.put("anchorSequence", head.sequence());
                document.put("anchorHash", head.hash());
                document.put("anchorSource", anchor.source());
            }
            return verifyAndReport(prefix, auditDirectory, anchor.head(), out, err, document);
        }
    }

    /**
     * The {@code --json} document of {@code audit verify}, every field present in its fixed order
     * ({@code null}, {@code false} or empty until known).
     */
    static ObjectNode document() {
        ObjectNode document = JsonOutput.object();
        document.put("valid", false);
        document.put("anchored", false);
        for (String field : List.of("anchorSequence", "anchorHash", "anchorSource", "records", "headSequence",
                "headHash", "badSequence", "problem")) {
            document.putNull(field);
        }
        document.putArray("setAside");
        document.putNull("chainRestartedAt");
        document.put("superuserRecords", 0);
        document.putNull("lastSuperuserRecord");
        return document;
    }

    /** Verifies the log against {@code anchor}, prints the outcome and returns the exit code. */
    static int verifyAndReport(String prefix, Path auditDirectory, Optional<AuditHead> anchor, PrintWriter out,
            PrintWriter err) {
        return verifyAndReport(prefix, auditDirectory, anchor, out, err, null);
    }

    /**
     * As {@link #verifyAndReport(String, Path, Optional, PrintWriter, PrintWriter)}; with a
     * {@code document} ({@link #document()}), the outcome goes into it and it is printed as JSON
     * instead of the text lines on standard output (a broken log is still named on standard error).
     */
    static int verifyAndReport(String prefix, Path auditDirectory, Optional<AuditHead> anchor, PrintWriter out,
            PrintWriter err, ObjectNode document) {
        return verifyAndReportFile(prefix, auditDirectory.resolve(DataFolder.AUDIT_LOG.name()), anchor, out, err,
                document);
    }

    /** As {@link #verifyAndReport(String, Path, Optional, PrintWriter, PrintWriter, ObjectNode)} for the log {@code log}. */
    static int verifyAndReportFile(String prefix, Path log, Optional<AuditHead> anchor, PrintWriter out,
            PrintWriter err, ObjectNode document) {
        Path auditDirectory = log.toAbsolutePath().getParent();
        AuditVerifier.Report report;
        List<Path> setAsideFiles;
        Optional<AuditRecord> first;
        try {
            report = AuditVerifier.verifyFile(log, anchor);
            setAsideFiles = setAsideFiles(log);
            first = report.valid() ? firstRecord(log) : Optional.empty();
        } catch (IOException e) {
            err.println(prefix + ": cannot read " + auditDirectory + ": " + firstLine(e));
            return NOT_CHECKED;
        }
        if (document != null) {
            json(document, report, setAsideFiles, first);
            if (!report.valid()) {
                err.println(report.summary());
            }
            JsonOutput.print(out, document);
            return report.valid() ? OK : FAILED;
        }
        boolean agentLog = log.getFileName().toString().equals(DataFolder.AGENT_AUDIT_LOG.name());
        for (Path setAside : setAsideFiles) {
            out.println("set aside: " + setAside + " (a broken log accepted by 'dirkms " + (agentLog
                    ? "agent " + AgentAuditTrail.ACCEPT_FLAG : "serve " + AuditStartCheck.ACCEPT_FLAG) + "'; not checked)");
        }
        first.filter(record -> record.operation().equals(AuditStartCheck.CHAIN_RESTART)
                || record.operation().equals(AgentAuditTrail.CHAIN_START) && !record.attributes().isEmpty())
                .ifPresent(record -> out.println("record 1 began this chain after a broken one, at " + record.time()
                        + ": " + String.join("; ", record.attributes())));
        (report.valid() ? out : err).println(report.summary());
        if (report.valid()) {
            out.println(report.superuserSummary());
        }
        return report.valid() ? OK : FAILED;
    }

    /** Fills {@code document} with what the text output says of {@code report}. */
    static void json(ObjectNode document, AuditVerifier.Report report, List<Path> setAsideFiles,
            Optional<AuditRecord> first) {
        document.put("valid", report.valid());
        document.put("records", report.records());
        if (report.head() != null) {
            document.put("headSequence", report.head().sequence());
            document.put("headHash", report.head().hash());
        }
        if (!report.valid()) {
            document.put("badSequence", report.badSequence());
            document.put("problem", report.problem());
        }
        ArrayNode setAside = document.putArray("setAside");
        setAsideFiles.forEach(file -> setAside.add(file.toString()));
        first.filter(record -> record.operation().equals(AuditStartCheck.CHAIN_RESTART))
                .ifPresent(record -> document.put("chainRestartedAt", record.time().toString()));
        document.put("superuserRecords", report.superuserRecords());
        AuditRecord last = report.lastSuperuserRecord();
        if (last != null) {
            ObjectNode record = document.putObject("lastSuperuserRecord");
            record.put("sequence", last.sequence());
            record.put("time", last.time().toString());
            record.put("operation", last.operation());
            record.put("target", last.target());
        }
    }

    /** The broken logs a start set aside beside {@code log} ({@code <log name>.broken-<UTC time>}), oldest first. */
    private static List<Path> setAsideFiles(Path log) throws IOException {
        List<Path> files = new ArrayList<>();
        Path auditDirectory = log.toAbsolutePath().getParent();
        if (Files.isDirectory(auditDirectory)) {
            try (DirectoryStream<Path> stream = Files.newDirectoryStream(auditDirectory,
                    log.getFileName() + AgentAuditTrail.SET_ASIDE_INFIX + "*")) {
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

    /**
     * Verifies the standalone agent's log {@code DIR/audit/agent.log} against the anchor its first
     * record names ({@link AgentAuditTrail}), read from {@code --url} as the KMS agent (or
     * {@code --bind-dn}); prints the outcome as for the server's log and returns the exit code.
     */
    private static int verifyAgentLog(Verify options, DataFolder folder, PrintWriter out, PrintWriter err,
            ObjectNode document) throws UsageException {
        String prefix = options.messagePrefix();
        Path log = folder.agentAuditLog();
        if (!Files.exists(log)) {
            return verifyAndReportFile(prefix, log, Optional.empty(), out, err, document);
        }
        if (options.url == null) {
            throw new UsageException("an agent's log is anchored in the directory the agent serves: give --url of"
                    + " that directory (ldaps://HOST:PORT, or ldap://HOST:PORT with StartTLS)");
        }
        DirectoryLayout layout = new DirectoryLayout(options.suffix != null ? options.suffix
                : DirectoryLayout.DEFAULT_SUFFIX);
        Optional<String> anchorDn;
        try {
            anchorDn = AgentAuditTrail.anchorOf(log, layout);
        } catch (IOException e) {
            err.println(prefix + ": cannot read " + log + ": " + firstLine(e));
            return NOT_CHECKED;
        }
        if (anchorDn.isEmpty()) {
            String problem = "record 1 of " + log + " does not name an agent's anchor under " + layout.audit()
                    + " (operation " + AgentAuditTrail.CHAIN_START + "): the log's beginning was removed or rewritten"
                    + " (or give --suffix)";
            err.println("audit log BROKEN at record 1: " + problem);
            if (document != null) {
                document.put("badSequence", 1);
                document.put("problem", problem);
                JsonOutput.print(out, document);
            }
            return FAILED;
        }
        AgentConnection reader = new AgentConnection(options.url,
                options.bindDn != null ? options.bindDn : layout.kmsAgentIdentity(),
                options.passwordFile != null ? options.passwordFile : folder.kmsAgentPassword(),
                options.caCertificate != null ? options.caCertificate : folder.caCertificate());
        Optional<AuditHead> head;
        try {
            head = AgentAuditTrail.readAnchor(reader, anchorDn.get());
        } catch (AuditTrailException e) {
            err.println(prefix + ": " + e.getMessage());
            return NOT_CHECKED;
        }
        if (head.isEmpty()) {
            String problem = options.url + " holds no head at " + anchorDn.get() + ", which the log's first record"
                    + " names; an agent anchors its chain before it writes anything, so it was removed: nothing"
                    + " vouches for the log";
            err.println("audit log UNANCHORED: " + problem);
            if (document != null) {
                document.put("anchorSource", options.url);
                document.put("problem", "unanchored: " + problem);
                JsonOutput.print(out, document);
            }
            return FAILED;
        }
        if (document == null) {
            out.println("anchored head: record " + head.get().sequence() + " " + head.get().hash() + " (read from "
                    + anchorDn.get() + " at " + options.url + ")");
        } else {
            document.put("anchored", true);
            document.put("anchorSequence", head.get().sequence());
            document.put("anchorHash", head.get().hash());
            document.put("anchorSource", options.url);
        }
        return verifyAndReportFile(prefix, log, head, out, err, document);
    }

    /** Where the anchor was read and what it holds. */
    private record Anchor(Optional<AuditHead> head, String source) {
    }

    private static Anchor readAnchor(Verify options, DataFolder data, DirectoryLayout layout)
            throws IOException, LdapException, GeneralSecurityException {
        Path passwordFile = options.passwordFile != null ? options.passwordFile : data.adminPassword();
        String bindDn = options.bindDn != null ? options.bindDn : DirectoryLayout.ADMIN_DN;
        if (options.url != null) {
            Path trusted = options.caCertificate != null ? options.caCertificate : data.caCertificate();
            return new Anchor(readAnchor(context(data, layout, new AgentConnection(options.url, bindDn,
                    passwordFile, trusted))), options.url);
        }
        try {
            return new Anchor(StoppedDirectory.readAuditAnchor(data),
                    "the directory of the stopped data folder " + data.root());
        } catch (DataFolderInUseException running) {
            ServerEndpoint endpoint = ServerEndpoint.read(data).orElseThrow(() -> new IOException(
                    "a server runs on " + data.root() + " but has not written " + DataFolder.ENDPOINT.path()
                            + " there yet: try again once it has started, or give --url"));
            Path trusted = options.caCertificate != null ? options.caCertificate : endpoint.trustedCertificate();
            return new Anchor(readAnchor(context(data, layout, new AgentConnection(endpoint.url(), bindDn,
                    passwordFile, trusted))), "the server running on " + data.root() + " at " + endpoint.url());
        }
    }

    /** The wiring of a connection as the anchor's reader (the superuser by default). */
    private static KmsContext context(DataFolder data, DirectoryLayout layout, AgentConnection connection) {
        return new KmsContext(data, layout, connection, Clock.systemUTC(), new SecureRandom());
    }

    /** Reads the anchor over a protected connection (LDAPS, or StartTLS before the bind). */
    private static Optional<AuditHead> readAnchor(KmsContext reader)
            throws IOException, LdapException, GeneralSecurityException {
        String anchorDn = reader.layout().auditHead();
        try (LdapNetworkConnection ldap = reader.openConnection(TIMEOUT_MILLIS)) {
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

}
