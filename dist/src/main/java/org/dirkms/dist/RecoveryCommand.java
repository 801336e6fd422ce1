package org.dirkms.dist;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

import org.apache.directory.api.ldap.model.exception.LdapException;
import org.apache.directory.api.ldap.model.name.Rdn;
import org.apache.directory.ldap.client.api.LdapNetworkConnection;
import org.dirkms.agent.directory.DirectoryAccessException;
import org.dirkms.agent.directory.LdapRecoveryRecords;
import org.dirkms.agent.directory.RecoveryRecords;
import org.dirkms.agent.directory.RecoveryRecords.Delivery;
import org.dirkms.agent.directory.RecoveryRecords.KmsServer;
import org.dirkms.agent.directory.RecoveryRecords.RequestEntry;
import org.dirkms.agent.names.DistinguishedNames;
import org.dirkms.schema.AttributeNames;
import org.dirkms.schema.DirectoryLayout;
import org.dirkms.schema.RecoveryState;
import org.dirkms.schema.RequiredApprovals;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code dirkms recovery}: key recovery from the command line (docs/administrator-contract.md,
 * 5). A KMS administrator requests a recovery and recovery agents approve it with LDIF
 * ({@code ldif/samples/50-*}, {@code 60-*}); these actions list the requests, fetch a recovered
 * package as its requester (so that nobody hand-edits LDIF to take it, and the fetch is confirmed
 * by deleting the package), and change how many approvals a recovery needs, which only the KMS
 * may (it binds as the KMS agent with the data folder's password file, so it runs where the KMS
 * runs; the change is audited). Nothing it prints contains a key, a package or a token.
 */
@Command(name = "recovery", description = {"List key recovery requests, fetch a recovered package, set the"
        + " approvals a recovery needs.", "",
        "A KMS administrator requests a recovery with ldif/samples/50-request-recovery.ldif; each recovery agent"
                + " approves with ldif/samples/60-approve-recovery.ldif, bound as themselves. Once enough distinct"
                + " recovery agents approved, the KMS writes a PKCS#12 of every encryption key the user ever had,"
                + " protected by a one-time token, on the request, readable by the requester only: 'dirkms recovery"
                + " fetch' saves it."},
        subcommands = {RecoveryCommand.ListRequests.class, RecoveryCommand.Fetch.class,
            RecoveryCommand.RequiredApprovalsAction.class, RecoveryApproveCommand.class})
final class RecoveryCommand extends Subcommand {

    /** How long one operation may wait for the directory's answer. */
    private static final long TIMEOUT_MILLIS = Duration.ofMinutes(1).toMillis();
    /** Requests made within this long (or still waiting) are "recent" for {@code list}. */
    static final Duration RECENT = Duration.ofDays(30);

    /** Without an action: a usage error naming the actions. */
    @Override
    int run() throws UsageException {
        throw new UsageException("the action is missing; " + DirkmsCommand.actionList(spec.commandLine()));
    }

    @Override
    List<String> examples() {
        return List.of("dirkms recovery list", "pending and recent requests with their approvals",
                "dirkms recovery fetch recover-jdoe --out jdoe.p12 --bind-dn"
                        + " uid=alice,ou=People,dc=example,dc=com",
                "alice, who asked for it, saves the recovered keys", "dirkms recovery required-approvals 3",
                "recoveries need three distinct recovery agents from now on");
    }

    /** {@code dirkms recovery list}. */
    @Command(name = "list", description = {"List the pending and recent key recovery requests: target, state, who"
            + " asked, the approvals given and required, and why a request failed or expired.", "",
            "Recent means made in the last 30 days; pending and approved requests are always listed. Any bound"
                    + " identity may list them; by default the command binds as the KMS agent of DIR."})
    static final class ListRequests extends Subcommand {
        @Mixin
        PersonConnectionOptions connection;

        @Option(names = "--all", description = "every request, however old")
        boolean all;

        @Option(names = "--json", description = "one JSON array on standard output, a request an object: name, dn,"
                + " state, target, requester, created, description, approvals, approvalCount, requiredApprovals,"
                + " certificateSerial, certificateIssuer, recoveringAttempt, leaseExpires, packageExpires, lastError,"
                + " underCustody, shareCount (the request key published, the custody shares given; docs/custody.md)"
                + " (README, \"JSON output\")")
        boolean json;

        @Override
        List<String> examples() {
            return List.of("dirkms recovery list", "as the KMS agent of ./data, where the KMS runs",
                    "dirkms recovery list --url ldaps://directory.example.com:10636 --bind-dn"
                            + " uid=bob,ou=People,dc=example,dc=com --ca-cert ca.pem",
                    "as recovery agent bob, asked for his password, from his own machine",
                    "dirkms recovery list --json", "the same requests as JSON, for scripts");
        }

        @Override
        int run() throws UsageException {
            KmsContext kms = connection.context();
            try (LdapNetworkConnection directory = PersonConnectionOptions.open(kms, TIMEOUT_MILLIS)) {
                RecoveryRecords records = kms.recoveryRecords(directory);
                if (json) {
                    JsonOutput.print(out(), json(shown(records.requests(), all, Instant.now())));
                } else {
                    list(records.requests(), all, Instant.now(), out());
                }
                return OK;
            } catch (NoSuchFileException e) {
                return failed("cannot read " + e.getFile() + ": give --data DIR of the server, or --password-file and"
                        + " --ca-cert");
            } catch (IOException | LdapException | GeneralSecurityException | DirectoryAccessException e) {
                return failed("cannot list the recovery requests", e, kms.connection());
            }
        }
    }

    /** Prints the requests, oldest first: pending and approved ones always, others when recent or {@code all}. */
    static void list(List<RequestEntry> requests, boolean all, Instant now, PrintWriter out) {
        List<RequestEntry> shown = shown(requests, all, now);
        Map<String, Integer> byState = new TreeMap<>();
        for (RequestEntry request : shown) {
            String state = request.rawState() == null ? "no state" : request.rawState();
            byState.merge(state, 1, Integer::sum);
            out.println((request.name() == null ? request.dn() : request.name()) + "  " + state + "  " + request.target());
            out.println("  requested by " + (request.requester() == null ? "(nobody recorded)" : request.requester())
                    + (request.created() == null ? "" : " at " + request.created())
                    + (request.description() == null ? "" : ": " + request.description()));
            out.println("  approvals " + distinct(request.approvals()).size() + " of "
                    + (request.requiredApprovals() == null ? RequiredApprovals.DEFAULT : request.requiredApprovals())
                    + (request.approvals().isEmpty() ? "" : ": " + String.join("; ", distinct(request.approvals()))));
            if (request.certificate() != null) {
                out.println("  only the key of " + describe(request.certificate()));
            }
            if (request.requestKey() != null && request.state() == RecoveryState.PENDING) {
                // Under custody (docs/custody.md) the KMS holds the request from the start, waiting for shares.
                out.println("  under custody: " + request.shares().size() + " share(s) given; request key held by "
                        + (request.claim() == null ? "(nobody: the KMS gives it a new one)" : request.claim().attempt()
                        + " until " + request.claim().leaseExpires()) + "; approve with 'dirkms recovery approve "
                        + request.name() + " --bind-dn DN --key-package FILE'");
                if (request.lastError() != null) {
                    out.println("  note: " + request.lastError());
                }
            } else if (request.claim() != null && request.state() == RecoveryState.PENDING) {
                out.println("  being recovered by " + request.claim().attempt() + " until "
                        + request.claim().leaseExpires());
            }
            if (request.state() == RecoveryState.APPROVED) {
                out.println("  package waiting for its requester" + (request.packageExpires() == null ? ""
                        : " until " + request.packageExpires()) + ": 'dirkms recovery fetch " + request.name()
                        + " --out FILE --bind-dn " + request.requester() + "'");
            }
            if (request.lastError() != null && (request.state() == RecoveryState.FAILED
                    || request.state() == RecoveryState.EXPIRED)) {
                out.println("  why: " + request.lastError());
            }
        }
        if (shown.isEmpty()) {
            out.println(requests.isEmpty() ? "no recovery requests" : "no pending or recent recovery requests ("
                    + requests.size() + " older: --all lists them)");
            return;
        }
        List<String> counts = new ArrayList<>();
        byState.forEach((state, count) -> counts.add(count + " " + state));
        out.println(shown.size() + " request" + (shown.size() == 1 ? "" : "s") + " (" + String.join(", ", counts) + ")"
                + (shown.size() < requests.size() ? "; " + (requests.size() - shown.size()) + " older: --all lists them"
                        : ""));
    }

    /** The requests listed, oldest first: pending and approved ones always, others when recent or {@code all}. */
    static List<RequestEntry> shown(List<RequestEntry> requests, boolean all, Instant now) {
        List<RequestEntry> shown = new ArrayList<>();
        for (RequestEntry request : requests) {
            boolean waiting = request.state() == RecoveryState.PENDING || request.state() == RecoveryState.APPROVED;
            boolean recent = request.created() == null || request.created().isAfter(now.minus(RECENT));
            if (all || waiting || recent) {
                shown.add(request);
            }
        }
        shown.sort(Comparator.comparing((RequestEntry request) -> request.created() == null ? Instant.EPOCH
                : request.created()).thenComparing(RequestEntry::dn));
        return shown;
    }

    /**
     * The {@code --json} document of {@code recovery list}: one object per request of
     * {@code shown}, the fields of the text listing under stable names, null where the text says
     * nothing; never a package or a token.
     */
    static ArrayNode json(List<RequestEntry> shown) {
        ArrayNode array = JsonOutput.array();
        for (RequestEntry request : shown) {
            ObjectNode entry = array.addObject();
            entry.put("name", request.name());
            entry.put("dn", request.dn());
            entry.put("state", request.rawState());
            entry.put("target", request.target());
            entry.put("requester", request.requester());
            entry.put("created", request.created() == null ? null : request.created().toString());
            entry.put("description", request.description());
            List<String> approvals = distinct(request.approvals());
            approvals.forEach(entry.putArray("approvals")::add);
            entry.put("approvalCount", approvals.size());
            entry.put("requiredApprovals", required(request));
            X509Certificate certificate = request.certificate() == null ? null : certificate(request.certificate());
            entry.put("certificateSerial", certificate == null ? null : certificate.getSerialNumber().toString(16));
            entry.put("certificateIssuer", certificate == null ? null : certificate.getIssuerX500Principal().getName());
            boolean recovering = request.claim() != null && request.state() == RecoveryState.PENDING;
            entry.put("recoveringAttempt", recovering ? request.claim().attempt() : null);
            entry.put("leaseExpires", recovering ? request.claim().leaseExpires().toString() : null);
            entry.put("packageExpires", request.state() == RecoveryState.APPROVED && request.packageExpires() != null
                    ? request.packageExpires().toString() : null);
            entry.put("lastError", request.lastError());
            entry.put("underCustody", request.requestKey() != null);
            entry.put("shareCount", request.shares().size());
        }
        return array;
    }

    /** The approvals the request needs, as a number; the default when it records none readable. */
    private static int required(RequestEntry request) {
        try {
            return request.requiredApprovals() == null ? RequiredApprovals.DEFAULT
                    : Integer.parseInt(request.requiredApprovals().strip());
        } catch (NumberFormatException e) {
            return RequiredApprovals.DEFAULT;
        }
    }

    private static X509Certificate certificate(byte[] der) {
        try {
            return (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(new ByteArrayInputStream(der));
        } catch (GeneralSecurityException | RuntimeException e) {
            return null;
        }
    }

    /** The approvals as given, each DN once however it is spelled. */
    private static List<String> distinct(List<String> approvals) {
        Map<String, String> byName = new LinkedHashMap<>();
        for (String approval : approvals) {
            String key;
            try {
                key = DistinguishedNames.normal(approval);
            } catch (IllegalArgumentException e) {
                key = approval;
            }
            byName.putIfAbsent(key, approval);
        }
        return List.copyOf(byName.values());
    }

    private static String describe(byte[] der) {
        try {
            X509Certificate certificate = (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(new ByteArrayInputStream(der));
            return "certificate serial " + certificate.getSerialNumber().toString(16) + " of "
                    + certificate.getIssuerX500Principal().getName();
        } catch (GeneralSecurityException | RuntimeException e) {
            return "a certificate that cannot be read";
        }
    }

    /** {@code dirkms recovery fetch}. */
    @Command(name = "fetch", description = {"Save the recovered package of REQUEST, as its requester, and confirm the"
            + " fetch.", "",
            "Binds as --bind-dn (the KMS administrator who asked for the recovery; the password from --password-file"
                    + " or asked for on the terminal), reads the package and its one-time token, checks that the"
                    + " package opens with the token, saves the package to --out and the token to --token-out (both"
                    + " mode 0600, never overwriting a file), prints how to open it, and deletes the package from the"
                    + " request: the KMS then removes the token and marks the request delivered.",
            "",
            "In a group whose kmsPackageFormat is legacy-pbe-sha1-3des (for gpgsm 2.2, which imports a PKCS#12 only"
                    + " when it holds one key) the package is one PKCS#12 per key: they go to F-1.p12, F-2.p12, ..."
                    + " (the number before the extension of --out), each opened with the one token."})
    static final class Fetch extends Subcommand {
        @Parameters(index = "0", paramLabel = "REQUEST",
                description = "the request: its name (cn) under ou=Recovery Requests,ou=KMS, or its DN")
        String request;

        @Option(names = "--out", paramLabel = "F", required = true,
                description = "where the package goes (PKCS#12, mode 0600; numbered files when it is one PKCS#12"
                        + " per key); it must not exist")
        Path out;

        @Option(names = "--token-out", paramLabel = "F",
                description = "where its import password goes (mode 0600; default F.token); it must not exist")
        Path tokenOut;

        @Mixin
        PersonConnectionOptions connection;

        @Override
        List<String> examples() {
            return List.of("dirkms recovery fetch recover-jdoe --out jdoe.p12 --bind-dn"
                            + " uid=alice,ou=People,dc=example,dc=com",
                    "alice saves jdoe.p12 and its password in jdoe.p12.token (she is asked for her own password)",
                    "openssl pkcs12 -in jdoe.p12 -passin file:jdoe.p12.token -nodes",
                    "then: the recovered keys and certificates, as PEM");
        }

        @Override
        Map<ExitCode, String> exitCodes() {
            Map<ExitCode, String> codes = new LinkedHashMap<>();
            codes.put(ExitCode.OK, "saved, and the fetch confirmed");
            codes.put(ExitCode.FAILED, "nothing to fetch (not approved yet, fetched or expired, not your request), or"
                    + " the directory failed: standard error says why; nothing was saved or deleted");
            codes.put(ExitCode.USAGE, ExitCode.USAGE.meaning());
            return codes;
        }

        @Override
        int run() throws UsageException {
            if (connection.bindDn == null) {
                throw new UsageException("give --bind-dn: the package is fetched by its requester, bound as themselves");
            }
            Path token = tokenOut != null ? tokenOut : out.resolveSibling(out.getFileName() + ".token");
            for (Path file : List.of(out, token, numbered(out, 1))) {
                if (Files.exists(file)) {
                    throw new UsageException(file + " exists; give a new file, the recovered package is never written"
                            + " over another");
                }
            }
            if (out.toAbsolutePath().equals(token.toAbsolutePath())
                    || numbered(out, 1).toAbsolutePath().equals(token.toAbsolutePath())) {
                throw new UsageException("--out and --token-out must be different files");
            }
            KmsContext kms = connection.context();
            String dn = requestDn(kms.layout(), request);
            try (LdapNetworkConnection directory = PersonConnectionOptions.open(kms, TIMEOUT_MILLIS)) {
                return fetch(kms.recoveryRecords(directory), dn, kms.connection().bindDn(), out, token);
            } catch (NoSuchFileException e) {
                return failed("cannot read " + e.getFile() + ": give --password-file and --ca-cert, or --data DIR");
            } catch (IOException | LdapException | GeneralSecurityException | DirectoryAccessException e) {
                return failed("cannot fetch " + dn + " from " + kms.connection().url(), e, kms.connection());
            }
        }

        private int fetch(LdapRecoveryRecords records, String dn, String me, Path packageFile, Path tokenFile)
                throws IOException {
            Optional<RequestEntry> found = records.readRequest(dn);
            if (found.isEmpty()) {
                return failed("there is no recovery request " + dn + " ('dirkms recovery list' shows them)");
            }
            RequestEntry entry = found.get();
            if (entry.requester() == null || !DistinguishedNames.same(entry.requester(), me)) {
                return failed(dn + " was asked for by " + entry.requester() + ": only they can fetch its package;"
                        + " bind as them with --bind-dn");
            }
            if (entry.state() != RecoveryState.APPROVED || !entry.hasPackage()) {
                return failed("there is no package to fetch on " + dn + ": " + why(entry));
            }
            Optional<Delivery> delivery = records.readDelivery(dn);
            if (delivery.isEmpty()) {
                return failed("the package of " + dn + " cannot be read as " + me + " (it needs a protected connection"
                        + " and the requester's identity)");
            }
            Delivery recovered = delivery.get();
            try {
                int keys = keysIn(recovered);
                if (keys < 0) {
                    return failed("the package of " + dn + " does not open with its token; it was left on the"
                            + " request: tell the KMS administrators");
                }
                List<byte[]> values = recovered.recoveryPackage();
                List<Path> files = new ArrayList<>();
                for (int i = 0; i < values.size(); i++) {
                    files.add(values.size() == 1 ? packageFile : numbered(packageFile, i + 1));
                }
                for (Path file : files) {
                    if (Files.exists(file) || file.toAbsolutePath().equals(tokenFile.toAbsolutePath())) {
                        return failed(file + " exists; nothing was saved or deleted: give another --out");
                    }
                }
                for (int i = 0; i < values.size(); i++) {
                    writeSecret(files.get(i), values.get(i));
                }
                byte[] token = new String(recovered.token()).getBytes(StandardCharsets.UTF_8);
                try {
                    writeSecret(tokenFile, token);
                } finally {
                    java.util.Arrays.fill(token, (byte) 0);
                }
                // The fetch is confirmed only once both files are written: a failure above leaves the
                // package on the request for another try.
                records.removePackage(dn);
                PrintWriter out = out();
                String saved = files.stream().map(Path::toString).collect(java.util.stream.Collectors.joining(", "));
                out.println("saved the package of " + dn + " (" + keys + " encryption key" + (keys == 1 ? "" : "s")
                        + " of " + entry.target() + ") to " + saved + (files.size() > 1 ? " (one PKCS#12 per key)" : "")
                        + ", and its import password to " + tokenFile + " (all mode 0600)");
                out.println("open it with:  openssl pkcs12 -in " + files.get(0) + " -passin file:" + tokenFile + " -nodes"
                        + (files.size() > 1 ? "  (and each of the others alike)" : ""));
                out.println("or import " + saved + " into the mail client (gpgsm --import) with the password in "
                        + tokenFile + "; keep them safe, and delete them once the keys are where they belong");
                out.println("the fetch is confirmed: the package was deleted from the request, and the KMS removes the"
                        + " token and marks the request delivered");
                return OK;
            } finally {
                recovered.clear();
            }
        }

        /** How many keys the package's values hold, opened with its token; -1 when one does not open. */
        private static int keysIn(Delivery delivery) {
            int keys = 0;
            try {
                for (byte[] value : delivery.recoveryPackage()) {
                    KeyStore pkcs12 = KeyStore.getInstance("PKCS12");
                    pkcs12.load(new ByteArrayInputStream(value), delivery.token());
                    for (String alias : Collections.list(pkcs12.aliases())) {
                        keys += pkcs12.isKeyEntry(alias) ? 1 : 0;
                    }
                }
                return keys;
            } catch (IOException | GeneralSecurityException e) {
                return -1;
            }
        }

        /** {@code file} numbered before its extension: jdoe.p12 and 2 make jdoe-2.p12. */
        static Path numbered(Path file, int number) {
            String name = file.getFileName().toString();
            int dot = name.lastIndexOf('.');
            return file.resolveSibling(dot > 0 ? name.substring(0, dot) + "-" + number + name.substring(dot)
                    : name + "-" + number);
        }

        /** Writes {@code bytes} to a new file readable by its owner only (never over an existing one). */
        private static void writeSecret(Path file, byte[] bytes) throws IOException {
            try {
                Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            } catch (UnsupportedOperationException e) {
                Files.createFile(file);
            } catch (FileAlreadyExistsException e) {
                throw new IOException(file + " appeared meanwhile; nothing was written over it");
            }
            try (OutputStream stream = Files.newOutputStream(file, StandardOpenOption.TRUNCATE_EXISTING)) {
                stream.write(bytes);
            }
        }

        private static String why(RequestEntry entry) {
            if (entry.state() == null) {
                return "its state is " + entry.rawState();
            }
            return switch (entry.state()) {
                case PENDING -> entry.claim() != null ? "the KMS is recovering the keys now; try again in a moment"
                        : "it waits for approvals (" + distinct(entry.approvals()).size() + " given, "
                                + (entry.requiredApprovals() == null ? RequiredApprovals.DEFAULT
                                        : entry.requiredApprovals()) + " required)";
                case APPROVED -> "the KMS is confirming an earlier fetch";
                case DELIVERED -> "it was fetched already, and the fetch confirmed";
                case FAILED, EXPIRED -> "it is " + entry.state().ldapValue() + ": " + entry.lastError();
            };
        }
    }

    /** The DN of a request named by its {@code cn} or by its DN. */
    static String requestDn(DirectoryLayout layout, String request) throws UsageException {
        if (request.contains("=")) {
            try {
                DistinguishedNames.normal(request);
                return request;
            } catch (IllegalArgumentException e) {
                throw new UsageException("'" + request + "' is not a DN; give the request's name or its DN");
            }
        }
        if (request.isBlank()) {
            throw new UsageException("REQUEST is empty; give the request's name (cn) or its DN");
        }
        return AttributeNames.CN + "=" + Rdn.escapeValue(request) + "," + layout.recoveryRequests();
    }

    /** {@code dirkms recovery required-approvals}. */
    @Command(name = "required-approvals", description = {"Show or set how many distinct recovery agents must"
            + " approve a key recovery (kmsRequiredApprovals of the KMS server entries; default "
            + RequiredApprovals.DEFAULT + ").", "",
            "Without COUNT it shows each KMS server's. With COUNT it sets the servers this agent runs (or --server"
                    + " DN): new requests need that many approvals, and pending ones at least that many. Only the KMS"
                    + " agent writes it, so this runs where the KMS runs; every change is audited."})
    static final class RequiredApprovalsAction extends Subcommand {
        @Parameters(index = "0", arity = "0..1", paramLabel = "COUNT",
                description = "the approvals a recovery needs, " + RequiredApprovals.MINIMUM + " to "
                        + RequiredApprovals.MAXIMUM + " (the requester never approves their own request)")
        String count;

        @Option(names = "--server", paramLabel = "DN",
                description = "the KMS server entry to change (default: every server this agent runs)")
        String server;

        @Mixin
        ConnectionOptions connection;

        @Override
        List<String> examples() {
            return List.of("dirkms recovery required-approvals", "each KMS server's count",
                    "dirkms recovery required-approvals 3", "three distinct recovery agents from now on");
        }

        @Override
        int run() throws UsageException {
            Integer wanted = count == null ? null : Numbers.integer("COUNT", count, RequiredApprovals.DEFAULT,
                    RequiredApprovals.MINIMUM, RequiredApprovals.MAXIMUM);
            KmsContext kms = connection.context();
            try (LdapNetworkConnection directory = kms.openConnection(TIMEOUT_MILLIS)) {
                RecoveryRecords records = kms.recoveryRecords(directory);
                List<KmsServer> servers = records.servers();
                if (wanted == null) {
                    for (KmsServer each : servers) {
                        out().println(each.dn() + ": " + each.requiredApprovals() + " approvals (run by "
                                + each.agentIdentity() + ")");
                    }
                    return servers.isEmpty() ? failed("there is no KMS server entry under " + kms.layout().servers())
                            : OK;
                }
                List<KmsServer> chosen = servers.stream().filter(each -> server != null
                        ? DistinguishedNames.same(each.dn(), server)
                        : each.agentIdentity() != null && DistinguishedNames.same(each.agentIdentity(),
                                kms.connection().bindDn())).toList();
                if (chosen.isEmpty()) {
                    return failed(server != null ? "there is no KMS server entry " + server
                            : "no KMS server entry under " + kms.layout().servers() + " names "
                                    + kms.connection().bindDn() + " in " + AttributeNames.AGENT_IDENTITY
                                    + "; give --server DN");
                }
                for (KmsServer each : chosen) {
                    records.setRequiredApprovals(each.dn(), wanted);
                    out().println(each.dn() + ": " + each.requiredApprovals() + " -> " + wanted + " approvals");
                }
                int approvers = approvers(records, kms.layout());
                if (approvers < wanted) {
                    err().println(messagePrefix() + ": warning: only " + approvers + " recovery agent"
                            + (approvers == 1 ? "" : "s") + " can approve (members of " + kms.layout()
                                    .recoveryAgentsGroup() + " who are not KMS agents); give the role to more people"
                            + " with 'dirkms roles add recovery-agents DN'");
                }
                return OK;
            } catch (NoSuchFileException e) {
                return failed("cannot read " + e.getFile() + ": run it where the KMS runs (--data DIR)");
            } catch (IOException | LdapException | GeneralSecurityException | DirectoryAccessException e) {
                return failed(kms, e);
            }
        }

        private static int approvers(RecoveryRecords records, DirectoryLayout layout) {
            List<String> agents = records.groupMembers(layout.kmsAgentsGroup()).stream().map(RecoveryCommand::normal)
                    .toList();
            return (int) records.groupMembers(layout.recoveryAgentsGroup()).stream().map(RecoveryCommand::normal)
                    .distinct().filter(member -> !agents.contains(member)).count();
        }
    }

    private static String normal(String dn) {
        try {
            return DistinguishedNames.normal(dn);
        } catch (IllegalArgumentException e) {
            return dn;
        }
    }
}
