package org.dirkms.ds.server;

import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.directory.api.ldap.extras.controls.syncrepl.syncRequest.SyncRequestValue;
import org.apache.directory.api.ldap.model.constants.SchemaConstants;
import org.apache.directory.api.ldap.model.entry.DefaultEntry;
import org.apache.directory.api.ldap.model.entry.Entry;
import org.apache.directory.api.ldap.model.message.SearchRequest;
import org.apache.directory.api.ldap.model.message.SearchResultDone;
import org.apache.directory.api.ldap.model.message.SearchResultEntry;
import org.apache.directory.server.ldap.LdapServer;
import org.apache.directory.server.protocol.shared.transport.Transport;
import org.apache.mina.core.filterchain.DefaultIoFilterChainBuilder;
import org.apache.mina.core.filterchain.IoFilterAdapter;
import org.apache.mina.core.session.IoSession;
import org.apache.mina.core.write.WriteRequest;

/**
 * Answers searches for no attributes ({@code "1.1"}, RFC 4511 section 4.5.1.8) without letting
 * ApacheDS 2.0.0.AM27 see them, because AM27 mishandles them.
 *
 * <p>For such a search AM27 removes every attribute from each result entry in place
 * ({@code ServerEntryUtils.filterContents}), and its search handler looks one entry ahead
 * ({@code cursor.next()} then {@code cursor.previous()}) at the end of each page and at the size
 * limit; the step back projects the already-emptied entry a second time and fails with a
 * NullPointerException. The consequences on the wire (measured, with or without the KMS guard):
 * <ul>
 * <li>a paged search (RFC 2696) ends after its first page with success and no cookie — the
 * handler swallows the exception — silently dropping the rest;</li>
 * <li>a plain search that reaches a size limit ends with other (80), not sizeLimitExceeded (4,
 * RFC 4511 section 4.1.9), and a diagnostic echoing the request.</li>
 * </ul>
 *
 * <p>This MINA filter, placed right after the LDAP codec of every transport, replaces an
 * attribute list made of {@code "1.1"} only with {@code objectClass} (every entry has it) before
 * ApacheDS sees the request, and sends each result entry of that request with its DN and no
 * attribute, so the client gets exactly what it asked for. A list mixing {@code "1.1"} with
 * other selectors is left alone: AM27 then ignores {@code "1.1"}, as the RFC says (measured with
 * {@code mail} and {@code +}, also at the size limit). Syncrepl requests (RFC 4533) are left
 * alone too: ApacheDS hands them to its replication handler, not to the search handler whose
 * look-ahead fails, and the KMS agent's sync state must not depend on this filter.
 *
 * <p>A marked message id is forgotten when its SearchResultDone leaves or the session closes.
 * An abandoned search gets no SearchResultDone (RFC 4511 section 4.11) while entries already on
 * their way may still be written, so its id stays marked, and its entries stripped, until the
 * session closes.
 *
 * <p>Cost: a search that did not ask for {@code "1.1"} pays one scan of its attribute list on
 * the way in and, per result entry, one read of a counter of the {@code "1.1"} searches in flight
 * on the whole server; only while that counter is not zero is the session's own set consulted.
 */
final class NoAttributesSearchFilter extends IoFilterAdapter {

    /** Name of this filter in each transport's MINA filter chain. */
    static final String FILTER_NAME = "dirkmsNoAttributesSearch";
    /** Name ApacheDS gives its LDAP codec filter; this filter goes right after it. */
    static final String CODEC_FILTER_NAME = "codec";

    private static final SessionMessageIds IN_FLIGHT =
            new SessionMessageIds(NoAttributesSearchFilter.class.getName() + ".messageIds");

    /** The "1.1" searches in flight on every session of the server. */
    private final AtomicInteger inFlight = new AtomicInteger();

    NoAttributesSearchFilter() {
        // one instance per server, shared by its transports
    }

    /**
     * Installs one filter on every bound transport of a started LDAP server, right after its
     * codec, for the sessions to come and those already open.
     *
     * @param ldapServer the started server
     * @throws IllegalStateException when a transport has no LDAP codec filter to follow
     */
    static void install(LdapServer ldapServer) {
        NoAttributesSearchFilter filter = new NoAttributesSearchFilter();
        for (Transport transport : ldapServer.getTransports()) {
            if (transport.getAcceptor() == null) {
                continue; // not bound
            }
            DefaultIoFilterChainBuilder chain = transport.getAcceptor().getFilterChain();
            if (!chain.contains(CODEC_FILTER_NAME)) {
                throw new IllegalStateException("the LDAP transport on port " + transport.getPort() + " has no '"
                        + CODEC_FILTER_NAME + "' filter; start the LdapServer before installing the filter");
            }
            if (!chain.contains(FILTER_NAME)) {
                chain.addAfter(CODEC_FILTER_NAME, FILTER_NAME, filter);
            }
            for (IoSession session : transport.getAcceptor().getManagedSessions().values()) {
                if (!session.getFilterChain().contains(FILTER_NAME)) {
                    session.getFilterChain().addAfter(CODEC_FILTER_NAME, FILTER_NAME, filter);
                }
            }
        }
    }

    /** How many "1.1" searches are in flight on the whole server (for tests). */
    int inFlight() {
        return inFlight.get();
    }

    @Override
    public void messageReceived(NextFilter next, IoSession session, Object message) throws Exception {
        if (message instanceof SearchRequest search && onlyNoAttributes(search.getAttributes())
                && !search.getControls().containsKey(SyncRequestValue.OID)) {
            while (search.getAttributes().contains(SchemaConstants.NO_ATTRIBUTE)) {
                search.removeAttribute(SchemaConstants.NO_ATTRIBUTE);
            }
            search.addAttributes(SchemaConstants.OBJECT_CLASS_AT);
            if (IN_FLIGHT.of(session).add(search.getMessageId())) {
                inFlight.incrementAndGet();
            }
        }
        next.messageReceived(session, message);
    }

    /** True when the list asks for no attributes only: one or more "1.1" and nothing else. */
    static boolean onlyNoAttributes(List<String> attributes) {
        if (attributes == null || attributes.isEmpty()) {
            return false; // an empty list asks for all user attributes
        }
        for (String attribute : attributes) {
            if (!SchemaConstants.NO_ATTRIBUTE.equals(attribute)) {
                return false;
            }
        }
        return true;
    }

    @Override
    public void filterWrite(NextFilter next, IoSession session, WriteRequest request) throws Exception {
        if (inFlight.get() != 0) {
            Object message = request.getMessage();
            if (message instanceof SearchResultEntry result) {
                Set<Integer> ids = IN_FLIGHT.existing(session);
                if (ids != null && ids.contains(result.getMessageId())) {
                    // A fresh entry: the one ApacheDS produced may be shared (persistent search).
                    Entry entry = result.getEntry();
                    result.setEntry(new DefaultEntry(entry == null ? result.getObjectName() : entry.getDn()));
                }
            } else if (message instanceof SearchResultDone done) {
                Set<Integer> ids = IN_FLIGHT.existing(session);
                if (ids != null && ids.remove(done.getMessageId())) {
                    inFlight.decrementAndGet();
                }
            }
        }
        next.filterWrite(session, request);
    }

    @Override
    public void sessionClosed(NextFilter next, IoSession session) throws Exception {
        Set<Integer> ids = IN_FLIGHT.existing(session);
        if (ids != null) {
            for (Integer id : List.copyOf(ids)) {
                if (ids.remove(id)) {
                    inFlight.decrementAndGet();
                }
            }
        }
        next.sessionClosed(session);
    }
}
