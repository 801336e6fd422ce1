package org.dirkms.agent.operations;

import com.sun.management.UnixOperatingSystemMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.dirkms.agent.directory.LdapOperationsReadings;
import org.dirkms.agent.enroll.EnrollmentResult;
import org.dirkms.schema.EnrollmentState;
import org.dirkms.schema.LdapEnumeration;
import org.dirkms.schema.RecoveryState;
import org.dirkms.schema.RequestState;

/**
 * The metrics of {@code /metrics}: the directory's readings (enrollments, request queue,
 * recoveries, CRLs, audit head), the agent's outcome counters, the health checks, and the
 * process basics, in the {@link PrometheusText} format. Every state of each kind is written,
 * zero when no entry is in it, so that a query never meets a missing series.
 */
public final class OperationsMetrics {
    private OperationsMetrics() {
    }

    /**
     * The exposition.
     *
     * @param readings the directory's readings, or null when they cannot be read now
     * @param outcomes the agent's outcome counts since start, or null when no agent runs here
     * @param health the health report
     * @param now the time the queue's age is measured at
     */
    public static String render(LdapOperationsReadings.Readings readings, Map<EnrollmentResult.Outcome, Long> outcomes,
            HealthReport health, Instant now) {
        PrometheusText text = new PrometheusText();
        text.family("dirkms_up", PrometheusText.Type.GAUGE, "1 when every /healthz check passes, else 0")
                .sample("dirkms_up", health.healthy() ? 1 : 0);
        text.family("dirkms_health_check", PrometheusText.Type.GAUGE, "1 when the /healthz check passes, else 0");
        for (HealthCheck.Result result : health.results()) {
            text.sample("dirkms_health_check", Map.of("check", result.name()), result.healthy() ? 1 : 0);
        }
        text.family("dirkms_directory_readable", PrometheusText.Type.GAUGE,
                "1 when the directory answered the searches behind these metrics, else 0 (and the directory"
                        + " metrics are absent)")
                .sample("dirkms_directory_readable", readings == null ? 0 : 1);
        if (readings != null) {
            byState(text, "dirkms_enrollments", "Users (kmsUser) by kmsEnrollmentState; enrolled, failed and revoked"
                    + " are the outcomes", EnrollmentState.values(), readings.enrollments());
            byState(text, "dirkms_certificate_requests", "Certificate requests in ou=Requests by kmsRequestState",
                    RequestState.values(), readings.requests());
            text.family("dirkms_certificate_request_queue_depth", PrometheusText.Type.GAUGE,
                    "Certificate requests waiting for a CA (pending)")
                    .sample("dirkms_certificate_request_queue_depth",
                            readings.requests().getOrDefault(RequestState.PENDING.ldapValue(), 0L));
            text.family("dirkms_certificate_request_queue_oldest_age_seconds", PrometheusText.Type.GAUGE,
                    "Age of the oldest pending certificate request (kmsRequestedTime), 0 when none waits")
                    .sample("dirkms_certificate_request_queue_oldest_age_seconds",
                            readings.oldestPendingRequest() == null ? 0
                                    : Math.max(0, Duration.between(readings.oldestPendingRequest(), now).toSeconds()));
            byState(text, "dirkms_recovery_requests", "Key recovery requests by kmsRecoveryState",
                    RecoveryState.values(), readings.recoveries());
            text.family("dirkms_recovery_pending_approvals", PrometheusText.Type.GAUGE,
                    "Approvals given to the pending recovery requests, summed");
            text.sample("dirkms_recovery_pending_approvals", readings.pendingRecoveries().stream()
                    .mapToLong(LdapOperationsReadings.PendingRecovery::approvals).sum());
            text.family("dirkms_crl_next_update_seconds", PrometheusText.Type.GAUGE,
                    "nextUpdate of the CRL published on each CA entry, unix seconds (RFC 5280 section 5.1.2.5)");
            for (LdapOperationsReadings.CaReading ca : readings.cas()) {
                Instant next = CrlTimes.nextUpdate(ca.crl());
                if (next != null) {
                    text.sample("dirkms_crl_next_update_seconds", Map.of("ca", ca.dn()), next.getEpochSecond());
                }
            }
            text.family("dirkms_certification_authorities", PrometheusText.Type.GAUGE,
                    "CA entries by kmsCAState");
            Map<String, Long> caStates = new java.util.TreeMap<>();
            readings.cas().forEach(ca -> caStates.merge(ca.state(), 1L, Long::sum));
            caStates.forEach((state, count) -> text.sample("dirkms_certification_authorities", Map.of("state", state),
                    count));
            if (readings.auditSequence() != null) {
                text.family("dirkms_audit_head_sequence", PrometheusText.Type.GAUGE,
                        "Sequence number of the audit record anchored as the head of the audit chain")
                        .sample("dirkms_audit_head_sequence", readings.auditSequence());
            }
        }
        if (outcomes != null) {
            text.family("dirkms_agent_enrollment_outcomes_total", PrometheusText.Type.COUNTER,
                    "Users the agent in this process handled, by what the handling did, since start; enrolled means"
                            + " certificates issued");
            for (EnrollmentResult.Outcome outcome : EnrollmentResult.Outcome.values()) {
                text.sample("dirkms_agent_enrollment_outcomes_total",
                        Map.of("outcome", outcome.name().toLowerCase(java.util.Locale.ROOT)),
                        outcomes.getOrDefault(outcome, 0L));
            }
        }
        processBasics(text);
        return text.toString();
    }

    private static <E extends Enum<E> & LdapEnumeration> void byState(PrometheusText text, String name, String help,
            E[] states, Map<String, Long> counts) {
        text.family(name, PrometheusText.Type.GAUGE, help);
        for (E state : states) {
            text.sample(name, Map.of("state", state.ldapValue()), counts.getOrDefault(state.ldapValue(), 0L));
        }
    }

    /** The process metrics every Prometheus client writes under these names. */
    private static void processBasics(PrometheusText text) {
        var runtime = ManagementFactory.getRuntimeMXBean();
        text.family("process_start_time_seconds", PrometheusText.Type.GAUGE,
                "Start time of the process since unix epoch in seconds")
                .sample("process_start_time_seconds", runtime.getStartTime() / 1000.0);
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            text.family("process_cpu_seconds_total", PrometheusText.Type.COUNTER,
                    "Total user and system CPU time spent in seconds")
                    .sample("process_cpu_seconds_total", os.getProcessCpuTime() / 1e9);
        }
        if (ManagementFactory.getOperatingSystemMXBean() instanceof UnixOperatingSystemMXBean unix) {
            text.family("process_open_fds", PrometheusText.Type.GAUGE, "Number of open file descriptors")
                    .sample("process_open_fds", unix.getOpenFileDescriptorCount());
            text.family("process_max_fds", PrometheusText.Type.GAUGE, "Maximum number of open file descriptors")
                    .sample("process_max_fds", unix.getMaxFileDescriptorCount());
        }
        var memory = ManagementFactory.getMemoryMXBean();
        text.family("jvm_memory_used_bytes", PrometheusText.Type.GAUGE, "Used bytes of a given JVM memory area");
        MemoryUsage heap = memory.getHeapMemoryUsage();
        MemoryUsage nonHeap = memory.getNonHeapMemoryUsage();
        text.sample("jvm_memory_used_bytes", Map.of("area", "heap"), heap.getUsed());
        text.sample("jvm_memory_used_bytes", Map.of("area", "nonheap"), nonHeap.getUsed());
        text.family("jvm_threads_current", PrometheusText.Type.GAUGE, "Current thread count of the JVM")
                .sample("jvm_threads_current", ManagementFactory.getThreadMXBean().getThreadCount());
    }
}
