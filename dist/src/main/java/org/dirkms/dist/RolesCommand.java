package org.dirkms.dist;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.NoSuchFileException;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

import org.apache.directory.api.ldap.model.entry.Attribute;
import org.apache.directory.api.ldap.model.entry.DefaultModification;
import org.apache.directory.api.ldap.model.entry.Entry;
import org.apache.directory.api.ldap.model.entry.ModificationOperation;
import org.apache.directory.api.ldap.model.entry.Value;
import org.apache.directory.api.ldap.model.exception.LdapAttributeInUseException;
import org.apache.directory.api.ldap.model.exception.LdapException;
import org.apache.directory.api.ldap.model.exception.LdapInvalidDnException;
import org.apache.directory.api.ldap.model.exception.LdapNoSuchAttributeException;
import org.apache.directory.api.ldap.model.name.Dn;
import org.apache.directory.ldap.client.api.LdapNetworkConnection;
import org.dirkms.agent.names.DistinguishedNames;
import org.dirkms.schema.AttributeNames;
import org.dirkms.schema.DirectoryLayout;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code dirkms roles}: who holds the KMS roles. The three role groups
 * ({@code cn=KMS Administrators}, {@code cn=Recovery Agents}, {@code cn=KMS Agents}) are written
 * by the KMS only (docs/security.md): this command, run where the KMS runs, binds as the KMS
 * agent with the data folder's password file, so that changing who may ask for keys, approve
 * recoveries or read secrets takes access to the KMS host, not a directory password. Every change
 * is in the audit log.
 */
@Command(name = "roles", description = {"List, give or take the KMS roles (administrators, recovery agents,"
        + " agents).", "", RolesCommand.ROLES_TEXT, "",
        "The role groups change only this way, never over LDAP, not even by the directory superuser: the command"
                + " binds as the KMS agent with the password file of the data folder, so it runs where the KMS"
                + " runs. Every change is audited. The directory superuser uid=admin,ou=system holds no KMS role,"
                + " and the KMS agent cannot be removed from a group."},
        subcommands = {RolesCommand.ListRoles.class, RolesCommand.Add.class, RolesCommand.Remove.class})
final class RolesCommand extends Subcommand {

    /** The roles by the name the command takes, in the order they are listed. */
    private static final Map<String, String> ROLES = new TreeMap<>(Map.of(
            "kms-administrators", "KMS administrators: enroll, revoke, request recoveries, read enrollment tokens",
            "recovery-agents", "recovery agents: approve the recovery requests of others",
            "kms-agents", "KMS agents: the KMS itself, reading every secret (give it to KMS processes only)"));

    /** The roles, for the help texts. */
    static final String ROLES_TEXT = "ROLE is one of:%n"
            + "  kms-administrators  enroll, revoke, request key recoveries, read enrollment tokens%n"
            + "  recovery-agents     approve the key recovery requests of others%n"
            + "  kms-agents          the KMS itself: reads every secret (give it to KMS processes only)%n"
            + "DN is the entry of the person (or process) given or losing the role; it must exist.";

    /** The role names, for completion and for the help of ROLE. */
    static final class RoleNames implements Iterable<String> {
        @Override
        public Iterator<String> iterator() {
            return ROLES.keySet().iterator();
        }
    }

    /** Without an action: a usage error naming the actions. */
    @Override
    int run() throws UsageException {
        throw new UsageException("the action is missing; " + DirkmsCommand.actionList(spec.commandLine()));
    }

    @Override
    List<String> examples() {
        return List.of("dirkms roles add kms-administrators uid=alice,ou=People,dc=example,dc=com",
                "alice may enroll, revoke and request recoveries", "dirkms roles list", "who holds which role");
    }

    @Override
    Map<ExitCode, String> exitCodes() {
        return codes();
    }

    private static Map<ExitCode, String> codes() {
        Map<ExitCode, String> codes = new java.util.LinkedHashMap<>();
        codes.put(ExitCode.OK, "done");
        codes.put(ExitCode.FAILED, "refused, or the directory failed");
        codes.put(ExitCode.USAGE, ExitCode.USAGE.meaning());
        return codes;
    }

    /** What every action does: bind as the agent, then act. */
    abstract static class Action extends Subcommand {
        @Mixin
        ConnectionOptions connection;

        @Override
        Map<ExitCode, String> exitCodes() {
            return codes();
        }

        @Override
        final int run() throws UsageException {
            check();
            KmsContext kms = connection.context();
            try (LdapNetworkConnection directory = kms.openConnection(Duration.ofMinutes(1).toMillis())) {
                return act(directory, kms);
            } catch (NoSuchFileException e) {
                return failed("cannot read " + e.getFile() + ": run it where the KMS runs (--data DIR),"
                        + " or name the files with --password-file and --ca-cert");
            } catch (IOException | LdapException | GeneralSecurityException e) {
                return failed(kms, e);
            }
        }

        /** Checks the arguments before anything is opened. */
        void check() throws UsageException {
        }

        abstract int act(LdapNetworkConnection directory, KmsContext kms) throws LdapException;
    }

    /** {@code dirkms roles list}. */
    @Command(name = "list", description = "List who holds each KMS role.")
    static final class ListRoles extends Action {
        @Option(names = "--json", description = "one JSON array on standard output: per role an object with role,"
                + " description, group (its DN) and members (DNs, sorted)")
        boolean json;

        @Override
        List<String> examples() {
            return List.of("dirkms roles list", "each role with its members",
                    "dirkms roles list --url ldaps://127.0.0.1:10636", "the same over LDAPS",
                    "dirkms roles list --json", "the same as JSON, for scripts");
        }

        @Override
        int act(LdapNetworkConnection directory, KmsContext kms) throws LdapException {
            Map<String, List<String>> members = members(directory, kms.layout());
            if (json) {
                JsonOutput.print(out(), json(members, kms.layout()));
            } else {
                members.forEach((role, dns) -> {
                    out().println(role + " (" + ROLES.get(role) + "):");
                    dns.forEach(member -> out().println("  " + member));
                });
            }
            return OK;
        }
    }

    /** The {@code --json} document of {@code roles list}: one object per role, in name order. */
    static ArrayNode json(Map<String, List<String>> members, DirectoryLayout layout) {
        ArrayNode roles = JsonOutput.array();
        members.forEach((role, dns) -> {
            ObjectNode entry = roles.addObject();
            entry.put("role", role);
            entry.put("description", ROLES.get(role));
            entry.put("group", groupOf(layout, role));
            ArrayNode list = entry.putArray("members");
            dns.forEach(list::add);
        });
        return roles;
    }

    /** What add and remove take: a role and a member. */
    abstract static class Change extends Action {
        @Parameters(index = "0", paramLabel = "ROLE", completionCandidates = RoleNames.class,
                description = "kms-administrators, recovery-agents or kms-agents")
        String role;

        @Parameters(index = "1", paramLabel = "DN", description = "the entry given or losing the role")
        String member;

        @Override
        void check() throws UsageException {
            if (!ROLES.containsKey(role)) {
                throw new UsageException("unknown role '" + role + "'; the roles are " + String.join(", ",
                        ROLES.keySet()));
            }
            try {
                new Dn(member);
            } catch (LdapInvalidDnException e) {
                throw new UsageException("'" + member + "' is not a DN");
            }
        }
    }

    /** {@code dirkms roles add}. */
    @Command(name = "add", description = {"Give ROLE to the entry DN.", "", ROLES_TEXT})
    static final class Add extends Change {
        @Override
        List<String> examples() {
            return List.of("dirkms roles add kms-administrators uid=alice,ou=People,dc=example,dc=com",
                    "alice becomes a KMS administrator",
                    "dirkms roles add recovery-agents uid=bob,ou=People,dc=example,dc=com",
                    "bob may approve the recoveries others request");
        }

        @Override
        int act(LdapNetworkConnection directory, KmsContext kms) throws LdapException {
            return change(directory, kms, true, role, member, out(), err());
        }
    }

    /** {@code dirkms roles remove}. */
    @Command(name = "remove", description = {"Take ROLE from the entry DN.", "", ROLES_TEXT})
    static final class Remove extends Change {
        @Override
        List<String> examples() {
            return List.of("dirkms roles remove recovery-agents uid=bob,ou=People,dc=example,dc=com",
                    "bob no longer approves recoveries");
        }

        @Override
        int act(LdapNetworkConnection directory, KmsContext kms) throws LdapException {
            return change(directory, kms, false, role, member, out(), err());
        }
    }

    private static int change(LdapNetworkConnection connection, KmsContext kms, boolean add, String role,
            String member, PrintWriter out, PrintWriter err) throws LdapException {
        Dn memberDn = new Dn(member);
        if (DistinguishedNames.same(member, DirectoryLayout.ADMIN_DN)) {
            err.println("dirkms roles: the directory superuser " + DirectoryLayout.ADMIN_DN + " holds no KMS role: it"
                    + " manages identities and passwords, so a KMS role would let it act alone");
            return FAILED;
        }
        if (!add && DistinguishedNames.same(member, kms.connection().bindDn())) {
            err.println("dirkms roles: " + member + " is the KMS agent this command runs as; it stays in every role"
                    + " group (it holds every right already)");
            return FAILED;
        }
        if (add && connection.lookup(memberDn, "1.1") == null) {
            err.println("dirkms roles: there is no entry " + member + "; add the person first");
            return FAILED;
        }
        Dn group = new Dn(groupOf(kms.layout(), role));
        try {
            connection.modify(group, new DefaultModification(add ? ModificationOperation.ADD_ATTRIBUTE
                    : ModificationOperation.REMOVE_ATTRIBUTE, AttributeNames.MEMBER, member));
        } catch (LdapAttributeInUseException e) {
            out.println(member + " is already one of the " + role);
            return OK;
        } catch (LdapNoSuchAttributeException e) {
            out.println(member + " is not one of the " + role);
            return OK;
        }
        out.println((add ? "added " : "removed ") + member + (add ? " to the " : " from the ") + role);
        return OK;
    }

    /** The members of every role, roles in name order, members sorted. */
    private static Map<String, List<String>> members(LdapNetworkConnection connection, DirectoryLayout layout)
            throws LdapException {
        Map<String, List<String>> members = new java.util.LinkedHashMap<>();
        for (String role : ROLES.keySet().stream().sorted().toList()) {
            Entry group = connection.lookup(new Dn(groupOf(layout, role)), AttributeNames.MEMBER);
            List<String> dns = new ArrayList<>();
            Attribute values = group == null ? null : group.get(AttributeNames.MEMBER);
            if (values != null) {
                for (Value value : values) {
                    dns.add(value.getString());
                }
            }
            members.put(role, dns.stream().sorted().toList());
        }
        return members;
    }

    private static String groupOf(DirectoryLayout layout, String role) {
        return switch (role.toLowerCase(Locale.ROOT)) {
            case "kms-administrators" -> layout.kmsAdministratorsGroup();
            case "recovery-agents" -> layout.recoveryAgentsGroup();
            case "kms-agents" -> layout.kmsAgentsGroup();
            default -> throw new IllegalArgumentException("unknown role " + role);
        };
    }
}
