package org.dirkms.agent.workflow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.SecureRandom;
import java.util.HashSet;
import java.util.Set;

import org.junit.jupiter.api.Test;

/** An attempt's identity never repeats: the archive record and the queued requests of an attempt are named from it. */
class AttemptsTest {
    private static final SecureRandom RANDOM = new SecureRandom();

    @Test
    void everyCallerOfOneOwnerDrawsFromOneCounter() {
        String owner = Attempts.ownerFor("uid=kms-agent,ou=KMS,dc=example,dc=com", RANDOM);
        Set<String> seen = new HashSet<>();
        // Two services made with the same settings, as a command or a reconnecting agent makes them.
        Attempts first = Attempts.of(owner);
        Attempts second = Attempts.of(owner);
        for (int i = 0; i < 50; i++) {
            assertTrue(seen.add(first.next()));
            assertTrue(seen.add(second.next()));
        }
        assertEquals(100, seen.size());
    }

    @Test
    void ownersOfOneAgentDifferPerProcessStart() {
        String dn = "uid=kms-agent,ou=KMS,dc=example,dc=com";
        String one = Attempts.ownerFor(dn, RANDOM);
        String other = Attempts.ownerFor(dn, RANDOM);
        assertNotEquals(one, other, "a restarted process never repeats its predecessor's names");
        assertTrue(one.startsWith(dn + " pid " + ProcessHandle.current().pid() + " "), one);
        assertTrue(Attempts.of(one).next().matches(".* #[0-9]+"));
    }
}
