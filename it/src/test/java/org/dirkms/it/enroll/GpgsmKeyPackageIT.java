package org.dirkms.it.enroll;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
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
import org.dirkms.dist.DirkmsCommand;
import org.dirkms.ds.server.DirectoryServer;
import org.dirkms.ds.server.ServerSettings;
import org.dirkms.it.support.Pem;
import org.dirkms.it.support.Gpgsm;
import org.dirkms.it.support.LdapTools;
import org.dirkms.it.support.People;
import org.dirkms.it.support.ProjectFiles;
import org.dirkms.it.support.Staff;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A user of a group for gpgsm 2.2 ({@code kmsPackageFormat: legacy-pbe-sha1-3des}, RSA keys)
 * takes the keys the KMS made into gpgsm as the README says (docs/interoperability.md, "Key
 * packages"): fetches {@code kmsKeyPackage} bound as themselves with ldapsearch, one PKCS#12 per
 * value, and imports each with {@code gpgsm --import} and the token a KMS administrator read.
 * gpgsm 2.2 imports a PKCS#12 only when it holds one key, so a package of both keys left gpgsm
 * without them. Then gpgsm holds both secret keys: it decrypts what openssl encrypted to the
 * user's encryption certificate, and signs what openssl verifies against the CA. His keys
 * recovered later come the same way: {@code dirkms recovery fetch} saves one PKCS#12 per key.
 */
class GpgsmKeyPackageIT {
    private static final String PASSWORD = "jdoe-test-password";

    @TempDir
    Path data;

    @TempDir
    Path work;

    @Test
    void gpgsmImportsEveryKeyOfALegacyPackageAndUsesThem() throws Exception {
        LdapTools.requireTool("gpgsm", "gpgsm");
        CaServeSetup.Serving serving = CaServeSetup.startServing(ServerSettings.forTests(data), Clock.systemUTC(),
                new SecureRandom());
        DirectoryServer server = serving.server();
        LdapTools kmsAdministrator;
        try {
            // The group is configured before the agent starts, which reads it then.
            kmsAdministrator = Staff.kmsAdministrator(server);
            kmsAdministrator.modify("dn: " + server.layout().defaultAdministrativeGroup() + "\nchangetype: modify\n"
                    + "replace: kmsKeyAlgorithm\nkmsKeyAlgorithm: RSA-2048\n-\n"
                    + "replace: kmsPackageFormat\nkmsPackageFormat: legacy-pbe-sha1-3des\n-\n").assertSuccess();
        } catch (RuntimeException | Error e) {
            server.close();
            throw e;
        }
        try (server; KmsAgent agent = AgentServeSetup.start(serving)) {
            LdapTools superuser = LdapTools.against(server.ldapUrl(), server.tlsCertificateFile())
                    .asWithPasswordFile(server.adminDn(), server.adminPasswordFile());
            String me = "uid=jdoe,ou=People," + server.layout().suffix();
            People.addAndEnroll(superuser, kmsAdministrator, "dn: " + me + "\nobjectClass: inetOrgPerson\n"
                    + "objectClass: kmsUser\nuid: jdoe\ncn: John Doe\nsn: Doe\nmail: jdoe@example.com\nuserPassword: "
                    + PASSWORD + "\nkmsEnrollmentState: requested\n");
            awaitEnrolled(kmsAdministrator, me);
            String token = token(kmsAdministrator.search(me, "(objectClass=*)", "kmsEnrollmentToken")
                    .assertSuccess().stdout());

            // The README's fetch for a legacy group: one file per value of kmsKeyPackage.
            Path password = Files.writeString(work.resolve("jdoe.password"), PASSWORD);
            LdapTools.run(List.of("bash", "-c", "cd \"$WORK\" && ldapsearch -H " + server.ldapUrl() + " -ZZ -x -D \"$ME\" -y "
                    + password + " -b \"$ME\" -s base -LLL -o ldif-wrap=no kmsKeyPackage"
                    + " | sed -n 's/^kmsKeyPackage:: //p'"
                    + " | { n=0; while read -r value; do n=$((n+1)); echo \"$value\" | base64 -d > jdoe-$n.p12; done; }"),
                    Map.of("ME", me, "LDAPTLS_CACERT", server.tlsCertificateFile().toString(), "LDAPTLS_REQCERT",
                            "demand", "LDAPCONF", "/dev/null", "LDAPRC", "dirkms-it-no-ldaprc", "WORK",
                            work.toString()), null).assertSuccess();
            List<Path> packages = List.of(work.resolve("jdoe-1.p12"), work.resolve("jdoe-2.p12"));
            for (Path p12 : packages) {
                assertTrue(Files.size(p12) > 0, "fetched " + p12);
            }
            assertTrue(!Files.exists(work.resolve("jdoe-3.p12")), "one PKCS#12 per key: two keys, two files");

            X509Certificate root = certificate(Files.readAllBytes(server.tlsCertificateFile()));
            try (Gpgsm gpgsm = Gpgsm.trusting(work.resolve("gnupg"), root)) {
                gpgsm.importCertificates(server.tlsCertificateFile());
                for (Path p12 : packages) {
                    LdapTools.Result imported = gpgsm.runWithPassphrase(token, "--import", p12.toString());
                    assertTrue(imported.exitCode() == 0 && imported.stderr().contains("secret keys imported: 1"),
                            imported.describe("gpgsm imports the one key of " + p12.getFileName()));
                }
                LdapTools.Result secrets = gpgsm.run("--with-colons", "-K").assertSuccess();
                List<String> secretFingerprints = fingerprints(secrets.stdout());
                List<X509Certificate> published = published(kmsAdministrator, me);
                assertEquals(2, published.size());
                for (X509Certificate certificate : published) {
                    assertTrue(secretFingerprints.contains(Gpgsm.fingerprint(certificate).replace(":", "")),
                            secrets.describe("gpgsm holds the key of " + certificate.getSubjectX500Principal()));
                }
                X509Certificate encryption = published.stream().filter(c -> !c.getKeyUsage()[0]).findFirst()
                        .orElseThrow();
                X509Certificate signing = published.stream().filter(c -> c.getKeyUsage()[0]).findFirst().orElseThrow();

                // openssl encrypts to the published encryption certificate; gpgsm decrypts.
                Path message = Files.writeString(work.resolve("message.txt"), "For John, read with gpgsm.\n");
                Path encryptionPem = Pem.write(work.resolve("encryption.pem"), encryption);
                Path encrypted = work.resolve("message.p7m");
                LdapTools.run(List.of("openssl", "cms", "-encrypt", "-aes-256-cbc", "-binary", "-outform", "DER",
                        "-in", message.toString(), "-out", encrypted.toString(), encryptionPem.toString()), Map.of(),
                        null).assertSuccess();
                Path decrypted = work.resolve("decrypted.txt");
                // gpg-agent keeps each imported key under the token as its passphrase until the user
                // changes it (gpgsm --passwd); here it is given on standard input instead of a pinentry.
                gpgsm.runWithPassphrase(token, "--disable-crl-checks", "--output", decrypted.toString(), "--decrypt",
                        encrypted.toString()).assertSuccess();
                assertEquals(Files.readString(message), Files.readString(decrypted));

                // gpgsm signs with the signing key; openssl verifies against the CA.
                Path signed = work.resolve("message.sig");
                gpgsm.runWithPassphrase(token, "--disable-crl-checks", "--include-certs", "-1", "-u", "0x"
                        + Gpgsm.fingerprint(signing).replace(":", ""), "--output", signed.toString(), "--detach-sign",
                        message.toString()).assertSuccess();
                LdapTools.run(List.of("openssl", "cms", "-verify", "-binary", "-inform", "DER", "-in", signed.toString(),
                        "-content", message.toString(), "-CAfile", server.tlsCertificateFile().toString(),
                        "-purpose", "any", "-out", "/dev/null"), Map.of(), null).assertSuccess();

                recoveredKeysGoIntoGpgsmOneFileEach(server, kmsAdministrator, me, encrypted, message, root);
            }
        }
    }

    /**
     * John is enrolled again (a second encryption key), loses everything, and a KMS administrator
     * recovers his keys with two recovery agents' approvals (the samples). In the legacy format
     * {@code dirkms recovery fetch} saves one PKCS#12 per key, numbered; gpgsm imports each into a
     * new key ring and decrypts the mail sent to his first encryption certificate.
     */
    private void recoveredKeysGoIntoGpgsmOneFileEach(DirectoryServer server, LdapTools kmsAdministrator, String me,
            Path oldMail, Path oldText, X509Certificate root) throws Exception {
        kmsAdministrator.modify("dn: " + me + "\nchangetype: modify\nreplace: kmsEnrollmentState\n"
                + "kmsEnrollmentState: requested\n-\n").assertSuccess();
        awaitEnrolled(kmsAdministrator, me);
        LdapTools bob = Staff.person(server, "bob", "recovery-agents");
        LdapTools carol = Staff.person(server, "carol", "recovery-agents");
        kmsAdministrator.modifyFile(ProjectFiles.file("ldif/samples/50-request-recovery.ldif")).assertSuccess();
        String approve = Files.readString(ProjectFiles.file("ldif/samples/60-approve-recovery.ldif"));
        String sampleAgent = "uid=bob,ou=People," + server.layout().suffix();
        assertTrue(approve.contains(sampleAgent), approve);
        bob.modify(approve.replace(sampleAgent, Staff.dn(server, "bob"))).assertSuccess();
        carol.modify(approve.replace(sampleAgent, Staff.dn(server, "carol"))).assertSuccess();
        String request = "cn=recover-jdoe-2026-11-25," + server.layout().recoveryRequests();
        Instant deadline = Instant.now().plusSeconds(60);
        while (true) {
            String entry = kmsAdministrator.withArguments("-s", "base").search(request, "(objectClass=*)",
                    "kmsRecoveryState", "kmsLastError").assertSuccess().stdout();
            if (entry.contains("kmsRecoveryState: approved")) {
                break;
            }
            if (entry.contains("kmsRecoveryState: failed") || Instant.now().isAfter(deadline)) {
                fail("not recovered: " + entry);
            }
            Thread.sleep(200); // polling the agent's progress
        }

        Path out = work.resolve("jdoe-recovered.p12");
        Path password = Files.writeString(work.resolve("kms-admin.password"), Staff.PASSWORD + "\n");
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        ByteArrayOutputStream errors = new ByteArrayOutputStream();
        int code = DirkmsCommand.run(List.of("recovery", "fetch", "recover-jdoe-2026-11-25", "--out", out.toString(),
                "--bind-dn", Staff.dn(server, "kms-admin"), "--password-file", password.toString(), "--url",
                server.ldapUrl(), "--ca-cert", server.tlsCertificateFile().toString(), "--data", data.toString()),
                new PrintStream(printed, true, StandardCharsets.UTF_8), new PrintStream(errors, true,
                        StandardCharsets.UTF_8));
        String said = printed.toString(StandardCharsets.UTF_8) + errors.toString(StandardCharsets.UTF_8);
        assertEquals(0, code, said);
        List<Path> recovered = List.of(work.resolve("jdoe-recovered-1.p12"), work.resolve("jdoe-recovered-2.p12"));
        assertTrue(said.contains("(2 encryption keys of " + me + ") to " + recovered.get(0) + ", " + recovered.get(1)
                + " (one PKCS#12 per key)"), said);
        assertTrue(!Files.exists(out) && !Files.exists(work.resolve("jdoe-recovered-3.p12")), said);
        String token = Files.readString(work.resolve("jdoe-recovered.p12.token"));

        try (Gpgsm gpgsm = Gpgsm.trusting(work.resolve("gnupg-recovered"), root)) {
            gpgsm.importCertificates(server.tlsCertificateFile());
            for (Path p12 : recovered) {
                LdapTools.Result imported = gpgsm.runWithPassphrase(token, "--import", p12.toString());
                assertTrue(imported.exitCode() == 0 && imported.stderr().contains("secret keys imported: 1"),
                        imported.describe("gpgsm imports the one recovered key of " + p12.getFileName()));
            }
            Path decrypted = work.resolve("old-mail.txt");
            gpgsm.runWithPassphrase(token, "--disable-crl-checks", "--output", decrypted.toString(), "--decrypt",
                    oldMail.toString()).assertSuccess();
            assertEquals(Files.readString(oldText), Files.readString(decrypted), "the old mail reads again");
        }
    }

    private static void awaitEnrolled(LdapTools kmsAdministrator, String dn) throws Exception {
        Instant deadline = Instant.now().plusSeconds(60);
        while (true) {
            String entry = kmsAdministrator.search(dn, "(objectClass=*)", "kmsEnrollmentState", "kmsLastError")
                    .assertSuccess().stdout();
            if (entry.contains("kmsEnrollmentState: enrolled")) {
                return;
            }
            if (entry.contains("kmsEnrollmentState: failed") || Instant.now().isAfter(deadline)) {
                fail("not enrolled: " + entry);
            }
            Thread.sleep(200); // polling the agent's progress
        }
    }

    /** The token in an ldapsearch listing of kmsEnrollmentToken, plain or base64. */
    private static String token(String ldif) {
        for (String line : ldif.lines().toList()) {
            if (line.startsWith("kmsEnrollmentToken:: ")) {
                return new String(Base64.getDecoder().decode(line.substring(21).trim()), StandardCharsets.UTF_8);
            }
            if (line.startsWith("kmsEnrollmentToken: ")) {
                return line.substring(20).trim();
            }
        }
        return fail("no token in: " + ldif);
    }

    private static List<X509Certificate> published(LdapTools reader, String dn) throws Exception {
        String ldif = reader.withArguments("-s", "base").search(dn, "(objectClass=*)",
                "userCertificate;binary").assertSuccess().stdout();
        List<X509Certificate> certificates = new ArrayList<>();
        for (String line : ldif.lines().toList()) {
            if (line.startsWith("userCertificate;binary:: ") || line.startsWith("userCertificate:: ")) {
                certificates.add(certificate(Base64.getDecoder().decode(line.substring(line.indexOf(":: ") + 3).trim())));
            }
        }
        return certificates;
    }

    /** The fingerprints of the secret certificates in gpgsm's colon listing. */
    private static List<String> fingerprints(String colons) {
        List<String> found = new ArrayList<>();
        String last = null;
        for (String line : colons.lines().toList()) {
            if (line.startsWith("crs:")) {
                last = "crs";
            } else if (line.startsWith("crt:")) {
                last = "crt";
            } else if (line.startsWith("fpr:") && "crs".equals(last)) {
                found.add(line.split(":", -1)[9]);
            }
        }
        return found;
    }

    private static X509Certificate certificate(byte[] encoded) throws Exception {
        return (X509Certificate) CertificateFactory.getInstance("X.509")
                .generateCertificate(new ByteArrayInputStream(encoded));
    }
}
