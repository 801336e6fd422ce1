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
                .append("<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;margin-bottom:1.5em}"
                        + "td,th{border:1px solid #999;padding:.3em .6em;text-align:left}.ok{color:#060}"
                        + ".fail{color:#a00;font-weight:bold}</style></head><body>\n")
                .append("<h1>dirkms status</h1>\n<p>As of ").append(escape(now.toString())).append(": ")
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
        html.append("</table>\n<h2>Certificate request queue</h2>\n<table><tr><th>State</th><th>Requests</th></tr>\n");
        for (RequestState state : RequestState.values()) {
            row(html, state.ldapValue(), readings.requests().getOrDefault(state.ldapValue(), 0L));
        }
        html.append("</table>\n<p>Oldest pending request: ").append(readings.oldestPendingRequest() == null ? "none"
                : escape(readings.oldestPendingRequest() + " (" + Duration.between(readings.oldestPendingRequest(), now)
                        .toSeconds() + " s ago)")).append("</p>\n");
        html.append("<h2>Enrollments</h2>\n<table><tr><th>State</th><th>Users</th></tr>\n");
        for (EnrollmentState state : EnrollmentState.values()) {
            row(html, state.ldapValue(), readings.enrollments().getOrDefault(state.ldapValue(), 0L));
        }
        html.append("</table>\n<h2>Recent enrollment failures</h2>\n");
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

    private static void row(StringBuilder html, String state, long count) {
        html.append("<tr><td>").append(escape(state)).append("</td><td>").append(count).append("</td></tr>\n");
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
