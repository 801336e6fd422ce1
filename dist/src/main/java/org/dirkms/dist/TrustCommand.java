package org.dirkms.dist;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.directory.api.ldap.model.exception.LdapException;
import org.apache.directory.ldap.client.api.LdapNetworkConnection;
import org.dirkms.agent.ca.CaService;
import org.dirkms.agent.ca.CertificationAuthority;
import org.dirkms.agent.ca.CrossCertificatePolicy;
import org.dirkms.agent.ca.IssuanceRefusedException;
import org.dirkms.agent.ca.RevocationRefusedException;
import org.dirkms.agent.directory.DirectoryAccessException;
import org.dirkms.agent.trust.CrossCertification;
import org.dirkms.agent.trust.PartnerRefusedException;
import org.dirkms.agent.trust.PartnerRoot;
import org.dirkms.agent.trust.SignedTrustList;
import org.dirkms.agent.trust.TrustListContentionException;
import org.dirkms.agent.trust.TrustRecords;
import org.dirkms.agent.trust.TrustRecords.PartnerEntry;
import org.dirkms.agent.trust.TrustService;
import org.dirkms.schema.LdapEnumeration;
import org.dirkms.schema.RevocationReason;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code dirkms trust}: the partner organisations whose roots the KMS trusts (README, "Trusting
 * a partner organisation"). {@code add} checks a partner's root certificate and adds its entry
 * under {@code ou=Trust}, {@code remove} deletes one; both then republish the signed trust list
 * on {@code cn=Trust List,ou=Trust} at once (the agent with the CA would within its sweep), with
 * the trust-list-signing key of the data folder. {@code cross-certify} has the enterprise CA
 * issue a cross-certificate for a partner's root and publishes it on the partner's entry;
 * {@code revoke-cross} revokes it onto the CA's CRL. {@code list} shows what is trusted. Run
 * where the KMS runs: it binds as the KMS agent with the data folder's password file and opens
 * the CA's key store there.
 */
@Command(name = "trust", description = {"Trust partner organisations: their roots on the signed trust list,"
        + " cross-certificates from the enterprise CA.", "",
        "add checks a partner's root certificate (a CA certificate, self-signed, valid now, not trusted already) and"
                + " adds it under ou=Trust; remove takes it away; both republish the signed trust list on cn=Trust"
                + " List,ou=Trust (CMS SignedData over an RFC 5914 TrustAnchorList, sequence one higher).",
        "cross-certify issues, with the enterprise CA, a certificate for the partner's root (its subject and key) and"
                + " publishes it in the partner entry's crossCertificatePair; revoke-cross puts it on the CA's CRL.",
        "", "Runs where the KMS runs: it binds as the KMS agent and opens the CA's key store in the data folder."},
        subcommands = {TrustCommand.Add.class, TrustCommand.Remove.class, TrustCommand.ListPartners.class,
            TrustCommand.CrossCertify.class, TrustCommand.RevokeCross.class})
final class TrustCommand extends Subcommand {

    /** Without an action: a usage error naming the actions. */
    @Override
    int run() throws UsageException {
        throw new UsageException("the action is missing; " + DirkmsCommand.actionList(spec.commandLine()));
    }

    @Override
    List<String> examples() {
        return List.of("dirkms trust add partner-root.pem --name partner --domain partner.example",
                "trust the partner's root; the trust list is republished",
                "dirkms trust cross-certify partner --permit-email partner.example",
                "the enterprise CA certifies the partner's root for its mail domain only",
                "dirkms trust list", "what is trusted, and the trust list's sequence and validity");
    }

    @Override
    Map<ExitCode, String> exitCodes() {
        return codes();
    }

    private static Map<ExitCode, String> codes() {
        Map<ExitCode, String> codes = new LinkedHashMap<>();
        codes.put(ExitCode.OK, "done");
        codes.put(ExitCode.FAILED, "refused (standard error says why; nothing was published), or the directory or a"
                + " file failed");
        codes.put(ExitCode.USAGE, ExitCode.USAGE.meaning());
        return codes;
    }

    /** What every action does: bind as the agent, then act; refusals are one line and exit 1. */
    abstract static class Action extends Subcommand {
        @Mixin
        ConnectionOptions connection;

        @Option(names = "--ca", paramLabel = "NAME", defaultValue = CaCommand.DEFAULT_NAME,
                description = "the enterprise CA, by name, whose key store is in DIR/ca/ (default ${DEFAULT-VALUE})")
        String caName;

        @Override
        Map<ExitCode, String> exitCodes() {
            return codes();
        }

        @Override
        final int run() throws UsageException {
            check();
            KmsContext kms = connection.context();
            try (LdapNetworkConnection directory = kms.openConnection(KmsContext.OPERATION_TIMEOUT_MILLIS)) {
                return act(directory, kms);
            } catch (PartnerRefusedException | IssuanceRefusedException e) {
                return failed(e.getMessage() + "; nothing was published");
            } catch (RevocationRefusedException e) {
                return failed(e.getMessage()); // it says the CRL is unchanged
            } catch (NoSuchFileException e) {
                return failed("cannot read " + e.getFile() + ": run it where the KMS runs (--data DIR)");
            } catch (IOException | LdapException | GeneralSecurityException | DirectoryAccessException
                    | TrustListContentionException | IllegalStateException | IllegalArgumentException e) {
                return failed(kms, e);
            }
        }

        /** Checks the arguments before anything is opened. */
        void check() throws UsageException {
        }

        abstract int act(LdapNetworkConnection directory, KmsContext kms) throws IOException, LdapException,
                GeneralSecurityException, PartnerRefusedException, IssuanceRefusedException;

        /** The CA of {@code --ca}, opened from the data folder. */
        CertificationAuthority ca(LdapNetworkConnection directory, KmsContext kms) throws IOException {
            return kms.openCa(directory, caName);
        }

        /** Republishes the trust list now, with the data folder's signing key, and says what it published. */
        TrustService.Outcome republish(LdapNetworkConnection directory, KmsContext kms, CertificationAuthority ca) {
            TrustService.Outcome outcome = kms.trustService(directory, kms.trustListSigningKeyStore(ca)).republish();
            out().println(outcome.list() == null
                    ? "trust list " + outcome.sequence() + " on " + kms.layout().trustList() + ": no partner is trusted"
                    : "trust list " + outcome.sequence() + " published on " + kms.layout().trustList() + ": "
                            + outcome.list().anchors().size() + " partner roots, next update "
                            + outcome.list().nextUpdate());
            return outcome;
        }
    }

    /** {@code dirkms trust add}. */
    @Command(name = "add", description = {"Trust the partner root certificate in FILE (PEM or DER) and republish the"
            + " trust list.", "",
            "Refused, and nothing written, when FILE is not a certificate, not a CA certificate, not self-signed (or"
                    + " its signature does not verify), not valid now, or trusted already (the same certificate or"
                    + " the same name)."})
    static final class Add extends Action {
        @Parameters(index = "0", paramLabel = "FILE", description = "the partner's root certificate, PEM or DER")
        Path file;

        @Option(names = "--name", paramLabel = "N",
                description = "the partner's name, the cn of its entry (default: the root's common name)")
        String name;

        @Option(names = "--domain", paramLabel = "D",
                description = "a mail domain the partner speaks for (kmsPartnerDomain); repeat for several")
        List<String> domains = new ArrayList<>();

        @Override
        List<String> examples() {
            return List.of("dirkms trust add partner-root.pem --name partner --domain partner.example",
                    "trust the partner's root as 'partner', for partner.example");
        }

        @Override
        void check() throws UsageException {
            if (name != null && name.isBlank()) {
                throw new UsageException("--name is empty; give the partner's name");
            }
            for (String domain : domains) {
                try {
                    new CrossCertificatePolicy(0, List.of(domain), List.of(), CrossCertificatePolicy.DEFAULT_VALIDITY);
                } catch (IllegalArgumentException e) {
                    throw new UsageException("--domain " + e.getMessage());
                }
            }
            if (!Files.isRegularFile(file)) {
                throw new UsageException(file + " does not exist or is not a file");
            }
        }

        @Override
        int act(LdapNetworkConnection directory, KmsContext kms) throws IOException, PartnerRefusedException {
            PartnerRoot root = PartnerRoot.check(certificateBytes(Files.readAllBytes(file)), kms.clock().instant());
            String partnerName = name != null ? name.trim() : root.suggestedName();
            TrustRecords records = kms.trustRecords(directory);
            Optional<PartnerEntry> named = records.partner(partnerName);
            if (named.isPresent()) {
                throw new PartnerRefusedException("a partner named '" + partnerName + "' exists already"
                        + (named.get().subject() == null ? "" : " (" + named.get().subject() + ")")
                        + ": give another --name, or remove it first");
            }
            for (PartnerEntry partner : records.partners()) {
                for (byte[] certificate : partner.caCertificates()) {
                    if (PartnerRoot.fingerprint(certificate).equals(root.fingerprint())) {
                        throw new PartnerRefusedException("the same root certificate is trusted already as partner '"
                                + partner.name() + "'");
                    }
                }
            }
            CertificationAuthority ca = ca(directory, kms);
            records.addPartner(partnerName, root.der(), domains.stream().map(d -> d.toLowerCase(Locale.ROOT)).toList(),
                    root.subject());
            out().println("trusted partner '" + partnerName + "': " + root.subject() + ", SHA-256 " + root.fingerprint()
                    + ", valid until " + root.certificate().getNotAfter().toInstant());
            republish(directory, kms, ca);
            return OK;
        }

        /** A certificate in PEM (RFC 7468 section 5) or DER; what is neither is handed on as it is, to be refused. */
        private static byte[] certificateBytes(byte[] content) {
            String text = new String(content, StandardCharsets.US_ASCII);
            java.util.regex.Matcher pem = java.util.regex.Pattern.compile(
                    "-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\\s]+)-----END CERTIFICATE-----").matcher(text);
            if (!pem.find()) {
                return content;
            }
            try {
                return Base64.getMimeDecoder().decode(pem.group(1));
            } catch (IllegalArgumentException e) {
                return content;
            }
        }
    }

    /** {@code dirkms trust remove}. */
    @Command(name = "remove", description = "Stop trusting the partner NAME: delete its entry and republish the trust"
            + " list without it. A partner whose cross-certificate is valid and not revoked is refused: revoke it"
            + " first (revoke-cross).")
    static final class Remove extends Action {
        @Parameters(index = "0", paramLabel = "NAME", description = "the partner's name, as 'dirkms trust list' shows")
        String name;

        @Override
        List<String> examples() {
            return List.of("dirkms trust remove partner", "the partner's root leaves the trust list");
        }

        @Override
        int act(LdapNetworkConnection directory, KmsContext kms) throws IOException, PartnerRefusedException {
            TrustRecords records = kms.trustRecords(directory);
            PartnerEntry partner = records.partner(name).orElseThrow(() -> new PartnerRefusedException(
                    "there is no partner named '" + name + "': 'dirkms trust list' shows the partners"));
            CertificationAuthority ca = ca(directory, kms);
            Optional<X509Certificate> cross = CrossCertification.crossCertificate(partner);
            if (cross.isPresent() && kms.clock().instant().isBefore(cross.get().getNotAfter().toInstant())) {
                // Once the entry is gone the CA no longer knows it issued the certificate, and
                // nobody could revoke it (docs/directory-layout.md, "What the CA knows it issued").
                X509CRL crl = kms.caService(directory).currentCrl(ca);
                if (!cross.get().getIssuerX500Principal().equals(ca.certificate().getSubjectX500Principal())
                        || crl == null || !crl.isRevoked(cross.get())) {
                    throw new PartnerRefusedException("partner '" + name + "' holds a cross-certificate (serial "
                            + cross.get().getSerialNumber().toString(16) + ") that is not revoked: run 'dirkms trust"
                            + " revoke-cross " + name + "' first");
                }
            }
            records.deletePartner(partner.dn());
            out().println("removed partner '" + name + "' (" + partner.dn() + ")");
            republish(directory, kms, ca);
            return OK;
        }
    }

    /** {@code dirkms trust cross-certify}. */
    @Command(name = "cross-certify", description = {"Have the enterprise CA issue a cross-certificate for the root of"
            + " the partner NAME and publish it in the partner entry's crossCertificatePair (issuedToThisCA).", "",
            "The certificate has the partner root's subject and key, basicConstraints CA with --path-length, name"
                    + " constraints (RFC 5280 4.2.1.10) when --permit-dns or --permit-email is given, and the CRL"
                    + " distribution points and authority information access of the CA's other certificates."})
    static final class CrossCertify extends Action {
        @Parameters(index = "0", paramLabel = "NAME", description = "the partner's name, as 'dirkms trust list' shows")
        String name;

        @Option(names = "--path-length", paramLabel = "N", defaultValue = "0",
                description = "how many CA certificates may follow the partner root (default 0: it issues to end"
                        + " entities only)")
        int pathLength;

        @Option(names = "--permit-dns", paramLabel = "D",
                description = "a permitted DNS subtree, e.g. partner.example; repeat for several")
        List<String> permitDns = new ArrayList<>();

        @Option(names = "--permit-email", paramLabel = "D",
                description = "a permitted mail domain: partner.example (its mailboxes) or .partner.example (the hosts"
                        + " below it); repeat for several")
        List<String> permitEmail = new ArrayList<>();

        @Option(names = "--days", paramLabel = "N", defaultValue = "365",
                description = "validity in days (default ${DEFAULT-VALUE}), never past the partner root's or the CA's")
        int days;

        @Option(names = "--out", paramLabel = "FILE", description = "also write the cross-certificate there (PEM)")
        Path outFile;

        CrossCertificatePolicy policy;

        @Override
        List<String> examples() {
            return List.of("dirkms trust cross-certify partner --permit-email partner.example --out partner-cross.pem",
                    "certify the partner's root for the mailboxes of partner.example");
        }

        @Override
        void check() throws UsageException {
            if (days < 1) {
                throw new UsageException("--days " + days + " is not a number of days (1 or more)");
            }
            try {
                policy = new CrossCertificatePolicy(pathLength, permitDns, permitEmail, Duration.ofDays(days));
            } catch (IllegalArgumentException e) {
                throw new UsageException(e.getMessage());
            }
            if (outFile != null && Files.exists(outFile)) {
                throw new UsageException("--out " + outFile + " exists; remove it or name another file");
            }
        }

        @Override
        int act(LdapNetworkConnection directory, KmsContext kms)
                throws IOException, GeneralSecurityException, PartnerRefusedException, IssuanceRefusedException {
            CertificationAuthority ca = ca(directory, kms);
            CrossCertification cross = new CrossCertification(kms.trustRecords(directory), kms.caService(directory), ca,
                    kms.clock());
            X509Certificate issued = cross.certify(name, policy);
            if (outFile != null) {
                Files.writeString(outFile, pem(issued.getEncoded()), StandardCharsets.US_ASCII);
            }
            out().println("cross-certified partner '" + name + "': serial " + issued.getSerialNumber().toString(16)
                    + " issued by " + ca.dn() + ", valid until " + issued.getNotAfter().toInstant()
                    + ", published in crossCertificatePair" + (outFile == null ? "" : "; written to " + outFile));
            return OK;
        }
    }

    /** {@code dirkms trust revoke-cross}. */
    @Command(name = "revoke-cross", description = "Revoke the cross-certificate of the partner NAME: it goes onto the"
            + " enterprise CA's CRL, published on the CA entry.")
    static final class RevokeCross extends Action {
        @Parameters(index = "0", paramLabel = "NAME", description = "the partner's name, as 'dirkms trust list' shows")
        String name;

        @Option(names = "--reason", paramLabel = "R", defaultValue = "cessationOfOperation",
                description = "the CRL reason (RFC 5280 5.3.1; default ${DEFAULT-VALUE})")
        String reason;

        RevocationReason why;

        @Override
        List<String> examples() {
            return List.of("dirkms trust revoke-cross partner", "the partner's cross-certificate goes onto the CRL",
                    "dirkms trust revoke-cross partner --reason cACompromise", "the same, saying why");
        }

        @Override
        void check() throws UsageException {
            try {
                why = LdapEnumeration.parse(RevocationReason.class, "--reason", reason);
            } catch (IllegalArgumentException e) {
                throw new UsageException(e.getMessage());
            }
        }

        @Override
        int act(LdapNetworkConnection directory, KmsContext kms) throws IOException, PartnerRefusedException {
            CertificationAuthority ca = ca(directory, kms);
            CrossCertification cross = new CrossCertification(kms.trustRecords(directory), kms.caService(directory), ca,
                    kms.clock());
            CaService.Revoked revoked = cross.revoke(name, why);
            out().println("revoked the cross-certificate of partner '" + name + "' (" + why.ldapValue() + "); CRL with "
                    + revoked.crl().getRevokedCertificates().size() + " entries published on " + ca.dn());
            return OK;
        }
    }

    /** {@code dirkms trust list}. */
    @Command(name = "list", description = "List the partners (name, subject, SHA-256 fingerprint, validity, domains,"
            + " whether the trust list holds them, their cross-certificate) and the trust list's sequence and validity.")
    static final class ListPartners extends Action {
        @Option(names = "--json", description = "one JSON array on standard output, one object per partner")
        boolean json;

        @Override
        List<String> examples() {
            return List.of("dirkms trust list", "the partners and the trust list", "dirkms trust list --json",
                    "the same as JSON, for scripts");
        }

        @Override
        int act(LdapNetworkConnection directory, KmsContext kms) {
            TrustRecords records = kms.trustRecords(directory);
            Instant now = kms.clock().instant();
            List<PartnerEntry> partners = records.partners();
            TrustService.Checked checked = TrustService.check(partners, now);
            Optional<TrustRecords.TrustListEntry> entry = records.trustList();
            SignedTrustList list = entry.map(TrustRecords.TrustListEntry::signedList).map(der -> {
                try {
                    return SignedTrustList.parse(der);
                } catch (IllegalArgumentException e) {
                    return null;
                }
            }).orElse(null);
            List<String> listed = list == null ? List.of() : list.fingerprints();
            List<CaService.CaSummary> cas = kms.caService(directory).listCas();
            ArrayNode document = JsonOutput.array();
            PrintWriter out = out();
            for (PartnerEntry partner : partners) {
                PartnerRoot root = checked.trusted().get(partner.dn());
                X509Certificate certificate = root != null ? root.certificate() : parse(partner);
                String fingerprint = partner.caCertificates().isEmpty() ? null
                        : PartnerRoot.fingerprint(partner.caCertificates().get(0));
                String refusal = checked.refused().get(partner.dn());
                Optional<X509Certificate> cross = CrossCertification.crossCertificate(partner);
                String crossStatus = cross.map(c -> status(c, cas, now)).orElse(null);
                ObjectNode object = document.addObject();
                object.put("name", partner.name());
                object.put("dn", partner.dn());
                object.put("subject", certificate == null ? partner.subject() : PartnerRoot.subjectOf(certificate));
                object.put("fingerprint", fingerprint);
                object.put("notBefore", certificate == null ? null : certificate.getNotBefore().toInstant().toString());
                object.put("notAfter", certificate == null ? null : certificate.getNotAfter().toInstant().toString());
                ArrayNode domains = object.putArray("domains");
                partner.domains().forEach(domains::add);
                object.put("trusted", root != null);
                object.put("refusal", refusal);
                object.put("listed", fingerprint != null && listed.contains(fingerprint));
                object.put("crossCertificateSerial", cross.map(c -> c.getSerialNumber().toString(16)).orElse(null));
                object.put("crossCertificateStatus", crossStatus);
                object.put("trustListSequence", entry.map(TrustRecords.TrustListEntry::sequence).orElse(null));
                object.put("trustListNextUpdate", list == null ? null : list.nextUpdate().toString());
                if (!json) {
                    out.println(partner.name() + (root != null ? "  trusted" : "  REFUSED: " + refusal));
                    out.println("  subject:     " + object.get("subject").asText());
                    out.println("  SHA-256:     " + fingerprint);
                    if (certificate != null) {
                        out.println("  valid:       " + certificate.getNotBefore().toInstant() + " to "
                                + certificate.getNotAfter().toInstant());
                    }
                    out.println("  domains:     " + (partner.domains().isEmpty() ? "(none)"
                            : String.join(", ", partner.domains())));
                    out.println("  trust list:  " + (object.get("listed").asBoolean() ? "listed" : "not listed"));
                    out.println("  cross-cert:  " + cross.map(c -> "serial " + c.getSerialNumber().toString(16) + ", "
                            + crossStatus + ", valid until " + c.getNotAfter().toInstant()).orElse("none"));
                }
            }
            if (json) {
                JsonOutput.print(out, document);
            } else if (entry.isEmpty()) {
                out.println("trust list: not published yet (the KMS agent with the CA publishes it)");
            } else if (list == null) {
                out.println("trust list " + entry.get().sequence() + " on " + entry.get().dn() + ": no partner is trusted");
            } else {
                out.println("trust list " + list.sequence() + " on " + entry.get().dn() + ": " + list.anchors().size()
                        + " partner roots, made " + list.thisUpdate() + ", next update " + list.nextUpdate()
                        + (list.nextUpdate().isAfter(now) ? "" : " (OUT OF DATE: is the KMS agent with the CA running?)"));
            }
            return OK;
        }

        private static X509Certificate parse(PartnerEntry partner) {
            if (partner.caCertificates().isEmpty()) {
                return null;
            }
            try {
                return (X509Certificate) java.security.cert.CertificateFactory.getInstance("X.509").generateCertificate(
                        new java.io.ByteArrayInputStream(partner.caCertificates().get(0)));
            } catch (java.security.cert.CertificateException e) {
                return null;
            }
        }

        /** valid, revoked, expired, or unknown issuer: the cross-certificate's status by its issuer's CRL. */
        private static String status(X509Certificate cross, List<CaService.CaSummary> cas, Instant now) {
            for (CaService.CaSummary ca : cas) {
                if (ca.certificate() != null && ca.certificate().getSubjectX500Principal()
                        .equals(cross.getIssuerX500Principal())) {
                    X509CRL crl = ca.crl();
                    if (crl != null && crl.isRevoked(cross)) {
                        return "revoked";
                    }
                    return now.isBefore(cross.getNotAfter().toInstant()) ? "valid" : "expired";
                }
            }
            return "issued by no CA of this directory";
        }
    }

    private static String pem(byte[] der) {
        return "-----BEGIN CERTIFICATE-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(der) + "\n-----END CERTIFICATE-----\n";
    }
}
