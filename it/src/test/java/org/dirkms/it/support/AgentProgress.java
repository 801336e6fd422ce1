package org.dirkms.it.support;

import static org.junit.jupiter.api.Assertions.fail;

import java.time.Instant;
import org.apache.directory.api.ldap.model.entry.Entry;
import org.apache.directory.ldap.client.api.LdapNetworkConnection;

/** Waits for what a running KMS agent does to an entry, reading the directory as it goes. */
public final class AgentProgress {
    private static final long PATIENCE_SECONDS = 60;

    private AgentProgress() {
    }

    /**
     * Returns once the agent has set {@code kmsEnrollmentState: enrolled} on {@code dn}; fails,
     * naming the entry as read, when it sets {@code failed} or a minute passes.
     */
    public static void awaitEnrolled(LdapNetworkConnection connection, String dn) throws Exception {
        Instant deadline = Instant.now().plusSeconds(PATIENCE_SECONDS);
        while (true) {
            Entry entry = connection.lookup(dn, "kmsEnrollmentState", "kmsLastError");
            String state = entry == null || entry.get("kmsEnrollmentState") == null ? null
                    : entry.get("kmsEnrollmentState").getString();
            if ("enrolled".equals(state)) {
                return;
            }
            if ("failed".equals(state) || Instant.now().isAfter(deadline)) {
                fail(dn + " was not enrolled by the running agent: " + entry);
            }
            Thread.sleep(100); // polling the agent's progress, not waiting for time to pass
        }
    }
}
