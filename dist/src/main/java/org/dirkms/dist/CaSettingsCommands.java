package org.dirkms.dist;

import java.io.IOException;
import java.io.PrintWriter;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

import org.apache.directory.api.ldap.model.exception.LdapException;
import org.apache.directory.ldap.client.api.LdapNetworkConnection;
import org.dirkms.agent.directory.LdapCaSettings;
import org.dirkms.agent.directory.LdapQueueReadings;
import org.dirkms.agent.directory.QueueSnapshot;
import org.dirkms.agent.directory.QueueSnapshot.Authority;
import org.dirkms.schema.AttributeNames;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * The {@code dirkms ca} actions that change how a CA serves the certificate request queue:
 * {@code templates} (which templates it issues: {@code kmsInstalledTemplate}) and
 * {@code capacity} (how many requests it may hold claimed at once: {@code kmsCapacity}). They bind
 * as the KMS agent, as every {@code dirkms ca} action does ({@link CaCommand.Action}); only KMS
 * agents may write these attributes (docs/security.md).
 *
 * <p>The arguments are checked against the directory before anything is written — an unknown
 * CA or template, a template already installed or not installed — and a refusal is one line
 * naming what is known, with nothing changed. The change itself is one modify
 * ({@link LdapCaSettings}), so that several templates are installed or removed together or not at
 * all.
 */
final class CaSettingsCommands {

    private CaSettingsCommands() {
    }

    /** {@code dirkms ca templates add|remove|list}. */
    @Command(name = "templates", description = {"Install templates on a CA, remove them, or list them:"
            + " ACTION is add, remove or list; add and remove take one or more TEMPLATE names (the cn of an entry"
            + " under ou=Certificate Templates,ou=KMS), and change the CA entry's kmsInstalledTemplate in one modify.",
            "",
            "A CA serves a queued request only with a template installed on it. An unknown CA or template, a template"
                    + " already installed (add) or not installed (remove) is refused, and nothing changes."})
    static final class Templates extends CaCommand.Action {
        @Parameters(index = "0", paramLabel = "ACTION", description = "add, remove or list")
        String action;

        @Parameters(index = "1..*", arity = "0..*", paramLabel = "TEMPLATE",
                description = "the template names to add or remove, e.g. smime-signature")
        List<String> templates = new ArrayList<>();

        @Option(names = "--name", paramLabel = "CN", defaultValue = CaCommand.DEFAULT_NAME,
                description = "the CA (default \"${DEFAULT-VALUE}\")")
        String name;

        @Override
        List<String> examples() {
            return List.of("dirkms ca templates remove --name \"Example Issuing CA\" legacy-v1",
                    "the issuing CA no longer serves requests for X.509 v1 certificates",
                    "dirkms ca templates add --name \"Example Issuing CA\" smime-signature smime-encryption",
                    "it serves S/MIME requests (both installed, or neither)",
                    "dirkms ca templates list --name \"Example Issuing CA\"", "what it issues, and the other templates");
        }

        @Override
        int act(KmsContext kms, PrintWriter out)
                throws UsageException, IOException, LdapException, GeneralSecurityException {
            String verb = action.toLowerCase(Locale.ROOT);
            if (!List.of("add", "remove", "list").contains(verb)) {
                throw new UsageException("ACTION '" + action + "' is not one of: add, remove, list");
            }
            if (verb.equals("list") && !templates.isEmpty()) {
                throw new UsageException("'ca templates list' takes no TEMPLATE");
            }
            if (!verb.equals("list") && templates.isEmpty()) {
                throw new UsageException("'ca templates " + verb + "' needs a TEMPLATE (one or more)");
            }
            try (LdapNetworkConnection connection = kms.openConnection(KmsContext.OPERATION_TIMEOUT_MILLIS)) {
                LdapQueueReadings readings = new LdapQueueReadings(connection, kms.layout(), kms.clock());
                QueueSnapshot before = readings.readAuthorities();
                Optional<Authority> found = before.authority(name);
                if (found.isEmpty()) {
                    return failed(unknownCa(name, before));
                }
                Authority ca = found.get();
                if (verb.equals("list")) {
                    list(ca, before, out);
                    return OK;
                }
                List<String> values = new ArrayList<>();
                List<String> named = new ArrayList<>();
                for (String template : templates) {
                    if (named.stream().anyMatch(template::equalsIgnoreCase)) {
                        continue;
                    }
                    Optional<String> installed = ca.installed(template);
                    Optional<String> entry = before.template(template);
                    if (verb.equals("add")) {
                        if (entry.isEmpty()) {
                            return failed(unknownTemplate(template, before));
                        }
                        if (installed.isPresent()) {
                            return failed("template '" + template + "' is installed on CA '" + ca.name()
                                    + "' already; nothing changed");
                        }
                        values.add(entry.get());
                    } else {
                        if (installed.isEmpty()) {
                            return failed(entry.isEmpty() ? unknownTemplate(template, before)
                                    : "template '" + template + "' is not installed on CA '" + ca.name()
                                            + "' (installed: " + installedText(ca) + "); nothing changed");
                        }
                        values.add(installed.get());
                    }
                    named.add(template);
                }
                LdapCaSettings settings = new LdapCaSettings(connection);
                boolean changed = verb.equals("add") ? settings.installTemplates(ca.dn(), values)
                        : settings.removeTemplates(ca.dn(), values);
                if (!changed) {
                    return failed("another change to the templates of CA '" + ca.name() + "' came first; nothing"
                            + " changed: 'dirkms ca templates list --name \"" + ca.name() + "\"' shows them now");
                }
                Authority after = readings.readAuthorities().authority(ca.name()).orElse(ca);
                out.println((verb.equals("add") ? "installed " : "removed ") + String.join(", ", named)
                        + (verb.equals("add") ? " on" : " from") + " CA '" + ca.name() + "' (" + ca.dn() + "); it"
                        + " issues now: " + installedText(after));
                if (after.installedTemplates().isEmpty()) {
                    out.println("  it serves no request of the queue until a template is installed again");
                }
            }
            return OK;
        }

        private static void list(Authority ca, QueueSnapshot snapshot, PrintWriter out) {
            out.println("CA '" + ca.name() + "' (" + ca.dn() + ") issues: " + installedText(ca));
            List<String> others = new ArrayList<>();
            for (String template : snapshot.templateNames()) {
                if (ca.installed(template).isEmpty()) {
                    others.add(template);
                }
            }
            out.println("  not installed: " + (others.isEmpty() ? "none" : String.join(", ", others)));
        }

        private static String installedText(Authority ca) {
            return ca.installedTemplates().isEmpty() ? "no template" : String.join(", ", ca.templateNames());
        }
    }

    /** {@code dirkms ca capacity}. */
    @Command(name = "capacity", description = {"Set how many requests of the queue the CA may hold claimed at once"
            + " (kmsCapacity; " + QueueSnapshot.DEFAULT_CAPACITY + " when the entry has none). 'dirkms queue' shows"
            + " each CA's load against it."})
    static final class Capacity extends CaCommand.Action {
        /** The largest capacity the command sets: far above what one CA process serves at once. */
        static final int MAX_CAPACITY = 10_000;

        @Parameters(index = "0", paramLabel = "N", description = "the capacity, 1 to " + MAX_CAPACITY)
        String capacity;

        @Option(names = "--name", paramLabel = "CN", defaultValue = CaCommand.DEFAULT_NAME,
                description = "the CA (default \"${DEFAULT-VALUE}\")")
        String name;

        @Override
        List<String> examples() {
            return List.of("dirkms ca capacity --name \"Example Issuing CA\" 64",
                    "the issuing CA may hold 64 requests at once");
        }

        @Override
        int act(KmsContext kms, PrintWriter out)
                throws UsageException, IOException, LdapException, GeneralSecurityException {
            int value = Numbers.integer("N", capacity, 0, 1, MAX_CAPACITY);
            try (LdapNetworkConnection connection = kms.openConnection(KmsContext.OPERATION_TIMEOUT_MILLIS)) {
                QueueSnapshot before = new LdapQueueReadings(connection, kms.layout(), kms.clock()).readAuthorities();
                Optional<Authority> found = before.authority(name);
                if (found.isEmpty()) {
                    return failed(unknownCa(name, before));
                }
                Authority ca = found.get();
                new LdapCaSettings(connection).setCapacity(ca.dn(), value);
                out.println("CA '" + ca.name() + "' may hold " + value + " request" + (value == 1 ? "" : "s")
                        + " claimed at once (" + AttributeNames.CAPACITY + " was " + (ca.capacity() == null
                                ? "absent: the default " + QueueSnapshot.DEFAULT_CAPACITY : ca.capacity()) + ")");
            }
            return OK;
        }
    }

    /** The refusal of a CA name the directory has no entry for, naming those it has. */
    static String unknownCa(String name, QueueSnapshot snapshot) {
        List<String> names = snapshot.authorities().stream().map(Authority::name).toList();
        return "there is no CA '" + name + "' (" + (names.isEmpty() ? "there is none: 'dirkms ca init' makes one"
                : "the CAs: " + String.join(", ", names)) + "); nothing changed";
    }

    /** The refusal of a template name the directory has no entry for, naming those it has. */
    static String unknownTemplate(String name, QueueSnapshot snapshot) {
        return "there is no certificate template '" + name + "' (the templates: "
                + String.join(", ", snapshot.templateNames()) + "); nothing changed";
    }
}
