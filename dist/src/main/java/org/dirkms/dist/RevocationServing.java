package org.dirkms.dist;

import org.dirkms.agent.ca.DelegatedKeyStore;
import org.dirkms.agent.ocsp.RevocationHttpServer;

/**
 * The HTTP side of {@code dirkms serve}: the listener serving the CA certificate, the CRL and
 * the OCSP responder ({@link RevocationHttpServer}), the responder's delegated signing key, and
 * the directory connections they read through.
 */
public final class RevocationServing implements AutoCloseable {
    private final RevocationHttpServer server;
    private final DelegatedKeyStore signingKey;
    private final PooledCaRecords records;
    private final String baseUrl;

    RevocationServing(RevocationHttpServer server, DelegatedKeyStore signingKey, PooledCaRecords records,
            String baseUrl) {
        this.server = server;
        this.signingKey = signingKey;
        this.records = records;
        this.baseUrl = baseUrl;
    }

    /** The port the listener is bound to. */
    public int port() {
        return server.port();
    }

    /** The {@code http://host:port} the CA's certificates name (the public HTTP URL). */
    public String baseUrl() {
        return baseUrl;
    }

    /** The responder's key and certificate, renewed by the CA's schedule. */
    public DelegatedKeyStore signingKey() {
        return signingKey;
    }

    /** Serves {@code handler} at {@code path} on the same listener ({@link RevocationHttpServer#mount}). */
    public void mount(String path, com.sun.net.httpserver.HttpHandler handler) {
        server.mount(path, handler);
    }

    /** Stops listening and closes the connections. */
    @Override
    public void close() {
        server.close();
        records.close();
    }
}
