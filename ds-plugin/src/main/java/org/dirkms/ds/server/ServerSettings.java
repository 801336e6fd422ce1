package org.dirkms.ds.server;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.util.Objects;

import org.apache.directory.api.ldap.model.exception.LdapInvalidDnException;
import org.apache.directory.api.ldap.model.name.Dn;
import org.dirkms.schema.DataFolder;
import org.dirkms.schema.DirectoryLayout;

/**
 * The only file-free configuration of the embedded server: where its data lives, where it
 * listens and which suffix it serves. Everything else (groups, CAs, templates) lives in the
 * directory itself.
 *
 * @param dataDirectory   folder holding partitions, credentials, TLS material and the audit log;
 *                        kept across restarts
 * @param bindAddress     the one address both listeners bind to (loopback by default)
 * @param ldapPort        port of the LDAP (StartTLS-capable) listener; 0 picks a free port
 * @param ldapsPort       port of the LDAPS listener; 0 picks a free port
 * @param suffix          the naming context served, e.g. {@code dc=example,dc=com}
 * @param anonymousAccess whether anonymous binds may search (the guard still hides secrets)
 * @param kmsGuard        whether the KMS interceptor and wire guard are installed; false only for
 *                        the benchmark measuring their cost
 * @param searchSizeLimit the most entries one search by a non-administrator returns (ApacheDS'
 *                        maxSizeLimit, counted over all pages of a paged search); 0, the default,
 *                        for no limit, so that the KMS agent reconciles the whole tree in one
 *                        search (anonymous searches are capped by the guard regardless)
 * @param plainBinds      whether binds with a password are accepted on connections without
 *                        TLS; off by default (the password would cross the network in clear),
 *                        allowed only on a loopback address, for labs
 * @param acceptBrokenAuditLog the operator's explicit acceptance, for this start, of an audit log
 *                        that does not match its anchor: it is set aside and a new, audited chain
 *                        begins (see {@link org.dirkms.ds.audit.AuditStartCheck}); false by default,
 *                        and a start with it over a sound log is refused
 */
public record ServerSettings(Path dataDirectory, String bindAddress, int ldapPort, int ldapsPort, String suffix,
        boolean anonymousAccess, boolean kmsGuard, int searchSizeLimit, boolean plainBinds,
        boolean acceptBrokenAuditLog) {

    /** The default bind address: loopback only, so a fresh install exposes nothing. */
    public static final String DEFAULT_BIND_ADDRESS = "127.0.0.1";
    /** The default LDAP port (unprivileged, as ApacheDS uses). */
    public static final int DEFAULT_LDAP_PORT = 10389;
    /** The default LDAPS port. */
    public static final int DEFAULT_LDAPS_PORT = 10636;

    /**
     * Validates the settings.
     *
     * @throws IllegalArgumentException naming the setting at fault and what would be accepted
     */
    public ServerSettings {
        Objects.requireNonNull(dataDirectory, "dataDirectory");
        if (bindAddress == null || bindAddress.isBlank()) {
            throw new IllegalArgumentException("bind address is required, e.g. " + DEFAULT_BIND_ADDRESS);
        }
        if (bindAddress.indexOf(':') < 0 && !isIpv4Literal(bindAddress)) {
            // A host name would make the listener depend on name resolution at every start.
            throw new IllegalArgumentException("bind address '" + bindAddress
                    + "' must be an IP address literal, e.g. " + DEFAULT_BIND_ADDRESS);
        }
        try {
            // Only literals reach this point, so no name is ever looked up.
            InetAddress.getByName(bindAddress);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("bind address '" + bindAddress + "' is not a valid IP address", e);
        }
        checkPort("LDAP", ldapPort);
        checkPort("LDAPS", ldapsPort);
        if (ldapPort != 0 && ldapPort == ldapsPort) {
            throw new IllegalArgumentException("LDAP and LDAPS ports must differ (both " + ldapPort + ")");
        }
        if (suffix == null || suffix.isBlank()) {
            throw new IllegalArgumentException("suffix is required, e.g. " + DirectoryLayout.DEFAULT_SUFFIX);
        }
        try {
            if (new Dn(suffix).isEmpty()) {
                throw new IllegalArgumentException("suffix must not be the empty DN");
            }
        } catch (LdapInvalidDnException e) {
            throw new IllegalArgumentException("suffix '" + suffix + "' is not a valid DN, e.g. "
                    + DirectoryLayout.DEFAULT_SUFFIX, e);
        }
        if (searchSizeLimit < 0) {
            throw new IllegalArgumentException("search size limit " + searchSizeLimit
                    + " is negative: give the most entries a search returns, or 0 for no limit");
        }
        if (plainBinds && !isLoopback(bindAddress)) {
            throw new IllegalArgumentException("binds without TLS may be allowed on a loopback address only, not on "
                    + bindAddress + ": clients elsewhere would send their passwords in clear");
        }
        dataDirectory = dataDirectory.toAbsolutePath().normalize();
    }

    /** Settings without plain binds and without accepting a broken audit log. */
    public ServerSettings(Path dataDirectory, String bindAddress, int ldapPort, int ldapsPort, String suffix,
            boolean anonymousAccess, boolean kmsGuard, int searchSizeLimit) {
        this(dataDirectory, bindAddress, ldapPort, ldapsPort, suffix, anonymousAccess, kmsGuard, searchSizeLimit, false,
                false);
    }

    private static boolean isLoopback(String address) {
        try {
            return InetAddress.getByName(address).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }

    /**
     * Settings without a search size limit, plain binds or accepting a broken audit log (see the
     * canonical constructor for the parameters).
     */
    public ServerSettings(Path dataDirectory, String bindAddress, int ldapPort, int ldapsPort, String suffix,
            boolean anonymousAccess, boolean kmsGuard) {
        this(dataDirectory, bindAddress, ldapPort, ldapsPort, suffix, anonymousAccess, kmsGuard, 0, false, false);
    }

    /** The data folder: {@link #dataDirectory()} with the layout of every file in it. */
    public DataFolder dataFolder() {
        return DataFolder.of(dataDirectory);
    }

    /** The defaults: loopback, ports 10389/10636, {@code dc=example,dc=com}, anonymous reads, guard on. */
    public static ServerSettings defaults(Path dataDirectory) {
        return new ServerSettings(dataDirectory, DEFAULT_BIND_ADDRESS, DEFAULT_LDAP_PORT, DEFAULT_LDAPS_PORT,
                DirectoryLayout.DEFAULT_SUFFIX, true, true);
    }

    /** The defaults with both ports 0 (free ports picked at start): what tests use. */
    public static ServerSettings forTests(Path dataDirectory) {
        return defaults(dataDirectory).withPorts(0, 0);
    }

    /** A copy with other ports. */
    public ServerSettings withPorts(int newLdapPort, int newLdapsPort) {
        return new ServerSettings(dataDirectory, bindAddress, newLdapPort, newLdapsPort, suffix, anonymousAccess,
                kmsGuard, searchSizeLimit, plainBinds, acceptBrokenAuditLog);
    }

    /** A copy with another bind address. */
    public ServerSettings withBindAddress(String newBindAddress) {
        return new ServerSettings(dataDirectory, newBindAddress, ldapPort, ldapsPort, suffix, anonymousAccess,
                kmsGuard, searchSizeLimit, plainBinds, acceptBrokenAuditLog);
    }

    /** A copy with another suffix. */
    public ServerSettings withSuffix(String newSuffix) {
        return new ServerSettings(dataDirectory, bindAddress, ldapPort, ldapsPort, newSuffix, anonymousAccess,
                kmsGuard, searchSizeLimit, plainBinds, acceptBrokenAuditLog);
    }

    /** A copy with anonymous access on or off. */
    public ServerSettings withAnonymousAccess(boolean allowed) {
        return new ServerSettings(dataDirectory, bindAddress, ldapPort, ldapsPort, suffix, allowed, kmsGuard,
                searchSizeLimit, plainBinds, acceptBrokenAuditLog);
    }

    /** A copy with the KMS guard on or off (off only to measure its cost). */
    public ServerSettings withKmsGuard(boolean enabled) {
        return new ServerSettings(dataDirectory, bindAddress, ldapPort, ldapsPort, suffix, anonymousAccess, enabled,
                searchSizeLimit, plainBinds, acceptBrokenAuditLog);
    }

    /**
     * A copy whose server returns at most {@code limit} entries per search to non-administrators
     * (0: no limit), as an operator of another server might configure; for tests of the agent's
     * paged and split searches.
     */
    public ServerSettings withSearchSizeLimit(int limit) {
        return new ServerSettings(dataDirectory, bindAddress, ldapPort, ldapsPort, suffix, anonymousAccess, kmsGuard,
                limit, plainBinds, acceptBrokenAuditLog);
    }

    /**
     * A copy that accepts binds with a password on connections without TLS (a loopback lab
     * only): see the canonical constructor.
     */
    public ServerSettings withPlainBinds(boolean allowed) {
        return new ServerSettings(dataDirectory, bindAddress, ldapPort, ldapsPort, suffix, anonymousAccess, kmsGuard,
                searchSizeLimit, allowed, acceptBrokenAuditLog);
    }

    /**
     * A copy that accepts, for one start, an audit log that does not match its anchor
     * ({@code dirkms serve --accept-broken-audit-log}).
     */
    public ServerSettings withAcceptBrokenAuditLog(boolean accept) {
        return new ServerSettings(dataDirectory, bindAddress, ldapPort, ldapsPort, suffix, anonymousAccess, kmsGuard,
                searchSizeLimit, plainBinds, accept);
    }

    private static boolean isIpv4Literal(String text) {
        String[] octets = text.split("\\.", -1);
        if (octets.length != 4) {
            return false;
        }
        for (String octet : octets) {
            if (!octet.matches("[0-9]{1,3}") || Integer.parseInt(octet) > 255) {
                return false;
            }
        }
        return true;
    }

    private static void checkPort(String name, int port) {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException(name + " port " + port + " is out of range 0..65535 (0 picks a free port)");
        }
    }
}
