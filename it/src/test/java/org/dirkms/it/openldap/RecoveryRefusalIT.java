package org.dirkms.it.openldap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;

import org.apache.directory.ldap.client.api.LdapNetworkConnection;
import org.dirkms.agent.directory.LdapRecoveryRecords;
import org.dirkms.agent.recovery.RecoveryResult;
import org.dirkms.agent.recovery.RecoveryService;
import org.dirkms.agent.workflow.Attempts;
import org.dirkms.it.support.LdapTools;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What slapd's access rules cannot rule out, the KMS refuses on slapd: a recovery request
 * approved by its own requester (written around the rules, here by the database's root DN as a
 * restore or a careless script would), and one whose requester is no longer a KMS
 * administrator, end {@code failed} with the reason in {@code kmsLastError}, read back with
 * {@code ldapsearch}; nothing is recovered. The requester's own approval over LDAP is refused by
 * the access rules first.
 */
class RecoveryRefusalIT {

    @TempDir
    Path work;

    @Test
    void theAgentRefusesRequestsTheAccessRulesCouldNotHaveJudged() throws Exception {
        try (Slapd slapd = Slapd.start(work, Slapd.Options.defaults())) {
            String alice = slapd.addPerson("alice", "alice@example.com", "alice-pass-1");
            String carol = slapd.addPerson("carol", "carol@example.com", "carol-pass-1");
            String bob = slapd.addPerson("bob", "bob@example.com", "bob-pass-1");
            String dave = slapd.addPerson("dave", "dave@example.com", "dave-pass-1");
            slapd.grantRole(Slapd.Role.KMS_ADMINISTRATORS, carol);
            slapd.grantRole(Slapd.Role.RECOVERY_AGENTS, bob);
            slapd.grantRole(Slapd.Role.RECOVERY_AGENTS, dave);
            slapd.grantRole(Slapd.Role.RECOVERY_AGENTS, carol);
            LdapTools asCarol = slapd.tools().as(carol, "carol-pass-1").withArguments("-ZZ");
            asCarol.modify("dn: " + alice + "\nchangetype: modify\nadd: objectClass\nobjectClass: kmsUser\n-\n"
                    + "add: kmsEnrollmentState\nkmsEnrollmentState: requested\n-\n").assertSuccess();
            String selfApproved = "cn=self-approved," + slapd.layout().recoveryRequests();
            String formerAdministrator = "cn=former-administrator," + slapd.layout().recoveryRequests();
            for (String request : new String[] {selfApproved, formerAdministrator}) {
                asCarol.add("dn: " + request + "\nobjectClass: kmsRecoveryRequest\ncn: "
                        + request.substring(3, request.indexOf(',')) + "\nkmsRecoveryTarget: " + alice
                        + "\nkmsRecoveryState: pending\nkmsRecoveryRequester: " + carol + "\n").assertSuccess();
                for (String[] agent : new String[][] {{bob, "bob-pass-1"}, {dave, "dave-pass-1"}}) {
                    slapd.tools().as(agent[0], agent[1]).withArguments("-ZZ").modify(approval(request, agent[0]))
                            .assertSuccess();
                }
            }
            // Carol is a recovery agent too, but the rules let no requester approve their own request.
            assertEquals(50, asCarol.modify(approval(selfApproved, carol)).exitCode());
            slapd.asRoot().withArguments("-ZZ").modify(approval(selfApproved, carol)).assertSuccess();

            try (LdapNetworkConnection connection = slapd.agentConnection()) {
                RecoveryService recovery = service(slapd, connection);
                RecoveryResult refused = recovery.advance(selfApproved);
                assertEquals(RecoveryResult.Outcome.FAILED, refused.outcome(), refused.toString());

                // Carol loses the role before the agent acts on her other request.
                slapd.asAgent().withArguments("-ZZ").modify("dn: " + slapd.layout().kmsAdministratorsGroup()
                        + "\nchangetype: modify\ndelete: member\nmember: " + carol + "\n-\n").assertSuccess();
                RecoveryResult formerly = recovery.advance(formerAdministrator);
                assertEquals(RecoveryResult.Outcome.FAILED, formerly.outcome(), formerly.toString());
            }

            String stored = slapd.asAgent().withArguments("-ZZ").searchRaw("-LLL", "-o", "ldif-wrap=no", "-b",
                    slapd.layout().recoveryRequests(), "(objectClass=kmsRecoveryRequest)", "kmsRecoveryState",
                    "kmsLastError", "kmsRecoveryPackage", "kmsRecoveryToken").assertSuccess().stdout();
            assertTrue(stored.contains("kmsLastError: the requester " + carol + " approved their own request"), stored);
            assertTrue(stored.contains("kmsLastError: the requester " + carol + " is not a member of "
                    + slapd.layout().kmsAdministratorsGroup()), stored);
            assertEquals(2, stored.split("kmsRecoveryState: failed", -1).length - 1, stored);
            assertFalse(stored.contains("kmsRecoveryPackage") || stored.contains("kmsRecoveryToken"),
                    "nothing recovered: " + stored);
        }
    }

    private static String approval(String request, String agent) {
        return "dn: " + request + "\nchangetype: modify\nadd: kmsRecoveryApproval\nkmsRecoveryApproval: " + agent + "\n-\n";
    }

    private static RecoveryService service(Slapd slapd, LdapNetworkConnection connection) {
        SecureRandom random = new SecureRandom();
        return new RecoveryService(new LdapRecoveryRecords(connection, slapd.layout()), () -> {
            throw new AssertionError("the KMS opened its recovery keys for a request it must refuse");
        }, RecoveryService.Settings.defaults(slapd.agentDn(), Attempts.ownerFor(slapd.agentDn(), random)),
                slapd.layout(), Clock.systemUTC(), random);
    }
}
