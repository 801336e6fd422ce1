package org.dirkms.agent.operations;

import java.time.Duration;
import java.time.Instant;
import org.dirkms.agent.directory.LdapOperationsReadings;
import org.dirkms.schema.EnrollmentState;
import org.dirkms.schema.RequestState;

/**
 * The read-only HTML page of {@code /status} for administrators: the health checks, the CAs
 * with their state and CRL, the certificate request queue, the enrollments by state, the recent
 * enrollment failures with their plain {@code kmsLastError} reasons, and the pending recoveries
 * with their approval counts. No script, no form, no secret (the readings hold none); every
 * text taken from the directory is HTML-escaped.
 */
public final class StatusPage {
    private StatusPage() {
    }

    /**
     * The page.
     *
     * @param readings the directory's readings, or null when they cannot be read now
     * @param readingsProblem why they cannot be read, when {@code readings} is null
     * @param health the health report
     * @param now the time the page is made at
     */
    public static String render(LdapOperationsReadings.Readings readings, String readingsProblem, HealthReport health,
            Instant now) {
        StringBuilder html = new StringBuilder(4096);
        html.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>dirkms status</title>\n")
                .append("<style>body{font-family:sans-serif;margin:1em 2em}h1{font-size:1.4em}h2{font-size:1.1em;"
                        + "margin:1em 0 .3em}table{border-collapse:collapse;margin-bottom:.5em}p{margin:.3em 0}"
                        + "td,th{border:1px solid #999;padding:.2em .5em;text-align:left}.ok{color:#060}"
                        + ".fail{color:#a00;font-weight:bold}</style></head><body>\n")
                .append("<h1>dirkms status</h1>\n<p>As of ")
                .append(escape(now.truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString())).append(": ")
                .append(health.healthy() ? "<span class=\"ok\">healthy</span>" : "<span class=\"fail\">unhealthy</span>")
                .append("</p>\n");
        html.append("<h2>Health</h2>\n<table><tr><th>Check</th><th>Result</th><th>Detail</th></tr>\n");
        for (HealthCheck.Result result : health.results()) {
            html.append("<tr><td>").append(escape(result.name())).append("</td><td class=\"")
                    .append(result.healthy() ? "ok\">ok" : "fail\">FAIL").append("</td><td>")
                    .append(escape(result.detail())).append("</td></tr>\n");
        }
        html.append("</table>\n");
        if (readings == null) {
            html.append("<p class=\"fail\">The directory cannot be read now: ").append(escape(readingsProblem))
                    .append("</p>\n</body></html>\n");
            return html.toString();
        }
        html.append("<h2>Certification authorities</h2>\n<table><tr><th>CA</th><th>State</th>"
                + "<th>CRL next update</th></tr>\n");
        for (LdapOperationsReadings.CaReading ca : readings.cas()) {
            Instant next = CrlTimes.nextUpdate(ca.crl());
            String crl = next == null ? "no CRL published"
                    : next + (next.isAfter(now) ? "" : " (stale: past its next update)");
            html.append("<tr><td>").append(escape(ca.dn())).append("</td><td>").append(escape(ca.state()))
                    .append("</td><td>").append(escape(crl)).append("</td></tr>\n");
        }
        html.append("</table>\n<h2>Certificate request queue</h2>\n");
        counts(html, "Requests", java.util.Arrays.stream(RequestState.values()).map(RequestState::ldapValue).toList(),
                readings.requests());
        html.append("<p>Oldest pending request: ").append(readings.oldestPendingRequest() == null ? "none"
                : escape(readings.oldestPendingRequest() + " (" + Duration.between(readings.oldestPendingRequest(), now)
                        .toSeconds() + " s ago)")).append("</p>\n");
        html.append("<h2>Enrollments</h2>\n");
        counts(html, "Users", java.util.Arrays.stream(EnrollmentState.values()).map(EnrollmentState::ldapValue)
                .toList(), readings.enrollments());
        html.append("<h2>Recent enrollment failures</h2>\n");
        if (readings.failures().isEmpty()) {
            html.append("<p>None.</p>\n");
        } else {
            html.append("<table><tr><th>User</th><th>Reason (kmsLastError)</th><th>Last changed</th></tr>\n");
            for (LdapOperationsReadings.Failure failure : readings.failures()) {
                html.append("<tr><td>").append(escape(failure.userDn())).append("</td><td>")
                        .append(escape(failure.reason())).append("</td><td>")
                        .append(failure.at() == null ? "" : escape(failure.at().toString())).append("</td></tr>\n");
            }
            html.append("</table>\n");
        }
        html.append("<h2>Pending recoveries</h2>\n");
        if (readings.pendingRecoveries().isEmpty()) {
            html.append("<p>None.</p>\n");
        } else {
            html.append("<table><tr><th>Request</th><th>User</th><th>Approvals</th></tr>\n");
            for (LdapOperationsReadings.PendingRecovery recovery : readings.pendingRecoveries()) {
                html.append("<tr><td>").append(escape(recovery.requestDn())).append("</td><td>")
                        .append(escape(recovery.targetDn())).append("</td><td>").append(recovery.approvals())
                        .append(" of ").append(recovery.requiredApprovals()).append("</td></tr>\n");
            }
            html.append("</table>\n");
        }
        if (readings.auditSequence() != null) {
            html.append("<p>Audit head: record ").append(readings.auditSequence()).append("</p>\n");
        }
        return html.append("</body></html>\n").toString();
    }

    /** One table: a header row of states, a row of their counts (0 when absent). */
    private static void counts(StringBuilder html, String what, java.util.List<String> states,
            java.util.Map<String, Long> counts) {
        html.append("<table><tr><th>State</th>");
        states.forEach(state -> html.append("<th>").append(escape(state)).append("</th>"));
        html.append("</tr>\n<tr><td>").append(escape(what)).append("</td>");
        states.forEach(state -> html.append("<td>").append(counts.getOrDefault(state, 0L)).append("</td>"));
        html.append("</tr></table>\n");
    }

    /** HTML-escapes text for an element's content or a quoted attribute value. */
    static String escape(String text) {
        if (text == null) {
            return "";
        }
        StringBuilder escaped = new StringBuilder(text.length() + 16);
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '&' -> escaped.append("&amp;");
                case '<' -> escaped.append("&lt;");
                case '>' -> escaped.append("&gt;");
                case '"' -> escaped.append("&quot;");
                case '\'' -> escaped.append("&#39;");
                default -> escaped.append(c);
            }
        }
        return escaped.toString();
    }
}
