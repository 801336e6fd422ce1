package org.dirkms.dist;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.directory.api.ldap.model.exception.LdapException;
import org.apache.directory.api.ldap.model.ldif.LdifEntry;
import org.apache.directory.api.ldap.model.ldif.LdifReader;
import org.apache.directory.ldap.client.api.LdapNetworkConnection;
import org.dirkms.agent.ca.CertificationAuthority;
import org.dirkms.agent.ca.IssuanceRefusedException;
import org.dirkms.agent.directory.DirectoryAccessException;
import org.dirkms.agent.directory.EnrollmentRecords;
import org.dirkms.agent.enroll.BulkEnrollment;
import org.dirkms.agent.enroll.EnrollmentReport;
import org.dirkms.agent.enroll.EnrollmentService;
import org.dirkms.agent.enroll.EnrollmentService.RevokedUsers;
import org.dirkms.schema.AttributeNames;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code dirkms enroll}: enrolls many users at once — the members of an administrative group,
 * the entries matching a filter, or the entries of an LDIF file — with parallel workers, a
 * progress bar on a terminal (plain lines otherwise), and a report (DN, mail, state, token)
 * written with mode 0600. Re-running skips users already enrolled, and revoked users unless
 * {@code --include-revoked}. A report that exists is kept (a usage error) unless {@code --force}:
 * it may hold tokens not yet handed out; the check comes before anyone is enrolled.
 */
@Command(name = "enroll", description = {"Enroll many users at once (by group, filter or LDIF file), with a token"
        + " report.",
        "",
        "Parallel workers, a progress bar and a report of each user's state and token (mode 0600). Give exactly one"
                + " of --group, --filter, --file. Re-running skips users already enrolled; revoked users are skipped"
                + " too (counted in the summary) unless --include-revoked.",
        "",
        "A report that exists is never replaced silently (it may hold tokens not yet handed out): the command"
                + " refuses before enrolling anyone; give a new --report FILE, or --force to replace it.",
        "",
        "It works as the KMS agent, with the CA whose key store is in DIR/ca/ and the recovery key store of"
                + " DIR/recovery/.",
        "",
        "Keys follow each user's administrative group (kmsKeyAlgorithm, kmsPackageFormat). A group for gpgsm 2.2"
                + " users (kmsPackageFormat legacy-pbe-sha1-3des) needs RSA-2048 or RSA-3072: gpgsm 2.2 cannot use EC"
                + " keys, and the agent warns in its log about a group that has both."})
final class EnrollCommand extends Subcommand {

    @Option(names = "--group", paramLabel = "DN",
            description = "the users whose kmsAdministrativeGroup is DN (for the default group, also the persons"
                    + " under ou=People that name no group)")
    String group;

    @Option(names = "--filter", paramLabel = "FILTER",
            description = "the entries below the suffix matching the LDAP filter (RFC 4515)")
    String filter;

    @Option(names = "--file", paramLabel = "F", description = "the entries (dn: lines) of an LDIF file")
    Path file;

    @Option(names = "--report", paramLabel = "FILE", defaultValue = "enroll-report.tsv",
            description = "where the report goes (default ${DEFAULT-VALUE}), mode 0600: dn, mail, state, token,"
                    + " detail; hand each token to its user; it must not exist, unless --force")
    Path report;

    @Option(names = "--force", description = "replace the report if it exists (atomically, once the run is done)")
    boolean force;

    @Option(names = "--include-revoked",
            description = "enroll again, with new keys, users whose certificates were revoked (skipped otherwise)")
    boolean includeRevoked;

    @Mixin
    AgentOptions options;

    @Override
    List<String> examples() {
        return List.of("dirkms enroll --group \"cn=Sales,ou=Administrative Groups,dc=example,dc=com\" --report sales.tsv",
                "every user of the Sales group; the tokens go to sales.tsv",
                "dirkms enroll --filter '(departmentNumber=42)'", "the users matching an LDAP filter",
                "dirkms enroll --file users.ldif", "the entries named in an LDIF file",
                "dirkms enroll --file users.ldif --include-revoked --report users-2.tsv",
                "the same users again, revoked ones too (new keys); a new report",
                "dirkms enroll --filter '(departmentNumber=42)' --force",
                "replace enroll-report.tsv, whose tokens were handed out");
    }

    @Override
    Map<ExitCode, String> exitCodes() {
        Map<ExitCode, String> codes = super.exitCodes();
        codes.put(ExitCode.OK, "every selected user is enrolled, was already, or is revoked and was skipped");
        codes.put(ExitCode.FAILED, "some users failed (the report says why) or the directory failed");
        codes.put(ExitCode.USAGE, "usage error, nobody enrolled: one line on standard error says what to change"
                + " (the report exists, for instance)");
        return codes;
    }

    @Override
    int run() throws UsageException {
        if (Stream.of(group, filter, file).filter(java.util.Objects::nonNull).count() != 1) {
            throw new UsageException("give exactly one of --group, --filter, --file");
        }
        // Before the passphrase and the connection; opening the report exclusively, before anyone
        // is enrolled, is what makes sure (the file may appear in between).
        if (!force && Files.exists(report, LinkOption.NOFOLLOW_LINKS)) {
            throw reportExists();
        }
        Path directory = report.toAbsolutePath().getParent();
        if (directory == null || !Files.isDirectory(directory)) {
            throw new UsageException("--report " + report + ": the directory " + directory + " does not exist");
        }
        KmsContext kms = options.connection.context();
        int workers = options.workers();
        EnrollmentService.Settings settings = kms.agentSettings(options.lease());
        PrintWriter out = out();
        try (LdapNetworkConnection connection = kms.openConnection(Duration.ofMinutes(2).toMillis())) {
            CertificationAuthority ca = kms.openCa(connection, options.caName, options.passphraseFile(kms));
            List<String> dns = select(kms, kms.enrollmentRecords(connection));
            EnrollmentService service = kms.enrollmentService(connection, ca,
                    kms.archiveCertificate(connection, ca), settings);
            out.println("enrolling " + dns.size() + " users" + (includeRevoked ? ", revoked users too" : ""));
            BulkEnrollment.Summary summary;
            try (ProgressDisplay progress = ProgressDisplay.start(out, "enroll", "users", "done", dns.size(),
                    System.console() != null)) {
                summary = new BulkEnrollment(service, workers,
                        includeRevoked ? RevokedUsers.ENROLL_AGAIN : RevokedUsers.SKIP).run(dns, report,
                        force ? EnrollmentReport.Existing.REPLACE : EnrollmentReport.Existing.REFUSE,
                        done -> progress.step());
            }
            out.println("enrolled " + summary.enrolled() + ", skipped " + summary.skipped()
                    + (summary.skippedRevoked() > 0 ? " (" + summary.skippedRevoked() + " revoked: --include-revoked"
                            + " enrolls them again)" : "")
                    + ", failed " + summary.failed() + (summary.errors() > 0 ? ", directory errors " + summary.errors() : "")
                    + "; report (with tokens, mode 0600): " + report.toAbsolutePath());
            return summary.failed() + summary.errors() == 0 ? OK : FAILED;
        } catch (FileAlreadyExistsException e) {
            if (report.toString().equals(e.getFile())) {
                throw reportExists(); // it appeared after the check above; still nobody was enrolled
            }
            return failed(e.getMessage());
        } catch (IOException | LdapException | GeneralSecurityException | IssuanceRefusedException
                | DirectoryAccessException | IllegalArgumentException | IllegalStateException e) {
            return failed(kms, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return failed("interrupted; run it again with a new --report to finish (enrolled users are skipped)");
        }
    }

    private UsageException reportExists() {
        return new UsageException("the report " + report + " exists and may hold tokens not yet handed out: give"
                + " --report NEW-FILE, or --force to replace it");
    }

    private List<String> select(KmsContext kms, EnrollmentRecords records) throws IOException, UsageException {
        String suffix = kms.layout().suffix();
        Set<String> dns = new LinkedHashSet<>();
        if (group != null) {
            EnrollmentRecords.GroupEntry entry = records.readGroup(group).orElseThrow(() -> new UsageException(
                    "--group " + group + " is not an administrative group (kmsAdminGroup)"));
            dns.addAll(records.findDns(suffix, "(" + AttributeNames.ADMINISTRATIVE_GROUP + "=" + escape(group) + ")"));
            if (entry.defaultGroup()) {
                dns.addAll(records.findDns(kms.layout().people(), "(&(objectClass=person)(!("
                        + AttributeNames.ADMINISTRATIVE_GROUP + "=*)))"));
            }
        } else if (filter != null) {
            dns.addAll(records.findDns(suffix, filter));
        } else {
            dns.addAll(dnsOf(file));
        }
        return new ArrayList<>(dns);
    }

    /**
     * The DNs of the records of the LDIF file {@code file}, in order.
     *
     * <p>The whole file is parsed before anyone is enrolled: the LDAP API reader's iterator stops
     * quietly at a record it cannot parse, and the reader throws IllegalArgumentException and
     * index errors, not only LdapException, for malformed lines; a file with one bad record must
     * not enroll the users before it and skip the rest without a word.
     *
     * @throws UsageException when the file cannot be read or is not LDIF throughout
     */
    static List<String> dnsOf(Path file) throws UsageException {
        if (!Files.isReadable(file)) {
            throw new UsageException("--file " + file + " cannot be read");
        }
        List<String> dns = new ArrayList<>();
        try (LdifReader reader = new LdifReader()) {
            for (LdifEntry entry : reader.parseLdifFile(file.toString())) {
                dns.add(entry.getDn().getName());
            }
        } catch (LdapException | IOException | RuntimeException e) {
            throw new UsageException("--file " + file + " is not LDIF: " + (e.getMessage() == null
                    ? "it cannot be parsed" : e.getMessage()));
        }
        return dns;
    }

    /** RFC 4515 section 3: characters escaped in an assertion value. */
    private static String escape(String value) {
        return value.replace("\\", "\\5c").replace("*", "\\2a").replace("(", "\\28").replace(")", "\\29");
    }
}
