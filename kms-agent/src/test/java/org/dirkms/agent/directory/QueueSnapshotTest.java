package org.dirkms.agent.directory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What {@link QueueSnapshot} derives from the entries at the moment of the read: a CA's load
 * counts only live claims of its own (however its DN is spelled in the claim), a CA without
 * {@code kmsCapacity} has the default, a CA whose heartbeat is more than 30 s old is not serving,
 * and the waiting requests are the pending and claimed ones, oldest first.
 */
class QueueSnapshotTest {

    private static final Instant NOW = Instant.parse("2026-12-07T04:00:00Z");
    private static final String CAS = "ou=Certification Authorities,ou=KMS,dc=example,dc=com";
    private static final String ROOT = "cn=Example Root CA," + CAS;
    private static final String SECOND = "cn=Second CA," + CAS;
    private static final String TEMPLATE = "cn=smime-signature,ou=Certificate Templates,ou=KMS,dc=example,dc=com";

    @Test
    void theLoadCountsTheLiveClaimsOfTheCaOnly() {
        QueueSnapshot snapshot = new QueueSnapshot(NOW, List.of(
                claimed("a", ROOT + " pid 41 0a0b0c0d0e0f #1", NOW.plusSeconds(60)),
                // The same DN spelled otherwise (RFC 4514): the same CA.
                claimed("b", "CN=example root ca, OU=Certification Authorities,ou=KMS,dc=example,dc=com pid 41"
                        + " 0a0b0c0d0e0f #2", NOW.plusSeconds(5)),
                // A lease that ran out: any CA may take it over, so it no longer counts.
                claimed("c", ROOT + " pid 41 0a0b0c0d0e0f #3", NOW),
                claimed("d", SECOND + " pid 7 ffeeddccbbaa #1", NOW.plusSeconds(60)),
                request("e", "pending", null, null),
                // Issued requests keep their kmsClaimedBy; they hold nothing.
                request("f", "issued", ROOT + " pid 41 0a0b0c0d0e0f #4", null)),
                List.of(ca(ROOT, 1, null, NOW), ca(SECOND, 2, 3, NOW.minusSeconds(31))), List.of(TEMPLATE));
        QueueSnapshot.Authority root = snapshot.authority("example root ca").orElseThrow();
        QueueSnapshot.Authority second = snapshot.authority("Second CA").orElseThrow();
        assertEquals(2, snapshot.load(root));
        assertEquals(1, snapshot.load(second));
        assertEquals(QueueSnapshot.DEFAULT_CAPACITY, root.effectiveCapacity());
        assertEquals(3, second.effectiveCapacity());
        QueueSnapshot.Request d = snapshot.requests().stream().filter(r -> r.name().equals("d")).findFirst().orElseThrow();
        assertEquals("Second CA", snapshot.claimant(d).orElseThrow().name());
        assertEquals("pid 7 ffeeddccbbaa #1", d.attempt());
        assertEquals("smime-signature", d.templateName());
    }

    @Test
    void aHeartbeatOlderThanThirtySecondsIsNotServing() {
        assertTrue(ca(ROOT, 1, null, NOW.minus(QueueSnapshot.HEARTBEAT_STALE_AFTER)).servingAt(NOW));
        assertFalse(ca(ROOT, 1, null, NOW.minus(QueueSnapshot.HEARTBEAT_STALE_AFTER).minusSeconds(1)).servingAt(NOW));
        assertFalse(ca(ROOT, 1, null, null).servingAt(NOW), "never beat: not serving");
        assertEquals(Duration.ofSeconds(12), ca(ROOT, 1, null, NOW.minusSeconds(12)).heartbeatAge(NOW));
    }

    @Test
    void theWaitingRequestsArePendingAndClaimedOldestFirst() {
        QueueSnapshot snapshot = new QueueSnapshot(NOW, List.of(
                new QueueSnapshot.Request("cn=new,ou=Requests", "new", "pending", null, TEMPLATE,
                        NOW.minusSeconds(5), null, null, null, null),
                new QueueSnapshot.Request("cn=old,ou=Requests", "old", "claimed", null, TEMPLATE,
                        NOW.minusSeconds(500), null, ROOT + " pid 1 00 #1", NOW.plusSeconds(9), null),
                new QueueSnapshot.Request("cn=done,ou=Requests", "done", "failed", null, TEMPLATE,
                        NOW.minusSeconds(900), null, null, null, "refused")),
                List.of(), List.of());
        assertEquals(List.of("old", "new"), snapshot.shown(false).stream().map(QueueSnapshot.Request::name).toList());
        assertEquals(List.of("done", "old", "new"), snapshot.shown(true).stream().map(QueueSnapshot.Request::name)
                .toList());
    }

    @Test
    void aClaimOfNoCaHereNamesNoClaimant() {
        QueueSnapshot.Request agent = claimed("x", "uid=kms-agent,ou=KMS,dc=example,dc=com pid 9 aa #1",
                NOW.plusSeconds(60));
        QueueSnapshot snapshot = new QueueSnapshot(NOW, List.of(agent), List.of(ca(ROOT, 1, null, NOW)), List.of());
        assertTrue(snapshot.claimant(agent).isEmpty());
        assertEquals(0, snapshot.load(snapshot.authorities().get(0)));
    }

    @Test
    void templatesAreFoundByNameWithoutRegardToCase() {
        QueueSnapshot snapshot = new QueueSnapshot(NOW, List.of(), List.of(ca(ROOT, 1, null, NOW)), List.of(TEMPLATE,
                "cn=legacy-v1,ou=Certificate Templates,ou=KMS,dc=example,dc=com"));
        assertEquals(TEMPLATE, snapshot.template("SMIME-Signature").orElseThrow());
        assertTrue(snapshot.template("smime-encryption").isEmpty());
        assertEquals(List.of("legacy-v1", "smime-signature"), snapshot.templateNames());
        assertEquals(TEMPLATE, snapshot.authorities().get(0).installed("smime-SIGNATURE").orElseThrow());
        assertTrue(snapshot.authorities().get(0).installed("legacy-v1").isEmpty());
    }

    private static QueueSnapshot.Request claimed(String name, String claimedBy, Instant lease) {
        return request(name, "claimed", claimedBy, lease);
    }

    private static QueueSnapshot.Request request(String name, String state, String claimedBy, Instant lease) {
        return new QueueSnapshot.Request("cn=" + name + ",ou=Requests,ou=KMS,dc=example,dc=com", name, state,
                "uid=" + name + ",ou=People,dc=example,dc=com", TEMPLATE, NOW.minusSeconds(60), NOW.plusSeconds(3600),
                claimedBy, lease, null);
    }

    private static QueueSnapshot.Authority ca(String dn, int priority, Integer capacity, Instant heartbeat) {
        return new QueueSnapshot.Authority(dn, dn.substring(3, dn.indexOf(',')), "active", priority, List.of(TEMPLATE),
                capacity, heartbeat);
    }
}
