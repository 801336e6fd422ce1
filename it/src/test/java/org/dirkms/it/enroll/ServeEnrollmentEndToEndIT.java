package org.dirkms.it.enroll;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.directory.ldap.client.api.LdapNetworkConnection;
import org.dirkms.agent.archive.ArchiveChecker;
import org.dirkms.agent.archive.KeyRecoverer;
import org.dirkms.agent.directory.EnrollmentRecords.ArchivedKeyEntry;
import org.dirkms.agent.directory.LdapEnrollmentRecords;
import org.dirkms.agent.enroll.KmsAgent;
import org.dirkms.dist.AgentServeSetup;
import org.dirkms.dist.CaServeSetup;
import org.dirkms.ds.server.DirectoryServer;
import org.dirkms.ds.server.ServerSettings;
import org.dirkms.it.support.AgentProgress;
import org.dirkms.it.support.Pem;
import org.dirkms.it.support.LdapTools;
import org.dirkms.it.support.People;
import org.dirkms.it.support.Staff;
import org.dirkms.it.support.ProjectFiles;
import org.dirkms.schema.DataFolder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Enrollment end to end, as {@code dirkms serve} runs it on a fresh data folder and as an
 * administrator and a user drive it: the sample LDIF through {@code ldapmodify}; a mail client's
 * anonymous {@code ldapsearch} by mail returns both certificates; the user binds as self over
 * StartTLS and fetches the package; {@code openssl pkcs12} opens it with the token;
 * {@code openssl cms} encrypts to the published encryption certificate and the delivered key
 * decrypts, and a message signed with the delivered signing key verifies against the CA; the
 * archived key unwraps with the recovery key to the key of the published certificate; gpgsm
 * with dirmngr pointed at the directory finds both certificates of a user by e-mail and encrypts
 * to the user.
 */
class ServeEnrollmentEndToEndIT {
    @TempDir
    Path data;

    @TempDir
    Path work;

    @Test
    void sampleEnrollmentWorksForMailClientsUsersAndOpenssl() throws Exception {
        LdapTools.requireTool("openssl", "openssl");
        SecureRandom random = new SecureRandom();
        CaServeSetup.Serving serving = CaServeSetup.startServing(ServerSettings.forTests(data), Clock.systemUTC(), random);
        try (DirectoryServer server = serving.server();
                KmsAgent agent = AgentServeSetup.start(serving)) {
            Path recoveryStore = DataFolder.of(data).recoveryKeyStore();
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(recoveryStore)),
                    "the recovery key store is private to its owner");
            Map<String, String> env = new HashMap<>(Map.of("LDAPTLS_CACERT", server.tlsCertificateFile().toString(),
                    "LDAPTLS_REQCERT", "demand", "LDAPCONF", "/dev/null", "LDAPRC", "dirkms-it-no-ldaprc"));
            String ldapmodify = LdapTools.executable("ldapmodify");
            String ldapsearch = LdapTools.executable("ldapsearch");
            // As the README: the superuser adds the people, 'dirkms roles' makes alice a KMS
            // administrator, and alice creates the group and enrolls the user.
            List<String> asSuperuser = List.of("-H", server.ldapUrl(), "-ZZ", "-x", "-D", server.adminDn(), "-y",
                    server.adminPasswordFile().toString());
            for (String sample : List.of("25-add-kms-people.ldif", "20-add-user.ldif")) {
                LdapTools.run(concat(List.of(ldapmodify), asSuperuser, List.of("-f",
                        ProjectFiles.file("ldif/samples/" + sample).toString())), env, null).assertSuccess();
            }
            Staff.giveRole(server, "kms-administrators", "uid=alice,ou=People," + server.layout().suffix());
            List<String> asAdmin = List.of("-H", server.ldapUrl(), "-ZZ", "-x", "-D",
                    "uid=alice,ou=People," + server.layout().suffix(), "-w", "alice-sample-password-change-me");
            for (String sample : List.of("10-create-administrative-group.ldif", "30-enroll-user.ldif")) {
                LdapTools.run(concat(List.of(ldapmodify), asAdmin, List.of("-f",
                        ProjectFiles.file("ldif/samples/" + sample).toString())), env, null).assertSuccess();
            }
            String dn = "uid=jdoe,ou=People," + server.layout().suffix();
            try (LdapNetworkConnection connection = serving.kms().openConnection(Duration.ofSeconds(30).toMillis())) {
                AgentProgress.awaitEnrolled(connection, dn);

                // A mail client: anonymous, by mail, both certificates on the user's entry; the
                // kmsPublishedCertificate children below it hold one each, without mail.
                String byMail = LdapTools.run(List.of(ldapsearch, "-H", server.ldapUrl(), "-x", "-LLL", "-o",
                        "ldif-wrap=no", "-b", server.layout().suffix(), "(mail=jane.doe@example.com)",
                        "userCertificate;binary"), env, null).assertSuccess().stdout();
                assertEquals(2, EnrollmentIT.lines(byMail, "userCertificate"), byMail);
                String children = LdapTools.run(List.of(ldapsearch, "-H", server.ldapUrl(), "-x", "-LLL", "-o",
                        "ldif-wrap=no", "-b", dn, "-s", "one", "(objectClass=kmsPublishedCertificate)",
                        "userCertificate;binary"), env, null).assertSuccess().stdout();
                X509Certificate signing = childCertificate(children, "cn=signing," + dn);
                X509Certificate encryption = childCertificate(children, "cn=encryption," + dn);
                Path signingPem = Pem.write(work.resolve("signing.pem"), signing);
                Path encryptionPem = Pem.write(work.resolve("encryption.pem"), encryption);

                // The KMS administrator reads the token (KMS administrators only, over StartTLS).
                String tokenLdif = LdapTools.run(concat(List.of(ldapsearch), asAdmin, List.of("-LLL", "-o",
                        "ldif-wrap=no", "-b", dn, "-s", "base", "(objectClass=*)", "kmsEnrollmentToken")), env, null)
                        .assertSuccess().stdout();
                String token = value(tokenLdif, "kmsEnrollmentToken");
                Path tokenFile = Files.writeString(work.resolve("token"), token + "\n");

                // The user binds as self over StartTLS and fetches the package.
                String packageLdif = LdapTools.run(List.of(ldapsearch, "-H", server.ldapUrl(), "-ZZ", "-x", "-D", dn,
                        "-w", "jdoe-sample-password-change-me", "-LLL", "-o", "ldif-wrap=no", "-b", dn, "-s", "base",
                        "(objectClass=*)", "kmsKeyPackage"), env, null).assertSuccess().stdout();
                Path p12 = Files.write(work.resolve("jdoe.p12"), Base64.getDecoder().decode(
                        packageLdif.lines().filter(l -> l.startsWith("kmsKeyPackage:: ")).findFirst()
                                .orElseThrow(() -> new AssertionError("no package in " + packageLdif))
                                .substring("kmsKeyPackage:: ".length())));

                // openssl opens it with the token; each key matches one published certificate.
                String keys = LdapTools.run(List.of("openssl", "pkcs12", "-in", p12.toString(), "-passin",
                        "file:" + tokenFile, "-nocerts", "-nodes"), Map.of(), null).assertSuccess().stdout();
                List<String> blocks = pemBlocks(keys, "PRIVATE KEY");
                assertEquals(2, blocks.size(), "signing and encryption keys: " + keys.replaceAll("(?s)-----BEGIN.*", ""));
                Path signingKey = null;
                Path encryptionKey = null;
                String signingPublic = publicKeyOfCertificate(signingPem);
                String encryptionPublic = publicKeyOfCertificate(encryptionPem);
                for (int i = 0; i < blocks.size(); i++) {
                    Path key = Files.writeString(work.resolve("key" + i + ".pem"), blocks.get(i));
                    String pub = LdapTools.run(List.of("openssl", "pkey", "-in", key.toString(), "-pubout"), Map.of(),
                            null).assertSuccess().stdout();
                    if (pub.equals(signingPublic)) {
                        signingKey = key;
                    } else if (pub.equals(encryptionPublic)) {
                        encryptionKey = key;
                    }
                }
                assertTrue(signingKey != null && encryptionKey != null, "each delivered key is a published key");

                // Encrypt to the published encryption certificate; the delivered key decrypts.
                Path message = Files.writeString(work.resolve("message.txt"), "Quarterly figures, for Jane only.\n");
                Path encrypted = work.resolve("message.p7m");
                LdapTools.run(List.of("openssl", "cms", "-encrypt", "-binary", "-aes256", "-in", message.toString(), "-out",
                        encrypted.toString(), encryptionPem.toString()), Map.of(), null).assertSuccess();
                Path decrypted = work.resolve("decrypted.txt");
                LdapTools.run(List.of("openssl", "cms", "-decrypt", "-in", encrypted.toString(), "-recip",
                        encryptionPem.toString(), "-inkey", encryptionKey.toString(), "-out", decrypted.toString()),
                        Map.of(), null).assertSuccess();
                assertEquals(Files.readString(message), Files.readString(decrypted));

                // Sign with the delivered signing key; verify against the CA alone.
                Path signed = work.resolve("signed.p7m");
                LdapTools.run(List.of("openssl", "cms", "-sign", "-binary", "-in", message.toString(), "-signer",
                        signingPem.toString(), "-inkey", signingKey.toString(), "-out", signed.toString()), Map.of(),
                        null).assertSuccess();
                Path verified = work.resolve("verified.txt");
                LdapTools.run(List.of("openssl", "cms", "-verify", "-binary", "-in", signed.toString(), "-CAfile",
                        server.tlsCertificateFile().toString(), "-out", verified.toString()), Map.of(), null)
                        .assertSuccess();
                assertEquals(Files.readString(message), Files.readString(verified));
                // The same verification fails against another root: the check above is real.
                LdapTools.Result foreign = LdapTools.run(List.of("openssl", "cms", "-verify", "-in", signed.toString(),
                        "-CAfile", "/etc/ssl/certs/ca-certificates.crt", "-out", work.resolve("x").toString()),
                        Map.of(), null);
                assertTrue(foreign.exitCode() != 0, foreign.describe("verification against a foreign root fails"));

                // The archived key unwraps with the recovery key to the published encryption key.
                List<ArchivedKeyEntry> archived = serving.kms().enrollmentRecords(connection).archivedKeys(dn);
                assertEquals(1, archived.size());
                ArchiveChecker.Verdict verdict = new ArchiveChecker(new KeyRecoverer(serving.kms().openRecoveryKeyStore().keys()))
                        .check(archived.get(0).wrappedKey(), encryption);
                assertTrue(verdict.matches(), verdict.message());

                gpgsmFindsBothCertificatesByMailAndEncryptsToTheUser(server, env, connection, asAdmin);
            }
        }
    }

    /**
     * gpgsm (GnuPG 2.2) with dirmngr pointed at the directory finds both certificates of a user
     * by e-mail (dirmngr reads only the first value of userCertificate: the encryption certificate
     * on the user's entry, the signing one on its child named after the address; MailLookupIT),
     * and encrypts to the user; the key the agent delivered decrypts. The user
     * is in the default group (RSA-2048): gpgsm 2.2 encrypts to RSA certificates.
     */
    private void gpgsmFindsBothCertificatesByMailAndEncryptsToTheUser(DirectoryServer server, Map<String, String> env,
            LdapNetworkConnection connection, List<String> asAdmin) throws Exception {
        LdapTools.requireTool("gpgsm", "gpgsm");
        LdapTools.requireTool("dirmngr", "dirmngr");
        String dn = "uid=rsa,ou=People," + server.layout().suffix();
        People.addAndEnroll(LdapTools.against(server.ldapUrl(), server.tlsCertificateFile())
                .asWithPasswordFile(server.adminDn(), server.adminPasswordFile()), LdapTools.against(server.ldapUrl(),
                        server.tlsCertificateFile()).as("uid=alice,ou=People," + server.layout().suffix(),
                                "alice-sample-password-change-me"), "dn: " + dn
                + "\nchangetype: add\nobjectClass: inetOrgPerson\nobjectClass: kmsUser\nuid: rsa\ncn: Rsa User\n"
                + "sn: User\nmail: rsa.user@example.com\nkmsEnrollmentState: requested\n");
        AgentProgress.awaitEnrolled(connection, dn);
        LdapEnrollmentRecords records = new LdapEnrollmentRecords(connection, server.layout());
        List<byte[]> published = records.publishedCertificates(dn);
        assertEquals(2, published.size());

        Path home = Files.createDirectories(work.resolve("gnupg"));
        Files.setPosixFilePermissions(home, PosixFilePermissions.fromString("rwx------"));
        Map<String, String> gnupg = Map.of("GNUPGHOME", home.toString());
        try {
            Files.writeString(home.resolve("dirmngr.conf"), "disable-http\nldaptimeout 10\n");
            Files.writeString(home.resolve("dirmngr_ldapservers.conf"),
                    "127.0.0.1:" + server.ldapPort() + ":::" + server.layout().suffix() + "\n");
            X509Certificate root = (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(Files.newInputStream(server.tlsCertificateFile()));
            Files.writeString(home.resolve("trustlist.txt"), fingerprint(root.getEncoded()) + " S relax\n");
            LdapTools.run(List.of("gpgsm", "--batch", "--disable-crl-checks", "--import",
                    server.tlsCertificateFile().toString()), gnupg, null).assertSuccess();
            LdapTools.Result external = LdapTools.run(List.of("gpgsm", "--batch", "--with-colons",
                    "--list-external-keys", "rsa.user@example.com"), gnupg, null).assertSuccess();
            List<String> found = external.stdout().lines().filter(line -> line.startsWith("fpr:"))
                    .map(line -> line.split(":", -1)[9]).toList();
            for (byte[] certificate : published) {
                assertTrue(found.contains(fingerprint(certificate).replace(":", "")),
                        external.describe("both certificates found by mail"));
            }

            X509Certificate encryption = null;
            for (byte[] der : published) {
                X509Certificate certificate = (X509Certificate) CertificateFactory.getInstance("X.509")
                        .generateCertificate(new java.io.ByteArrayInputStream(der));
                if (!certificate.getKeyUsage()[0]) {
                    encryption = certificate;
                }
            }
            Path encryptionPem = Pem.write(work.resolve("rsa-encryption.pem"), encryption);
            LdapTools.run(List.of("gpgsm", "--batch", "--disable-crl-checks", "--import", encryptionPem.toString()),
                    gnupg, null).assertSuccess();
            Path message = Files.writeString(work.resolve("for-rsa.txt"), "Sent with gpgsm.\n");
            Path encrypted = work.resolve("for-rsa.cms");
            LdapTools.run(List.of("gpgsm", "--batch", "--disable-crl-checks", "--encrypt", "-r",
                    "0x" + fingerprint(encryption.getEncoded()).replace(":", ""), "--output", encrypted.toString(),
                    message.toString()), gnupg, null).assertSuccess();

            // The key the agent delivered (read here as the agent) decrypts what gpgsm encrypted.
            char[] token = records.readEnrollmentToken(dn);
            java.security.KeyStore p12 = java.security.KeyStore.getInstance("PKCS12");
            p12.load(new java.io.ByteArrayInputStream(connection.lookup(dn, "kmsKeyPackage").get("kmsKeyPackage")
                    .getBytes()), token);
            Path keyPem = null;
            for (String alias : java.util.Collections.list(p12.aliases())) {
                java.security.Key key = p12.getKey(alias, token);
                if (key instanceof java.security.PrivateKey privateKey
                        && org.dirkms.agent.keys.KeyPairFactory.matches(privateKey, encryption.getPublicKey())) {
                    keyPem = Files.writeString(work.resolve("rsa-encryption.key"), "-----BEGIN PRIVATE KEY-----\n"
                            + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                                    .encodeToString(privateKey.getEncoded()) + "\n-----END PRIVATE KEY-----\n");
                }
            }
            assertTrue(keyPem != null, "the package holds the encryption key");
            Path decrypted = work.resolve("from-gpgsm.txt");
            LdapTools.run(List.of("openssl", "cms", "-decrypt", "-inform", "DER", "-in", encrypted.toString(),
                    "-recip", encryptionPem.toString(), "-inkey", keyPem.toString(), "-out", decrypted.toString()),
                    Map.of(), null).assertSuccess();
            assertEquals(Files.readString(message), Files.readString(decrypted).replace("\r\n", "\n"));
        } finally {
            LdapTools.run(List.of("gpgconf", "--kill", "all"), gnupg, null);
        }
    }

    private static String fingerprint(byte[] der) throws Exception {
        byte[] digest = java.security.MessageDigest.getInstance("SHA-1").digest(der);
        StringBuilder text = new StringBuilder();
        for (byte b : digest) {
            text.append(text.length() == 0 ? "" : ":").append(String.format("%02X", b));
        }
        return text.toString();
    }

    private static X509Certificate childCertificate(String ldif, String dn) throws Exception {
        String[] records = ldif.split("\n\n");
        for (String record : records) {
            if (record.startsWith("dn: " + dn)) {
                String b64 = value(record, "userCertificate;binary");
                return (X509Certificate) CertificateFactory.getInstance("X.509")
                        .generateCertificate(new java.io.ByteArrayInputStream(Base64.getDecoder().decode(b64)));
            }
        }
        throw new AssertionError("no entry " + dn + " in\n" + ldif);
    }

    /** The value of {@code attribute} in LDIF, decoding base64 ({@code ::}). */
    private static String value(String ldif, String attribute) {
        for (String line : ldif.split("\n")) {
            if (line.startsWith(attribute + ":: ")) {
                String b64 = line.substring(attribute.length() + 3).trim();
                return attribute.endsWith(";binary") ? b64
                        : new String(Base64.getDecoder().decode(b64), StandardCharsets.UTF_8);
            }
            if (line.startsWith(attribute + ": ")) {
                return line.substring(attribute.length() + 2).trim();
            }
        }
        throw new AssertionError("no " + attribute + " in\n" + ldif.replaceAll("(?m)^(kms\\w+)::? .*$", "$1: (hidden)"));
    }


    private static String publicKeyOfCertificate(Path certificate) {
        return LdapTools.run(List.of("openssl", "x509", "-in", certificate.toString(), "-pubkey", "-noout"), Map.of(),
                null).assertSuccess().stdout();
    }

    private static List<String> pemBlocks(String text, String type) {
        List<String> blocks = new ArrayList<>();
        String begin = "-----BEGIN " + type + "-----";
        String end = "-----END " + type + "-----";
        for (int at = text.indexOf(begin); at >= 0; at = text.indexOf(begin, at + 1)) {
            int stop = text.indexOf(end, at);
            blocks.add(text.substring(at, stop + end.length()) + "\n");
        }
        return blocks;
    }

    @SafeVarargs
    private static List<String> concat(List<String>... parts) {
        List<String> all = new ArrayList<>();
        for (List<String> part : parts) {
            all.addAll(part);
        }
        return all;
    }
}
