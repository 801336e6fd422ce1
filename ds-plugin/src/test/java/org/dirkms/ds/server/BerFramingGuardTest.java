package org.dirkms.ds.server;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.util.HexFormat;

import org.apache.directory.api.ldap.codec.api.LdapApiServiceFactory;
import org.apache.directory.api.ldap.codec.api.LdapEncoder;
import org.apache.directory.api.ldap.model.message.AddRequestImpl;
import org.apache.directory.api.ldap.model.message.SearchRequestImpl;
import org.apache.directory.api.ldap.model.message.SearchScope;
import org.apache.directory.api.ldap.model.name.Dn;
import org.apache.directory.api.asn1.util.Asn1Buffer;
import org.apache.mina.core.buffer.IoBuffer;
import org.junit.jupiter.api.Test;

/** The BER framing the guard follows: right requests pass, however they are split; wrong ones are found. */
class BerFramingGuardTest {

    private static final long MAX = 8 << 20;

    private static byte[] hex(String text) {
        return HexFormat.of().parseHex(text.replace(" ", ""));
    }

    /** Reads {@code octets} in pieces of {@code piece} octets; the problem found, or null. */
    private static String read(BerFramingGuard.Framing framing, byte[] octets, int piece) {
        for (int from = 0; from < octets.length; from += piece) {
            int to = Math.min(octets.length, from + piece);
            IoBuffer buffer = IoBuffer.wrap(octets, from, to - from);
            String wrong = framing.read(buffer, buffer.position(), buffer.limit());
            if (wrong != null) {
                return wrong;
            }
        }
        return null;
    }

    private static byte[] encoded() throws Exception {
        var codec = LdapApiServiceFactory.getSingleton();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        SearchRequestImpl search = new SearchRequestImpl();
        search.setMessageId(3);
        search.setBase(new Dn("ou=People,dc=example,dc=com"));
        search.setScope(SearchScope.SUBTREE);
        search.setFilter("(&(objectClass=inetOrgPerson)(|(uid=a*b*c)(!(mail=x@example.com)))(cn~=fuzz))");
        search.addAttributes("cn", "mail", "1.1");
        out.writeBytes(octets(LdapEncoder.encodeMessage(new Asn1Buffer(), codec, search)));
        AddRequestImpl add = new AddRequestImpl();
        add.setMessageId(4);
        add.setEntryDn(new Dn("cn=x,dc=example,dc=com"));
        add.getEntry().add("objectClass", "top", "person");
        add.getEntry().add("description", "d".repeat(70_000));
        add.getEntry().add("userCertificate;binary", new byte[] {0x30, (byte) 0x82, 0x01, 0x00, 0x05});
        out.writeBytes(octets(LdapEncoder.encodeMessage(new Asn1Buffer(), codec, add)));
        return out.toByteArray();
    }

    private static byte[] octets(java.nio.ByteBuffer buffer) {
        byte[] octets = new byte[buffer.remaining()];
        buffer.get(octets);
        return octets;
    }

    @Test
    void requestsFramedRightPassHoweverTheyAreSplit() throws Exception {
        byte[] requests = encoded();
        for (int piece : new int[] {1, 2, 3, 7, 100, 4096, requests.length}) {
            BerFramingGuard.Framing framing = new BerFramingGuard.Framing(MAX);
            assertNull(read(framing, requests, piece), "pieces of " + piece);
            assertTrue(framing.betweenRequests(), "pieces of " + piece);
        }
    }

    @Test
    void theDecodersOwnReadingsPass() {
        // The indefinite form is length 0 to the decoder; a high tag number is one octet to it.
        BerFramingGuard.Framing framing = new BerFramingGuard.Framing(MAX);
        assertNull(read(framing, hex("30 09 02 01 01 1f 00 a0 80 04 00"), 1));
        assertTrue(framing.betweenRequests());
        assertNull(read(framing, hex("30 84 00 00 00 03 02 01 02"), 2));
        assertTrue(framing.betweenRequests());
        assertNull(read(framing, hex("30 05 02 01"), 4));
        assertFalse(framing.betweenRequests(), "mid request: waits for the rest");
    }

    @Test
    void aHeaderThatRunsPastItsEnclosingElementIsFound() {
        // compare: the value's length one too short, so its last octet is a tag with no length
        byte[] compare = hex("30 15 02 01 05 6e 10 04 04 63 6e 3d 78 30 08 04 02 63 6e 04 01 61 62");
        assertNotNull(read(new BerFramingGuard.Framing(MAX), compare, 1));
        assertNotNull(read(new BerFramingGuard.Framing(MAX), compare, compare.length));
    }

    @Test
    void anElementLongerThanItsEnclosingElementOrTheMaximumIsFound() {
        assertNotNull(read(new BerFramingGuard.Framing(MAX), hex("30 06 02 01 05 04 05 61"), 8));
        assertNotNull(read(new BerFramingGuard.Framing(MAX), hex("30 0b 02 01 07 63 06 04 84 7f ff ff ff"), 13));
        assertNotNull(read(new BerFramingGuard.Framing(MAX), hex("30 84 7f ff 00 0f 02 01 07"), 9));
        assertNotNull(read(new BerFramingGuard.Framing(MAX), hex("30 84 ff ff ff ff"), 6));
        assertNotNull(read(new BerFramingGuard.Framing(MAX), hex("30 85 00 00 00 00 01 02"), 8));
        assertNull(read(new BerFramingGuard.Framing(MAX), hex("30 83 7f ff ff"), 5), "8 MiB - 1 is allowed");
    }

    @Test
    void nestingDeeperThanTheLimitIsFoundBeforeTheDecoderRecursesIntoIt() {
        assertNull(read(new BerFramingGuard.Framing(MAX), nested(BerFramingGuard.DEEPEST), 4096), "at the limit");
        byte[] deeper = nested(BerFramingGuard.DEEPEST + 1);
        assertNotNull(read(new BerFramingGuard.Framing(MAX), deeper, 4096));
        assertNotNull(read(new BerFramingGuard.Framing(MAX), nested(40_000), 4096), "forty thousand levels");
    }

    /** {@code levels} SEQUENCEs, one inside the other, around a NULL. */
    private static byte[] nested(int levels) {
        byte[] element = hex("05 00");
        for (int i = 0; i < levels; i++) {
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            out.write(0x30);
            int length = element.length;
            if (length < 0x80) {
                out.write(length);
            } else {
                out.write(0x84);
                out.write(length >>> 24);
                out.write(length >>> 16);
                out.write(length >>> 8);
                out.write(length);
            }
            out.writeBytes(element);
            element = out.toByteArray();
        }
        return element;
    }

    @Test
    void aRequestThatIsNotASequenceIsFoundAtItsFirstOctet() {
        // Stray octets after a request: the decoder took them for a request 0x70 octets long and
        // swallowed the client's next request into it.
        assertNotNull(read(new BerFramingGuard.Framing(MAX), hex("d6 70 1e 02 8b 18 99 00 00"), 1));
        BerFramingGuard.Framing framing = new BerFramingGuard.Framing(MAX);
        assertNull(read(framing, hex("30 03 02 01 01"), 5));
        assertNotNull(read(framing, hex("04 01 61"), 3), "after a request framed right too");
    }

    @Test
    void readingStopsAtTheEndOfEachRequest() {
        // two requests in one read, the second cut: the first is whole at its end, then the rest waits
        byte[] octets = hex("30 03 02 01 01 30 05 02 01 02 04 00 30 05 02");
        IoBuffer buffer = IoBuffer.wrap(octets);
        BerFramingGuard.Framing framing = new BerFramingGuard.Framing(MAX);
        int end = framing.readRequest(buffer, 0, octets.length);
        assertTrue(end == 5 && framing.betweenRequests(), "first request ends at 5, not " + end);
        framing.keep(buffer, 0, end);
        assertTrue(framing.takeRequest().remaining() == 5);
        end = framing.readRequest(buffer, 5, octets.length);
        assertTrue(end == 12 && framing.betweenRequests(), "second request ends at 12, not " + end);
        end = framing.readRequest(buffer, 12, octets.length);
        assertTrue(end == octets.length && !framing.betweenRequests(), "the third waits for its rest");
    }
}
