package org.dirkms.dist;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.apache.directory.api.ldap.model.exception.LdapException;
import org.apache.directory.api.ldap.model.ldif.LdifEntry;
import org.apache.directory.api.ldap.model.ldif.LdifReader;
import org.apache.directory.ldap.client.api.LdapNetworkConnection;
import org.dirkms.agent.ca.CertificationAuthority;
import org.dirkms.agent.ca.IssuanceRefusedException;
import org.dirkms.agent.directory.DirectoryAccessException;
import org.dirkms.agent.directory.EnrollmentRecords;
import org.dirkms.agent.enroll.BulkEnrollment;
import org.dirkms.agent.enroll.EnrollmentService;
import org.dirkms.schema.AttributeNames;

/**
 * {@code dirkms enroll}: enrolls many users at once — the members of an administrative group,
 * the entries matching a filter, or the entries of an LDIF file — with parallel workers, a
 * progress bar on a terminal (plain lines otherwise), and a report (DN, mail, state, token)
 * written with mode 0600. Re-running skips users already enrolled.
 */
public final class EnrollCommand implements Subcommand {

    @Override
    public String name() {
        return "enroll";
    }

    @Override
    public String summary() {
        return "enroll many users at once (by group, filter or LDIF file), with a token report";
    }

    @Override
    public String usage() {
        return """
                usage: dirkms enroll (--group DN | --filter FILTER | --file users.ldif) [--report FILE] [flags]

                  --group DN        the users whose kmsAdministrativeGroup is DN (for the default group,
                                    also the persons under ou=People that name no group)
                  --filter FILTER   the entries below the suffix matching the LDAP filter (RFC 4515)
                  --file F          the entries (dn: lines) of an LDIF file
                  --report FILE     where the report goes (default enroll-report.tsv), mode 0600:
                                    dn, mail, state, token, detail; hand each token to its user
                """ + AgentOptions.USAGE;
    }

    @Override
    public int run(List<String> arguments, PrintStream out, PrintStream err) {
        AgentOptions options;
        try {
            options = AgentOptions.parse(arguments, "group", "filter", "file", "report");
            if (options != null && options.specific.keySet().stream()
                    .filter(k -> List.of("group", "filter", "file").contains(k)).count() != 1) {
                throw new UsageException("give exactly one of --group, --filter, --file");
            }
        } catch (UsageException e) {
            err.println("dirkms enroll: " + e.getMessage());
            err.println("'dirkms enroll --help' lists the flags.");
            return USAGE;
        }
        if (options == null) {
            out.println(usage());
            return OK;
        }
        Path report = Path.of(options.specific.getOrDefault("report", "enroll-report.tsv"));
        try (LdapNetworkConnection connection = options.open(Duration.ofMinutes(2).toMillis())) {
            CertificationAuthority ca = options.openCa(connection);
            List<String> dns = select(options, options.context.enrollmentRecords(connection));
            EnrollmentService service = options.context.enrollmentService(connection, ca,
                    options.recovery(ca).current().certificate(), options.settings());
            Progress progress = new Progress(out, dns.size(), System.console() != null);
            BulkEnrollment.Summary summary = new BulkEnrollment(service, options.workers).run(dns, report,
                    progress::update);
            progress.finish();
            out.println("enrolled " + summary.enrolled() + ", skipped " + summary.skipped() + ", failed "
                    + summary.failed() + (summary.errors() > 0 ? ", directory errors " + summary.errors() : "")
                    + "; report (with tokens, mode 0600): " + report.toAbsolutePath());
            return summary.failed() + summary.errors() == 0 ? OK : FAILED;
        } catch (UsageException e) {
            err.println("dirkms enroll: " + e.getMessage());
            return USAGE;
        } catch (IOException | LdapException | GeneralSecurityException | IssuanceRefusedException
                | DirectoryAccessException | IllegalArgumentException | IllegalStateException e) {
            err.println("dirkms enroll: " + e.getMessage());
            return FAILED;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            err.println("dirkms enroll: interrupted; run it again to finish (enrolled users are skipped)");
            return FAILED;
        }
    }

    private static List<String> select(AgentOptions options, EnrollmentRecords records)
            throws IOException, UsageException {
        String suffix = options.layout.suffix();
        Set<String> dns = new LinkedHashSet<>();
        if (options.specific.containsKey("group")) {
            String group = options.specific.get("group");
            EnrollmentRecords.GroupEntry entry = records.readGroup(group).orElseThrow(() -> new UsageException(
                    "--group " + group + " is not an administrative group (kmsAdminGroup)"));
            dns.addAll(records.findDns(suffix, "(" + AttributeNames.ADMINISTRATIVE_GROUP + "=" + escape(group) + ")"));
            if (entry.defaultGroup()) {
                dns.addAll(records.findDns(options.layout.people(), "(&(objectClass=person)(!("
                        + AttributeNames.ADMINISTRATIVE_GROUP + "=*)))"));
            }
        } else if (options.specific.containsKey("filter")) {
            dns.addAll(records.findDns(suffix, options.specific.get("filter")));
        } else {
            Path file = Path.of(options.specific.get("file"));
            if (!Files.isReadable(file)) {
                throw new UsageException("--file " + file + " cannot be read");
            }
            try (LdifReader reader = new LdifReader(file.toFile())) {
                for (LdifEntry entry : reader) {
                    dns.add(entry.getDn().getName());
                }
            } catch (LdapException e) {
                throw new UsageException("--file " + file + " is not LDIF: " + e.getMessage());
            }
        }
        return new ArrayList<>(dns);
    }

    /** RFC 4515 section 3: characters escaped in an assertion value. */
    private static String escape(String value) {
        return value.replace("\\", "\\5c").replace("*", "\\2a").replace("(", "\\28").replace(")", "\\29");
    }

    /** A progress bar redrawn in place on a terminal; a plain line every tenth of the work otherwise. */
    private static final class Progress {
        private final PrintStream out;
        private final int total;
        private final boolean terminal;
        private int lastTenth = -1;

        Progress(PrintStream out, int total, boolean terminal) {
            this.out = out;
            this.total = total;
            this.terminal = terminal;
            out.println("enrolling " + total + " users");
        }

        synchronized void update(int done) {
            if (terminal) {
                int width = 40;
                int filled = total == 0 ? width : done * width / total;
                out.print("\r[" + "#".repeat(filled) + " ".repeat(width - filled) + "] " + done + "/" + total);
                out.flush();
            } else {
                int tenth = total == 0 ? 10 : done * 10 / total;
                if (tenth != lastTenth) {
                    lastTenth = tenth;
                    out.println(done + "/" + total + " users done");
                }
            }
        }

        void finish() {
            if (terminal) {
                out.println();
            }
        }
    }
}
