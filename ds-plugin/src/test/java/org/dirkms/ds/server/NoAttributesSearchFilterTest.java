package org.dirkms.ds.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.apache.directory.api.ldap.extras.controls.syncrepl.syncRequest.SyncRequestValueImpl;
import org.apache.directory.api.ldap.model.entry.DefaultEntry;
import org.apache.directory.api.ldap.model.entry.Entry;
import org.apache.directory.api.ldap.model.message.SearchRequest;
import org.apache.directory.api.ldap.model.message.SearchRequestImpl;
import org.apache.directory.api.ldap.model.message.SearchResultDoneImpl;
import org.apache.directory.api.ldap.model.message.SearchResultEntry;
import org.apache.directory.api.ldap.model.message.SearchResultEntryImpl;
import org.apache.mina.core.filterchain.IoFilter.NextFilter;
import org.apache.mina.core.session.DummySession;
import org.apache.mina.core.session.IdleStatus;
import org.apache.mina.core.session.IoSession;
import org.apache.mina.core.write.DefaultWriteRequest;
import org.apache.mina.core.write.WriteRequest;
import org.apache.mina.filter.FilterEvent;
import org.junit.jupiter.api.Test;

/**
 * The request rewriting and the bookkeeping of {@link NoAttributesSearchFilter}, driven through
 * its MINA filter methods on dummy sessions; the wire behaviour against ApacheDS is proven by
 * {@code NoAttributesSearchIT}.
 */
class NoAttributesSearchFilterTest {

    private final NoAttributesSearchFilter filter = new NoAttributesSearchFilter();
    private final Recorder next = new Recorder();

    @Test
    void onlyNoAttributesBecomesObjectClassAndItsEntriesLeaveEmpty() throws Exception {
        IoSession session = new DummySession();
        SearchRequest search = search(7, "1.1", "1.1");
        filter.messageReceived(next, session, search);
        assertSame(search, next.received.get(0), "the request goes on");
        assertEquals(List.of("objectClass"), search.getAttributes());
        assertEquals(1, filter.inFlight());

        SearchResultEntry mine = entry(7);
        write(session, mine);
        assertEquals("uid=a,ou=People,dc=example,dc=com", mine.getEntry().getDn().getName());
        assertEquals(0, mine.getEntry().size(), "no attribute");
        SearchResultEntry other = entry(8);
        Entry before = other.getEntry();
        write(session, other);
        assertSame(before, other.getEntry(), "another request's entry is not touched");
        assertEquals(2, other.getEntry().size());

        write(session, new SearchResultDoneImpl(7));
        assertEquals(0, filter.inFlight(), "forgotten at its SearchResultDone");
        assertEquals(3, next.written.size(), "every message goes on");
    }

    @Test
    void otherAttributeListsAndSyncreplAreLeftAlone() throws Exception {
        IoSession session = new DummySession();
        SearchRequest mixed = search(1, "1.1", "mail");
        SearchRequest plus = search(2, "+", "1.1");
        SearchRequest all = search(3);
        SearchRequest syncrepl = search(4, "1.1");
        syncrepl.addControl(new SyncRequestValueImpl());
        for (SearchRequest each : List.of(mixed, plus, all, syncrepl)) {
            filter.messageReceived(next, session, each);
        }
        assertEquals(List.of("1.1", "mail"), mixed.getAttributes());
        assertEquals(List.of("+", "1.1"), plus.getAttributes());
        assertEquals(List.of(), all.getAttributes());
        assertEquals(List.of("1.1"), syncrepl.getAttributes());
        assertEquals(0, filter.inFlight());
        SearchResultEntry entry = entry(1);
        write(session, entry);
        assertEquals(2, entry.getEntry().size());
    }

    @Test
    void aClosedSessionForgetsItsSearchesAndOnlyItsOwn() throws Exception {
        IoSession closing = new DummySession();
        IoSession staying = new DummySession();
        filter.messageReceived(next, closing, search(2, "1.1"));
        filter.messageReceived(next, closing, search(3, "1.1")); // e.g. an abandoned one: no Done
        filter.messageReceived(next, staying, search(2, "1.1"));
        assertEquals(3, filter.inFlight());

        SearchResultEntry sameIdElsewhere = entry(3);
        write(staying, sameIdElsewhere);
        assertEquals(2, sameIdElsewhere.getEntry().size(), "message ids are per session");

        filter.sessionClosed(next, closing);
        assertEquals(1, filter.inFlight());
        assertTrue(next.closed.contains(closing), "the close goes on");
        SearchResultEntry stillMarked = entry(2);
        write(staying, stillMarked);
        assertEquals(0, stillMarked.getEntry().size());
        write(staying, new SearchResultDoneImpl(2));
        write(staying, new SearchResultDoneImpl(2)); // a second Done for the id changes nothing
        assertEquals(0, filter.inFlight());
    }

    private void write(IoSession session, Object message) throws Exception {
        filter.filterWrite(next, session, new DefaultWriteRequest(message));
    }

    private static SearchRequest search(int messageId, String... attributes) {
        SearchRequest search = new SearchRequestImpl();
        search.setMessageId(messageId);
        search.addAttributes(attributes);
        return search;
    }

    private static SearchResultEntry entry(int messageId) throws Exception {
        SearchResultEntry result = new SearchResultEntryImpl(messageId);
        result.setEntry(new DefaultEntry("uid=a,ou=People,dc=example,dc=com", "objectClass: top", "uid: a"));
        result.setObjectName(result.getEntry().getDn());
        return result;
    }

    /** The rest of the chain: records what the filter passes on. */
    private static final class Recorder implements NextFilter {
        final List<Object> received = new ArrayList<>();
        final List<Object> written = new ArrayList<>();
        final List<IoSession> closed = new ArrayList<>();

        @Override
        public void messageReceived(IoSession session, Object message) {
            received.add(message);
        }

        @Override
        public void filterWrite(IoSession session, WriteRequest writeRequest) {
            written.add(writeRequest.getMessage());
        }

        @Override
        public void sessionClosed(IoSession session) {
            closed.add(session);
        }

        @Override
        public void sessionCreated(IoSession session) {
            throw new AssertionError("not expected");
        }

        @Override
        public void sessionOpened(IoSession session) {
            throw new AssertionError("not expected");
        }

        @Override
        public void sessionIdle(IoSession session, IdleStatus status) {
            throw new AssertionError("not expected");
        }

        @Override
        public void exceptionCaught(IoSession session, Throwable cause) {
            throw new AssertionError("not expected", cause);
        }

        @Override
        public void inputClosed(IoSession session) {
            throw new AssertionError("not expected");
        }

        @Override
        public void messageSent(IoSession session, WriteRequest writeRequest) {
            throw new AssertionError("not expected");
        }

        @Override
        public void filterClose(IoSession session) {
            throw new AssertionError("not expected");
        }

        @Override
        public void event(IoSession session, FilterEvent event) {
            throw new AssertionError("not expected");
        }
    }
}
