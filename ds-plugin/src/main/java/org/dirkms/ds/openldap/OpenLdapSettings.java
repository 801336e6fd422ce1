package org.dirkms.ds.openldap;

import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalInt;

import org.apache.directory.api.ldap.model.exception.LdapInvalidDnException;
import org.apache.directory.api.ldap.model.name.Dn;
import org.dirkms.schema.DirectoryLayout;

/**
 * What {@link OpenLdapConfiguration} writes a slapd configuration for: the suffix, the
 * identities the access rules name, where the database lives, and, for multi-provider
 * replication, this server's id and its peers. Validated when made: every DN parses, the agent,
 * replicator and directory administrator are below the suffix, and replication settings come
 * together.
 *
 * @param suffix                 the suffix of the KMS directory, e.g. {@code dc=example,dc=com}
 * @param agentDn                the KMS agent's identity (a member of every role group), below the suffix
 * @param directoryAdministratorDn the identity that manages people (names, addresses, passwords)
 *                               and holds no KMS role: what {@code uid=admin,ou=system} is on the
 *                               embedded server
 * @param rootDn                 the database's {@code olcRootDN}: slapd lets it past every access
 *                               rule, so by default it is the host's root over {@code ldapi://}
 *                               ({@link #LDAPI_ROOT}), which has no password at all
 * @param databaseNumber         the {@code {N}} of {@code olcDatabase={N}mdb}: the next free
 *                               number of the server's cn=config (2 on a Debian install, after
 *                               {@code {1}mdb})
 * @param databaseDirectory      the mdb folder ({@code olcDbDirectory}), made and owned by the
 *                               slapd user beforehand
 * @param serverId               this provider's {@code olcServerID} (1 to 4095) when replicated
 * @param peers                  the LDAP URLs of the other providers (StartTLS is required)
 * @param peerCaCertificate      the file (on the slapd host) of the CA that issued the peers' TLS
 *                               certificates, for {@code tls_cacert} of each {@code olcSyncrepl}
 */
public record OpenLdapSettings(String suffix, String agentDn, String directoryAdministratorDn, String rootDn,
        int databaseNumber, String databaseDirectory, OptionalInt serverId, List<String> peers,
        Optional<String> peerCaCertificate) {

    /** The root of the slapd host over {@code ldapi://} with SASL EXTERNAL: no password exists for it. */
    public static final String LDAPI_ROOT = "gidNumber=0+uidNumber=0,cn=peercred,cn=external,cn=auth";

    /** Where the database lives unless told otherwise. */
    public static final String DEFAULT_DATABASE_DIRECTORY = "/var/lib/ldap/dirkms";

    /** The database number unless told otherwise: after Debian's own {@code {1}mdb}. */
    public static final int DEFAULT_DATABASE_NUMBER = 2;

    /** Validates the settings; an {@link IllegalArgumentException}'s message names the setting at fault. */
    public OpenLdapSettings {
        peers = List.copyOf(peers);
        Dn suffixDn = dn("suffix", suffix);
        for (String[] below : new String[][] {{"agent DN", agentDn}, {"directory administrator DN",
                directoryAdministratorDn}}) {
            Dn dn = dn(below[0], below[1]);
            if (!dn.isDescendantOf(suffixDn) || dn.equals(suffixDn)) {
                throw new IllegalArgumentException("the " + below[0] + " '" + below[1] + "' is not below the suffix '"
                        + suffix + "'");
            }
        }
        dn("root DN", rootDn);
        if (databaseNumber < 1 || databaseNumber > 99) {
            throw new IllegalArgumentException("the database number is 1 to 99 (the {N} of olcDatabase={N}mdb), not "
                    + databaseNumber);
        }
        if (databaseDirectory.isBlank() || !databaseDirectory.startsWith("/")) {
            throw new IllegalArgumentException("the database directory must be an absolute path, not '"
                    + databaseDirectory + "'");
        }
        if (serverId.isPresent() != !peers.isEmpty()) {
            throw new IllegalArgumentException(serverId.isPresent()
                    ? "a server id needs at least one peer: the URL of another provider"
                    : "peers need this server's id (1 to 4095)");
        }
        if (serverId.isPresent() && (serverId.getAsInt() < 1 || serverId.getAsInt() > 4095)) {
            throw new IllegalArgumentException("the server id is 1 to 4095 (olcServerID), not " + serverId.getAsInt());
        }
        for (String peer : peers) {
            String lower = peer.toLowerCase(Locale.ROOT);
            if (!lower.startsWith("ldap://") || peer.chars().anyMatch(c -> c <= ' ' || c == '"' || c == '\\')) {
                throw new IllegalArgumentException("the peer '" + peer + "' is not an ldap://HOST:PORT URL (replication"
                        + " runs over StartTLS)");
            }
        }
        if (!peers.isEmpty() && peerCaCertificate.isEmpty()) {
            throw new IllegalArgumentException("peers need the CA certificate file that verifies their TLS certificates");
        }
    }

    /**
     * The settings of a single provider with the defaults: the database number, its folder and
     * the host's root as the root DN.
     */
    public static OpenLdapSettings of(String suffix, String agentDn) {
        return new OpenLdapSettings(suffix, agentDn, defaultDirectoryAdministrator(suffix), LDAPI_ROOT,
                DEFAULT_DATABASE_NUMBER, DEFAULT_DATABASE_DIRECTORY, OptionalInt.empty(), List.of(), Optional.empty());
    }

    /** The directory administrator unless told otherwise: {@code cn=directory-admin,<suffix>}. */
    public static String defaultDirectoryAdministrator(String suffix) {
        return "cn=directory-admin," + suffix;
    }

    /** The tree below the suffix. */
    public DirectoryLayout layout() {
        return new DirectoryLayout(suffix);
    }

    /** The identity the providers replicate each other as: {@code cn=replicator,ou=KMS,<suffix>}. */
    public String replicatorDn() {
        return "cn=replicator," + layout().kms();
    }

    /** Whether this is one of several providers replicating each other. */
    public boolean replicated() {
        return serverId.isPresent();
    }

    /** These settings with another database number, folder and root DN (a test server's). */
    public OpenLdapSettings withDatabase(int number, String directory, String root) {
        return new OpenLdapSettings(suffix, agentDn, directoryAdministratorDn, root, number, directory, serverId, peers,
                peerCaCertificate);
    }

    /** These settings replicating with {@code peerUrls} as provider {@code id}. */
    public OpenLdapSettings withReplication(int id, List<String> peerUrls, String caCertificateFile) {
        return new OpenLdapSettings(suffix, agentDn, directoryAdministratorDn, rootDn, databaseNumber,
                databaseDirectory, OptionalInt.of(id), peerUrls, Optional.of(caCertificateFile));
    }

    private static Dn dn(String what, String value) {
        try {
            if (value == null || value.isBlank()) {
                throw new IllegalArgumentException("the " + what + " is empty");
            }
            return new Dn(value);
        } catch (LdapInvalidDnException e) {
            throw new IllegalArgumentException("the " + what + " '" + value + "' is not a DN (RFC 4514)");
        }
    }
}
