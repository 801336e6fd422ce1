package org.dirkms.ds.server;

import java.io.IOException;

/**
 * A listener of the server cannot bind its port: another program (another dirkms server, an
 * LDAP server) listens on that address and port. Found before the directory starts, so that the
 * start stops at once with this one message.
 */
public final class PortInUseException extends IOException {

    private final String listener;
    private final String address;
    private final int port;

    /**
     * @param listener which listener: {@code LDAP} or {@code LDAPS}
     * @param address  the address it was to bind to
     * @param port     the port in use
     * @param cause    the refusal of the bind
     */
    public PortInUseException(String listener, String address, int port, Throwable cause) {
        super("the " + listener + " port " + address + ":" + port + " is in use by another program", cause);
        this.listener = listener;
        this.address = address;
        this.port = port;
    }

    /** Which listener: {@code LDAP} or {@code LDAPS}. */
    public String listener() {
        return listener;
    }

    /** The address the listener was to bind to. */
    public String address() {
        return address;
    }

    /** The port in use. */
    public int port() {
        return port;
    }
}
