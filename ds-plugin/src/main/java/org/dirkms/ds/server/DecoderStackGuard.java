package org.dirkms.ds.server;

import org.apache.directory.api.ldap.model.message.extended.NoticeOfDisconnect;
import org.apache.directory.server.ldap.LdapServer;
import org.apache.mina.core.filterchain.IoFilterAdapter;
import org.apache.mina.core.session.IoSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ends the connection of a client whose request is nested too deep to decode, instead of letting
 * the decoder's StackOverflowError kill the MINA I/O thread that serves it.
 *
 * <p>The LDAP API's decoder turns a search filter into a tree recursively
 * ({@code InitSearchRequestAttributeDescList.transform}); a filter nested a few thousand levels
 * deep (a few kilobytes of BER, which an anonymous client may send) overflows the stack of the
 * I/O thread. MINA's codec filter catches exceptions, not errors, so the thread died — and every
 * connection it served, and every new one it was given, waited forever. Found by the fuzz suite
 * ({@code ServerFuzzIT}); a few such searches left the server accepting connections and answering
 * none.
 *
 * <p>This MINA filter, right before the LDAP codec of every transport, catches the error as the
 * stack unwinds to it, sends a Notice of Disconnection with protocolError (RFC 4511 section
 * 4.4.1: the server could not decode the request) and closes the connection; the decoder's
 * half-built state goes with the session. Nothing else is caught.
 */
final class DecoderStackGuard extends IoFilterAdapter {

    /** Name of this filter in each transport's MINA filter chain. */
    static final String FILTER_NAME = "dirkmsDecoderStackGuard";

    private static final Logger LOG = LoggerFactory.getLogger(DecoderStackGuard.class);

    private DecoderStackGuard() {
        // one instance per server, shared by its transports
    }

    /**
     * Installs one guard right before the LDAP codec of every transport of a started LDAP
     * server, for the sessions to come and those already open.
     *
     * @throws IllegalStateException when a transport has no LDAP codec filter
     */
    static void install(LdapServer ldapServer) {
        CodecFilters.installRightBeforeCodec(ldapServer, FILTER_NAME, new DecoderStackGuard());
    }

    @Override
    public void messageReceived(NextFilter next, IoSession session, Object message) throws Exception {
        try {
            next.messageReceived(session, message);
        } catch (StackOverflowError e) {
            // The stack is unwound to here: there is room again to answer and close.
            LOG.warn("closed the connection from {}: its request is nested too deep to decode", session.getRemoteAddress());
            session.write(NoticeOfDisconnect.PROTOCOLERROR);
            session.closeOnFlush();
        }
    }
}
