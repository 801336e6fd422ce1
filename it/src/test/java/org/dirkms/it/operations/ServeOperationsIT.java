package org.dirkms.it.operations;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.dirkms.it.support.ServeProcess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code dirkms serve} as an administrator starts it answers {@code /healthz} (200 once its agent
 * follows the directory), {@code /metrics} and {@code /status} on its HTTP port, GET and HEAD
 * only, and 404 below them.
 */
class ServeOperationsIT {
    private static final Pattern LISTENING = Pattern.compile("\\(listening on port (\\d+);");

    @TempDir
    Path data;

    @TempDir
    Path temporary;

    @Test
    void serveAnswersHealthMetricsAndStatusOnItsHttpPort() throws Exception {
        try (ServeProcess serve = ServeProcess.start(temporary, "--data", data.toString(), "--ldap-port", "0",
                "--ldaps-port", "0", "--http-port", "0")) {
            String banner = serve.awaitBanner();
            Matcher port = LISTENING.matcher(banner);
            assertTrue(port.find());
            String base = "http://127.0.0.1:" + port.group(1);
            assertTrue(banner.contains("  status page:     " + base + "/status (health /healthz, metrics /metrics)"), banner);
            HttpClient http = HttpClient.newHttpClient();
            Instant deadline = Instant.now().plusSeconds(60);
            HttpResponse<String> health;
            do {
                health = http.send(HttpRequest.newBuilder(URI.create(base + "/healthz")).build(),
                        HttpResponse.BodyHandlers.ofString());
                if (health.statusCode() == 200) {
                    break;
                }
                Thread.sleep(500); // the agent's first refresh, then the 5 s cache of the readings
            } while (Instant.now().isBefore(deadline));
            assertEquals(200, health.statusCode(), health.body());
            assertTrue(health.body().startsWith("healthy\ndirectory ok ") && health.body().contains("\nagent ok ")
                    && health.body().contains("\nca ok ") && health.body().contains("\ncrl ok "), health.body());

            HttpResponse<String> metrics = http.send(HttpRequest.newBuilder(URI.create(base + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals("text/plain; version=0.0.4; charset=utf-8",
                    metrics.headers().firstValue("Content-Type").orElse(""));
            assertTrue(metrics.body().contains("\ndirkms_up 1\n")
                    && metrics.body().contains("dirkms_enrollments{state=\"enrolled\"} 0\n"), metrics.body());
            HttpResponse<String> status = http.send(HttpRequest.newBuilder(URI.create(base + "/status")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, status.statusCode());
            assertTrue(status.headers().firstValue("Content-Type").orElse("").startsWith("text/html"));
            assertTrue(status.body().contains("cn=dirkms Root CA,ou=Certification Authorities"), status.body());

            HttpResponse<String> post = http.send(HttpRequest.newBuilder(URI.create(base + "/healthz"))
                    .POST(HttpRequest.BodyPublishers.ofString("x")).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(405, post.statusCode());
            assertEquals("GET, HEAD", post.headers().firstValue("Allow").orElse(""));
            assertEquals(404, http.send(HttpRequest.newBuilder(URI.create(base + "/status/x")).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode());
            assertEquals(143, serve.terminate());
        }
    }
}
