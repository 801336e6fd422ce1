package org.dirkms.agent.operations;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.function.Supplier;
import org.dirkms.agent.directory.LdapOperationsReadings;
import org.dirkms.agent.enroll.EnrollmentResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The three operations endpoints, as handlers for the JDK's HTTP server:
 * <ul>
 * <li>{@value #HEALTH_PATH}: {@link HealthReport#text()}, 200 when every check passes, 503
 * when one fails;</li>
 * <li>{@value #METRICS_PATH}: {@link OperationsMetrics}, {@link PrometheusText#CONTENT_TYPE};</li>
 * <li>{@value #STATUS_PATH}: {@link StatusPage}, {@code text/html}.</li>
 * </ul>
 * GET and HEAD only (405 with {@code Allow} otherwise); a longer path is 404. Every answer is
 * {@code Cache-Control: no-store}: it describes now.
 */
public final class OperationsEndpoints {
    /** The health report's path. */
    public static final String HEALTH_PATH = "/healthz";
    /** The metrics' path. */
    public static final String METRICS_PATH = "/metrics";
    /** The status page's path. */
    public static final String STATUS_PATH = "/status";
    private static final Logger LOG = LoggerFactory.getLogger(OperationsEndpoints.class);

    private final Supplier<LdapOperationsReadings.Readings> readings;
    private final List<HealthCheck> checks;
    private final Supplier<Map<EnrollmentResult.Outcome, Long>> outcomes;
    private final Clock clock;

    /**
     * Endpoints over {@code readings} (cache them: every request asks), {@code checks} (in the
     * order shown) and the agent's {@code outcomes} (answering null when no agent runs).
     */
    public OperationsEndpoints(Supplier<LdapOperationsReadings.Readings> readings, List<HealthCheck> checks,
            Supplier<Map<EnrollmentResult.Outcome, Long>> outcomes, Clock clock) {
        this.readings = readings;
        this.checks = List.copyOf(checks);
        this.outcomes = outcomes;
        this.clock = clock;
    }

    /** Mounts the three handlers with {@code mount} (path, handler), e.g. a listener's {@code mount}. */
    public void mountOn(BiConsumer<String, HttpHandler> mount) {
        mount.accept(HEALTH_PATH, exchange -> answer(exchange, HEALTH_PATH, () -> {
            HealthReport report = health();
            return new Answer(report.httpStatus(), "text/plain; charset=utf-8", report.text());
        }));
        mount.accept(METRICS_PATH, exchange -> answer(exchange, METRICS_PATH, () -> new Answer(200,
                PrometheusText.CONTENT_TYPE, OperationsMetrics.render(readOrNull(), outcomes.get(), health(),
                        clock.instant()))));
        mount.accept(STATUS_PATH, exchange -> answer(exchange, STATUS_PATH, () -> {
            LdapOperationsReadings.Readings current = null;
            String problem = null;
            try {
                current = readings.get();
            } catch (RuntimeException e) {
                problem = e.getMessage();
            }
            return new Answer(200, "text/html; charset=utf-8", StatusPage.render(current, problem, health(),
                    clock.instant()));
        }));
    }

    /** The health report now. */
    public HealthReport health() {
        return HealthReport.of(checks);
    }

    private LdapOperationsReadings.Readings readOrNull() {
        try {
            return readings.get();
        } catch (RuntimeException e) {
            LOG.warn("The metrics cannot read the directory: {}", e.getMessage());
            return null;
        }
    }

    private record Answer(int status, String type, String body) {
    }

    private static void answer(HttpExchange exchange, String path, Supplier<Answer> work) throws IOException {
        try (exchange) {
            String method = exchange.getRequestMethod().toUpperCase(Locale.ROOT);
            Answer answer;
            if (!exchange.getRequestURI().getRawPath().equals(path)) {
                answer = new Answer(404, "text/plain; charset=utf-8", "no such resource\n");
            } else if (!method.equals("GET") && !method.equals("HEAD")) {
                exchange.getResponseHeaders().set("Allow", "GET, HEAD");
                answer = new Answer(405, "text/plain; charset=utf-8", "method not allowed; use GET, HEAD\n");
            } else {
                answer = work.get();
            }
            byte[] body = answer.body().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", answer.type());
            exchange.getResponseHeaders().set("Cache-Control", "no-store");
            if (method.equals("HEAD")) {
                exchange.sendResponseHeaders(answer.status(), -1);
                return;
            }
            exchange.sendResponseHeaders(answer.status(), body.length == 0 ? -1 : body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        } catch (RuntimeException e) {
            LOG.warn("HTTP {} {} failed: {}", exchange.getRequestMethod(), path, e.getMessage());
        }
    }
}
