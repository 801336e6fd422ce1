package org.dirkms.it.guard;

import static org.dirkms.it.guard.GuardFixture.ALICE_PASSWORD;
import static org.dirkms.it.guard.GuardFixture.BOB_PASSWORD;
import static org.dirkms.it.guard.GuardFixture.alice;
import static org.dirkms.it.guard.GuardFixture.base64;
import static org.dirkms.it.guard.GuardFixture.bob;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.dirkms.it.support.LdapTools;
import org.dirkms.it.support.Staff;
import org.dirkms.it.support.TestDirectory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Roles follow group membership at once (the cache is dropped when a group changes), recovery
 * agents approve with their own DN only, the recovery package reaches its requester alone, and
 * anonymous clients still read the root DSE and the schema.
 */
class RolesAndRecoveryIT {

    @RegisterExtension
    static final TestDirectory directory = new TestDirectory();

    @BeforeAll
    static void users() {
        GuardFixture.addUsers(directory);
        GuardFixture.enrollAlice(directory, "ROLES-PACKAGE", "ROLES-TOKEN-44d1");
    }

    private static String membership(String change, String group, String member) {
        return "dn: " + group + "\nchangetype: modify\n" + change + ": member\nmember: " + member + "\n-\n";
    }

    @Test
    void joiningAndLeavingARoleGroupTakesEffectImmediately() {
        LdapTools bob = LdapTools.against(directory).as(bob(directory), BOB_PASSWORD);
        assertFalse(bob.search(alice(directory), "(objectClass=*)", "kmsEnrollmentToken").assertSuccess().stdout()
                .contains("kmsEnrollmentToken"));
        Staff.giveRole(directory.server(), "kms-administrators", bob(directory));
        assertTrue(bob.search(alice(directory), "(objectClass=*)", "kmsEnrollmentToken").assertSuccess().stdout()
                .contains("kmsEnrollmentToken: ROLES-TOKEN-44d1"));
        Staff.takeRole(directory.server(), "kms-administrators", bob(directory));
        assertFalse(bob.search(alice(directory), "(objectClass=*)", "kmsEnrollmentToken").assertSuccess().stdout()
                .contains("kmsEnrollmentToken"));
        // Nobody changes a role group over LDAP, the superuser included.
        LdapTools.against(directory).asAdmin().modify(membership("add", directory.layout().kmsAdministratorsGroup(),
                bob(directory))).assertExitCode(50);
    }

    @Test
    void recoveryAgentsApproveWithTheirOwnDnAndOnlyTheRequesterReadsThePackage() {
        LdapTools kmsAdmin = LdapTools.against(directory).asKmsAdministrator();
        String request = "cn=recover-alice," + directory.layout().recoveryRequests();
        kmsAdmin.add("dn: " + request + "\nobjectClass: top\nobjectClass: kmsRecoveryRequest\ncn: recover-alice\n"
                + "kmsRecoveryTarget: " + alice(directory) + "\nkmsRecoveryState: pending\n").assertSuccess();
        String recorded = kmsAdmin.search(request, "(objectClass=*)", "kmsRecoveryRequester", "kmsRecoveryState")
                .assertSuccess().stdout();
        assertTrue(recorded.contains("kmsRecoveryRequester: " + directory.kmsAdministratorDn()), recorded);
        assertTrue(recorded.contains("kmsRecoveryState: pending"), recorded);
        kmsAdmin.add("dn: cn=early," + directory.layout().recoveryRequests() + "\nobjectClass: top\n"
                + "objectClass: kmsRecoveryRequest\ncn: early\nkmsRecoveryTarget: " + alice(directory)
                + "\nkmsRecoveryState: delivered\n").assertExitCode(50);

        Staff.giveRole(directory.server(), "recovery-agents", bob(directory));
        LdapTools bob = LdapTools.against(directory).as(bob(directory), BOB_PASSWORD);
        bob.modify("dn: " + request + "\nchangetype: modify\nadd: kmsRecoveryApproval\nkmsRecoveryApproval: "
                + bob(directory) + "\n-\n").assertSuccess();
        LdapTools.Result forAlice = bob.modify("dn: " + request + "\nchangetype: modify\nadd: kmsRecoveryApproval\n"
                + "kmsRecoveryApproval: " + alice(directory) + "\n-\n").assertExitCode(50);
        assertTrue(forAlice.stderr().contains("only their own DN"), forAlice.stderr());
        bob.modify("dn: " + request + "\nchangetype: modify\nreplace: kmsRecoveryState\nkmsRecoveryState: approved\n-\n")
                .assertExitCode(50);

        LdapTools.against(directory).asAgent().modify("dn: " + request + "\nchangetype: modify\n"
                + "replace: kmsRecoveryState\nkmsRecoveryState: delivered\n-\nadd: kmsRecoveryPackage\n"
                + "kmsRecoveryPackage:: " + base64("RECOVERED-KEYS-9f0e") + "\n-\n").assertSuccess();
        String requesterSees = kmsAdmin.search(request, "(objectClass=*)", "kmsRecoveryPackage").assertSuccess().stdout();
        assertTrue(requesterSees.contains("kmsRecoveryPackage: RECOVERED-KEYS-9f0e"), requesterSees);
        String approverSees = bob.search(request, "(objectClass=*)", "*").assertSuccess().stdout();
        assertTrue(approverSees.contains("kmsRecoveryApproval"), approverSees);
        assertFalse(approverSees.contains("kmsRecoveryPackage") || approverSees.contains("RECOVERED-KEYS"),
                approverSees);
        assertFalse(LdapTools.against(directory).asAdmin().search(request, "(objectClass=*)", "kmsRecoveryPackage")
                .assertSuccess().stdout().contains("RECOVERED-KEYS"), "the superuser reads no recovered key");
    }

    @Test
    void anonymousClientsStillReadTheRootDseAndTheSchema() {
        LdapTools anonymous = LdapTools.against(directory).anonymous();
        String rootDse = anonymous.searchRaw("-LLL", "-b", "", "-s", "base", "(objectClass=*)", "namingContexts",
                "subschemaSubentry").assertSuccess().stdout();
        assertTrue(rootDse.contains("namingContexts: " + directory.layout().suffix()), rootDse);
        String schema = anonymous.searchRaw("-LLL", "-o", "ldif-wrap=no", "-b", "cn=schema", "-s", "base",
                "(objectClass=subschema)", "attributeTypes").assertSuccess().stdout();
        assertTrue(schema.contains("kmsEnrollmentState"), "the KMS schema is discoverable");
    }
}
