package org.dirkms.it.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import org.apache.directory.api.ldap.model.entry.Entry;
import org.apache.directory.ldap.client.api.LdapConnection;
import org.dirkms.it.support.LdapTools;
import org.dirkms.it.support.Staff;
import org.dirkms.it.support.ProjectFiles;
import org.dirkms.it.support.TestDirectory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Every sample of {@code ldif/samples/} loads with {@code ldapmodify} as the administrator, in
 * number order, and leaves what its comments promise (checked with ldapsearch and in Java).
 */
class SampleLdifIT {

    @RegisterExtension
    static final TestDirectory directory = new TestDirectory();

    private static final String JDOE = "uid=jdoe,ou=People,dc=example,dc=com";
    private static final String SALES = "cn=Sales,ou=Administrative Groups,dc=example,dc=com";
    private static final String RECOVERY = "cn=recover-jdoe-2026-11-25,ou=Recovery Requests,ou=KMS,dc=example,dc=com";

    @Test
    void samplesLoadInOrderAndDoWhatTheySay() throws Exception {
        List<Path> samples;
        try (Stream<Path> files = Files.list(ProjectFiles.file("ldif/samples"))) {
            samples = files.filter(file -> file.toString().endsWith(".ldif")).sorted().toList();
        }
        assertEquals(List.of("10-create-administrative-group.ldif", "12-create-legacy-v1-group.ldif",
                "20-add-user.ldif", "25-add-kms-people.ldif",
                "30-enroll-user.ldif", "35-publish-external-certificate.ldif", "40-revoke-user.ldif",
                "50-request-recovery.ldif", "60-approve-recovery.ldif", "70-add-trusted-partner.ldif"),
                samples.stream().map(file -> file.getFileName().toString()).toList());
        // 35 (a single-key user's certificate from another CA) needs that CA's certificate file
        // beside it: SingleKeyUserIT runs it, with a partner CA made by openssl. 70 (a trusted
        // partner's root) needs the root's file beside it: PartnerTrustIT runs it.
        // Who runs which sample: the directory superuser adds people; 'dirkms roles' makes alice a
        // KMS administrator and bob and carol recovery agents; alice does the KMS operations.
        LdapTools superuser = LdapTools.against(directory).asAdmin();
        LdapTools alice = LdapTools.against(directory).as("uid=alice,ou=People,dc=example,dc=com",
                "alice-sample-password-change-me");

        load(superuser, samples.get(2));
        assertEquals("jane.doe@example.com", attribute(superuser, JDOE, "mail"));
        // The user can bind as self with the sample password.
        LdapTools.against(directory).as(JDOE, "jdoe-sample-password-change-me").whoami().assertSuccess();

        load(superuser, samples.get(3));
        for (String person : List.of("alice", "bob", "carol")) {
            // The sample names its people only: the roles are given where the KMS runs.
            superuser.modify("dn: " + directory.layout().recoveryAgentsGroup() + "\nchangetype: modify\nadd: member\n"
                    + "member: uid=" + person + ",ou=People,dc=example,dc=com\n-\n").assertExitCode(50);
        }
        Staff.giveRole(directory.server(), "kms-administrators", "uid=alice,ou=People,dc=example,dc=com");
        Staff.giveRole(directory.server(), "recovery-agents", "uid=bob,ou=People,dc=example,dc=com");
        Staff.giveRole(directory.server(), "recovery-agents", "uid=carol,ou=People,dc=example,dc=com");
        try (LdapConnection connection = directory.adminConnection()) {
            assertTrue(connection.lookup(directory.layout().recoveryAgentsGroup(), "member").get("member")
                    .contains("uid=carol,ou=People,dc=example,dc=com"));
            assertTrue(connection.lookup(directory.layout().kmsAdministratorsGroup(), "member").get("member")
                    .contains("uid=alice,ou=People,dc=example,dc=com"));
        }

        load(alice, samples.get(0));
        assertEquals("EC-P256", attribute(alice, SALES, "kmsKeyAlgorithm"));
        assertEquals("cn=default,ou=Servers,ou=KMS,dc=example,dc=com", attribute(alice, SALES, "kmsAssignedServer"));
        load(alice, samples.get(1));
        assertEquals("x509v1", attribute(alice, "cn=Legacy Clients,ou=Administrative Groups,dc=example,dc=com",
                "kmsCertificateFormat"));

        load(alice, samples.get(4));
        assertEquals("requested", attribute(alice, JDOE, "kmsEnrollmentState"));
        // ldapcompare exits 6 for compareTrue and 5 for compareFalse (RFC 4511 section 4.10).
        assertEquals(6, alice.compare(JDOE, "kmsEnrollmentState:requested").exitCode());
        assertEquals(5, alice.compare(JDOE, "kmsEnrollmentState:enrolled").exitCode());
        assertEquals(SALES, attribute(alice, JDOE, "kmsAdministrativeGroup"));
        try (LdapConnection connection = directory.adminConnection()) {
            assertTrue(connection.lookup(JDOE).hasObjectClass("kmsUser"));
        }

        // Revocation applies to enrolled users only. No KMS agent enrolls users in this test, so
        // it takes the agent's part for this one step, as the agent identity.
        LdapTools.against(directory).asAgent().modify("dn: " + JDOE
                + "\nchangetype: modify\nreplace: kmsEnrollmentState\nkmsEnrollmentState: enrolled\n-\n")
                .assertSuccess();
        load(alice, samples.get(6));
        assertEquals("revoke-requested", attribute(alice, JDOE, "kmsEnrollmentState"));
        assertEquals("keyCompromise", attribute(alice, JDOE, "kmsRevocationReason"));

        load(alice, samples.get(7));
        assertEquals(JDOE, attribute(alice, RECOVERY, "kmsRecoveryTarget"));
        assertEquals("uid=alice,ou=People,dc=example,dc=com", attribute(alice, RECOVERY, "kmsRecoveryRequester"));

        // Each recovery agent approves bound as themselves.
        load(LdapTools.against(directory).as("uid=bob,ou=People,dc=example,dc=com", "bob-sample-password-change-me"),
                samples.get(8));
        try (LdapConnection connection = directory.adminConnection()) {
            Entry request = connection.lookup(RECOVERY, "kmsRecoveryApproval");
            assertTrue(request.get("kmsRecoveryApproval").contains("uid=bob,ou=People,dc=example,dc=com"));
        }
    }

    private static void load(LdapTools admin, Path sample) {
        admin.modifyFile(sample).assertSuccess();
    }

    private static String attribute(LdapTools admin, String dn, String attribute) {
        LdapTools.Result result = admin.search(dn, "(objectClass=*)", "-s", "base", attribute).assertSuccess();
        String prefix = attribute + ": ";
        for (String line : result.stdout().split("\n")) {
            if (line.regionMatches(true, 0, prefix, 0, prefix.length())) {
                return line.substring(prefix.length());
            }
        }
        throw new AssertionError(attribute + " missing on " + dn + ":\n" + result.stdout());
    }
}
