package org.dirkms.ds.openldap;

import static org.dirkms.schema.AttributeNames.*;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

import org.apache.directory.api.ldap.model.entry.Attribute;
import org.apache.directory.api.ldap.model.entry.DefaultEntry;
import org.apache.directory.api.ldap.model.entry.Entry;
import org.apache.directory.api.ldap.model.entry.Value;
import org.apache.directory.api.ldap.model.exception.LdapException;
import org.apache.directory.api.ldap.model.ldif.LdifEntry;
import org.apache.directory.api.ldap.model.ldif.LdifReader;
import org.apache.directory.api.ldap.model.ldif.LdifUtils;
import org.apache.directory.api.ldap.model.name.Ava;
import org.apache.directory.api.ldap.model.name.Dn;
import org.dirkms.ds.server.BootstrapLdif;
import org.dirkms.ds.server.DirectoryServer;
import org.dirkms.schema.DirectoryLayout;
import org.dirkms.schema.KmsSchema;
import org.dirkms.schema.SchemaForms;

/**
 * The slapd configuration of a KMS directory, as the LDIF files an integrator loads into an
 * OpenLDAP 2.5 server ({@code dirkms openldap config}): the KMS schema, the mdb database with the
 * syncprov overlay, its indexes, limits and {@link OpenLdapAccessRules access rules} (and, for
 * multi-provider replication, its {@code olcSyncrepl} per peer), and the bootstrap tree of
 * {@code ldif/bootstrap} for the suffix with the agent, directory administrator and replicator
 * identities. Nothing here needs slapd installed; {@link #files()} is the whole output, in
 * loading order, with a {@code README.txt} saying how.
 *
 * <p>Passwords given in {@link IdentityPasswords} go into the bootstrap as salted SHA-1 hashes
 * ({@code {SSHA}}, the scheme slapd checks without a module); the replicator's also in clear in
 * {@code olcSyncrepl}'s {@code credentials}, where slapd needs it to bind to the peers, so the
 * files are written mode 0600.
 */
public final class OpenLdapConfiguration {

    /** The schema file: {@code cn=dirkms,cn=schema,cn=config}. */
    public static final String SCHEMA_FILE = "01-schema.ldif";
    /** The module list that loads the syncprov overlay. */
    public static final String MODULE_FILE = "02-modules.ldif";
    /** The server id, a modify of {@code cn=config} (replicated servers only). */
    public static final String SERVER_ID_FILE = "03-server-id.ldif";
    /** The database and its syncprov overlay. */
    public static final String DATABASE_FILE = "10-database.ldif";
    /** The bootstrap tree for the suffix. */
    public static final String BOOTSTRAP_FILE = "20-bootstrap.ldif";
    /** What to load in which order. */
    public static final String README_FILE = "README.txt";

    /** The largest the database may grow, in bytes ({@code olcDbMaxSize}; the map file is sparse). */
    static final long DATABASE_MAX_SIZE = 4L << 30;

    /** Where the agents' searches need indexes beyond equality. */
    private static final Map<String, String> INDEX_KINDS = Map.of(CN.toLowerCase(Locale.ROOT), "eq,sub",
            MAIL.toLowerCase(Locale.ROOT), "eq,sub", ENROLLMENT_STATE.toLowerCase(Locale.ROOT), "eq,pres");

    /**
     * The passwords of the identities the configuration creates, each optional: a missing one
     * is set afterwards with {@code ldappasswd}. The replicator's is needed when replicated.
     * Never printed: {@link #toString()} names which are present only.
     *
     * @param agent                  the KMS agent's
     * @param directoryAdministrator the directory administrator's
     * @param replicator             the replicator's
     */
    public record IdentityPasswords(Optional<String> agent, Optional<String> directoryAdministrator,
            Optional<String> replicator) {

        /** No password at all. */
        public static IdentityPasswords none() {
            return new IdentityPasswords(Optional.empty(), Optional.empty(), Optional.empty());
        }

        @Override
        public String toString() {
            return "IdentityPasswords[agent=" + agent.isPresent() + ", directoryAdministrator="
                    + directoryAdministrator.isPresent() + ", replicator=" + replicator.isPresent() + "]";
        }
    }

    private final OpenLdapSettings settings;
    private final IdentityPasswords passwords;
    private final SecureRandom random;

    /**
     * @param settings  what the configuration is for
     * @param passwords the identities' passwords; the replicator's is required when replicated
     *                  and may hold no double quote or backslash (it is quoted in {@code olcSyncrepl})
     * @param random    draws the salts of the password hashes
     */
    public OpenLdapConfiguration(OpenLdapSettings settings, IdentityPasswords passwords, SecureRandom random) {
        if (settings.replicated() && passwords.replicator().isEmpty()) {
            throw new IllegalArgumentException("a replicated server needs the replicator's password: the providers bind"
                    + " to each other as " + settings.replicatorDn());
        }
        passwords.replicator().ifPresent(password -> {
            if (password.chars().anyMatch(c -> c == '"' || c == '\\' || c < ' ')) {
                throw new IllegalArgumentException("the replicator's password may hold no double quote, backslash or"
                        + " control character (slapd reads it quoted in olcSyncrepl)");
            }
        });
        this.settings = settings;
        this.passwords = passwords;
        this.random = random;
    }

    /** Every file by its name, in loading order (the order of {@link #README_FILE}'s steps). */
    public Map<String, String> files() throws IOException {
        Map<String, String> files = new LinkedHashMap<>();
        files.put(SCHEMA_FILE, SchemaForms.openLdapConfig());
        files.put(MODULE_FILE, moduleLdif());
        if (settings.replicated()) {
            files.put(SERVER_ID_FILE, serverIdLdif());
        }
        files.put(DATABASE_FILE, databaseLdif());
        files.put(BOOTSTRAP_FILE, bootstrapLdif());
        files.put(README_FILE, readme());
        return files;
    }

    /**
     * Writes {@link #files()} into {@code folder} (made when missing, mode 0700), each file mode
     * 0600; refuses a folder that already holds any of them, so nothing is overwritten.
     *
     * @return the files written
     */
    public List<Path> write(Path folder) throws IOException {
        Map<String, String> files = files();
        for (String name : files.keySet()) {
            if (Files.exists(folder.resolve(name))) {
                throw new IllegalArgumentException(folder.resolve(name) + " exists: give an empty or new folder"
                        + " (nothing was written)");
            }
        }
        if (!Files.isDirectory(folder)) {
            Files.createDirectories(folder, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(
                    "rwx------")));
        }
        List<Path> written = new ArrayList<>();
        for (Map.Entry<String, String> file : files.entrySet()) {
            Path path = folder.resolve(file.getKey());
            Files.createFile(path, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(path, file.getValue(), StandardCharsets.UTF_8, StandardOpenOption.TRUNCATE_EXISTING);
            written.add(path);
        }
        return written;
    }

    /** The {@code olcDatabase={N}mdb} entry's DN. */
    public String databaseDn() {
        return "olcDatabase={" + settings.databaseNumber() + "}mdb,cn=config";
    }

    private String moduleLdif() {
        return "# dirkms: the syncprov overlay (RFC 4533 provider), loaded as a module as Debian builds it.\n"
                + "# back_mdb is loaded by Debian's own cn=module{0}; add 'olcModuleLoad: back_mdb' here if not.\n"
                + "dn: cn=module,cn=config\nobjectClass: olcModuleList\ncn: module\n"
                + "olcModulePath: /usr/lib/ldap\nolcModuleLoad: syncprov\n";
    }

    private String serverIdLdif() {
        return "# dirkms: this provider's id among the providers replicating " + settings.suffix() + "\n"
                + "dn: cn=config\nchangetype: modify\nreplace: olcServerID\nolcServerID: "
                + settings.serverId().getAsInt() + "\n";
    }

    /** The database, its indexes, limits, access rules and replication, and the syncprov overlay. */
    String databaseLdif() {
        String number = "{" + settings.databaseNumber() + "}";
        StringBuilder ldif = new StringBuilder();
        ldif.append("# dirkms: the database of ").append(settings.suffix()).append(", written by 'dirkms openldap config'.\n");
        ldif.append("dn: ").append(databaseDn()).append('\n');
        ldif.append("objectClass: olcDatabaseConfig\nobjectClass: olcMdbConfig\n");
        ldif.append("olcDatabase: ").append(number).append("mdb\n");
        ldif.append("olcSuffix: ").append(settings.suffix()).append('\n');
        ldif.append("olcRootDN: ").append(settings.rootDn()).append('\n');
        ldif.append("olcDbDirectory: ").append(settings.databaseDirectory()).append('\n');
        ldif.append("olcDbMaxSize: ").append(DATABASE_MAX_SIZE).append('\n');
        for (String attribute : indexedAttributes()) {
            ldif.append("olcDbIndex: ").append(attribute).append(' ')
                    .append(INDEX_KINDS.getOrDefault(attribute.toLowerCase(Locale.ROOT), "eq")).append('\n');
        }
        ldif.append("olcDbIndex: ").append(CLAIMED_BY).append(" pres\n");
        // Binds with a password need TLS (RFC 4513 section 6.3.1), as on the embedded server.
        ldif.append("olcSecurity: simple_bind=").append(OpenLdapAccessRules.SECRET_TLS_SSF).append('\n');
        DirectoryLayout layout = settings.layout();
        // The agents' searches are never cut; anonymous ones return at most the guard's cap.
        ldif.append("olcLimits: dn.exact=").append(OpenLdapAccessRules.quoted(settings.agentDn()))
                .append(" size=unlimited time=unlimited\n");
        ldif.append("olcLimits: group/groupOfNames/member=").append(OpenLdapAccessRules.quoted(layout.kmsAgentsGroup()))
                .append(" size=unlimited time=unlimited\n");
        ldif.append("olcLimits: dn.exact=").append(OpenLdapAccessRules.quoted(settings.replicatorDn()))
                .append(" size=unlimited time=unlimited\n");
        ldif.append("olcLimits: anonymous size=").append(org.dirkms.ds.guard.AccessPolicy.ANONYMOUS_SIZE_LIMIT)
                .append('\n');
        ldif.append("olcLimits: users size=unlimited time=unlimited\n");
        for (String rule : new OpenLdapAccessRules(settings).rules()) {
            ldif.append("olcAccess: ").append(rule).append('\n');
        }
        if (settings.replicated()) {
            int rid = 1;
            for (String peer : settings.peers()) {
                ldif.append("olcSyncrepl: rid=").append(String.format(Locale.ROOT, "%03d", rid++))
                        .append(" provider=").append(peer)
                        .append(" bindmethod=simple binddn=").append(OpenLdapAccessRules.quoted(settings.replicatorDn()))
                        .append(" credentials=\"").append(passwords.replicator().orElseThrow()).append('"')
                        .append(" searchbase=").append(OpenLdapAccessRules.quoted(settings.suffix()))
                        .append(" type=refreshAndPersist retry=\"1 10 5 +\" timeout=5 network-timeout=5")
                        .append(" starttls=critical tls_reqcert=demand tls_cacert=")
                        .append(OpenLdapAccessRules.quoted(settings.peerCaCertificate().orElseThrow())).append('\n');
            }
            ldif.append("olcMultiProvider: TRUE\n");
        }
        ldif.append('\n');
        ldif.append("dn: olcOverlay={0}syncprov,").append(databaseDn()).append('\n');
        ldif.append("objectClass: olcOverlayConfig\nobjectClass: olcSyncProvConfig\nolcOverlay: {0}syncprov\n");
        // A checkpoint of the contextCSN every 100 writes or 10 minutes, and a session log so
        // that a consumer a little behind gets the deletes it missed without a full refresh.
        ldif.append("olcSpCheckpoint: 100 10\nolcSpSessionLog: 10000\n");
        return ldif.toString();
    }

    /** The attributes the embedded server indexes, which the agents' filters test. */
    static List<String> indexedAttributes() {
        return DirectoryServer.INDEXED_ATTRIBUTES;
    }

    /** The bootstrap tree with the agent, directory administrator and replicator identities. */
    String bootstrapLdif() throws IOException {
        DirectoryLayout layout = settings.layout();
        String agent = settings.agentDn();
        StringBuilder ldif = new StringBuilder("# dirkms: the tree of " + settings.suffix()
                + ", from ldif/bootstrap, written by 'dirkms openldap config'.\n"
                + "# Load it with slapadd -b '" + settings.suffix() + "' before slapd starts, or with ldapadd as the"
                + " database's root DN.\n\n");
        try {
            String defaultAgent = new Dn(layout.kmsAgentIdentity()).getNormName();
            for (String text : BootstrapLdif.texts(settings.suffix())) {
                try (LdifReader reader = new LdifReader()) {
                    for (LdifEntry record : reader.parseLdif(text)) {
                        Entry entry = record.getEntry();
                        if (entry.getDn().getNormName().equals(defaultAgent)) {
                            entry = identity(agent, "KMS agent", "the KMS agent", passwords.agent());
                        } else {
                            replaceValues(entry, layout.kmsAgentIdentity(), agent);
                        }
                        ldif.append(LdifUtils.convertToLdif(entry, 100)).append('\n');
                    }
                }
            }
            ldif.append(LdifUtils.convertToLdif(identity(settings.directoryAdministratorDn(), "directory administrator",
                    "manages people, names, addresses and passwords; holds no KMS role",
                    passwords.directoryAdministrator()), 100)).append('\n');
            ldif.append(LdifUtils.convertToLdif(identity(settings.replicatorDn(), "replicator",
                    "the providers of " + settings.suffix() + " replicate each other as this identity",
                    passwords.replicator()), 100));
        } catch (LdapException e) {
            throw new IOException("cannot write the bootstrap LDIF for " + settings.suffix() + ": " + e.getMessage(), e);
        }
        return ldif.toString();
    }

    /** A person entry for an identity: its RDN is a cn or a uid. */
    private Entry identity(String dn, String name, String description, Optional<String> password)
            throws LdapException {
        Dn parsed = new Dn(dn);
        Ava rdn = parsed.getRdn().getAva();
        String type = rdn.getType().toLowerCase(Locale.ROOT);
        if (!type.equals("cn") && !type.equals("uid")) {
            throw new IllegalArgumentException("the identity '" + dn + "' must be named by cn= or uid=");
        }
        Entry entry = new DefaultEntry(parsed);
        entry.add(OBJECT_CLASS, "top", "person", "organizationalPerson", "inetOrgPerson");
        entry.add(type, rdn.getValue().getString());
        if (!type.equals("cn")) {
            entry.add(CN, name);
        }
        entry.add(SN, name);
        entry.add(DESCRIPTION, description);
        if (password.isPresent()) {
            entry.add(USER_PASSWORD, ssha(password.get()).getBytes(StandardCharsets.UTF_8));
        }
        return entry;
    }

    private static void replaceValues(Entry entry, String from, String to) throws LdapException {
        String normalised = new Dn(from).getNormName();
        for (Attribute attribute : new ArrayList<>(entry.getAttributes())) {
            List<String> values = new ArrayList<>();
            boolean changed = false;
            for (Value value : attribute) {
                if (value.isHumanReadable() && isDn(value.getString(), normalised)) {
                    values.add(to);
                    changed = true;
                } else {
                    values.add(value.getString());
                }
            }
            if (changed) {
                entry.removeAttributes(attribute.getUpId());
                entry.add(attribute.getUpId(), values.toArray(String[]::new));
            }
        }
    }

    private static boolean isDn(String value, String normalised) {
        try {
            return new Dn(value).getNormName().equals(normalised);
        } catch (LdapException e) {
            return false;
        }
    }

    /** A salted SHA-1 password hash as slapd reads it ({@code {SSHA}}, slappasswd(8)). */
    String ssha(String password) {
        byte[] salt = new byte[8];
        random.nextBytes(salt);
        try {
            MessageDigest sha1 = MessageDigest.getInstance("SHA-1");
            sha1.update(password.getBytes(StandardCharsets.UTF_8));
            sha1.update(salt);
            byte[] digest = sha1.digest();
            byte[] hashAndSalt = new byte[digest.length + salt.length];
            System.arraycopy(digest, 0, hashAndSalt, 0, digest.length);
            System.arraycopy(salt, 0, hashAndSalt, digest.length, salt.length);
            return "{SSHA}" + Base64.getEncoder().encodeToString(hashAndSalt);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-1", e);
        }
    }

    private String readme() {
        String suffix = settings.suffix();
        StringBuilder text = new StringBuilder();
        text.append("dirkms on OpenLDAP: the configuration of ").append(suffix).append("\n\n");
        text.append("Written by 'dirkms openldap config' for slapd 2.5 with cn=config (Debian's layout: modules in\n"
                + "/usr/lib/ldap, the core, cosine and inetorgperson schemas loaded). The files are mode 0600:\n"
                + (passwords.replicator().isPresent() ? "10-database.ldif holds the replicator's password.\n"
                        : "they hold password hashes.\n")
                + "\nBefore: slapd has TLS (olcTLSCertificateFile, olcTLSCertificateKeyFile, olcTLSCACertificateFile\n"
                + "in cn=config): binds with a password and every secret attribute need it. Make the database\n"
                + "folder, owned by the slapd user:\n\n"
                + "  install -d -o openldap -g openldap -m 0700 " + settings.databaseDirectory() + "\n\n"
                + "Load, in this order, as root on the slapd host (slapd running):\n\n");
        int step = 1;
        text.append("  ").append(step++).append(". ldapadd -Y EXTERNAL -H ldapi:/// -f ").append(SCHEMA_FILE)
                .append("      the KMS schema (cn=dirkms,cn=schema,cn=config)\n");
        text.append("  ").append(step++).append(". ldapadd -Y EXTERNAL -H ldapi:/// -f ").append(MODULE_FILE)
                .append("     the syncprov overlay module (skip if syncprov is loaded already)\n");
        if (settings.replicated()) {
            text.append("  ").append(step++).append(". ldapmodify -Y EXTERNAL -H ldapi:/// -f ").append(SERVER_ID_FILE)
                    .append("  this provider's olcServerID (").append(settings.serverId().getAsInt()).append(")\n");
        }
        text.append("  ").append(step++).append(". ldapadd -Y EXTERNAL -H ldapi:/// -f ").append(DATABASE_FILE)
                .append("    the database ").append(databaseDn()).append(" with syncprov,\n")
                .append("     indexes, limits and access rules")
                .append(settings.replicated() ? ", and syncrepl from each peer" : "").append('\n');
        text.append("  ").append(step).append(". ldapadd -Y EXTERNAL -H ldapi:/// -f ").append(BOOTSTRAP_FILE)
                .append("   the tree, the role groups and the identities\n");
        if (settings.replicated()) {
            text.append("     (on one provider only: the others receive it by replication)\n");
        }
        text.append("\nOffline, before the first start, the same files load with slapadd:\n\n")
                .append("  slapadd -n0 -F /etc/ldap/slapd.d -l FILE     for ").append(SCHEMA_FILE).append(", ")
                .append(MODULE_FILE).append(" and ").append(DATABASE_FILE).append('\n')
                .append("  slapadd -F /etc/ldap/slapd.d -b \"").append(suffix).append("\" -l ").append(BOOTSTRAP_FILE)
                .append("\n  chown -R openldap:openldap /etc/ldap/slapd.d ").append(settings.databaseDirectory())
                .append("\n\n");
        if (settings.replicated()) {
            text.append("(slapadd only adds entries: put olcServerID: ").append(settings.serverId().getAsInt())
                    .append(" into cn=config by hand.)\n\n");
        }
        text.append("The database number {").append(settings.databaseNumber()).append("} must be the next free one:\n\n"
                + "  ldapsearch -Y EXTERNAL -H ldapi:/// -b cn=config '(olcDatabase=*)' dn\n\n"
                + "(change it with --database-number). olcRootDN is\n  ").append(settings.rootDn()).append("\n"
                + "slapd lets it past every access rule, so it is the host's root over ldapi:// and has no password.\n\n");
        text.append("Identities (set missing passwords with 'ldappasswd -Y EXTERNAL -H ldapi:/// -S DN'):\n"
                + "  KMS agent:               ").append(settings.agentDn()).append(passwordNote(passwords.agent()))
                .append("\n  directory administrator: ").append(settings.directoryAdministratorDn())
                .append(passwordNote(passwords.directoryAdministrator()))
                .append("\n  replicator:              ").append(settings.replicatorDn())
                .append(passwordNote(passwords.replicator())).append("\n\n");
        text.append("Then run the KMS agent against it:\n\n  dirkms agent --url ldap://HOST:389 --suffix '").append(suffix)
                .append("' --bind-dn '").append(settings.agentDn()).append("' \\\n      --password-file FILE"
                        + " --ca-cert SLAPD-CA.pem\n\n");
        text.append("What slapd's access rules cannot enforce, and what the agent checks instead: SECURITY.md,\n"
                + "\"On OpenLDAP\". The access rules are generated from the same policy as the embedded server's\n"
                + "guard (docs/security.md).\n");
        return text.toString();
    }

    private static String passwordNote(Optional<String> password) {
        return password.isPresent() ? " (password set, hashed)" : " (no password yet)";
    }

    /** The number of secret attributes the rules protect, for the command's summary. */
    public static int secretAttributeCount() {
        return KmsSchema.secretAttributeNames().size();
    }
}
