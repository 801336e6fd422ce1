package org.dirkms.it.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;

import org.dirkms.it.support.TestDirectory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Requests whose length fields claim up to 2 GB, found by the fuzz suite ({@link ServerFuzzIT}'s
 * wire target). Embedded ApacheDS has no maximum request size, so its decoder allocated the
 * claimed length of an element in full and held it while waiting for the octets; and it checks
 * that an element fits in the one around it by adding its header to its length in an
 * {@code int}, which overflows for lengths just under 2^31, so even a request whose outer length
 * is honest passed the check and asked for a 2 GB array: the OutOfMemoryError killed the MINA I/O
 * thread that read it, and every other connection it served, and every new one it was given,
 * waited forever. A dozen octets, sent by anyone before binding (or StartTLS), were enough. Such
 * a request now ends its own connection (the server's maximum request size,
 * {@code DirectoryServer.MAX_REQUEST_OCTETS}), and the server goes on serving every other one.
 */
class OverflowingLengthIT {

    @RegisterExtension
    static final TestDirectory directory = new TestDirectory();

    private static SSLContext tls;

    @BeforeAll
    static void tls() throws Exception {
        tls = SSLContext.getInstance("TLS");
        tls.init(null, new TrustManager[] {directory.trustManager()}, null);
    }

    /**
     * A search whose base DN claims {@code length} octets; only the headers are sent. With
     * {@code honest}, the message and the search claim only those headers (the base DN's
     * length overflows the decoder's check); otherwise they claim room for the base DN too.
     */
    private static byte[] claiming(long length, boolean honest) {
        byte[] baseDn = header(0x04, length);
        byte[] search = honest ? Ber.tlv(0x63, baseDn) : Ber.concat(List.of(header(0x63, length + 6), baseDn));
        byte[] id = {0x02, 0x01, 0x07};
        return honest ? Ber.constructed(0x30, id, search)
                : Ber.concat(List.of(header(0x30, length + 15), id, search));
    }

    private static byte[] header(int tag, long length) {
        return new byte[] {(byte) tag, (byte) 0x84, (byte) (length >>> 24), (byte) (length >>> 16),
                (byte) (length >>> 8), (byte) length};
    }

    private static LdapResponse probe(WireConnection connection) {
        return connection.request(LdapRequests.probe(directory.layout().suffix()), null, 10_000);
    }

    @Test
    void aLengthThatOverflowsTheDecodersCheckEndsItsConnectionAndNoOther() throws Exception {
        List<WireConnection> bystanders = new ArrayList<>();
        try {
            // More connections than the server has I/O threads, so that each thread serves one.
            for (int i = 0; i < 8; i++) {
                WireConnection bystander = i % 2 == 0 ? WireConnection.ldaps(directory.ldapsPort(), tls)
                        : WireConnection.startTls(directory.ldapPort(), tls);
                bystander.bind(null, null);
                bystanders.add(bystander);
            }
            List<byte[]> requests = List.of(claiming(0x7fff_ffffL, true), claiming(0x7fff_fffdL, true),
                    claiming(0x7fff_fffaL, true), claiming(0x7fff_0000L, false), claiming(0x4000_0000L, false),
                    claiming(0x7fff_0000L, false));
            for (int round = 0; round < requests.size() * 2; round++) {
                try (WireConnection attacker = round % 2 == 0 ? WireConnection.ldaps(directory.ldapsPort(), tls)
                        : WireConnection.startTls(directory.ldapPort(), tls)) {
                    LdapResponse response = attacker.raw(requests.get(round / 2), 10_000);
                    assertEquals(LdapResponse.CLOSED, response.code(), "request " + round / 2 + ", round " + round
                            + ": " + response.label() + " " + response.diagnostic());
                }
            }
            byte[] compare = Ber.constructed(0x6e, Ber.string(0x04, directory.agentDn()), Ber.constructed(0x30,
                    Ber.string(0x04, "description"), Ber.string(0x04, "d".repeat(1_000_000))));
            assertTrue(bystanders.get(1).request(compare, null, 15_000).code() >= 0,
                    "a request of a megabyte is answered");
            for (WireConnection bystander : bystanders) {
                assertEquals(0, probe(bystander).code(), "a connection of another client still answers");
            }
            try (WireConnection fresh = WireConnection.startTls(directory.ldapPort(), tls)) {
                fresh.bind(null, null);
                assertEquals(0, probe(fresh).code(), "a new connection answers");
            }
        } finally {
            bystanders.forEach(WireConnection::close);
        }
    }
}
