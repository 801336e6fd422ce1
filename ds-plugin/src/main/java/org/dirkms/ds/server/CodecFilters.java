package org.dirkms.ds.server;

import org.apache.directory.server.ldap.LdapServer;
import org.apache.directory.server.protocol.shared.transport.Transport;
import org.apache.mina.core.filterchain.DefaultIoFilterChainBuilder;
import org.apache.mina.core.filterchain.IoFilter;
import org.apache.mina.core.session.IoSession;

/** Installs a MINA filter right after, or right before, the LDAP codec of every transport of a started LDAP server. */
final class CodecFilters {
    /** Name ApacheDS gives its LDAP codec filter. */
    static final String CODEC_FILTER_NAME = "codec";

    private CodecFilters() {
    }

    /**
     * Puts {@code filter} right after the codec (so, of the filters installed this way, the last
     * one installed sees requests first and responses last), for the sessions to come and those
     * already open.
     *
     * @throws IllegalStateException when a transport has no LDAP codec filter to follow
     */
    static void installRightAfterCodec(LdapServer ldapServer, String name, IoFilter filter) {
        install(ldapServer, name, filter, true);
    }

    /**
     * Puts {@code filter} right before the codec, where it sees the octets of requests (after TLS)
     * before the codec decodes them, for the sessions to come and those already open.
     *
     * @throws IllegalStateException when a transport has no LDAP codec filter to precede
     */
    static void installRightBeforeCodec(LdapServer ldapServer, String name, IoFilter filter) {
        install(ldapServer, name, filter, false);
    }

    private static void install(LdapServer ldapServer, String name, IoFilter filter, boolean after) {
        for (Transport transport : ldapServer.getTransports()) {
            if (transport.getAcceptor() == null) {
                continue; // not bound
            }
            DefaultIoFilterChainBuilder chain = transport.getAcceptor().getFilterChain();
            if (!chain.contains(CODEC_FILTER_NAME)) {
                throw new IllegalStateException("the LDAP transport on port " + transport.getPort() + " has no '"
                        + CODEC_FILTER_NAME + "' filter; start the LdapServer before installing " + name);
            }
            if (!chain.contains(name)) {
                if (after) {
                    chain.addAfter(CODEC_FILTER_NAME, name, filter);
                } else {
                    chain.addBefore(CODEC_FILTER_NAME, name, filter);
                }
            }
            for (IoSession session : transport.getAcceptor().getManagedSessions().values()) {
                if (!session.getFilterChain().contains(name)) {
                    if (after) {
                        session.getFilterChain().addAfter(CODEC_FILTER_NAME, name, filter);
                    } else {
                        session.getFilterChain().addBefore(CODEC_FILTER_NAME, name, filter);
                    }
                }
            }
        }
    }
}
