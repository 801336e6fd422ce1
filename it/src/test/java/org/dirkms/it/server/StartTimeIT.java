package org.dirkms.it.server;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import org.dirkms.ds.server.DirectoryServer;
import org.dirkms.ds.server.ServerSettings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Measures the first start (schema extraction, KMS schema, bootstrap, credentials, TLS key) and
 * a second start over the same folder, and PRINTS both. No timing assertion: the design's
 * target (second start under 3 s) is read from the output, on a quiet machine.
 */
class StartTimeIT {

    @Test
    void printsFirstAndSecondStartTimes(@TempDir Path data) throws Exception {
        ServerSettings settings = ServerSettings.forTests(data.resolve("data"));
        long first = System.nanoTime();
        try (DirectoryServer server = DirectoryServer.start(settings)) {
            first = System.nanoTime() - first;
            assertTrue(Files.exists(server.adminPasswordFile()));
        }
        long second = System.nanoTime();
        try (DirectoryServer server = DirectoryServer.start(settings)) {
            second = System.nanoTime() - second;
            assertTrue(server.ldapPort() > 0);
        }
        System.out.printf("dirkms embedded server start time: first start %d ms, second start %d ms"
                + " (target: second < 3000 ms; %d processors)%n", first / 1_000_000, second / 1_000_000,
                Runtime.getRuntime().availableProcessors());
    }
}
