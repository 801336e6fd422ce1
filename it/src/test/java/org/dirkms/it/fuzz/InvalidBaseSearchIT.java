package org.dirkms.it.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;

import org.dirkms.it.support.TestDirectory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A search whose base is not a DN, in a request that reaches the server in several reads (a
 * filter of tens of kilobytes), found by the fuzz suite ({@code ServerFuzzIT}'s filter target):
 * the decoder answered invalidDNSyntax (34) and dropped the octets of the request it had been
 * given so far, then decoded the octets still to come as a request of their own and ended the
 * connection with protocolError, so the client's next request failed. The connection now goes on
 * after the answer, whatever the request's size.
 */
class InvalidBaseSearchIT {

    @RegisterExtension
    static final TestDirectory directory = new TestDirectory();

    private static SSLContext tls;

    @BeforeAll
    static void tls() throws Exception {
        tls = SSLContext.getInstance("TLS");
        tls.init(null, new TrustManager[] {directory.trustManager()}, null);
    }

    private static byte[] search(String base, int valueOctets) {
        return LdapRequests.search(TextValues.utf8(base), 0, 0, 2, 0, false,
                Ber.constructed(0xa3, Ber.string(0x04, "description"), Ber.string(0x04, "v".repeat(valueOctets))),
                List.of());
    }

    @Test
    void theConnectionAnswersAfterASearchWhoseBaseIsNotADnWhateverItsSize() throws Exception {
        String suffix = directory.layout().suffix();
        for (boolean ldaps : new boolean[] {true, false}) {
            try (WireConnection client = ldaps ? WireConnection.ldaps(directory.ldapsPort(), tls)
                    : WireConnection.startTls(directory.ldapPort(), tls)) {
                assertEquals(0, client.bind(directory.agentDn(), directory.agentPassword()).code());
                for (int size : new int[] {10, 20_000, 70_000, 300_000}) {
                    for (String base : List.of("ou\t=KMS," + suffix, "=x," + suffix)) {
                        LdapResponse refused = client.request(search(base, size), null, 10_000);
                        assertEquals(34, refused.code(), size + " octets: " + refused.label() + " " + refused.diagnostic());
                        LdapResponse after = client.request(LdapRequests.probe(suffix), null, 10_000);
                        assertEquals(0, after.code(), "after " + size + " octets: " + after.label() + " "
                                + after.diagnostic());
                    }
                }
            }
        }
    }
}
