package org.dirkms.dist;

import java.io.IOException;
import java.io.PrintStream;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

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
import org.dirkms.schema.AttributeNames;
import org.dirkms.schema.DirectoryLayout;

/**
 * {@code dirkms roles}: who holds the KMS roles. The three role groups
 * ({@code cn=KMS Administrators}, {@code cn=Recovery Agents}, {@code cn=KMS Agents}) are written
 * by the KMS only (docs/security.md): this command, run where the KMS runs, binds as the KMS
 * agent with the data folder's password file, so that changing who may ask for keys, approve
 * recoveries or read secrets takes access to the KMS host, not a directory password. Every change
 * is in the audit log.
 */
public final class RolesCommand implements Subcommand {

    /** The roles by the name the command takes. */
    private static final Map<String, String> ROLES = Map.of(
            "kms-administrators", "KMS administrators: enroll, revoke, request recoveries, read enrollment tokens",
            "recovery-agents", "recovery agents: approve the recovery requests of others",
            "kms-agents", "KMS agents: the KMS itself, reading every secret (give it to KMS processes only)");

    @Override
    public String name() {
        return "roles";
    }

    @Override
    public String summary() {
        return "list, give or take the KMS roles (administrators, recovery agents, agents)";
    }

    @Override
    public String usage() {
        return """
                usage: dirkms roles list [flags]
                       dirkms roles add ROLE DN [flags]
                       dirkms roles remove ROLE DN [flags]

                ROLE is one of:
                  kms-administrators  enroll, revoke, request key recoveries, read enrollment tokens
                  recovery-agents     approve the key recovery requests of others
                  kms-agents          the KMS itself: reads every secret (give it to KMS processes only)
                DN is the entry of the person (or process) given or losing the role; it must exist.

                The role groups change only this way, never over LDAP, not even by the directory
                superuser: the command binds as the KMS agent with the password file of the data folder,
                so it runs where the KMS runs. Every change is audited. The directory superuser
                uid=admin,ou=system holds no KMS role, and the KMS agent cannot be removed from a group.

                  --data DIR            data folder of 'dirkms serve' (default ./data)
                  --url URL             the directory: ldap://host:port (StartTLS) or ldaps://host:port
                                        (default ldap://127.0.0.1:10389)
                  --bind-dn DN          the KMS agent's identity (default uid=kms-agent,ou=KMS,<suffix>)
                  --password-file F     its password, first line (default DIR/kms-agent.password)
                  --ca-cert F           the CA certificate (PEM) the server's TLS certificate chains to
                                        (default DIR/tls/ca.crt)
                  --suffix DN           the directory suffix (default dc=example,dc=com)

                example:
                  ./dirkms roles add kms-administrators uid=alice,ou=People,dc=example,dc=com
                Exit code 0: done; 1: refused or the directory failed; 2: usage error.""";
    }

    @Override
    public int run(List<String> arguments, PrintStream out, PrintStream err) {
        if (arguments.isEmpty() || arguments.get(0).equals("--help") || arguments.get(0).equals("-h")) {
            (arguments.isEmpty() ? err : out).println(usage());
            return arguments.isEmpty() ? USAGE : OK;
        }
        String action = arguments.get(0);
        String role = null;
        String member = null;
        AgentOptions options;
        try {
            List<String> rest = arguments.subList(1, arguments.size());
            switch (action) {
                case "list" -> { }
                case "add", "remove" -> {
                    if (rest.size() < 2 || rest.get(0).startsWith("--") || rest.get(1).startsWith("--")) {
                        throw new UsageException("'roles " + action + "' needs a ROLE and a DN");
                    }
                    role = rest.get(0);
                    member = rest.get(1);
                    if (!ROLES.containsKey(role)) {
                        throw new UsageException("unknown role '" + role + "'; the roles are " + String.join(", ",
                                ROLES.keySet().stream().sorted().toList()));
                    }
                    try {
                        new Dn(member);
                    } catch (LdapInvalidDnException e) {
                        throw new UsageException("'" + member + "' is not a DN");
                    }
                    rest = rest.subList(2, rest.size());
                }
                default -> throw new UsageException("unknown action '" + action + "'; the actions are list, add, remove");
            }
            for (String flag : rest) {
                if (List.of("--ca-name", "--passphrase-file", "--workers", "--lease-seconds", "--sweep-seconds")
                        .contains(flag)) {
                    throw new UsageException(flag + " is not a flag of 'roles'");
                }
            }
            options = AgentOptions.parse(rest);
            if (options == null) {
                out.println(usage());
                return OK;
            }
        } catch (UsageException e) {
            err.println("dirkms roles: " + e.getMessage());
            err.println("'dirkms roles --help' lists the roles and flags.");
            return USAGE;
        }
        try (LdapNetworkConnection connection = options.open(Duration.ofMinutes(1).toMillis())) {
            if (role == null) {
                list(connection, options.layout, out);
                return OK;
            }
            return change(connection, options, action.equals("add"), role, member, out, err);
        } catch (java.nio.file.NoSuchFileException e) {
            err.println("dirkms roles: cannot read " + e.getFile() + ": run it where the KMS runs (--data DIR),"
                    + " or name the files with --password-file and --ca-cert");
            return FAILED;
        } catch (IOException | LdapException | GeneralSecurityException e) {
            err.println("dirkms roles: cannot reach the directory at " + options.connection.url() + ": "
                    + e.getMessage());
            return FAILED;
        }
    }

    private static int change(LdapNetworkConnection connection, AgentOptions options, boolean add, String role,
            String member, PrintStream out, PrintStream err) throws LdapException {
        Dn memberDn = new Dn(member);
        if (memberDn.equals(new Dn(DirectoryLayout.ADMIN_DN))) {
            err.println("dirkms roles: the directory superuser " + DirectoryLayout.ADMIN_DN + " holds no KMS role: it"
                    + " manages identities and passwords, so a KMS role would let it act alone");
            return FAILED;
        }
        if (!add && memberDn.equals(new Dn(options.connection.bindDn()))) {
            err.println("dirkms roles: " + member + " is the KMS agent this command runs as; it stays in every role"
                    + " group (it holds every right already)");
            return FAILED;
        }
        if (add && connection.lookup(memberDn, "1.1") == null) {
            err.println("dirkms roles: there is no entry " + member + "; add the person first");
            return FAILED;
        }
        Dn group = new Dn(groupOf(options.layout, role));
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

    private static void list(LdapNetworkConnection connection, DirectoryLayout layout, PrintStream out)
            throws LdapException {
        for (String role : ROLES.keySet().stream().sorted().toList()) {
            Entry group = connection.lookup(new Dn(groupOf(layout, role)), AttributeNames.MEMBER);
            List<String> members = new ArrayList<>();
            Attribute values = group == null ? null : group.get(AttributeNames.MEMBER);
            if (values != null) {
                for (Value value : values) {
                    members.add(value.getString());
                }
            }
            out.println(role + " (" + ROLES.get(role) + "):");
            for (String member : members.stream().sorted().toList()) {
                out.println("  " + member);
            }
        }
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
