package org.dirkms.agent.operations;

import java.util.List;

/**
 * The answer of {@code /healthz}: every check's result, healthy only when all are.
 *
 * @param results the checks' results, in the order they ran
 */
public record HealthReport(List<HealthCheck.Result> results) {
    /** Copies the list. */
    public HealthReport {
        results = List.copyOf(results);
    }

    /** Runs {@code checks} in order. */
    public static HealthReport of(List<HealthCheck> checks) {
        return new HealthReport(checks.stream().map(HealthCheck::check).toList());
    }

    /** Whether every check passed. */
    public boolean healthy() {
        return results.stream().allMatch(HealthCheck.Result::healthy);
    }

    /** The HTTP status: 200 when healthy, 503 (RFC 9110 section 15.6.4) when not. */
    public int httpStatus() {
        return healthy() ? 200 : 503;
    }

    /**
     * The body: {@code healthy} or {@code unhealthy}, then one line per check,
     * {@code <name> ok|FAIL <detail>}. Line breaks in a detail become spaces, so each check stays
     * one line.
     */
    public String text() {
        StringBuilder text = new StringBuilder(healthy() ? "healthy\n" : "unhealthy\n");
        for (HealthCheck.Result result : results) {
            text.append(result.name()).append(result.healthy() ? " ok " : " FAIL ")
                    .append(result.detail().replaceAll("[\\r\\n]+", " ")).append('\n');
        }
        return text.toString();
    }
}
