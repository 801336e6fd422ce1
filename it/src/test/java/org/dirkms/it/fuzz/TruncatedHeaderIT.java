package org.dirkms.it.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HexFormat;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;

import org.dirkms.it.support.TestDirectory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A request whose outer element ends between an inner element's tag and its length, found by the
 * fuzz suite ({@link ServerFuzzIT}'s wire target; a length one octet too short does it): the LDAP
 * API's decoder took the octets of the client's next request for the rest of the header and
 * answered neither request, so the client waited for ever. Such a request now ends its
 * connection with a Notice of Disconnection (protocolError) at once, and requests framed right
 * are answered as before.
 */
class TruncatedHeaderIT {

    @RegisterExtension
    static final TestDirectory directory = new TestDirectory();

    private static SSLContext tls;

    @BeforeAll
    static void tls() throws Exception {
        tls = SSLContext.getInstance("TLS");
        tls.init(null, new TrustManager[] {directory.trustManager()}, null);
    }

    /** A compare of cn=a on {@code dn}, its value's length one octet short when {@code cut}. */
    private static byte[] compare(int messageId, String dn, boolean cut) {
        byte[] assertion = Ber.constructed(0x30, Ber.string(0x04, "cn"),
                cut ? HexFormat.of().parseHex("04016162") : Ber.string(0x04, "a"));
        return Ber.constructed(0x30, Ber.tlv(0x02, new byte[] {(byte) messageId}),
                Ber.constructed(0x6e, Ber.string(0x04, dn), assertion));
    }

    @Test
    void aHeaderCutByTheEndOfItsRequestEndsTheConnectionAtOnce() throws Exception {
        String dn = directory.agentDn();
        for (boolean ldaps : new boolean[] {true, false}) {
            try (WireConnection client = ldaps ? WireConnection.ldaps(directory.ldapsPort(), tls)
                    : WireConnection.startTls(directory.ldapPort(), tls)) {
                assertEquals(0, client.bind(directory.agentDn(), directory.agentPassword()).code());
                LdapResponse framed = client.raw(compare(client.nextMessageId(), dn, false), 10_000);
                assertTrue(framed.code() >= 0, "answered: " + framed.label() + " " + framed.diagnostic());
                LdapResponse cut = client.raw(compare(client.nextMessageId(), dn, true), 10_000);
                assertEquals(LdapResponse.CLOSED, cut.code(), cut.label() + " " + cut.diagnostic());
            }
        }
        try (WireConnection fresh = WireConnection.ldaps(directory.ldapsPort(), tls)) {
            fresh.bind(null, null);
            assertEquals(0, fresh.request(LdapRequests.probe(directory.layout().suffix()), null, 10_000).code());
        }
    }
}
