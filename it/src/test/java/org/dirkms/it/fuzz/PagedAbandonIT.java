package org.dirkms.it.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.List;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;

import org.dirkms.it.support.TestDirectory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A paged search abandoned (page size 0, RFC 2696 section 3) with a cookie that names no paged
 * search of the connection, found by the fuzz suite ({@code ServerFuzzIT}'s filter target):
 * ApacheDS answered other (80) with the text of a NullPointerException. It is now refused as
 * the same cookie is refused with a page size above 0, unwillingToPerform (53), and a paged
 * search the connection did start is still abandoned.
 */
class PagedAbandonIT {

    @RegisterExtension
    static final TestDirectory directory = new TestDirectory();

    private static SSLContext tls;

    @BeforeAll
    static void tls() throws Exception {
        tls = SSLContext.getInstance("TLS");
        tls.init(null, new TrustManager[] {directory.trustManager()}, null);
    }

    private static byte[] search(String base) {
        return LdapRequests.search(TextValues.utf8(base), 2, 0, 0, 0, false, Ber.string(0x87, "objectClass"),
                List.of(TextValues.utf8("1.1")));
    }

    private static byte[] paged(int size, byte[] cookie) {
        return LdapRequests.control("1.2.840.113556.1.4.319", false,
                Ber.constructed(0x30, Ber.integer(0x02, size), Ber.tlv(0x04, cookie)));
    }

    @Test
    void anUnknownCookieIsRefusedWhenAbandoningAsWhenPaging() throws Exception {
        String suffix = directory.layout().suffix();
        try (WireConnection client = WireConnection.ldaps(directory.ldapsPort(), tls)) {
            assertEquals(0, client.bind(directory.adminDn(), directory.adminPassword()).code());
            for (byte[] cookie : List.of(new byte[] {0x12, 0x34, 0x56, 0x78}, new byte[] {1}, new byte[23])) {
                for (int size : new int[] {0, 2}) {
                    LdapResponse response = client.request(search(suffix), paged(size, cookie), 10_000);
                    assertEquals(53, response.code(), "page size " + size + ", a " + cookie.length + "-octet cookie: "
                            + response.label() + " " + response.diagnostic());
                    assertFalse(response.diagnostic().contains("Exception") || response.diagnostic().contains("null"),
                            response.diagnostic());
                }
            }
            // Abandoning without a cookie is nothing to do; the connection still answers.
            assertEquals(0, client.request(search(suffix), paged(0, new byte[0]), 10_000).code());
            assertEquals(0, client.request(LdapRequests.probe(suffix), null, 10_000).code());
        }
    }
}
