package org.dirkms.ds.server;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

import org.dirkms.schema.DataFolder;

/**
 * Where the server running on a data folder listens, written by the server to
 * {@link DataFolder#ENDPOINT} once its listeners are up, so that a command run on the same
 * data folder (e.g. {@code dirkms audit verify}) can reach it without being told the ports.
 * Whether a server runs at all is told by the folder's lock, never by this file: a file left by
 * a killed server is replaced at the next start before anyone reads it.
 *
 * <p>Format: two lines, {@code url=ldaps://host:port} and {@code trust=<PEM file>} (the
 * certificate clients trust for that listener).
 *
 * @param url                 the LDAPS URL of the running server
 * @param trustedCertificate  the PEM file the server's TLS certificate chains to
 */
public record ServerEndpoint(String url, Path trustedCertificate) {

    /** Checks the fields. */
    public ServerEndpoint {
        Objects.requireNonNull(url, "url");
        Objects.requireNonNull(trustedCertificate, "trustedCertificate");
    }

    /**
     * The endpoint the server running on {@code data} wrote, if it wrote one.
     *
     * @throws IOException when the file cannot be read or lacks a line
     */
    public static Optional<ServerEndpoint> read(DataFolder data) throws IOException {
        Path file = data.endpoint();
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        String url = null;
        String trust = null;
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            if (line.startsWith("url=")) {
                url = line.substring("url=".length());
            } else if (line.startsWith("trust=")) {
                trust = line.substring("trust=".length());
            }
        }
        if (url == null || trust == null) {
            throw new IOException(file + " lacks its url= or trust= line: the server that wrote it was cut short;"
                    + " restart it");
        }
        return Optional.of(new ServerEndpoint(url, Path.of(trust)));
    }

    /** Writes this endpoint to {@code data} (replacing the file atomically, mode 0600). */
    void write(DataFolder data) throws IOException {
        SecretFiles.writeText(data.endpoint(), "url=" + url + "\ntrust=" + trustedCertificate + "\n");
    }

    /** Removes the file from {@code data}, if it is there. */
    static void remove(DataFolder data) throws IOException {
        Files.deleteIfExists(data.endpoint());
    }
}
