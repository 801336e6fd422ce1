package org.dirkms.it.guard;

import static org.dirkms.it.guard.GuardFixture.alice;
import static org.dirkms.it.guard.GuardFixture.bob;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.util.Base64;

import org.apache.directory.api.ldap.model.entry.DefaultModification;
import org.apache.directory.api.ldap.model.entry.ModificationOperation;
import org.apache.directory.api.ldap.model.message.ModifyRequest;
import org.apache.directory.api.ldap.model.message.ModifyRequestImpl;
import org.apache.directory.api.ldap.model.message.ModifyResponse;
import org.apache.directory.api.ldap.model.message.ResultCodeEnum;
import org.apache.directory.api.ldap.model.name.Dn;
import org.apache.directory.ldap.client.api.LdapConnection;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.dirkms.it.support.LdapTools;
import org.dirkms.it.support.People;
import org.dirkms.it.support.TestDirectory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Every write to KMS attributes is validated: enumerations, state transitions by role,
 * certificate syntax, PKCS#10 signatures, and one KMS server per administrative group — each
 * refusal with its precise result code (the OpenLDAP clients exit with it) and a clear message.
 */
class KmsValidationIT {

    @RegisterExtension
    static final TestDirectory directory = new TestDirectory();

    @BeforeAll
    static void users() {
        GuardFixture.addUsers(directory);
    }

    private static String setState(String dn, String state) {
        return "dn: " + dn + "\nchangetype: modify\nreplace: kmsEnrollmentState\nkmsEnrollmentState: " + state + "\n-\n";
    }

    @Test
    void aMisspelledStateIsAConstraintViolationListingTheValues() throws Exception {
        String expected = "kmsEnrollmentState 'enroled' is not one of: requested, in-progress, enrolled, failed, "
                + "revoke-requested, revoked";
        LdapTools.Result result = LdapTools.against(directory).asKmsAdministrator()
                .modify(setState(alice(directory), "enroled")).assertExitCode(19);
        assertTrue(result.stderr().contains("Constraint violation"), result.stderr());
        assertTrue(result.stderr().contains(expected), result.stderr());
        assertFalse(result.stderr().contains("MessageType"), "no echo of the request: " + result.stderr());

        try (LdapConnection admin = directory.kmsAdministratorConnection()) {
            ModifyRequest request = new ModifyRequestImpl().setName(new Dn(alice(directory)))
                    .addModification(new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE,
                            "kmsEnrollmentState", "enroled"));
            ModifyResponse response = admin.modify(request);
            assertEquals(ResultCodeEnum.CONSTRAINT_VIOLATION, response.getLdapResult().getResultCode());
            assertEquals(expected, response.getLdapResult().getDiagnosticMessage());
        }
    }

    @Test
    void garbageInUserCertificateBinaryIsAnInvalidSyntax() {
        LdapTools.Result result = LdapTools.against(directory).asAdmin().modify("dn: " + bob(directory)
                + "\nchangetype: modify\nadd: userCertificate;binary\nuserCertificate;binary:: "
                + Base64.getEncoder().encodeToString("this is not a certificate".getBytes()) + "\n-\n")
                .assertExitCode(21);
        assertTrue(result.stderr().contains("userCertificate is not an X.509 certificate in DER"), result.stderr());
        LdapTools.against(directory).asAdmin().search(bob(directory), "(userCertificate=*)", "dn").assertSuccess();
    }

    @Test
    void anAdministrativeGroupHasAtMostOneKmsServer() {
        LdapTools admin = LdapTools.against(directory).asKmsAdministrator();
        String second = "cn=second," + directory.layout().servers();
        String group = directory.layout().defaultAdministrativeGroup();
        // KMS servers are the KMS's configuration: the KMS (its agent) adds one.
        LdapTools.against(directory).asAgent().add("dn: " + second + "\nobjectClass: top\nobjectClass: kmsServer\n"
                + "cn: second\n").assertSuccess();
        admin.modify("dn: " + group + "\nchangetype: modify\nreplace: kmsAssignedServer\nkmsAssignedServer: cn=default,"
                + directory.layout().servers() + "\n-\n").assertSuccess();
        LdapTools.Result twice = admin.modify("dn: " + group + "\nchangetype: modify\nadd: kmsAssignedServer\n"
                + "kmsAssignedServer: " + second + "\n-\n").assertExitCode(19);
        assertTrue(twice.stderr().contains("an administrative group has at most one KMS server"), twice.stderr());

        LdapTools.Result missing = admin.modify("dn: " + group + "\nchangetype: modify\nreplace: kmsAssignedServer\n"
                + "kmsAssignedServer: cn=nowhere," + directory.layout().servers() + "\n-\n").assertExitCode(19);
        assertTrue(missing.stderr().contains("does not name a kmsServer entry"), missing.stderr());
        LdapTools.Result kept = admin.search(group, "(objectClass=*)", "kmsAssignedServer").assertSuccess();
        assertTrue(kept.stdout().toLowerCase().contains("kmsassignedserver: cn=default,"), kept.stdout());
    }

    @Test
    void enrollmentStatesMoveByRole() {
        String carol = "uid=carol," + directory.layout().people();
        LdapTools admin = LdapTools.against(directory).asKmsAdministrator();
        LdapTools agent = LdapTools.against(directory).asAgent();
        People.addAndEnroll(directory, "dn: " + carol + "\nobjectClass: inetOrgPerson\nobjectClass: kmsUser\nuid: carol\n"
                + "cn: Carol\nsn: C\nuserPassword: carol-test-password\nkmsEnrollmentState: requested\n");

        LdapTools.Result adminCompletes = admin.modify(setState(carol, "enrolled")).assertExitCode(50);
        assertTrue(adminCompletes.stderr().contains("only a KMS agent may set kmsEnrollmentState 'enrolled'"),
                adminCompletes.stderr());
        agent.modify(setState(carol, "in-progress")).assertSuccess();
        LdapTools.Result again = admin.modify(setState(carol, "requested")).assertExitCode(53);
        assertTrue(again.stderr().contains("in-progress"), again.stderr());
        agent.modify(setState(carol, "enrolled")).assertSuccess();
        LdapTools.Result self = LdapTools.against(directory).as(carol, "carol-test-password")
                .modify(setState(carol, "revoke-requested")).assertExitCode(50);
        assertTrue(self.stderr().contains("only KMS administrators set it"), self.stderr());
        admin.modify(setState(carol, "revoke-requested")).assertSuccess();
        agent.modify(setState(carol, "revoked")).assertSuccess();
        admin.modify(setState(carol, "requested")).assertSuccess();
    }

    @Test
    void aUsersOwnSigningRequestMustVerify() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair pair = generator.generateKeyPair();
        byte[] csr = new JcaPKCS10CertificationRequestBuilder(new X500Name("CN=Alice Example"), pair.getPublic())
                .build(new JcaContentSignerBuilder("SHA256withECDSA").build(pair.getPrivate())).getEncoded();
        LdapTools alice = LdapTools.against(directory).as(alice(directory), GuardFixture.ALICE_PASSWORD);
        String modify = "dn: " + alice(directory) + "\nchangetype: modify\nreplace: kmsSigningRequest\nkmsSigningRequest:: ";
        alice.modify(modify + Base64.getEncoder().encodeToString(csr) + "\n-\n").assertSuccess();
        byte[] tampered = csr.clone();
        tampered[tampered.length - 5] ^= 1;
        LdapTools.Result refused = alice.modify(modify + Base64.getEncoder().encodeToString(tampered) + "\n-\n")
                .assertExitCode(21);
        assertTrue(refused.stderr().contains("kmsSigningRequest is a PKCS#10 request whose signature does not verify"),
                refused.stderr());
    }
}
