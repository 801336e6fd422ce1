package org.dirkms.dist;

import java.io.IOException;

import org.dirkms.ds.server.ServerEndpoint;
import org.dirkms.ds.server.ServerSettings;
import org.dirkms.schema.DataFolder;

/**
 * Where a command finds the directory when no {@code --url} names it: the server running on the
 * data folder, as it wrote its address in {@code DIR/endpoint} at start (whatever ports
 * {@code dirkms serve} was given), else the default port on loopback.
 */
final class LocalServer {

    /** The URL every command uses when no server of the folder says otherwise. */
    static final String DEFAULT_URL = "ldap://127.0.0.1:" + ServerSettings.DEFAULT_LDAP_PORT;

    private LocalServer() {
    }

    /** The URL of the server running on {@code data}, or {@link #DEFAULT_URL}. */
    static String url(DataFolder data) {
        try {
            return ServerEndpoint.read(data).map(ServerEndpoint::url).orElse(DEFAULT_URL);
        } catch (IOException e) {
            return DEFAULT_URL; // a half-written endpoint: the default, and the connection says if it fails
        }
    }
}
