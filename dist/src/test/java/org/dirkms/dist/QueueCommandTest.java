package org.dirkms.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import org.dirkms.agent.directory.QueueSnapshot;
import org.junit.jupiter.api.Test;

/**
 * What {@code dirkms queue} prints for one snapshot read at a fixed moment: the aligned tables
 * with ages, deadlines and lease ends measured from that moment, the claimant CA by name, each
 * CA's load against its capacity and whether it is serving; and the same values in
 * {@code --json}.
 */
class QueueCommandTest {

    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-12-07T04:00:00.750Z"), ZoneOffset.UTC);
    private static final String SUFFIX = "dc=example,dc=com";
    private static final String QUEUE = "ou=Requests,ou=KMS," + SUFFIX;
    private static final String CAS = "ou=Certification Authorities,ou=KMS," + SUFFIX;
    private static final String TEMPLATES = "ou=Certificate Templates,ou=KMS," + SUFFIX;
    private static final String SIGNATURE = "cn=smime-signature," + TEMPLATES;
    private static final String ENCRYPTION = "cn=smime-encryption," + TEMPLATES;
    private static final String ROOT = "cn=Example Root CA," + CAS;
    private static final String SECOND = "cn=Second CA," + CAS;

    private static QueueSnapshot snapshot() {
        Instant now = CLOCK.instant();
        Instant second = Instant.parse("2026-12-07T04:00:00Z");
        return new QueueSnapshot(now, List.of(
                new QueueSnapshot.Request("cn=alice-signing," + QUEUE, "alice-signing", "pending",
                        "uid=alice,ou=People," + SUFFIX, SIGNATURE, second.minusSeconds(303),
                        second.plusSeconds(3300), null, null, null),
                new QueueSnapshot.Request("cn=bob-encryption," + QUEUE, "bob-encryption", "claimed",
                        "uid=bob,ou=People," + SUFFIX, ENCRYPTION, second.minusSeconds(7500), second.minusSeconds(60),
                        SECOND + " pid 4242 0a1b2c3d4e5f #3", second.plusSeconds(42), null),
                new QueueSnapshot.Request("cn=carol-signing," + QUEUE, "carol-signing", "failed",
                        "uid=carol,ou=People," + SUFFIX, SIGNATURE, second.minus(Duration.ofDays(2)), null, null, null,
                        "carol is not a KMS user")),
                List.of(new QueueSnapshot.Authority(ROOT, "Example Root CA", "active", 1, List.of(SIGNATURE, ENCRYPTION),
                                null, second.minusSeconds(95)),
                        new QueueSnapshot.Authority(SECOND, "Second CA", "active", 2, List.of(ENCRYPTION), 4,
                                second.minusSeconds(2))),
                List.of(SIGNATURE, ENCRYPTION));
    }

    @Test
    void theTablesShowWhatWaitsWhoHoldsItAndHowLoadedEachCaIs() {
        StringWriter text = new StringWriter();
        QueueCommand.print(snapshot(), false, QUEUE, new PrintWriter(text, true));
        assertEquals(String.join("\n",
                "REQUEST         STATE    TEMPLATE          AGE    DEADLINE                                 CLAIMED BY"
                        + "                          LEASE END",
                "bob-encryption  claimed  smime-encryption  2h 5m  2026-12-07T03:59:00Z (passed 1m 0s ago)"
                        + "  Second CA pid 4242 0a1b2c3d4e5f #3  2026-12-07T04:00:42Z (in 42s)",
                "  for uid=bob,ou=People,dc=example,dc=com",
                "alice-signing   pending  smime-signature   5m 3s  2026-12-07T04:55:00Z (in 55m 0s)         -"
                        + "                                   -",
                "  for uid=alice,ou=People,dc=example,dc=com",
                "2 requests waiting (1 claimed, 1 pending); 1 issued, failed or expired: --all lists them",
                "",
                "CA               STATE   SERVING  LOAD  CAPACITY      HEARTBEAT                          TEMPLATES",
                "Example Root CA  active  no       0     16 (default)  2026-12-07T03:58:25Z (1m 35s ago)  "
                        + "smime-signature,smime-encryption",
                "  " + ROOT,
                "Second CA        active  yes      1     4             2026-12-07T03:59:58Z (2s ago)      "
                        + "smime-encryption",
                "  " + SECOND,
                ""), text.toString());
    }

    @Test
    void allListsTheFinishedRequestsToo() {
        StringWriter text = new StringWriter();
        QueueCommand.print(snapshot(), true, QUEUE, new PrintWriter(text, true));
        assertTrue(text.toString().startsWith("REQUEST"), text.toString());
        assertTrue(text.toString().contains("\ncarol-signing   failed   smime-signature   2d 0h  -"), text.toString());
        assertTrue(text.toString().contains("\n3 requests (1 claimed, 1 failed, 1 pending)\n"), text.toString());
    }

    @Test
    void anEmptyQueueSaysSo() {
        StringWriter text = new StringWriter();
        QueueCommand.print(new QueueSnapshot(CLOCK.instant(), List.of(), List.of(), List.of()), false, QUEUE,
                new PrintWriter(text, true));
        assertEquals("no request in " + QUEUE + "\n\nno CA in the directory to serve the queue; 'dirkms ca init'"
                + " makes one\n", text.toString());
    }

    @Test
    void theJsonHasTheSameValuesInSeconds() throws Exception {
        JsonNode document = new com.fasterxml.jackson.databind.ObjectMapper().readTree(
                QueueCommand.json(snapshot(), false).toString());
        assertEquals("2026-12-07T04:00:00Z", document.get("readAt").asText());
        assertEquals(2, document.get("requests").size());
        assertEquals(1, document.get("requestsNotShown").asInt());
        JsonNode bob = document.get("requests").get(0);
        assertEquals("bob-encryption", bob.get("name").asText());
        assertEquals("claimed", bob.get("state").asText());
        assertEquals("smime-encryption", bob.get("template").asText());
        assertEquals(ENCRYPTION, bob.get("templateDn").asText());
        assertEquals("2026-12-07T01:55:00Z", bob.get("requested").asText());
        assertEquals(7500, bob.get("ageSeconds").asLong());
        assertEquals(-60, bob.get("expiresInSeconds").asLong());
        assertEquals("Second CA", bob.get("claimedByCa").asText());
        assertEquals("pid 4242 0a1b2c3d4e5f #3", bob.get("claimAttempt").asText());
        assertEquals(SECOND + " pid 4242 0a1b2c3d4e5f #3", bob.get("claimedBy").asText());
        assertEquals(42, bob.get("leaseExpiresInSeconds").asLong());
        JsonNode alice = document.get("requests").get(1);
        assertTrue(alice.get("claimedBy").isNull() && alice.get("leaseExpires").isNull()
                && alice.get("lastError").isNull(), alice.toString());
        JsonNode root = document.get("cas").get(0);
        assertEquals("Example Root CA", root.get("name").asText());
        assertEquals(16, root.get("capacity").asInt());
        assertEquals(false, root.get("capacitySet").asBoolean());
        assertEquals(0, root.get("load").asInt());
        assertEquals(95, root.get("heartbeatAgeSeconds").asLong());
        assertEquals(false, root.get("serving").asBoolean());
        assertEquals(List.of("smime-signature", "smime-encryption"), List.of(root.get("templates").get(0).asText(),
                root.get("templates").get(1).asText()));
        JsonNode second = document.get("cas").get(1);
        assertEquals(4, second.get("capacity").asInt());
        assertEquals(true, second.get("capacitySet").asBoolean());
        assertEquals(1, second.get("load").asInt());
        assertEquals(true, second.get("serving").asBoolean());
    }

    @Test
    void durationsReadAsAPersonWouldSayThem() {
        assertEquals("0s", QueueCommand.span(Duration.ZERO));
        assertEquals("59s", QueueCommand.span(Duration.ofSeconds(59)));
        assertEquals("1m 0s", QueueCommand.span(Duration.ofSeconds(60)));
        assertEquals("1h 0m", QueueCommand.span(Duration.ofSeconds(3600)));
        assertEquals("1d 1h", QueueCommand.span(Duration.ofHours(25)));
        assertEquals("-5s", QueueCommand.age(Duration.ofSeconds(-5)));
        Instant now = Instant.parse("2026-12-07T04:00:00Z");
        assertEquals("2026-12-07T04:00:00Z (passed 0s ago)", QueueCommand.until(now, now, "passed"));
        assertEquals("2026-12-07T04:00:01Z (in 1s)", QueueCommand.until(now.plusSeconds(1), now, "passed"));
    }
}
