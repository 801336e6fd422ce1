package org.dirkms.it.openldap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;

import org.dirkms.it.support.LdapTools;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The harness itself: a slapd made from the generated configuration starts, binds the KMS agent
 * and the directory administrator over StartTLS only, and survives SIGKILL and a restart with
 * its data.
 */
class SlapdHarnessIT {

    @TempDir
    Path work;

    @Test
    void startsFromTheGeneratedConfigurationAndSurvivesAKill() throws Exception {
        try (Slapd slapd = Slapd.start(work, Slapd.Options.defaults().withSuffix("o=Harness Test"))) {
            assertTrue(slapd.asAgent().whoami().assertSuccess().stdout().contains(slapd.agentDn()),
                    "the agent binds with its password file");
            String alice = slapd.addPerson("alice", "alice@example.com", "alice-secret-1");
            LdapTools.Result found = slapd.tools().search(slapd.layout().people(), "(mail=alice@example.com)", "mail");
            assertTrue(found.assertSuccess().stdout().contains("dn: " + alice), found.stdout());

            LdapTools.Result plain = slapd.tools().withoutTls().as(alice, "alice-secret-1").whoami();
            assertEquals(13, plain.exitCode(), "a bind with a password without TLS is confidentialityRequired (13): "
                    + plain.stderr());

            long before = slapd.pid();
            slapd.kill();
            slapd.restart();
            assertNotEquals(before, slapd.pid());
            assertTrue(slapd.tools().search(slapd.layout().people(), "(mail=alice@example.com)", "mail")
                    .assertSuccess().stdout().contains("dn: " + alice), "the person survived SIGKILL");
        }
    }
}
