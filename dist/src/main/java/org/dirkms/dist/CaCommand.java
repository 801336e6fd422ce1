package org.dirkms.dist;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.directory.api.ldap.model.exception.LdapException;
import org.apache.directory.ldap.client.api.LdapNetworkConnection;
import org.dirkms.agent.ca.CaService;
import org.dirkms.agent.ca.CertificationAuthority;
import org.dirkms.agent.ca.IssuanceRefusedException;
import org.dirkms.agent.ca.KeyStorePassphrase;
import org.dirkms.agent.ca.StandardTemplates;
import org.dirkms.agent.directory.DirectoryAccessException;
import org.dirkms.agent.enroll.AgentConnection;
import org.dirkms.ds.server.ServerEndpoint;
import org.dirkms.schema.CrlDistributionPoints;
import org.dirkms.schema.DataFolder;
import org.dirkms.schema.DirectoryLayout;
import org.dirkms.schema.KeyAlgorithm;
import org.dirkms.schema.LdapEnumeration;
import org.dirkms.schema.RevocationReason;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code dirkms ca}: deliberate set-up and operation of a certification authority in a running
 * directory — {@code init} (root, or {@code --subordinate} with a PKCS#10 for an outside root),
 * {@code install} (the outside root's certificate and chain), {@code list}, {@code sign} (a
 * request from outside, such as a subordinate CA's), {@code revoke} and {@code crl}; and how a CA
 * serves the request queue, {@code templates} and {@code capacity} ({@link CaSettingsCommands}).
 * It speaks LDAP to the directory as the KMS agent; the CA key stays in a PKCS#12 file under
 * the data folder ({@link DataFolder#CA_KEY_STORE}).
 */
@Command(name = "ca", description = {"Set up and run the certification authority: init, install, list, sign, revoke,"
        + " crl, templates, capacity, serve.",
        "",
        "These commands talk to the running server (--url; by default the one running on DIR, else"
                + " ldap://127.0.0.1:10389 with StartTLS) as the KMS agent, with the data folder's agent password; the"
                + " CA's key stays in DIR/ca/<name>.p12."},
        subcommands = {CaCommand.Init.class, CaCommand.Install.class, CaCommand.ListCas.class, CaCommand.Sign.class,
            CaCommand.Revoke.class, CaCommand.Crl.class, CaSettingsCommands.Templates.class,
            CaSettingsCommands.Capacity.class, CaServeCommand.class})
public final class CaCommand extends Subcommand {
    /** Environment variable that may hold the key store passphrase instead of a file. */
    public static final String PASSPHRASE_VARIABLE = "DIRKMS_CA_PASSPHRASE";
    /** Name of the CA that {@code init} makes when no {@code --name} is given. */
    public static final String DEFAULT_NAME = "dirkms Root CA";

    /** The environment {@value #PASSPHRASE_VARIABLE} is read from (tests pass their own). */
    Map<String, String> environment = System.getenv();

    /** The command; {@link DirkmsCommand} wires it. */
    public CaCommand() {
    }

    /** Without an action: a usage error naming the actions. */
    @Override
    int run() throws UsageException {
        throw new UsageException("the action is missing; " + DirkmsCommand.actionList(spec.commandLine()));
    }

    @Override
    List<String> examples() {
        return List.of("dirkms ca init --name \"Example Root CA\"", "another root CA (RSA-3072; --key-algorithm EC-P384)",
                "dirkms ca revoke --serial 5A3F01 --reason keyCompromise", "revoke a certificate; the CRL is"
                        + " republished at once");
    }

    /** The flags every action shares: where the data folder is, which directory, which passphrase. */
    static final class Shared {
        @Option(names = "--data", paramLabel = "DIR", defaultValue = "data",
                description = "the server's data folder (default ./data): the agent password, the server"
                        + " certificate, and DIR/ca/ for CA key stores")
        Path data;

        @Option(names = "--url", paramLabel = "URL",
                description = "the directory (default: the server running on DIR, as it wrote DIR/endpoint, else "
                        + LocalServer.DEFAULT_URL + ", StartTLS)")
        String url;

        @Option(names = "--suffix", paramLabel = "DN", defaultValue = DirectoryLayout.DEFAULT_SUFFIX,
                description = "the directory suffix (default ${DEFAULT-VALUE})")
        String suffix;

        @Option(names = "--passphrase-file", paramLabel = "F",
                description = "key store passphrase file, first line (default DIR/ca/<name>.pass, generated by"
                        + " init with mode 0600); or set " + PASSPHRASE_VARIABLE)
        Path passphraseFile;
    }

    /** What every action does: connect as the agent, find the key store, read the passphrase. */
    abstract static class Action extends Subcommand {
        @ParentCommand
        CaCommand parent;

        @Mixin
        Shared shared;

        final SecureRandom random = new SecureRandom();
        final Clock clock = Clock.systemUTC();

        /**
         * The KMS wiring of the flags: the agent's identity and password from the data folder,
         * trusting the CA certificate there (a CA-issued server certificate), or the server's own
         * certificate when there is none (a self-signed one).
         */
        KmsContext kms() throws UsageException {
            DataFolder data = DataFolder.of(shared.data);
            try {
                DirectoryLayout layout = new DirectoryLayout(shared.suffix);
                Path caCertificate = data.caCertificate();
                return new KmsContext(data, layout, new AgentConnection(shared.url != null ? shared.url
                        : LocalServer.url(data), layout.kmsAgentIdentity(),
                        data.kmsAgentPassword(), Files.exists(caCertificate) ? caCertificate : data.tlsCertificate()),
                        clock, random);
            } catch (IllegalArgumentException e) {
                throw new UsageException(e.getMessage());
            }
        }

        /**
         * The passphrase from --passphrase-file, else DIRKMS_CA_PASSPHRASE, else DIR/ca/<name>.pass;
         * {@code init} generates that file (mode 0600) when it is missing.
         */
        KeyStorePassphrase passphrase(KmsContext kms, String name, boolean generate) throws IOException {
            if (shared.passphraseFile != null) {
                return KeyStorePassphrase.fromFile(shared.passphraseFile);
            }
            if (parent.environment.containsKey(PASSPHRASE_VARIABLE)) {
                return KeyStorePassphrase.fromEnvironment(parent.environment, PASSPHRASE_VARIABLE);
            }
            Path file = kms.dataFolder().caPassphrase(name);
            if (generate && !Files.exists(file)) {
                Files.createDirectories(file.getParent());
                byte[] secret = new byte[24];
                random.nextBytes(secret);
                Files.createFile(file, PosixFilePermissions.asFileAttribute(DataFolder.FILE_MODE));
                Files.writeString(file, Base64.getUrlEncoder().withoutPadding().encodeToString(secret) + "\n");
            }
            return KeyStorePassphrase.fromFile(file);
        }

        /** Runs the action, turning the failures of the directory and of files into one line and exit 1. */
        @Override
        final int run() throws UsageException {
            KmsContext connection = null;
            try {
                connection = kms();
                return act(connection, out());
            } catch (IllegalArgumentException | IllegalStateException | DirectoryAccessException | LdapException
                    | IOException | GeneralSecurityException e) {
                return failed(null, e, connection == null ? null : connection.connection());
            }
        }

        abstract int act(KmsContext kms, PrintWriter out)
                throws UsageException, IOException, LdapException, GeneralSecurityException;

        @Override
        Map<ExitCode, String> exitCodes() {
            Map<ExitCode, String> codes = new LinkedHashMap<>(super.exitCodes());
            codes.put(ExitCode.FAILED, "refused, or the directory or a file failed; standard error says why");
            return codes;
        }
    }

    /** {@code dirkms ca init}. */
    @Command(name = "init", description = {"Make a root CA (RSA-3072 by default, 10 years) at"
            + " cn=<name>,ou=Certification Authorities,ou=KMS,<suffix>, with the standard templates (keep RSA-3072"
            + " for gpgsm 2.2: its dirmngr cannot verify CRLs signed with EC P-384).",
            "With --subordinate: make the key and write a PKCS#10 request (PEM) to --csr-out for an outside root"
                    + " to sign; then 'dirkms ca install'."})
    static final class Init extends Action {
        @Option(names = "--subordinate", description = "a subordinate CA: write a PKCS#10 request for an outside root")
        boolean subordinate;

        @Option(names = "--key-algorithm", paramLabel = "RSA-3072|EC-P384",
                description = "the CA's key (default RSA-3072)")
        String keyAlgorithm;

        @Option(names = "--name", paramLabel = "CN", defaultValue = DEFAULT_NAME,
                description = "the CA's name (default \"${DEFAULT-VALUE}\")")
        String name;

        @Option(names = "--validity-days", paramLabel = "N", description = "a root's validity (default 3650)")
        String validityDays;

        @Option(names = "--priority", paramLabel = "N",
                description = "the CA's priority among the active CAs (default 1)")
        String priority;

        @Option(names = "--public-url", paramLabel = "URL",
                description = "ldap://host:port clients reach the directory at, recorded on the CA entry as its CRL"
                        + " distribution point (<URL>/<CA DN>?certificateRevocationList;binary?base), which every"
                        + " certificate of the CA names (default: the URL this command reaches the directory at)")
        String publicUrl;

        @Option(names = "--csr-out", paramLabel = "FILE",
                description = "where --subordinate writes its PKCS#10 request (default <name>.csr)")
        Path csrOut;

        @Override
        List<String> examples() {
            return List.of("dirkms ca init --name \"Example Root CA\"", "a root CA, RSA-3072, 10 years",
                    "dirkms ca init --subordinate --name \"Example Issuing CA\" --csr-out issuing.csr",
                    "a subordinate CA: its request goes to the outside root");
        }

        @Override
        int act(KmsContext kms, PrintWriter out)
                throws UsageException, IOException, LdapException, GeneralSecurityException {
            KeyAlgorithm algorithm = KeyAlgorithm.RSA_3072;
            if (keyAlgorithm != null) {
                try {
                    algorithm = LdapEnumeration.parse(KeyAlgorithm.class, "--key-algorithm", keyAlgorithm);
                } catch (IllegalArgumentException e) {
                    throw new UsageException(e.getMessage());
                }
            }
            int order = nonNegative("--priority", priority, 1);
            CertificationAuthority.Publication publication;
            try {
                publication = publicUrl == null ? kms.publication()
                        : CertificationAuthority.Publication.at(CrlDistributionPoints.server(publicUrl));
            } catch (IllegalArgumentException e) {
                throw new UsageException("--public-url: " + e.getMessage());
            }
            int days = nonNegative("--validity-days", validityDays, 3650);
            Path keyStore = kms.dataFolder().caKeyStore(name);
            KeyStorePassphrase passphrase = passphrase(kms, name, true);
            try (LdapNetworkConnection connection = kms.openConnection(KmsContext.OPERATION_TIMEOUT_MILLIS)) {
                CaService service = kms.caService(connection);
                if (subordinate) {
                    byte[] request = service.initSubordinate(name, algorithm, order, keyStore, passphrase,
                            publication);
                    Path csr = csrOut != null ? csrOut : Path.of(DataFolder.caFileName(name) + ".csr");
                    Files.writeString(csr, pem("CERTIFICATE REQUEST", request), StandardCharsets.US_ASCII);
                    out.println("subordinate CA " + service.caDn(name) + " awaits its certificate");
                    out.println("  key store: " + keyStore);
                    out.println("  PKCS#10 request for the outside root: " + csr);
                    out.println("then: dirkms ca install --name '" + name + "' --cert ISSUED.pem --chain ROOT-CHAIN.pem");
                } else {
                    CertificationAuthority ca = service.initRoot(name, algorithm, Duration.ofDays(days), order,
                            keyStore, passphrase, publication);
                    out.println("root CA " + ca.dn() + " is active");
                    out.println("  key store: " + keyStore);
                    out.println("  certificate serial: " + ca.certificate().getSerialNumber().toString(16));
                }
            }
            return OK;
        }
    }

    /** {@code dirkms ca install}. */
    @Command(name = "install", description = "Check that --cert certifies this CA's key and chains to the root that"
            + " ends --chain (PEM), then publish the chain and activate the CA.")
    static final class Install extends Action {
        @Option(names = "--cert", paramLabel = "FILE", required = true,
                description = "the CA's certificate, issued by the outside root (PEM or DER)")
        Path cert;

        @Option(names = "--chain", paramLabel = "FILE", required = true,
                description = "the outside chain up to its root (PEM)")
        Path chain;

        @Option(names = "--name", paramLabel = "CN", defaultValue = DEFAULT_NAME,
                description = "the CA's name (default \"${DEFAULT-VALUE}\")")
        String name;

        @Override
        List<String> examples() {
            return List.of("dirkms ca install --name \"Example Issuing CA\" --cert issuing.crt --chain root.pem",
                    "activate the subordinate CA with the certificate the outside root issued");
        }

        @Override
        int act(KmsContext kms, PrintWriter out) throws IOException, LdapException, GeneralSecurityException {
            X509Certificate issued = readCertificates(cert).get(0);
            List<X509Certificate> outside = readCertificates(chain);
            KeyStorePassphrase passphrase = passphrase(kms, name, false);
            try (LdapNetworkConnection connection = kms.openConnection(KmsContext.OPERATION_TIMEOUT_MILLIS)) {
                CaService service = kms.caService(connection);
                CertificationAuthority ca = service.install(service.caDn(name), kms.dataFolder().caKeyStore(name),
                        passphrase, issued, outside, kms.publication());
                out.println("subordinate CA " + ca.dn() + " is active; chain of " + ca.chain().size()
                        + " certificates published");
            }
            return OK;
        }
    }

    /** {@code dirkms ca list}. */
    @Command(name = "list", description = {"List every CA of the directory (under ou=Certification Authorities,"
            + "ou=KMS): its name and DN, its state, key algorithm, validity, the templates it issues, and its CRL's"
            + " number and next update (a CRL past its next update is flagged stale).",
            "State: what the directory says (active, awaiting-certificate, disabled), whether the CA's key store is"
                    + " in DIR/ca/, and whether the server running on DIR issues with it ('dirkms serve' issues with"
                    + " \"" + DEFAULT_NAME + "\")."})
    static final class ListCas extends Action {
        @Option(names = "--json", description = "print one JSON document: an array with one object per CA,"
                + " camelCase fields")
        boolean json;

        @Override
        List<String> examples() {
            return List.of("dirkms ca list", "a table of the CAs, their state, templates and CRL",
                    "dirkms ca list --json | jq '.[] | select(.crlStale)'", "the CAs whose CRL is stale");
        }

        @Override
        int act(KmsContext kms, PrintWriter out) throws IOException, LdapException, GeneralSecurityException {
            List<CaListing> listings = new ArrayList<>();
            boolean serverRunning = ServerEndpoint.read(kms.dataFolder()).isPresent();
            try (LdapNetworkConnection connection = kms.openConnection(KmsContext.OPERATION_TIMEOUT_MILLIS)) {
                for (CaService.CaSummary ca : kms.caService(connection).listCas()) {
                    listings.add(CaListing.of(ca, kms, serverRunning));
                }
            }
            if (json) {
                out.println(new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(listings));
            } else {
                CaListing.table(listings, out);
            }
            return OK;
        }
    }

    /**
     * One line of {@code dirkms ca list}: its JSON form has these components as camelCase fields,
     * times as RFC 3339 UTC text, null where the directory has nothing yet.
     *
     * @param name the CA's {@code cn}, which {@code --name} takes
     * @param dn the CA entry's DN, its subject
     * @param state {@code kmsCAState}: what the directory says
     * @param priority {@code kmsPriority}
     * @param keyHere whether the CA's key store is in this data folder ({@code DIR/ca/<name>.p12})
     * @param serving whether the server running on this data folder issues with the CA
     * @param keyAlgorithm the CA key's algorithm (RSA-3072, EC-P384), or null without a certificate
     * @param notBefore the start of the CA certificate's validity, or null
     * @param notAfter the end of the CA certificate's validity, or null
     * @param templates the names of the templates the CA issues
     * @param crlNumber the CRL number of the published CRL (RFC 5280 section 5.2.3), or null
     * @param crlThisUpdate when the published CRL was signed, or null
     * @param crlNextUpdate when the published CRL must be replaced, or null
     * @param crlStale whether the CRL's next update has passed (relying parties refuse it), or no CRL is published
     */
    record CaListing(String name, String dn, String state, int priority, boolean keyHere, boolean serving,
            String keyAlgorithm, String notBefore, String notAfter, List<String> templates, BigInteger crlNumber,
            String crlThisUpdate, String crlNextUpdate, boolean crlStale) {

        static CaListing of(CaService.CaSummary ca, KmsContext kms, boolean serverRunning) {
            boolean keyHere = Files.exists(kms.dataFolder().caKeyStore(ca.name()));
            boolean active = ca.state() == org.dirkms.schema.CaState.ACTIVE;
            X509Certificate certificate = ca.certificate();
            X509CRL crl = ca.crl();
            BigInteger number = null;
            if (crl != null) {
                byte[] extension = crl.getExtensionValue(org.bouncycastle.asn1.x509.Extension.cRLNumber.getId());
                if (extension != null) {
                    number = org.bouncycastle.asn1.ASN1Integer.getInstance(
                            org.bouncycastle.asn1.ASN1OctetString.getInstance(extension).getOctets()).getValue();
                }
            }
            java.time.Instant next = crl == null || crl.getNextUpdate() == null ? null
                    : crl.getNextUpdate().toInstant();
            boolean stale = certificate != null && (next == null || !next.isAfter(kms.clock().instant()));
            return new CaListing(ca.name(), ca.dn(), ca.state().ldapValue(), ca.priority(), keyHere,
                    keyHere && active && serverRunning && DEFAULT_NAME.equals(ca.name()),
                    certificate == null ? null : keyAlgorithm(certificate.getPublicKey()),
                    certificate == null ? null : certificate.getNotBefore().toInstant().toString(),
                    certificate == null ? null : certificate.getNotAfter().toInstant().toString(), ca.templates(),
                    number, crl == null ? null : crl.getThisUpdate().toInstant().toString(),
                    next == null ? null : next.toString(), stale);
        }

        /** The state column: the directory's word, then whether the key is here and the server issues with it. */
        String stateText() {
            return state + (keyHere ? ", key here" : ", no key here") + (serving ? ", serving" : "");
        }

        static void table(List<CaListing> listings, PrintWriter out) {
            if (listings.isEmpty()) {
                out.println("no CA in the directory; 'dirkms ca init' makes one ('dirkms serve' makes '"
                        + DEFAULT_NAME + "' on a fresh data folder)");
                return;
            }
            List<String[]> rows = new ArrayList<>();
            rows.add(new String[] {"NAME", "STATE", "KEY", "VALID UNTIL", "CRL", "NEXT UPDATE", "TEMPLATES"});
            for (CaListing ca : listings) {
                rows.add(new String[] {ca.name(), ca.stateText(), orDash(ca.keyAlgorithm()), orDash(ca.notAfter()),
                        ca.crlNumber() == null ? "-" : "#" + ca.crlNumber(),
                        ca.crlNextUpdate() == null ? (ca.crlStale() ? "none (stale)" : "-")
                                : ca.crlNextUpdate() + (ca.crlStale() ? " (stale)" : ""),
                        ca.templates().isEmpty() ? "-" : String.join(",", ca.templates())});
            }
            int[] widths = new int[rows.get(0).length];
            for (String[] row : rows) {
                for (int i = 0; i < row.length; i++) {
                    widths[i] = Math.max(widths[i], row[i].length());
                }
            }
            for (int r = 0; r < rows.size(); r++) {
                StringBuilder line = new StringBuilder();
                String[] row = rows.get(r);
                for (int i = 0; i < row.length; i++) {
                    line.append(i == row.length - 1 ? row[i] : String.format("%-" + widths[i] + "s  ", row[i]));
                }
                out.println(line.toString().stripTrailing());
                if (r > 0) {
                    out.println("  " + listings.get(r - 1).dn());
                }
            }
        }

        private static String orDash(String text) {
            return text == null ? "-" : text;
        }

        private static String keyAlgorithm(java.security.PublicKey key) {
            if (key instanceof java.security.interfaces.RSAPublicKey rsa) {
                return "RSA-" + rsa.getModulus().bitLength();
            }
            if (key instanceof java.security.interfaces.ECPublicKey ec) {
                return "EC-P" + ec.getParams().getCurve().getField().getFieldSize();
            }
            return key.getAlgorithm();
        }
    }

    /** {@code dirkms ca sign}. */
    @Command(name = "sign", description = {"Sign a PKCS#10 request from outside the directory, such as a subordinate"
            + " CA of ours running elsewhere ('dirkms ca init --subordinate' there wrote it), through the CA's"
            + " issuance pipeline: the request's signature and key, the template (installed on the CA), the CA's"
            + " policy, then the signature. The subject is the one the request names: check it before you sign.",
            "The certificate is recorded under ou=Requests (so 'dirkms ca revoke' and OCSP know it), audited, and"
                    + " written (PEM) to --out, else to standard output. Templates: subordinate-ca (cA=TRUE,"
                    + " pathLen 0, keyCertSign and cRLSign, 5 years) and the others 'dirkms ca list' shows."})
    static final class Sign extends Action {
        @Option(names = "--csr", paramLabel = "FILE", required = true,
                description = "the PKCS#10 request (PEM or DER)")
        Path csr;

        @Option(names = "--template", paramLabel = "NAME", required = true,
                description = "the certificate template, e.g. " + StandardTemplates.SUBORDINATE_CA)
        String template;

        @Option(names = "--ca", paramLabel = "DN",
                description = "the signing CA's DN (default cn=" + DEFAULT_NAME + ",ou=Certification Authorities,"
                        + "ou=KMS,<suffix>); its key store is DIR/ca/<cn>.p12")
        String caDn;

        @Option(names = "--out", paramLabel = "FILE",
                description = "write the certificate there (PEM); an existing file is refused")
        Path outFile;

        @Option(names = "--days", paramLabel = "N",
                description = "validity in days, at most the template's (default the template's)")
        String days;

        @Override
        List<String> examples() {
            return List.of("dirkms ca sign --csr issuing.csr --template subordinate-ca --out issuing.crt",
                    "certify the subordinate CA whose request is issuing.csr, with the default CA");
        }

        @Override
        int act(KmsContext kms, PrintWriter out)
                throws UsageException, IOException, LdapException, GeneralSecurityException {
            int validity = nonNegative("--days", days, 0);
            if (days != null && validity == 0) {
                throw new UsageException("--days must be at least 1");
            }
            if (outFile != null && Files.exists(outFile)) {
                throw new UsageException("--out " + outFile + " exists; remove it or name another file");
            }
            byte[] request = readRequest(csr);
            try (LdapNetworkConnection connection = kms.openConnection(KmsContext.OPERATION_TIMEOUT_MILLIS)) {
                CaService service = kms.caService(connection);
                String dn = caDn != null ? caDn : service.caDn(DEFAULT_NAME);
                String name = org.dirkms.agent.names.DistinguishedNames.leafValue(dn, "cn");
                if (name == null) {
                    throw new UsageException("--ca '" + caDn + "' is not the DN of a CA entry (cn=<name>,ou=Certification"
                            + " Authorities,...); 'dirkms ca list' shows them");
                }
                List<String> known = service.templateNames();
                if (known.stream().noneMatch(t -> t.equalsIgnoreCase(template))) {
                    return failed("there is no certificate template '" + template + "' (the templates: "
                            + String.join(", ", known) + "); nothing was signed");
                }
                KeyStorePassphrase passphrase = passphrase(kms, name, false);
                CertificationAuthority ca = service.open(dn, kms.dataFolder().caKeyStore(name), passphrase,
                        kms.publication());
                CaService.Signed signed;
                try {
                    signed = service.signRequest(ca, template, request, validity);
                } catch (IssuanceRefusedException e) {
                    return failed(e.getMessage() + "; nothing was signed");
                }
                X509Certificate issued = signed.certificate();
                String text = pem("CERTIFICATE", issued.getEncoded());
                if (outFile != null) {
                    Files.writeString(outFile, text, StandardCharsets.US_ASCII);
                    out.println("signed serial " + issued.getSerialNumber().toString(16) + " for '"
                            + issued.getSubjectX500Principal().getName() + "' with template " + template + ", valid until "
                            + issued.getNotAfter().toInstant() + "; recorded at " + signed.recordDn() + "; written to "
                            + outFile);
                } else {
                    out.print(text);
                    err().println(messagePrefix() + ": signed serial " + issued.getSerialNumber().toString(16)
                            + "; recorded at " + signed.recordDn());
                }
            }
            return OK;
        }

        /** A PKCS#10 request in PEM (RFC 7468 section 7) or DER. */
        private static byte[] readRequest(Path file) throws IOException, UsageException {
            byte[] content;
            try {
                content = Files.readAllBytes(file);
            } catch (java.nio.file.NoSuchFileException e) {
                throw new UsageException("--csr " + file + " does not exist");
            }
            String text = new String(content, StandardCharsets.US_ASCII);
            int begin = text.indexOf("-----BEGIN ");
            if (begin < 0) {
                return content;
            }
            java.util.regex.Matcher pem = java.util.regex.Pattern.compile(
                    "-----BEGIN (NEW )?CERTIFICATE REQUEST-----([A-Za-z0-9+/=\\s]+)-----END (NEW )?CERTIFICATE REQUEST-----")
                    .matcher(text);
            if (!pem.find()) {
                throw new UsageException("--csr " + file + " holds no PEM CERTIFICATE REQUEST");
            }
            try {
                return Base64.getMimeDecoder().decode(pem.group(2));
            } catch (IllegalArgumentException e) {
                throw new UsageException("--csr " + file + ": the PEM CERTIFICATE REQUEST is not base64");
            }
        }
    }

    /** {@code dirkms ca revoke}. */
    @Command(name = "revoke", description = {"Revoke a certificate the CA issued; the CRL on the CA entry is"
            + " republished at once. A serial the CA never issued (no certificate of it is kept in the directory)"
            + " or already revoked is refused, and the CRL is left as it was.",
            "Reasons: unspecified, keyCompromise, affiliationChanged, superseded, cessationOfOperation,"
                    + " certificateHold, privilegeWithdrawn (RFC 5280 section 5.3.1)."})
    static final class Revoke extends Action {
        @Option(names = "--serial", paramLabel = "HEX", required = true,
                description = "the certificate's serial number, hexadecimal (colons allowed)")
        String serial;

        @Option(names = "--reason", paramLabel = "R", defaultValue = "unspecified",
                description = "the reason (default ${DEFAULT-VALUE})")
        String reason;

        @Option(names = "--name", paramLabel = "CN", defaultValue = DEFAULT_NAME,
                description = "the issuing CA (default \"${DEFAULT-VALUE}\")")
        String name;

        @Override
        List<String> examples() {
            return List.of("dirkms ca revoke --serial 5A3F01 --reason keyCompromise",
                    "revoke serial 5a3f01 of the default CA and republish its CRL");
        }

        @Override
        int act(KmsContext kms, PrintWriter out)
                throws UsageException, IOException, LdapException, GeneralSecurityException {
            BigInteger number;
            try {
                number = new BigInteger(serial.replace(":", ""), 16);
            } catch (NumberFormatException e) {
                throw new UsageException("--serial '" + serial + "' is not a hexadecimal serial number");
            }
            RevocationReason why;
            try {
                why = LdapEnumeration.parse(RevocationReason.class, "--reason", reason);
            } catch (IllegalArgumentException e) {
                throw new UsageException(e.getMessage());
            }
            KeyStorePassphrase passphrase = passphrase(kms, name, false);
            try (LdapNetworkConnection connection = kms.openConnection(KmsContext.OPERATION_TIMEOUT_MILLIS)) {
                CaService service = kms.caService(connection);
                CertificationAuthority ca = service.open(service.caDn(name), kms.dataFolder().caKeyStore(name),
                        passphrase, kms.publication());
                // Refuses a serial already revoked or never issued (RevocationRefusedException,
                // one line through Action.run, exit 1): docs/directory-layout.md.
                CaService.Revoked revoked = service.revokeIssued(ca, number, why);
                out.println("revoked serial " + number.toString(16) + " (" + why.ldapValue() + ") of the certificate in "
                        + revoked.holder() + "; CRL with " + revoked.crl().getRevokedCertificates().size()
                        + " entries published on " + ca.dn());
            }
            return OK;
        }
    }

    /** {@code dirkms ca crl}. */
    @Command(name = "crl", description = "Re-sign and republish the CRL now ('dirkms serve' also does it on its own"
            + " schedule); --out writes it (PEM).")
    static final class Crl extends Action {
        @Option(names = "--name", paramLabel = "CN", defaultValue = DEFAULT_NAME,
                description = "the CA (default \"${DEFAULT-VALUE}\")")
        String name;

        @Option(names = "--out", paramLabel = "FILE", description = "also write the CRL there (PEM)")
        Path outFile;

        @Override
        List<String> examples() {
            return List.of("dirkms ca crl --out crl.pem", "re-sign and publish the default CA's CRL, and keep a copy");
        }

        @Override
        int act(KmsContext kms, PrintWriter out) throws IOException, LdapException, GeneralSecurityException {
            KeyStorePassphrase passphrase = passphrase(kms, name, false);
            try (LdapNetworkConnection connection = kms.openConnection(KmsContext.OPERATION_TIMEOUT_MILLIS)) {
                CaService service = kms.caService(connection);
                CertificationAuthority ca = service.open(service.caDn(name), kms.dataFolder().caKeyStore(name),
                        passphrase, kms.publication());
                X509CRL crl = service.publishCrl(ca);
                if (outFile != null) {
                    Files.writeString(outFile, pem("X509 CRL", crl.getEncoded()), StandardCharsets.US_ASCII);
                }
                out.println("CRL published on " + ca.dn() + ", next update " + crl.getNextUpdate().toInstant());
            }
            return OK;
        }
    }

    private static int nonNegative(String flag, String text, int fallback) throws UsageException {
        int value = Numbers.integer(flag, text, fallback, Integer.MIN_VALUE, Integer.MAX_VALUE);
        if (value < 0) {
            throw new UsageException(flag + " must not be negative");
        }
        return value;
    }

    private static List<X509Certificate> readCertificates(Path file) throws IOException, GeneralSecurityException {
        try (InputStream in = Files.newInputStream(file)) {
            List<X509Certificate> certificates = new ArrayList<>();
            for (var certificate : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                certificates.add((X509Certificate) certificate);
            }
            if (certificates.isEmpty()) {
                throw new IllegalArgumentException(file + " holds no certificate");
            }
            return certificates;
        }
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(der) + "\n-----END " + type + "-----\n";
    }
}
