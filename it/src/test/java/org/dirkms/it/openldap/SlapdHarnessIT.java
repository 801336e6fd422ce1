package org.dirkms.it.openldap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import org.dirkms.it.support.DirkmsRun;
import org.dirkms.it.support.LdapTools;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The harness itself: a slapd made from the generated configuration starts, binds the KMS agent
 * and the directory administrator over StartTLS only, gives roles with the product's own
 * {@code dirkms roles}, and survives SIGKILL and a restart with its data; two providers made
 * with the replication options replicate each other both ways, secrets and passwords included,
 * over StartTLS as the replicator.
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

            // The product's own 'dirkms roles' against slapd, bound as the agent with its password file.
            List<String> connection = List.of("--url", slapd.url(), "--suffix", slapd.suffix(), "--bind-dn",
                    slapd.agentDn(), "--password-file", slapd.agentPasswordFile().toString(), "--ca-cert",
                    slapd.caCertificate().toString());
            List<String> add = new java.util.ArrayList<>(List.of("roles", "add", "recovery-agents", alice));
            add.addAll(connection);
            DirkmsRun added = DirkmsRun.of(add);
            assertEquals(0, added.code(), added.toString());
            List<String> list = new java.util.ArrayList<>(List.of("roles", "list"));
            list.addAll(connection);
            DirkmsRun listed = DirkmsRun.of(list);
            assertEquals(0, listed.code(), listed.toString());
            assertTrue(listed.out().contains(alice), listed.out());
            assertTrue(slapd.tools().as(alice, "alice-secret-1").withArguments("-ZZ").search(
                    slapd.layout().recoveryAgentsGroup(), "(objectClass=*)", "member").assertSuccess().stdout()
                    .contains("member: " + alice), "the group holds alice");

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

    @Test
    void twoProvidersReplicateEachOtherAsTheReplicator() throws Exception {
        SlapdCa ca = SlapdCa.create(work.resolve("ca"));
        int firstPort = Slapd.freePort();
        int secondPort = Slapd.freePort();
        try (Slapd first = Slapd.start(work.resolve("first"), Slapd.Options.defaults().withCa(ca).withPort(firstPort)
                .withReplication(1, List.of("ldap://127.0.0.1:" + secondPort)));
                Slapd second = Slapd.start(work.resolve("second"), Slapd.Options.defaults().withCa(ca)
                        .withPort(secondPort).withReplication(2, List.of("ldap://127.0.0.1:" + firstPort))
                        .withoutBootstrap())) {
            // The second provider starts empty and receives the bootstrap tree, then the agent binds there.
            await(() -> second.asAgent().whoami().exitCode() == 0, "the agent's entry replicated to the second provider");
            String alice = first.addPerson("alice", "alice@example.com", "alice-secret-1");
            await(() -> second.tools().search(alice, "(objectClass=*)", "mail").stdout().contains("dn: " + alice),
                    "alice replicated from the first provider to the second");
            String bob = second.addPerson("bob", "bob@example.com", "bob-secret-1");
            await(() -> first.tools().search(bob, "(objectClass=*)", "mail").stdout().contains("dn: " + bob),
                    "bob replicated from the second provider to the first");
            first.asAgent().withArguments("-ZZ").modify("dn: " + alice + "\nchangetype: modify\nadd: objectClass\n"
                    + "objectClass: kmsUser\n-\nadd: kmsKeyPackage\nkmsKeyPackage: SECRET-PACKAGE\n-\n").assertSuccess();
            await(() -> second.asAgent().withArguments("-ZZ").search(alice, "(objectClass=*)", "kmsKeyPackage").stdout()
                    .contains("kmsKeyPackage: SECRET-PACKAGE"), "the secret replicated to the second provider");
            assertTrue(second.tools().as(alice, "alice-secret-1").whoami().assertSuccess().stdout().contains(alice),
                    "alice's password replicated with her entry");
        }
    }

    private static void await(java.util.function.BooleanSupplier condition, String what) throws InterruptedException {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(30));
        while (!condition.getAsBoolean()) {
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("not within 30 s: " + what);
            }
            Thread.sleep(200);
        }
    }
}
