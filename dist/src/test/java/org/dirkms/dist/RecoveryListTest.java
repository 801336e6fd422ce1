package org.dirkms.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import org.dirkms.agent.directory.Claim;
import org.dirkms.agent.directory.RecoveryRecords.RequestEntry;
import org.dirkms.schema.DirectoryLayout;
import org.dirkms.schema.RecoveryState;
import org.junit.jupiter.api.Test;

/**
 * {@code dirkms recovery list} shows what a person needs of each request: pending and approved
 * ones always, older final ones only with {@code --all}, the approvals given of those required
 * (each agent once), who holds a recovery now, how to fetch an approved one and why one ended.
 */
class RecoveryListTest {

    private static final Instant NOW = Instant.parse("2026-12-31T12:00:00Z");
    private static final String REQUESTS = new DirectoryLayout("dc=example,dc=com").recoveryRequests();
    private static final String ALICE = "uid=alice,ou=People,dc=example,dc=com";
    private static final String BOB = "uid=bob,ou=People,dc=example,dc=com";

    private static RequestEntry request(String name, RecoveryState state, Instant created, List<String> approvals,
            Claim claim, String lastError) {
        return new RequestEntry("cn=" + name + "," + REQUESTS, name, "uid=jdoe,ou=People,dc=example,dc=com", ALICE,
                approvals, "2", state, state.ldapValue(), null, claim, created,
                state == RecoveryState.APPROVED ? NOW.plus(Duration.ofDays(3)) : null, state == RecoveryState.APPROVED,
                state == RecoveryState.APPROVED, lastError, null);
    }

    private static String list(List<RequestEntry> requests, boolean all) {
        StringWriter text = new StringWriter();
        RecoveryCommand.list(requests, all, NOW, new PrintWriter(text, true));
        return text.toString();
    }

    @Test
    void pendingAndRecentRequestsWithTheirApprovalsAndOlderOnesOnlyOnRequest() {
        List<RequestEntry> requests = List.of(
                request("old", RecoveryState.DELIVERED, NOW.minus(Duration.ofDays(90)), List.of(BOB), null, null),
                request("waiting", RecoveryState.PENDING, NOW.minus(Duration.ofDays(1)),
                        List.of(BOB, "UID=Bob,OU=People,DC=example,DC=com"), null, null),
                request("working", RecoveryState.PENDING, NOW.minus(Duration.ofHours(2)), List.of(BOB, "uid=carol,"
                        + "ou=People,dc=example,dc=com"), Claim.of("uid=kms-agent pid 1 ab #3", NOW.plusSeconds(300)),
                        null),
                request("ready", RecoveryState.APPROVED, NOW.minus(Duration.ofHours(1)), List.of(), null, null),
                request("gone", RecoveryState.EXPIRED, NOW.minus(Duration.ofDays(8)), List.of(), null,
                        "not approved in time"));
        assertEquals("""
                gone  expired  uid=jdoe,ou=People,dc=example,dc=com
                  requested by uid=alice,ou=People,dc=example,dc=com at 2026-12-23T12:00:00Z
                  approvals 0 of 2
                  why: not approved in time
                waiting  pending  uid=jdoe,ou=People,dc=example,dc=com
                  requested by uid=alice,ou=People,dc=example,dc=com at 2026-12-30T12:00:00Z
                  approvals 1 of 2: uid=bob,ou=People,dc=example,dc=com
                working  pending  uid=jdoe,ou=People,dc=example,dc=com
                  requested by uid=alice,ou=People,dc=example,dc=com at 2026-12-31T10:00:00Z
                  approvals 2 of 2: uid=bob,ou=People,dc=example,dc=com; uid=carol,ou=People,dc=example,dc=com
                  being recovered by uid=kms-agent pid 1 ab #3 until 2026-12-31T12:05:00Z
                ready  approved  uid=jdoe,ou=People,dc=example,dc=com
                  requested by uid=alice,ou=People,dc=example,dc=com at 2026-12-31T11:00:00Z
                  approvals 0 of 2
                  package waiting for its requester until 2027-01-03T12:00:00Z: 'dirkms recovery fetch ready --out \
                FILE --bind-dn uid=alice,ou=People,dc=example,dc=com'
                4 requests (1 approved, 1 expired, 2 pending); 1 older: --all lists them
                """, list(requests, false).replace("\r\n", "\n"));
        assertTrue(list(requests, true).startsWith("old  delivered  "));
        assertEquals("no recovery requests\n", list(List.of(), false));
    }

    @Test
    void jsonListsTheSameRequestsWithStableFieldNamesAndNullsForWhatIsNotThere() throws Exception {
        List<RequestEntry> requests = List.of(
                request("old", RecoveryState.DELIVERED, NOW.minus(Duration.ofDays(90)), List.of(BOB), null, null),
                request("waiting", RecoveryState.PENDING, NOW.minus(Duration.ofDays(1)),
                        List.of(BOB, "UID=Bob,OU=People,DC=example,DC=com"), null, null),
                request("working", RecoveryState.PENDING, NOW.minus(Duration.ofHours(2)), List.of(BOB),
                        Claim.of("uid=kms-agent pid 1 ab #3", NOW.plusSeconds(300)), null),
                request("ready", RecoveryState.APPROVED, NOW.minus(Duration.ofHours(1)), List.of(), null, null),
                request("gone", RecoveryState.EXPIRED, NOW.minus(Duration.ofDays(8)), List.of(), null,
                        "not approved in time"));
        StringWriter text = new StringWriter();
        JsonOutput.print(new PrintWriter(text, true), RecoveryCommand.json(RecoveryCommand.shown(requests, false, NOW)));
        com.fasterxml.jackson.databind.JsonNode parsed = new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(text.toString());
        assertTrue(parsed.isArray());
        assertEquals(List.of("gone", "waiting", "working", "ready"), java.util.stream.StreamSupport
                .stream(parsed.spliterator(), false).map(node -> node.get("name").asText()).toList(),
                "the requests the text lists, in its order");
        com.fasterxml.jackson.databind.JsonNode waiting = parsed.get(1);
        assertEquals(List.of("name", "dn", "state", "target", "requester", "created", "description", "approvals",
                "approvalCount", "requiredApprovals", "certificateSerial", "certificateIssuer", "recoveringAttempt",
                "leaseExpires", "packageExpires", "lastError", "underCustody", "shareCount"),
                iterable(waiting.fieldNames()));
        assertEquals("pending", waiting.get("state").asText());
        assertEquals("2026-12-30T12:00:00Z", waiting.get("created").asText());
        assertEquals(1, waiting.get("approvalCount").asInt(), "each agent once");
        assertEquals(BOB, waiting.get("approvals").get(0).asText());
        assertEquals(2, waiting.get("requiredApprovals").asInt());
        assertTrue(waiting.get("lastError").isNull() && waiting.get("recoveringAttempt").isNull());
        assertEquals("uid=kms-agent pid 1 ab #3", parsed.get(2).get("recoveringAttempt").asText());
        assertEquals("2027-01-03T12:00:00Z", parsed.get(3).get("packageExpires").asText());
        assertEquals("not approved in time", parsed.get(0).get("lastError").asText());
        assertEquals(5, RecoveryCommand.json(RecoveryCommand.shown(requests, true, NOW)).size(), "--all");
    }

    /**
     * Under custody (docs/custody.md) the KMS holds a pending request from the start: the listing
     * says so, with the shares given and the KMS's note (a refused share, a take-over), not "being
     * recovered".
     */
    @Test
    void underCustodyAPendingRequestShowsItsSharesTheKeyHolderAndTheKmsNote() throws Exception {
        RequestEntry plain = request("custody", RecoveryState.PENDING, NOW.minus(Duration.ofHours(1)), List.of(BOB),
                Claim.of("uid=kms-agent pid 1 ab #4", NOW.plusSeconds(300)), "the share of " + BOB + " ...: refused");
        RequestEntry custody = new RequestEntry(plain.dn(), plain.name(), plain.target(), plain.requester(),
                plain.approvals(), plain.requiredApprovals(), plain.state(), plain.rawState(), null, plain.claim(),
                plain.created(), null, false, false, plain.lastError(), null, new byte[] {0x30, 0x00},
                List.of(new byte[] {0x30, 0x00}));
        assertEquals("""
                custody  pending  uid=jdoe,ou=People,dc=example,dc=com
                  requested by uid=alice,ou=People,dc=example,dc=com at 2026-12-31T11:00:00Z
                  approvals 1 of 2: uid=bob,ou=People,dc=example,dc=com
                  under custody: 1 share(s) given; request key held by uid=kms-agent pid 1 ab #4 until \
                2026-12-31T12:05:00Z; approve with 'dirkms recovery approve custody --bind-dn DN --key-package FILE'
                  note: the share of uid=bob,ou=People,dc=example,dc=com ...: refused
                1 request (1 pending)
                """, list(List.of(custody), false).replace("\r\n", "\n"));
        com.fasterxml.jackson.databind.JsonNode json = RecoveryCommand.json(List.of(custody)).get(0);
        assertTrue(json.get("underCustody").asBoolean());
        assertEquals(1, json.get("shareCount").asInt());
    }

    private static List<String> iterable(java.util.Iterator<String> names) {
        List<String> list = new java.util.ArrayList<>();
        names.forEachRemaining(list::add);
        return list;
    }
}
