package org.dirkms.it.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;

import org.dirkms.it.support.TestDirectory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Search filters nested deeper than any client needs, found by the fuzz suite
 * ({@link ServerFuzzIT}'s filter target): a few thousand levels (a few kilobytes of BER) made the
 * LDAP API's decoder recurse until StackOverflowError, which no one caught: the MINA I/O thread
 * died, and with it every connection it served — after a few such searches (anonymous ones will
 * do) the server accepted connections and answered none. Such a request now ends its own
 * connection with a Notice of Disconnection (protocolError), and the server goes on serving every
 * other connection; a filter that decodes is answered as before.
 */
class DeepFilterIT {

    @RegisterExtension
    static final TestDirectory directory = new TestDirectory();

    private static SSLContext tls;

    @BeforeAll
    static void tls() throws Exception {
        tls = SSLContext.getInstance("TLS");
        tls.init(null, new TrustManager[] {directory.trustManager()}, null);
    }

    private static byte[] nested(int levels) {
        FilterTerm filter = new FilterTerm.Present(TextValues.utf8("objectClass"));
        for (int i = 0; i < levels; i++) {
            filter = new FilterTerm.Branch(i % 2 == 0, List.of(filter));
        }
        return LdapRequests.search(TextValues.utf8(directory.layout().suffix()), 2, 0, 0, 10, false, filter.encode(),
                List.of(TextValues.utf8("1.1")));
    }

    private static LdapResponse probe(WireConnection connection) {
        return connection.request(LdapRequests.probe(directory.layout().suffix()), null, 10_000);
    }

    @Test
    void aFilterTooDeepToDecodeEndsItsConnectionAndNoOther() throws Exception {
        List<WireConnection> bystanders = new ArrayList<>();
        try {
            // More connections than the server has I/O threads, so that each thread serves one.
            for (int i = 0; i < 8; i++) {
                WireConnection bystander = WireConnection.ldaps(directory.ldapsPort(), tls);
                bystander.bind(null, null);
                bystanders.add(bystander);
            }
            for (int round = 0; round < 6; round++) {
                try (WireConnection attacker = WireConnection.ldaps(directory.ldapsPort(), tls)) {
                    attacker.bind(null, null);
                    LdapResponse response = attacker.request(nested(40_000), null, 15_000);
                    assertEquals(LdapResponse.CLOSED, response.code(), "round " + round + ": " + response.label() + " "
                            + response.diagnostic());
                }
            }
            for (WireConnection bystander : bystanders) {
                assertEquals(0, probe(bystander).code(), "a connection of another client still answers");
            }
            try (WireConnection fresh = WireConnection.ldaps(directory.ldapsPort(), tls)) {
                fresh.bind(null, null);
                assertEquals(0, probe(fresh).code(), "a new connection answers");
            }
        } finally {
            bystanders.forEach(WireConnection::close);
        }
    }

    @Test
    void aFilterThatDecodesIsAnsweredAsBefore() throws Exception {
        try (WireConnection agent = WireConnection.startTls(directory.ldapPort(), tls)) {
            agent.bind(directory.agentDn(), directory.agentPassword());
            for (int levels : new int[] {20, 500}) {
                LdapResponse response = agent.request(nested(levels), null, 15_000);
                assertEquals(0, response.code(), levels + " levels: " + response.label() + " " + response.diagnostic());
            }
            assertEquals(0, probe(agent).code());
        }
    }
}
