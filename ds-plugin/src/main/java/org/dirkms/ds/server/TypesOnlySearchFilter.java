package org.dirkms.ds.server;

import java.util.Set;

import org.apache.directory.api.ldap.extras.controls.syncrepl.syncRequest.SyncRequestValue;
import org.apache.directory.api.ldap.model.entry.Attribute;
import org.apache.directory.api.ldap.model.entry.DefaultEntry;
import org.apache.directory.api.ldap.model.entry.Entry;
import org.apache.directory.api.ldap.model.exception.LdapException;
import org.apache.directory.api.ldap.model.message.SearchRequest;
import org.apache.directory.api.ldap.model.message.SearchResultDone;
import org.apache.directory.api.ldap.model.message.SearchResultEntry;
import org.apache.directory.server.ldap.LdapServer;
import org.apache.mina.core.filterchain.IoFilterAdapter;
import org.apache.mina.core.session.IoSession;
import org.apache.mina.core.write.WriteRequest;

/**
 * Answers searches for attribute types only (typesOnly, RFC 4511 section 4.5.1.6;
 * {@code ldapsearch -A}) without letting ApacheDS 2.0.0.AM27 empty the values itself.
 *
 * <p>AM27 empties them in place ({@code ServerEntryUtils.filterContents}): it walks the attribute
 * types of the entry as stored and clears each in the entry being returned. When the KMS guard has
 * removed an attribute from that entry (a secret, a password the reader may not see), the clear
 * meets a missing attribute: a NullPointerException, and the search ends with other (80) after
 * its first entry. Found by the fuzz suite ({@code ServerFuzzIT}); anonymous clients and users hit
 * it on any entry with a password.
 *
 * <p>This MINA filter, right after the LDAP codec of every transport, asks ApacheDS for the values
 * (typesOnly false) and sends each result entry of such a search as a fresh entry with the same
 * attributes and no values, after the guard has stripped what the reader may not see. Syncrepl
 * requests (RFC 4533) are left alone. A marked message id is forgotten at its SearchResultDone or
 * when the session closes.
 */
final class TypesOnlySearchFilter extends IoFilterAdapter {

    /** Name of this filter in each transport's MINA filter chain. */
    static final String FILTER_NAME = "dirkmsTypesOnlySearch";

    private static final SessionMessageIds IN_FLIGHT =
            new SessionMessageIds(TypesOnlySearchFilter.class.getName() + ".messageIds");

    TypesOnlySearchFilter() {
        // one instance per server, shared by its transports
    }

    /** Installs one filter right after the LDAP codec of every transport of a started LDAP server. */
    static void install(LdapServer ldapServer) {
        CodecFilters.installRightAfterCodec(ldapServer, FILTER_NAME, new TypesOnlySearchFilter());
    }

    @Override
    public void messageReceived(NextFilter next, IoSession session, Object message) throws Exception {
        if (message instanceof SearchRequest search && search.getTypesOnly()
                && !search.getControls().containsKey(SyncRequestValue.OID)) {
            search.setTypesOnly(false);
            IN_FLIGHT.of(session).add(search.getMessageId());
        }
        next.messageReceived(session, message);
    }

    @Override
    public void filterWrite(NextFilter next, IoSession session, WriteRequest request) throws Exception {
        Set<Integer> ids = IN_FLIGHT.existing(session);
        if (ids != null && !ids.isEmpty()) {
            Object message = request.getMessage();
            if (message instanceof SearchResultEntry result && ids.contains(result.getMessageId())
                    && result.getEntry() != null) {
                result.setEntry(typesOf(result.getEntry()));
            } else if (message instanceof SearchResultDone done) {
                ids.remove(done.getMessageId());
            }
        }
        next.filterWrite(session, request);
    }

    /** A fresh entry with the attributes of {@code entry} and no values: the one given may be shared. */
    static Entry typesOf(Entry entry) throws LdapException {
        Entry types = new DefaultEntry(entry.getDn());
        for (Attribute attribute : entry) {
            Attribute empty = attribute.clone();
            empty.clear();
            types.put(empty);
        }
        return types;
    }

    @Override
    public void sessionClosed(NextFilter next, IoSession session) throws Exception {
        IN_FLIGHT.forget(session);
        next.sessionClosed(session);
    }
}
