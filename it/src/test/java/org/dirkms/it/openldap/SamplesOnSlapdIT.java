package org.dirkms.it.openldap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import org.dirkms.it.support.LdapTools;
import org.dirkms.it.support.ProjectFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The administrator's sample LDIF (ldif/samples) against a slapd with the shipped access rules,
 * each file as the person whose role it needs, as on the embedded server: people by the directory
 * administrator, administrative groups, enrollment, revocation and a recovery request by a KMS
 * administrator, approvals by each recovery agent. The one difference is SECURITY.md's: on slapd
 * the recovery request names its requester and its state, so the KMS administrator adds
 * {@code kmsRecoveryRequester} with their own DN and {@code kmsRecoveryState: pending} (which the
 * guard sets itself), and a request without the requester, or naming someone else, is refused. The same files by the wrong role are refused.
 */
class SamplesOnSlapdIT {

    private static final String ALICE = "uid=alice,ou=People,dc=example,dc=com";
    private static final String BOB = "uid=bob,ou=People,dc=example,dc=com";
    private static final String CAROL = "uid=carol,ou=People,dc=example,dc=com";

    @TempDir
    Path work;

    @Test
    void eachSampleWorksForItsRoleAndOnlyForIt() throws Exception {
        try (Slapd slapd = Slapd.start(work.resolve("slapd"), Slapd.Options.defaults())) {
            LdapTools directoryAdministrator = slapd.asDirectoryAdministrator().withArguments("-ZZ");
            LdapTools alice = slapd.tools().as(ALICE, "alice-sample-password-change-me").withArguments("-ZZ");
            LdapTools bob = slapd.tools().as(BOB, "bob-sample-password-change-me").withArguments("-ZZ");
            LdapTools carol = slapd.tools().as(CAROL, "carol-sample-password-change-me").withArguments("-ZZ");

            directoryAdministrator.modifyFile(sample("25-add-kms-people.ldif")).assertSuccess();
            slapd.grantRole(Slapd.Role.KMS_ADMINISTRATORS, ALICE);
            slapd.grantRole(Slapd.Role.RECOVERY_AGENTS, BOB);
            slapd.grantRole(Slapd.Role.RECOVERY_AGENTS, CAROL);

            assertEquals(50, alice.modifyFile(sample("20-add-user.ldif")).exitCode(), "people are the directory's");
            directoryAdministrator.modifyFile(sample("20-add-user.ldif")).assertSuccess();
            assertEquals(50, directoryAdministrator.modifyFile(sample("10-create-administrative-group.ldif")).exitCode(),
                    "administrative groups are the KMS administrators'");
            alice.modifyFile(sample("10-create-administrative-group.ldif")).assertSuccess();
            alice.modifyFile(sample("12-create-legacy-v1-group.ldif")).assertSuccess();
            assertEquals(50, bob.modifyFile(sample("30-enroll-user.ldif")).exitCode(), "enrolling is a KMS request");
            assertEquals(50, directoryAdministrator.modifyFile(sample("30-enroll-user.ldif")).exitCode());
            alice.modifyFile(sample("30-enroll-user.ldif")).assertSuccess();
            alice.modifyFile(sample("40-revoke-user.ldif")).assertSuccess();

            String request = Files.readString(sample("50-request-recovery.ldif"));
            assertEquals(50, alice.modify(request).exitCode(), "a request without its requester");
            String pending = request + "kmsRecoveryState: pending\n";
            assertEquals(50, alice.modify(pending + "kmsRecoveryRequester: " + BOB + "\n").exitCode(),
                    "a request in another's name");
            assertEquals(50, bob.modify(pending + "kmsRecoveryRequester: " + BOB + "\n").exitCode(),
                    "a recovery agent asks for nothing");
            alice.modify(pending + "kmsRecoveryRequester: " + ALICE + "\n").assertSuccess();

            String approval = Files.readString(sample("60-approve-recovery.ldif"));
            bob.modify(approval).assertSuccess();
            assertEquals(50, carol.modify(approval).exitCode(), "carol approves in bob's name");
            carol.modify(approval.replace(BOB, CAROL)).assertSuccess();
            assertEquals(20, bob.modify(approval).exitCode(), "a second approval by bob: attributeOrValueExists");
            assertEquals(50, alice.modify(approval.replace(BOB, ALICE)).exitCode(), "alice is no recovery agent");

            String stored = slapd.asAgent().withArguments("-ZZ").searchRaw("-LLL", "-o", "ldif-wrap=no", "-b",
                    "ou=Recovery Requests,ou=KMS,dc=example,dc=com", "(objectClass=kmsRecoveryRequest)",
                    "kmsRecoveryApproval", "kmsRecoveryRequester").assertSuccess().stdout();
            assertTrue(stored.contains("kmsRecoveryApproval: " + BOB) && stored.contains("kmsRecoveryApproval: " + CAROL)
                    && stored.contains("kmsRecoveryRequester: " + ALICE), stored);
            String jdoe = slapd.tools().anonymous().search("uid=jdoe,ou=People,dc=example,dc=com", "(objectClass=*)", "*")
                    .assertSuccess().stdout();
            assertTrue(jdoe.contains("mail: jane.doe@example.com") && !jdoe.contains("kmsEnrollmentState"), jdoe);
        }
    }

    private static Path sample(String name) {
        return ProjectFiles.file("ldif/samples/" + name);
    }
}
