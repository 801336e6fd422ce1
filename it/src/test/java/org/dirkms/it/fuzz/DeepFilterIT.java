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
 * Search filters nested deeper than any client needs, found by the fuzz suite
 * ({@link ServerFuzzIT}'s filter target): a few thousand levels (a few kilobytes of BER) made the
 * LDAP API's decoder recurse until StackOverflowError, which no one caught: the MINA I/O thread
 * died, and with it every connection it served — after a few such searches (anonymous ones will
 * do) the server accepted connections and answered none. Such a request now ends its own
 * connection with a Notice of Disconnection (protocolError), and the server goes on serving every
 * other connection. Shallower filters that still nest past what anything needs decode, then
 * cost AM27 minutes: they are refused first (SearchFilterScreen), with extensible matches, which
 * AM27 does not implement; filters within the limit are answered as before.
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

    /**
     * A thousand levels of AND and OR around a 70 000-octet value decode; when such a search
     * fails (here: an assertion value AM27 cannot normalize), AM27 writes the request into the
     * diagnostic, and the request's hash code normalizes the filter with a visitor that renders the
     * whole subtree again at every level: a worker thread ran for minutes on one search, and a few
     * such searches (anonymous ones will do) took every worker. Now unwillingToPerform (53) at once.
     */
    @Test
    void aFilterNestedDeeperThanTheLimitIsRefusedAtOnceAndTheServerGoesOn() throws Exception {
        FilterTerm chain = new FilterTerm.Branch(false, List.of(
                new FilterTerm.Assertion(0xa3, TextValues.utf8("modifyTimestamp"), TextValues.utf8("now"), false),
                new FilterTerm.Assertion(0xa3, TextValues.utf8("cn"), "v".repeat(70_000).getBytes(
                        java.nio.charset.StandardCharsets.US_ASCII), false)));
        for (int i = 0; i < 1_000; i++) {
            chain = new FilterTerm.Branch(i % 2 == 0, List.of(chain));
        }
        byte[] search = LdapRequests.search(TextValues.utf8(directory.layout().suffix()), 2, 0, 0, 0, false,
                chain.encode(), List.of(TextValues.utf8("cn")));
        try (WireConnection agent = WireConnection.startTls(directory.ldapPort(), tls)) {
            agent.bind(directory.agentDn(), directory.agentPassword());
            long started = System.nanoTime();
            LdapResponse response = agent.request(search, null, 15_000);
            assertEquals(53, response.code(), response.label() + " " + response.diagnostic());
            assertTrue(System.nanoTime() - started < 5_000_000_000L, "refused at once");
            byte[] write = LdapRequests.modify(TextValues.utf8(directory.agentDn()), List.of(new LdapRequests.Change(
                    LdapRequests.REPLACE, TextValues.utf8("description"), List.of(TextValues.utf8("still writable")))));
            assertEquals(0, agent.request(write, null, 15_000).code(), "writes go on");
            assertEquals(0, probe(agent).code());
        }
    }

    /** AM27 answered an extensible match with operationsError (1): "N O T   I M P L E M E N T E D   Y E T !". */
    @Test
    void anExtensibleMatchIsUnwillingToPerform() throws Exception {
        FilterTerm extensible = new FilterTerm.Extensible(TextValues.utf8("caseIgnoreMatch"), TextValues.utf8("uid"),
                TextValues.utf8("kms-agent"), false, false);
        try (WireConnection agent = WireConnection.startTls(directory.ldapPort(), tls)) {
            agent.bind(directory.agentDn(), directory.agentPassword());
            LdapResponse response = agent.request(LdapRequests.search(TextValues.utf8(directory.layout().suffix()), 2,
                    0, 0, 0, false, extensible.encode(), List.of(TextValues.utf8("1.1"))), null, 15_000);
            assertEquals(53, response.code(), response.label() + " " + response.diagnostic());
            assertTrue(response.diagnostic().contains("extensible match"), response.diagnostic());
        }
    }

    @Test
    void aFilterWithinTheLimitIsAnsweredAsBefore() throws Exception {
        try (WireConnection agent = WireConnection.startTls(directory.ldapPort(), tls)) {
            agent.bind(directory.agentDn(), directory.agentPassword());
            for (int levels : new int[] {20, 99}) {
                LdapResponse response = agent.request(nested(levels), null, 15_000);
                assertEquals(0, response.code(), levels + " levels: " + response.label() + " " + response.diagnostic());
            }
            assertEquals(0, probe(agent).code());
        }
    }
}
