package org.dirkms.it.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayInputStream;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import org.dirkms.agent.enroll.KmsAgent;
import org.dirkms.dist.AgentServeSetup;
import org.dirkms.dist.CaServeSetup;
import org.dirkms.ds.server.DirectoryServer;
import org.dirkms.ds.server.ServerSettings;
import org.dirkms.it.support.Gpgsm;
import org.dirkms.it.support.LdapTools;
import org.dirkms.it.support.People;
import org.dirkms.it.support.ProjectFiles;
import org.dirkms.it.support.Staff;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A single-key user (one certificate from another CA, to sign and to encrypt, RFC 8550 section
 * 4.4.2) is published as the README says: the directory superuser runs
 * {@code ldif/samples/35-publish-external-certificate.ldif} with {@code ldapmodify}, and an
 * anonymous {@code ldapsearch} by address finds the certificate, which {@code openssl x509}
 * reads back. A certificate naming another address is refused with constraintViolation, a KMS
 * administrator may not publish it (insufficientAccessRights), and the KMS leaves the entry alone:
 * enrolling others, a restart of the agent (the published-layout upgrade), and the check that an
 * address is certified for one person (which counts the entry as the address's holder) do not
 * change it, until a KMS administrator enrolls the person, when the KMS's two certificates
 * replace the partner's.
 */
class SingleKeyUserIT {

    @TempDir
    Path data;

    @TempDir
    Path work;

    @Test
    void theDirectorySuperuserPublishesASingleKeyUserAndTheKmsLeavesItAlone() throws Exception {
        CaServeSetup.Serving serving = CaServeSetup.startServing(ServerSettings.forTests(data), Clock.systemUTC(),
                new SecureRandom());
        DirectoryServer server = serving.server();
        KmsAgent agent = null;
        try (server) {
            agent = AgentServeSetup.start(serving);
            String suffix = server.layout().suffix();
            assertEquals("dc=example,dc=com", suffix, "the samples are written for the default suffix");
            LdapTools superuser = LdapTools.against(server.ldapUrl(), server.tlsCertificateFile())
                    .asWithPasswordFile(server.adminDn(), server.adminPasswordFile());
            LdapTools anonymous = LdapTools.against(server.ldapUrl(), server.tlsCertificateFile()).anonymous();
            LdapTools kmsAdministrator = Staff.kmsAdministrator(server);
            PartnerCa partner = PartnerCa.create(work.resolve("partner"));
            PartnerCa.SingleKeyUser robin = partner.issue("r.smith", "Robin Smith", "r.smith@example.com", true);
            PartnerCa.SingleKeyUser other = partner.issue("someone", "Someone Else", "someone.else@example.com", true);
            String rsmith = "uid=rsmith,ou=People," + suffix;

            // The sample, as the administrator runs it, from the folder holding r.smith.der.
            LdapTools.Result sample = LdapTools.run(List.of("bash", "-c", "cd \"$DIR\" && ldapmodify -H \"$URL\" -ZZ -x"
                    + " -D \"$ADMIN\" -y \"$PASSWORD\" -f \"$SAMPLE\""), Map.of("DIR", work.resolve("partner").toString(),
                            "URL", server.ldapUrl(), "ADMIN", server.adminDn(), "PASSWORD",
                            server.adminPasswordFile().toString(), "SAMPLE",
                            ProjectFiles.file("ldif/samples/35-publish-external-certificate.ldif").toString(),
                            "LDAPTLS_CACERT", server.tlsCertificateFile().toString(), "LDAPTLS_REQCERT", "demand",
                            "LDAPCONF", "/dev/null", "LDAPRC", "dirkms-it-no-ldaprc"), null);
            sample.assertSuccess();

            // A mail client's look-up by address finds the one certificate; openssl reads it back.
            List<byte[]> found = certificates(anonymous.search(suffix, "(mail=r.smith@example.com)",
                    "userCertificate;binary").assertSuccess().stdout());
            assertEquals(1, found.size(), "one certificate, to sign and to encrypt");
            assertTrue(java.util.Arrays.equals(robin.certificate().getEncoded(), found.get(0)));
            Path foundDer = java.nio.file.Files.write(work.resolve("found.der"), found.get(0));
            LdapTools.Result x509 = LdapTools.run(List.of("openssl", "x509", "-inform", "DER", "-in", foundDer.toString(),
                    "-noout", "-fingerprint", "-sha1", "-ext", "subjectAltName,keyUsage"), Map.of(), null).assertSuccess();
            assertTrue(x509.stdout().contains("email:r.smith@example.com"), x509.stdout());
            assertTrue(x509.stdout().contains("Digital Signature, Key Encipherment"), x509.stdout());
            assertTrue(x509.stdout().contains(Gpgsm.fingerprint(robin.certificate())), x509.stdout());

            // A certificate naming an address the entry does not hold: refused, nothing written.
            String publishOther = "dn: " + rsmith + "\nchangetype: modify\nadd: userCertificate;binary\n"
                    + "userCertificate;binary:< file://" + other.der() + "\n-\n";
            LdapTools.Result refused = superuser.modify(publishOther).assertExitCode(19);
            assertTrue(refused.stderr().contains("certifies 'someone.else@example.com', which is not a mail address of "
                    + "this entry"), refused.describe("the address at fault"));
            // A KMS administrator does not publish people's certificates, even their own address's.
            String replaceOwn = "dn: " + rsmith + "\nchangetype: modify\nreplace: userCertificate;binary\n"
                    + "userCertificate;binary:< file://" + robin.der() + "\n-\n";
            LdapTools.Result notTheirs = kmsAdministrator.modify(replaceOwn).assertExitCode(50);
            assertTrue(notTheirs.stderr().contains("only the owner of an entry and the directory administrator publish "
                    + "certificates on it"), notTheirs.describe("who may"));
            String before = entryAndChildren(superuser, rsmith);
            assertEquals(List.of(robin.certificate().getEncoded().length), certificateLengths(before), before);

            // The KMS enrolls someone else, and restarts (the published-layout upgrade runs at start):
            // the single-key user's entry is as the administrator left it, no KMS attribute, no child.
            String jdoe = "uid=jdoe,ou=People," + suffix;
            People.addAndEnroll(superuser, kmsAdministrator, "dn: " + jdoe + "\nobjectClass: inetOrgPerson\n"
                    + "objectClass: kmsUser\nuid: jdoe\ncn: Jane Doe\nsn: Doe\nmail: jane.doe@example.com\n"
                    + "kmsEnrollmentState: requested\n");
            awaitState(kmsAdministrator, jdoe, "enrolled");
            agent.close();
            agent = AgentServeSetup.start(serving);
            // A second entry with the partner user's address: the KMS will not certify it for another person.
            String twin = "uid=rsmith2,ou=People," + suffix;
            People.addAndEnroll(superuser, kmsAdministrator, "dn: " + twin + "\nobjectClass: inetOrgPerson\n"
                    + "objectClass: kmsUser\nuid: rsmith2\ncn: Robin Smith\nsn: Smith\nmail: r.smith@example.com\n"
                    + "kmsEnrollmentState: requested\n");
            String failed = awaitState(kmsAdministrator, twin, "failed");
            assertTrue(failed.contains("r.smith@example.com") && failed.contains(rsmith), failed);
            String after = entryAndChildren(superuser, rsmith);
            assertEquals(before, after, "the KMS changed nothing on the single-key user");
            assertTrue(!after.toLowerCase(java.util.Locale.ROOT).contains("kms"), after);

            // Enrolled later, on a KMS administrator's request, once the address is its alone again:
            // the KMS's two certificates replace the partner's.
            superuser.delete(twin).assertSuccess();
            kmsAdministrator.modify("dn: " + rsmith + "\nchangetype: modify\nadd: objectClass\nobjectClass: kmsUser\n-\n"
                    + "add: kmsEnrollmentState\nkmsEnrollmentState: requested\n-\n").assertSuccess();
            awaitState(kmsAdministrator, rsmith, "enrolled");
            List<byte[]> enrolled = certificates(anonymous.search(suffix, "(mail=r.smith@example.com)",
                    "userCertificate;binary").assertSuccess().stdout());
            assertEquals(2, enrolled.size());
            for (byte[] der : enrolled) {
                assertEquals(serving.ca().certificate().getSubjectX500Principal(),
                        certificate(der).getIssuerX500Principal());
            }
        } finally {
            if (agent != null) {
                agent.close();
            }
        }
    }

    /** The entry and its children as the superuser reads them (operational attributes aside). */
    private static String entryAndChildren(LdapTools superuser, String dn) {
        return superuser.searchRaw("-LLL", "-o", "ldif-wrap=no", "-s", "sub", "-b", dn, "(objectClass=*)", "*")
                .assertSuccess().stdout();
    }

    private static List<Integer> certificateLengths(String ldif) {
        return certificates(ldif).stream().map(der -> der.length).toList();
    }

    private static String awaitState(LdapTools kmsAdministrator, String dn, String state) throws Exception {
        Instant deadline = Instant.now().plusSeconds(60);
        while (true) {
            String entry = kmsAdministrator.withArguments("-o", "ldif-wrap=no").search(dn, "(objectClass=*)",
                    "kmsEnrollmentState", "kmsLastError").assertSuccess().stdout();
            if (entry.contains("kmsEnrollmentState: " + state)) {
                return entry;
            }
            if (entry.contains("kmsEnrollmentState: failed") || Instant.now().isAfter(deadline)) {
                fail("not " + state + ": " + entry);
            }
            Thread.sleep(200); // polling the agent's progress
        }
    }

    /** The DER values of userCertificate in an ldapsearch listing (-o ldif-wrap=no). */
    static List<byte[]> certificates(String ldif) {
        List<byte[]> values = new ArrayList<>();
        for (String line : ldif.lines().toList()) {
            if (line.startsWith("userCertificate;binary:: ") || line.startsWith("userCertificate:: ")) {
                values.add(Base64.getDecoder().decode(line.substring(line.indexOf(":: ") + 3).trim()));
            }
        }
        return values;
    }

    private static X509Certificate certificate(byte[] der) throws Exception {
        return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(der));
    }
}
