package org.dirkms.agent.ocsp;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateEncodingException;
import java.util.Base64;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The CA's public revocation data over plain HTTP, on the JDK's built-in server
 * ({@code com.sun.net.httpserver}):
 * <ul>
 * <li>{@code GET /ca/<name>.crt}: the CA certificate, DER, {@code application/pkix-cert};</li>
 * <li>{@code GET /crl/<name>.crl}: the CRL on the CA entry now, DER, {@code application/pkix-crl}
 * (RFC 2585 section 4 for both media types);</li>
 * <li>{@code POST /ocsp} with an {@code application/ocsp-request} body, and
 * {@code GET /ocsp/<url-encoded base64 of the request>} (RFC 6960 appendix A.1): the
 * {@link OcspResponder}'s answer, {@code application/ocsp-response}.</li>
 * </ul>
 * {@code <name>} is the CA's file name ({@code DataFolder.caFileName}). Any other path is 404,
 * another method on a known path 405 with {@code Allow}. Plain HTTP on purpose: clients fetch
 * revocation data over HTTP (RFC 5280 section 4.2.1.13), and everything served is public and
 * signed by the CA or its responder.
 */
public final class RevocationHttpServer implements AutoCloseable {
    /** The largest OCSP request body read; a longer one is refused with 413. */
    public static final int MAX_REQUEST_BYTES = 16 * 1024;
    /** The path of the OCSP responder. */
    public static final String OCSP_PATH = "/ocsp";
    private static final String NO_DELAY = "sun.net.httpserver.nodelay";
    private static final Logger LOG = LoggerFactory.getLogger(RevocationHttpServer.class);

    private final HttpServer server;
    private final ExecutorService workers;

    private RevocationHttpServer(HttpServer server, ExecutorService workers) {
        this.server = server;
        this.workers = workers;
    }

    /** The path of the CA certificate of the CA whose file name is {@code caFileName}. */
    public static String caCertificatePath(String caFileName) {
        return "/ca/" + caFileName + ".crt";
    }

    /** The path of the CRL of the CA whose file name is {@code caFileName}. */
    public static String crlPath(String caFileName) {
        return "/crl/" + caFileName + ".crl";
    }

    /**
     * Binds {@code address} (port 0: any free port) with {@code threads} workers, serving
     * nothing yet: the port is known before the CA's certificates name it.
     *
     * @throws IOException if the address cannot be bound (the port is in use)
     */
    public static RevocationHttpServer bind(InetSocketAddress address, int threads) throws IOException {
        // The JDK's server writes the headers and the body of a response apart; with Nagle's
        // algorithm on, the body waits for the client's delayed ACK of the headers, 40 ms on
        // Linux, for every answer (measured by OcspBenchmarkIT: 49 ms an answer instead of 8).
        // The server reads this property once, when its first instance is made.
        if (System.getProperty(NO_DELAY) == null) {
            System.setProperty(NO_DELAY, "true");
        }
        HttpServer server = HttpServer.create(address, 64);
        AtomicInteger count = new AtomicInteger();
        ExecutorService workers = Executors.newFixedThreadPool(threads, task -> {
            Thread thread = new Thread(task, "dirkms-http-" + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
        server.setExecutor(workers);
        return new RevocationHttpServer(server, workers);
    }

    /**
     * Starts serving the CA certificate and CRL of {@code status}'s CA, whose file name is
     * {@code caFileName}, and {@code responder}'s answers.
     */
    public RevocationHttpServer serve(String caFileName, RevocationStatus status, OcspResponder responder) {
        byte[] caCertificate;
        try {
            caCertificate = status.ca().certificate().getEncoded();
        } catch (CertificateEncodingException e) {
            throw new IllegalArgumentException("the CA certificate cannot be encoded", e);
        }
        String caPath = caCertificatePath(caFileName);
        String crlPath = crlPath(caFileName);
        server.createContext("/", exchange -> handle(exchange, () -> {
            String path = exchange.getRequestURI().getRawPath();
            String method = exchange.getRequestMethod().toUpperCase(Locale.ROOT);
            if (path.equals(caPath)) {
                if (readOnly(exchange, method)) {
                    send(exchange, 200, "application/pkix-cert", caCertificate, method);
                }
            } else if (path.equals(crlPath)) {
                if (readOnly(exchange, method)) {
                    send(exchange, 200, "application/pkix-crl", status.currentCrlDer(), method);
                }
            } else if (path.equals(OCSP_PATH)) {
                if (!method.equals("POST")) {
                    notAllowed(exchange, "POST");
                    return;
                }
                byte[] body = readBody(exchange);
                if (body != null) {
                    send(exchange, 200, "application/ocsp-response", responder.respond(body), method);
                }
            } else if (path.startsWith(OCSP_PATH + "/")) {
                if (readOnly(exchange, method)) {
                    send(exchange, 200, "application/ocsp-response",
                            responder.respond(decodeGet(path.substring(OCSP_PATH.length() + 1))), method);
                }
            } else {
                send(exchange, 404, "text/plain; charset=utf-8",
                        ("no such resource; this server offers " + caPath + ", " + crlPath + " and " + OCSP_PATH + "\n")
                                .getBytes(StandardCharsets.UTF_8), method);
            }
        }));
        server.start();
        return this;
    }

    /**
     * Serves {@code handler} at {@code path} and below, beside the revocation data: the
     * operations endpoints of {@code dirkms serve} share this listener. The JDK's server picks the
     * context with the longest matching prefix, so a mounted path wins over {@code /}.
     */
    public void mount(String path, com.sun.net.httpserver.HttpHandler handler) {
        server.createContext(path, handler);
    }

    /** The port listened on. */
    public int port() {
        return server.getAddress().getPort();
    }

    /** Stops listening, waiting at most a second for exchanges under way. */
    @Override
    public void close() {
        server.stop(1);
        workers.shutdownNow();
        try {
            workers.awaitTermination(1, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** An exchange's work; throws only for I/O. */
    private interface Work {
        void run() throws IOException;
    }

    private static void handle(HttpExchange exchange, Work work) throws IOException {
        try (exchange) {
            work.run();
        } catch (RuntimeException e) {
            // The CRL cannot be read now (the directory is unreachable): say so, keep serving.
            LOG.warn("HTTP {} {} failed: {}", exchange.getRequestMethod(), exchange.getRequestURI().getRawPath(),
                    e.getMessage());
            try {
                send(exchange, 503, "text/plain; charset=utf-8",
                        "the revocation data cannot be read now; try again\n".getBytes(StandardCharsets.UTF_8), "GET");
            } catch (IOException | RuntimeException ignored) {
                // The response had started: the client sees a cut connection.
            }
        }
    }

    private static boolean readOnly(HttpExchange exchange, String method) throws IOException {
        if (method.equals("GET") || method.equals("HEAD")) {
            return true;
        }
        notAllowed(exchange, "GET, HEAD");
        return false;
    }

    private static void notAllowed(HttpExchange exchange, String allow) throws IOException {
        exchange.getResponseHeaders().set("Allow", allow);
        send(exchange, 405, "text/plain; charset=utf-8", ("method not allowed; use " + allow + "\n")
                .getBytes(StandardCharsets.UTF_8), "GET");
    }

    /** The body, or null after answering 413 when it is longer than {@link #MAX_REQUEST_BYTES}. */
    private static byte[] readBody(HttpExchange exchange) throws IOException {
        try (InputStream in = exchange.getRequestBody()) {
            byte[] body = in.readNBytes(MAX_REQUEST_BYTES + 1);
            if (body.length > MAX_REQUEST_BYTES) {
                send(exchange, 413, "text/plain; charset=utf-8", ("an OCSP request is at most " + MAX_REQUEST_BYTES
                        + " bytes\n").getBytes(StandardCharsets.UTF_8), "POST");
                return null;
            }
            return body;
        }
    }

    /**
     * RFC 6960 appendix A.1: the URL encoding of the base64 encoding of the DER. Clients differ
     * in which base64 characters they percent-encode, so both alphabets are taken; what does not
     * decode is an empty request, which the responder answers malformedRequest.
     */
    private static byte[] decodeGet(String encoded) {
        try {
            // A path keeps '+' as it is: only %XX escapes are decoded, never '+' to a space.
            String base64 = URLDecoder.decode(encoded.replace("+", "%2B"), StandardCharsets.US_ASCII);
            return base64.indexOf('-') >= 0 || base64.indexOf('_') >= 0 ? Base64.getUrlDecoder().decode(base64)
                    : Base64.getMimeDecoder().decode(base64);
        } catch (IllegalArgumentException e) {
            return new byte[0];
        }
    }

    private static void send(HttpExchange exchange, int code, String type, byte[] body, String method)
            throws IOException {
        exchange.getResponseHeaders().set("Content-Type", type);
        // Live data: a cache must ask again (the CRL's own nextUpdate bounds what clients keep).
        exchange.getResponseHeaders().set("Cache-Control", "no-cache");
        if (method.equals("HEAD")) {
            exchange.sendResponseHeaders(code, -1);
            return;
        }
        exchange.sendResponseHeaders(code, body.length == 0 ? -1 : body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }
}
