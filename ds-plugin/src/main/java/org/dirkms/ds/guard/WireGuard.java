package org.dirkms.ds.guard;

import org.apache.directory.server.ldap.LdapServer;

/**
 * Guards what the LDAP server writes to the wire, for the paths that bypass interceptors.
 */
public final class WireGuard {
    private WireGuard() {
    }

    /**
     * Installs the guard on every transport of a started LDAP server.
     *
     * @param ldapServer  the started server
     * @param interceptor the KMS interceptor of the server's directory service
     */
    public static void install(LdapServer ldapServer, KmsInterceptor interceptor) {
        // filled in by the guard work
    }
}
