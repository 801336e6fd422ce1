package org.dirkms.ds.server;

import java.util.Arrays;

import org.apache.directory.api.ldap.model.message.extended.NoticeOfDisconnect;
import org.apache.directory.server.ldap.LdapServer;
import org.apache.mina.core.buffer.IoBuffer;
import org.apache.mina.core.filterchain.IoFilterAdapter;
import org.apache.mina.core.session.AttributeKey;
import org.apache.mina.core.session.IoSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ends the connection of a client whose request is not framed as BER can be (RFC 4511 section
 * 5.1: one definite-length element per message), instead of letting the LDAP decoder wait for
 * ever for octets that cannot come.
 *
 * <p>The LDAP API's decoder checks that an element's length fits in the element around it, but
 * not that an element's header does: when a request's outer element ends between an inner
 * element's tag and its length (a length one too short will do that), the decoder takes the
 * next octets the client sends — those of its next request — for the rest, and answers neither;
 * the client waits for ever. Found by the fuzz suite ({@code ServerFuzzIT}'s wire target).
 *
 * <p>Nor does it check that a request is an LDAPMessage, a SEQUENCE (RFC 4511 section 4.1.1):
 * stray octets a client sends after a request are taken for the header of the next one whatever
 * their tag, and the decoder waits for the length they claim, so the client's next request is
 * swallowed and never answered. Found by the fuzz suite too (a request followed by stray octets).
 *
 * <p>This MINA filter, right before the LDAP codec of every transport, follows the element
 * headers of every request as the decoder reads them — one-octet tags, constructed elements
 * (tag bit 6) opened and primitive values skipped, lengths of up to four octets (the short form
 * {@code 0x80} is length 0 to the decoder) — and, when an element's header or value does not fit
 * in the element around it, a request does not start with the SEQUENCE tag, an element
 * claims more than {@link DirectoryServer#MAX_REQUEST_OCTETS}, or elements nest deeper than
 * {@link #DEEPEST} (a request of forty thousand levels took the decoder fifteen seconds and more
 * of one I/O thread before it overflowed its stack; no request the server answers nests a tenth
 * as deep, filters being refused beyond {@link SearchFilterScreen#DEEPEST} levels anyway),
 * sends a Notice of Disconnection with protocolError (section 4.4.1) and closes the connection
 * without passing the octets on. Requests framed right pass unchanged, each whole and alone: when
 * the decoder refuses a request it has begun (a search whose base is not a DN, answered
 * invalidDNSyntax), it drops the rest of the octets it was given, so a request that came in
 * several reads had its remaining octets decoded as a request of their own, and the connection
 * was ended with protocolError after the answer; requests that came in one read after it were
 * lost. This filter never looks into a value.
 */
final class BerFramingGuard extends IoFilterAdapter {

    /** Name of this filter in each transport's MINA filter chain. */
    static final String FILTER_NAME = "dirkmsBerFramingGuard";

    /** The deepest nesting of elements in a request. */
    static final int DEEPEST = 2_000;

    private static final Logger LOG = LoggerFactory.getLogger(BerFramingGuard.class);
    private static final AttributeKey FRAMING = new AttributeKey(BerFramingGuard.class, "framing");

    private final long maxElementOctets;

    BerFramingGuard(long maxElementOctets) {
        this.maxElementOctets = maxElementOctets;
    }

    /**
     * Installs one guard right before the LDAP codec of every transport of a started LDAP
     * server, for the sessions to come and those already open.
     *
     * @throws IllegalStateException when a transport has no LDAP codec filter
     */
    static void install(LdapServer ldapServer, long maxElementOctets) {
        CodecFilters.installRightBeforeCodec(ldapServer, FILTER_NAME, new BerFramingGuard(maxElementOctets));
    }

    @Override
    public void messageReceived(NextFilter next, IoSession session, Object message) throws Exception {
        if (message instanceof IoBuffer buffer) {
            Framing framing = (Framing) session.getAttribute(FRAMING);
            if (framing == null) {
                framing = new Framing(maxElementOctets);
                session.setAttribute(FRAMING, framing);
            } else if (framing.spent()) {
                buffer.position(buffer.limit()); // the connection is closing
                return;
            }
            int at = buffer.position();
            int limit = buffer.limit();
            while (at < limit) {
                int end = framing.readRequest(buffer, at, limit);
                if (framing.spent()) {
                    LOG.warn("closed the connection from {}: its request is not framed as BER can be ({})",
                            session.getRemoteAddress(), framing.wrong);
                    buffer.position(limit);
                    session.write(NoticeOfDisconnect.PROTOCOLERROR);
                    session.closeOnFlush();
                    return;
                }
                framing.keep(buffer, at, end);
                at = end;
                if (framing.betweenRequests()) {
                    // One whole request at a time: the decoder drops the rest of the octets it was
                    // given when it refuses a request (an invalid DN), so it must be given no more.
                    next.messageReceived(session, framing.takeRequest());
                }
            }
            buffer.position(limit);
            return;
        }
        next.messageReceived(session, message);
    }

    /**
     * Where one connection's octet stream is in its elements, as the decoder reads them: the end
     * of every open constructed element, and the header or value being read.
     */
    static final class Framing {
        private static final int TAG = 0;
        private static final int FIRST_LENGTH_OCTET = 1;
        private static final int MORE_LENGTH_OCTETS = 2;
        private static final int VALUE = 3;
        /** The tag of every LDAPMessage: a universal constructed SEQUENCE (RFC 4511 section 4.1.1). */
        private static final int LDAP_MESSAGE = 0x30;

        private final long maxElementOctets;
        /** Octets read on this connection. */
        private long offset;
        /** Ends (stream offsets) of the open constructed elements, innermost last. */
        private long[] ends = new long[16];
        private int depth;
        private int state = TAG;
        private boolean constructed;
        private int lengthOctetsLeft;
        private long length;
        /** End of the primitive value being skipped. */
        private long valueEnd;
        /** The first problem found; the connection is spent after it. */
        private String wrong;
        /** The octets of the request being read, kept until it is whole. */
        private IoBuffer pending;

        Framing(long maxElementOctets) {
            this.maxElementOctets = maxElementOctets;
        }

        /**
         * Reads {@code buffer}'s octets from {@code from} (inclusive) to {@code to} (exclusive)
         * without moving its position.
         *
         * @return null while the stream is framed right, else what is wrong
         */
        String read(IoBuffer buffer, int from, int to) {
            int i = from;
            while (i < to && wrong == null) {
                i = readRequest(buffer, i, to);
            }
            return wrong;
        }

        /**
         * Reads {@code buffer}'s octets from {@code from} up to {@code to} or the end of the
         * request being read, whichever comes first, without moving its position.
         *
         * @return where it stopped: {@code to}, or the end of a request ({@link #betweenRequests()}
         *         is then true); see {@link #spent()} for a problem found
         */
        int readRequest(IoBuffer buffer, int from, int to) {
            int i = from;
            while (i < to && wrong == null) {
                if (state == VALUE) {
                    long skip = Math.min(valueEnd - offset, to - i);
                    i += (int) skip;
                    offset += skip;
                    if (offset == valueEnd) {
                        elementDone();
                        if (betweenRequests()) {
                            break;
                        }
                    }
                    continue;
                }
                int octet = buffer.get(i++) & 0xff;
                offset++;
                switch (state) {
                    case TAG -> {
                        if (depth == 0 && octet != LDAP_MESSAGE) {
                            wrong = "a request that does not start with the SEQUENCE tag of an LDAPMessage";
                        }
                        constructed = (octet & 0x20) != 0;
                        state = FIRST_LENGTH_OCTET;
                    }
                    case FIRST_LENGTH_OCTET -> {
                        if (octet < 0x80) {
                            headerDone(octet);
                        } else if (octet == 0x80) {
                            headerDone(0); // the decoder reads the indefinite form as length 0
                        } else if (octet > 0x84) {
                            wrong = "a length of more than four octets";
                        } else {
                            lengthOctetsLeft = octet & 0x7f;
                            length = 0;
                            state = MORE_LENGTH_OCTETS;
                        }
                    }
                    default -> { // MORE_LENGTH_OCTETS
                        length = length << 8 | octet;
                        if (--lengthOctetsLeft == 0) {
                            headerDone(length);
                        }
                    }
                }
                if (wrong == null && (state == FIRST_LENGTH_OCTET || state == MORE_LENGTH_OCTETS) && depth > 0
                        && offset >= ends[depth - 1]) {
                    // The enclosing element ended in the middle of this element's header.
                    wrong = "an element's header runs past the end of the element around it";
                }
                if (betweenRequests()) {
                    break;
                }
            }
            return i;
        }

        /** Keeps {@code buffer}'s octets from {@code from} to {@code to} for the request being read. */
        void keep(IoBuffer buffer, int from, int to) {
            if (pending == null) {
                pending = IoBuffer.allocate(Math.max(to - from, 64)).setAutoExpand(true);
            }
            for (int i = from; i < to; i++) {
                pending.put(buffer.get(i));
            }
        }

        /** The octets of the request just read, whole, ready to be read; nothing is kept after. */
        IoBuffer takeRequest() {
            IoBuffer request = pending == null ? IoBuffer.allocate(0) : pending.flip();
            pending = null;
            return request;
        }

        private void headerDone(long elementLength) {
            if (elementLength > maxElementOctets) {
                wrong = "an element of " + elementLength + " octets";
                return;
            }
            long end = offset + elementLength;
            if (depth > 0 && end > ends[depth - 1]) {
                wrong = "an element runs past the end of the element around it";
                return;
            }
            if (constructed) {
                if (depth == DEEPEST) {
                    wrong = "elements nested more than " + DEEPEST + " deep";
                    return;
                }
                if (depth == ends.length) {
                    ends = Arrays.copyOf(ends, depth * 2);
                }
                ends[depth++] = end;
                state = TAG;
                closeEnded();
            } else if (elementLength == 0) {
                elementDone();
            } else {
                valueEnd = end;
                state = VALUE;
            }
        }

        private void elementDone() {
            state = TAG;
            closeEnded();
        }

        /** Closes the constructed elements that end here. */
        private void closeEnded() {
            while (depth > 0 && ends[depth - 1] == offset) {
                depth--;
            }
        }

        /** Whether the stream is between requests. */
        boolean betweenRequests() {
            return wrong == null && depth == 0 && state == TAG;
        }

        /** Whether a problem was found: nothing more is read. */
        boolean spent() {
            return wrong != null;
        }
    }
}
