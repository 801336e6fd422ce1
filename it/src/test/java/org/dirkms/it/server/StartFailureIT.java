package org.dirkms.it.server;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;

import org.dirkms.ds.server.DirectoryServer;
import org.dirkms.ds.server.ServerSettings;
import org.dirkms.ds.server.ServerStartException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A start that fails (port taken) says why, and leaves nothing held: the next start works. */
class StartFailureIT {

    @Test
    void aTakenPortFailsTheStartAndReleasesEverything(@TempDir Path temporary) throws Exception {
        ServerSettings settings = ServerSettings.forTests(temporary.resolve("data"));
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            ServerSettings conflicting = settings.withPorts(0, taken.getLocalPort());
            ServerStartException failure = assertThrows(ServerStartException.class,
                    () -> DirectoryServer.start(conflicting));
            // Found before the directory loads, so the start stops at once with one message.
            assertTrue(failure.getMessage().equals("the LDAPS port 127.0.0.1:" + taken.getLocalPort()
                    + " is in use by another program"), failure.getMessage());
        }
        // Same data folder: the lock was released.
        try (DirectoryServer server = DirectoryServer.start(settings)) {
            assertTrue(server.ldapPort() > 0);
        }
    }
}
