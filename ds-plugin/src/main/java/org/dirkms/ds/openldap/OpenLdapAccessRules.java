package org.dirkms.ds.openldap;

import static org.dirkms.schema.AttributeNames.*;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.dirkms.ds.guard.AccessPolicy;
import org.dirkms.schema.AttributeTypeDefinition;
import org.dirkms.schema.DirectoryLayout;
import org.dirkms.schema.KmsSchema;
import org.dirkms.schema.ObjectClassDefinition;
import org.dirkms.schema.ObjectClassNames;

/**
 * The access model of {@link AccessPolicy} (docs/security.md) as slapd access rules
 * ({@code olcAccess}, slapd.access(5)), made from the same constants: the public attributes,
 * the replication bookkeeping, the secret attributes of {@link KmsSchema}, the agent-only
 * attributes, the KMS requests on people, what a user's client makes, and the zones of the tree.
 *
 * <p>slapd evaluates the rules in order: the first {@code to} clause that matches the entry and
 * attribute decides, and in it the first {@code by} clause that matches the client; {@code break}
 * goes on to the next matching {@code to} clause. So the order is: {@code userPassword}; each
 * secret; what anonymous clients may do (public attributes and bookkeeping, nothing else); then
 * the zones, the most specific first, each naming every bound role that may act in it.
 *
 * <p>Privileges (slapd.access(5), "The access clause"): {@code r} read, {@code s} search (use in
 * a filter), {@code c} compare, {@code a}/{@code z} add/delete values, {@code w} both, {@code x}
 * authenticate, {@code d} disclose. A secret is given {@code r} and {@code c} but never {@code s}
 * to the identities that may read it, and nothing to the others, so a filter such as
 * {@code (kmsKeyPackage=*)} is Undefined for everyone but the KMS agents and the replicator
 * (RFC 4511 section 4.5.1.7): it matches nothing and tells nobody who has a package. Secrets are
 * given only over TLS ({@code tls_ssf=128}), as the wire guard of the embedded server does.
 *
 * <p>Identities: the KMS agents, KMS administrators and recovery agents are the members of the
 * role groups ({@code group.exact}, groupOfNames/member); the directory administrator and the
 * replicator are single DNs from {@link OpenLdapSettings}. slapd cannot tell a value that is
 * valid from one that is not, nor count approvals, nor keep an archive record's owner: what the
 * guard's {@code WriteValidator} checks is not here (SECURITY.md, "On OpenLDAP").
 */
public final class OpenLdapAccessRules {

    /** Who may read a secret attribute besides the KMS agents (and the replicator, which copies it). */
    public enum SecretReader {
        /** The entry's own identity, bound as itself. */
        SELF,
        /** Members of {@code cn=KMS Administrators}, but never the directory administrator. */
        KMS_ADMINISTRATOR,
        /** The DN in the entry's {@code kmsRecoveryRequester}. */
        RECOVERY_REQUESTER
    }

    /**
     * The recovery requests and custody sessions recovery agents approve and give shares to:
     * pending ones, and custody sessions the KMS opened without a state yet (docs/custody.md).
     */
    static final String APPROVABLE = "(|(" + RECOVERY_STATE + "=pending)(&(objectClass=" + ObjectClassNames.CUSTODY_SESSION
            + ")(!(" + RECOVERY_STATE + "=*))))";

    /** The least TLS strength (bits) over which a secret is given: any TLS cipher a client negotiates today. */
    static final int SECRET_TLS_SSF = 128;

    private final OpenLdapSettings settings;
    private final DirectoryLayout layout;
    private final String agents;
    private final String administrators;
    private final String recoveryAgents;
    private final String replicator;
    private final String directoryAdministrator;
    private final String tls = "tls_ssf=" + SECRET_TLS_SSF;

    /** Rules for the directory {@code settings} describe. */
    public OpenLdapAccessRules(OpenLdapSettings settings) {
        this.settings = settings;
        this.layout = settings.layout();
        this.agents = "group.exact=" + quoted(layout.kmsAgentsGroup());
        this.administrators = "group.exact=" + quoted(layout.kmsAdministratorsGroup());
        this.recoveryAgents = "group.exact=" + quoted(layout.recoveryAgentsGroup());
        this.replicator = "dn.exact=" + quoted(settings.replicatorDn());
        this.directoryAdministrator = "dn.exact=" + quoted(settings.directoryAdministratorDn());
    }

    /**
     * Who may read the secret {@code attribute} (lower-case name) besides the KMS agents; an
     * empty set for {@code kmsWrappedKey} and for any secret the schema gains later. The
     * counterpart of {@link AccessPolicy#mayRead} for secrets (OpenLdapAccessRulesTest holds
     * them to each other).
     */
    public static Set<SecretReader> readers(String attribute) {
        String name = attribute.toLowerCase(Locale.ROOT);
        if (name.equals(lc(KEY_PACKAGE))) {
            return EnumSet.of(SecretReader.SELF);
        }
        if (name.equals(lc(ENROLLMENT_TOKEN))) {
            return EnumSet.of(SecretReader.KMS_ADMINISTRATOR);
        }
        if (name.equals(lc(RECOVERY_PACKAGE)) || name.equals(lc(RECOVERY_TOKEN))) {
            return EnumSet.of(SecretReader.RECOVERY_REQUESTER);
        }
        return EnumSet.noneOf(SecretReader.class);
    }

    /** The {@code olcAccess} values, in order, without their {@code {N}} (slapd numbers them). */
    public List<String> rules() {
        String suffix = quoted(settings.suffix());
        List<String> rules = new ArrayList<>();

        // Passwords: nobody reads them (binds check them, RFC 4513 section 5.1.1); the owner and
        // the directory administrator change them, but a role holder's only its owner. The
        // replicator copies them to the other providers.
        rules.add(rule("dn.subtree=" + suffix + " attrs=" + USER_PASSWORD,
                // The replicator first: its own entry's password must replicate too.
                replicator + " " + tls + " read", "self =wx", roleHolderTarget() + " =x",
                directoryAdministrator + " =wx", "* =x"));

        // Secrets: the KMS agents and the replicator over TLS, the one reader AccessPolicy names,
        // never in a filter (no 's'), and nothing to anyone else.
        for (String secret : KmsSchema.secretAttributeNames()) {
            List<String> by = new ArrayList<>(List.of(agents + " " + tls + " write", replicator + " " + tls + " read"));
            Set<SecretReader> readers = readers(secret);
            if (!readers.isEmpty()) {
                by.add(directoryAdministrator + " none");
            }
            for (SecretReader reader : readers) {
                by.add(switch (reader) {
                    // The owner deletes their package to confirm the fetch (docs/security.md).
                    case SELF -> "self " + tls + " =rcz";
                    case KMS_ADMINISTRATOR -> administrators + " " + tls + " =rc";
                    // The requester deletes the recovered package, and its token, to confirm the fetch.
                    case RECOVERY_REQUESTER -> "dnattr=" + RECOVERY_REQUESTER + " " + tls + " =rcz";
                });
            }
            by.add("* none");
            rules.add(rule("dn.subtree=" + suffix + " attrs=" + display(secret), by.toArray(String[]::new)));
        }

        // Anonymous clients: the public attributes and the syncrepl bookkeeping, nothing else.
        Set<String> anonymous = new TreeSet<>(AccessPolicy.PUBLIC_ATTRIBUTES);
        anonymous.addAll(AccessPolicy.REPLICATION_BOOKKEEPING);
        rules.add(rule("dn.subtree=" + suffix + " attrs=entry," + names(anonymous), "anonymous =rscd", "* break"));
        rules.add(rule("dn.subtree=" + suffix, "anonymous none", "* break"));

        // ou=Audit: the KMS alone writes the audit anchor.
        rules.add(kmsOnly("dn.subtree=" + quoted(layout.audit())));

        // The key archive is append-only: the agents add records but delete none ('a', no 'z'),
        // and a record's owner is set once.
        rules.add(rule("dn.base=" + quoted(layout.keyArchive()) + " attrs=children", agents + " =rscdxa",
                replicator + " read", "users read"));
        rules.add(rule("dn.one=" + quoted(layout.keyArchive()) + " attrs=entry," + KEY_OWNER, agents + " =rscdxa",
                replicator + " read", "users read"));

        // Recovery requests: a KMS administrator adds one naming themselves as the requester and
        // may withdraw their own; each recovery agent adds or removes their own DN in the
        // approvals of a pending request they did not ask for ('selfwrite'), and their custody
        // share; the KMS writes the rest. Custody sessions are the KMS's but for the approvals
        // and shares (docs/custody.md).
        String requests = quoted(layout.recoveryRequests());
        String requester = administrators + " dnattr=" + RECOVERY_REQUESTER;
        rules.add(rule("dn.base=" + requests + " attrs=children", agents + " write", replicator + " read",
                directoryAdministrator + " read", administrators + " write", "users read"));
        // slapd judges an add by the new entry ('entry') alone, so a KMS administrator could
        // otherwise add a session, or a request carrying a request key of their own choosing to
        // which the recovery agents would seal their shares: the filters look into the new entry.
        rules.add(kmsOnly("dn.one=" + requests + " filter=(objectClass=" + ObjectClassNames.CUSTODY_SESSION
                + ") attrs=entry"));
        rules.add(rule("dn.one=" + requests + " filter=(|(" + REQUEST_KEY + "=*)(" + RECOVERY_SHARE + "=*)) attrs=entry",
                agents + " write", replicator + " read", directoryAdministrator + " read", requester + " =rscdxz",
                "users read"));
        rules.add(rule("dn.one=" + requests + " attrs=entry", agents + " write", replicator + " read",
                directoryAdministrator + " read", requester + " =rscdxw", "users read"));
        // slapd cannot record the requester itself: the administrator names themselves (dnattr
        // refuses any other DN) and the KMS checks it again before it acts.
        Set<String> requestInput = new TreeSet<>(AccessPolicy.RECOVERY_REQUEST_INPUT);
        requestInput.remove(lc(DESCRIPTION));
        requestInput.add(lc(RECOVERY_REQUESTER));
        rules.add(rule("dn.one=" + requests + " attrs=" + names(requestInput), agents + " write",
                replicator + " read", directoryAdministrator + " read", requester + " =rscdxa", "users read"));
        rules.add(rule("dn.one=" + requests + " attrs=" + DESCRIPTION, agents + " write", replicator + " read",
                directoryAdministrator + " read", requester + " write", "users read"));
        rules.add(rule("dn.one=" + requests + " filter=" + APPROVABLE + " attrs=" + RECOVERY_APPROVAL,
                agents + " write", replicator + " read", directoryAdministrator + " read",
                "dnattr=" + RECOVERY_REQUESTER + " read", recoveryAgents + " selfwrite", "users read"));
        // A share is sealed to the request key: slapd cannot tell whose it is, nor refuse a
        // replace (SECURITY.md, "On OpenLDAP"); the KMS counts only shares that open, name an
        // approver and match that agent's share digest.
        rules.add(rule("dn.one=" + requests + " filter=" + APPROVABLE + " attrs=" + RECOVERY_SHARE,
                agents + " write", replicator + " read", directoryAdministrator + " read",
                "dnattr=" + RECOVERY_REQUESTER + " read", recoveryAgents + " write", "users read"));
        rules.add(kmsOnly("dn.subtree=" + requests));

        // Partner trust and administrative groups: KMS administrators, except what the KMS writes.
        for (String zone : List.of(layout.trust(), layout.administrativeGroups())) {
            Set<String> kmsWrites = new TreeSet<>(AccessPolicy.AGENT_ONLY);
            kmsWrites.add(lc(CROSS_CERTIFICATE_PAIR));
            rules.add(kmsOnly("dn.subtree=" + quoted(zone) + " attrs=" + names(kmsWrites)));
            rules.add(rule("dn.subtree=" + quoted(zone), agents + " write", replicator + " read",
                    directoryAdministrator + " read", administrators + " write", "users read"));
        }

        // The rest of ou=KMS, the role groups and the published certificates: the KMS alone.
        rules.add(kmsOnly("dn.subtree=" + quoted(layout.kms())));
        for (String group : List.of(layout.kmsAdministratorsGroup(), layout.recoveryAgentsGroup(),
                layout.kmsAgentsGroup())) {
            rules.add(kmsOnly("dn.base=" + quoted(group)));
        }
        rules.add(kmsOnly("dn.subtree=" + suffix + " filter=(objectClass=" + ObjectClassNames.PUBLISHED_CERTIFICATE
                + ")"));
        rules.add(kmsOnly("dn.subtree=" + suffix + " attrs=" + names(AccessPolicy.AGENT_ONLY)));
        rules.add(kmsOnly("dn.subtree=" + suffix + " filter=(objectClass=" + ObjectClassNames.KMS_USER + ") attrs="
                + USER_CERTIFICATE + "," + USER_SMIME_CERTIFICATE));

        // People: KMS administrators write the KMS requests and enroll (objectClass kmsUser); a
        // user writes what their own client made; every other KMS attribute and class is the KMS's.
        rules.add(rule("dn.subtree=" + suffix + " attrs=" + names(AccessPolicy.KMS_REQUESTS), agents + " write",
                replicator + " read", directoryAdministrator + " read", administrators + " write", "users read"));
        rules.add(rule("dn.subtree=" + suffix + " attrs=" + names(AccessPolicy.CLIENT_MADE), agents + " write",
                replicator + " read", "self write", "users read"));
        rules.add(rule("dn.subtree=" + suffix + " attrs=" + OBJECT_CLASS + " val=" + ObjectClassNames.KMS_USER,
                agents + " write", replicator + " read", directoryAdministrator + " read", administrators + " write",
                "users read"));
        for (ObjectClassDefinition kmsClass : KmsSchema.objectClasses()) {
            if (!kmsClass.name().equals(ObjectClassNames.KMS_USER)) {
                rules.add(kmsOnly("dn.subtree=" + suffix + " attrs=" + OBJECT_CLASS + " val=" + kmsClass.name()));
            }
        }
        Set<String> otherKmsAttributes = KmsSchema.attributeTypes().stream().map(AttributeTypeDefinition::name)
                .map(OpenLdapAccessRules::lc).filter(name -> !AccessPolicy.isSecret(name)
                        && !AccessPolicy.KMS_REQUESTS.contains(name) && !AccessPolicy.CLIENT_MADE.contains(name)
                        && !AccessPolicy.AGENT_ONLY.contains(name))
                .collect(Collectors.toCollection(TreeSet::new));
        rules.add(kmsOnly("dn.subtree=" + suffix + " attrs=" + names(otherKmsAttributes)));

        // The directory administrator owns identities: object classes, addresses, certificates of
        // people who are not KMS users (with their owners), entries; but the tree's structure and
        // the entries of role holders are not theirs to remove or rename.
        rules.add(rule("dn.subtree=" + suffix + " attrs=" + OBJECT_CLASS + "," + MAIL, agents + " write",
                replicator + " read", directoryAdministrator + " write", "users read"));
        rules.add(rule("dn.subtree=" + suffix + " attrs=" + USER_CERTIFICATE + "," + USER_SMIME_CERTIFICATE,
                agents + " write", replicator + " read", "self write", directoryAdministrator + " write",
                "users read"));
        for (String structural : List.of(settings.suffix(), layout.people(), layout.groups())) {
            rules.add(kmsOnly("dn.base=" + quoted(structural) + " attrs=entry"));
        }
        rules.add(rule("dn.subtree=" + suffix + " attrs=entry", agents + " write", replicator + " read",
                roleHolderTarget() + " read", directoryAdministrator + " write", "users read"));
        rules.add(rule("dn.subtree=" + suffix, agents + " write", replicator + " read", "self write",
                directoryAdministrator + " write", "users read"));
        return List.copyOf(rules);
    }

    /** A rule the KMS agents write, the replicator and every bound identity read. */
    private String kmsOnly(String what) {
        return rule(what, agents + " write", replicator + " read", "users read");
    }

    /** A {@code by} clause matching whoever asks when the target entry is a member of a role group. */
    private String roleHolderTarget() {
        return "set=\"this & ([" + layout.kmsAgentsGroup() + "]/member | [" + layout.kmsAdministratorsGroup()
                + "]/member | [" + layout.recoveryAgentsGroup() + "]/member)\"";
    }

    private static String rule(String what, String... by) {
        return "to " + what + Stream.of(by).map(clause -> " by " + clause).collect(Collectors.joining());
    }

    private static String names(Set<String> lowerCaseNames) {
        return lowerCaseNames.stream().sorted().map(OpenLdapAccessRules::display).collect(Collectors.joining(","));
    }

    /** The schema's spelling of a lower-case attribute name (slapd does not care; readers do). */
    private static String display(String name) {
        return KmsSchema.attributeType(name).map(AttributeTypeDefinition::name).orElse(
                Stream.of(OBJECT_CLASS, CN, SN, UID, OU, DC, DESCRIPTION, MAIL, USER_CERTIFICATE, USER_SMIME_CERTIFICATE,
                        CA_CERTIFICATE, CERTIFICATE_REVOCATION_LIST, AUTHORITY_REVOCATION_LIST, DELTA_REVOCATION_LIST,
                        CROSS_CERTIFICATE_PAIR, "givenName", "displayName", "entryCSN", "entryUUID")
                        .filter(n -> n.equalsIgnoreCase(name)).findFirst().orElse(name));
    }

    static String quoted(String dn) {
        if (dn.indexOf('"') >= 0) {
            throw new IllegalArgumentException("a DN with a double quote cannot be written in an access rule: " + dn);
        }
        return "\"" + dn + "\"";
    }

    private static String lc(String name) {
        return name.toLowerCase(Locale.ROOT);
    }
}
