package org.dirkms.agent.operations;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.dirkms.agent.directory.LdapOperationsReadings;
import org.junit.jupiter.api.Test;

class StatusPageTest {
    private static final Instant NOW = Instant.parse("2026-12-07T01:00:00Z");

    @Test
    void escapesEverythingTakenFromTheDirectory() {
        LdapOperationsReadings.Readings readings = new LdapOperationsReadings.Readings(Map.of("failed", 1L),
                Map.of("pending", 2L), NOW.minusSeconds(90), Map.of("pending", 1L),
                List.of(new LdapOperationsReadings.Failure("uid=<script>alert(1)</script>,ou=People,dc=example,dc=com",
                        "the entry has no mail address: add mail & try \"again\"", NOW)),
                List.of(new LdapOperationsReadings.PendingRecovery("cn=r<1>,ou=Recovery Requests", "uid=o'brien", 1, 2)),
                List.of(new LdapOperationsReadings.CaReading("cn=Example & Co CA", "active", null)), 7L);
        HealthReport health = new HealthReport(List.of(new HealthCheck.Result("ca", false, "cannot open <file>")));
        String page = StatusPage.render(readings, null, health, NOW);
        assertFalse(page.contains("<script>"), page);
        assertTrue(page.contains("uid=&lt;script&gt;alert(1)&lt;/script&gt;,ou=People"), page);
        assertTrue(page.contains("add mail &amp; try &quot;again&quot;"), page);
        assertTrue(page.contains("cn=r&lt;1&gt;") && page.contains("uid=o&#39;brien") && page.contains("1 of 2"), page);
        assertTrue(page.contains("cn=Example &amp; Co CA") && page.contains("no CRL published"), page);
        assertTrue(page.contains("cannot open &lt;file&gt;") && page.contains("unhealthy"), page);
        assertTrue(page.contains("(90 s ago)") && page.contains("Audit head: record 7"), page);
    }

    @Test
    void saysWhyWhenTheDirectoryCannotBeRead() {
        String page = StatusPage.render(null, "cannot reach the directory: <refused>",
                new HealthReport(List.of(new HealthCheck.Result("directory", false, "refused"))), NOW);
        assertTrue(page.contains("The directory cannot be read now: cannot reach the directory: &lt;refused&gt;"), page);
    }
}
