package org.dirkms.it.smime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayInputStream;
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
import org.dirkms.agent.smime.MailKeys;
import org.dirkms.dist.AgentServeSetup;
import org.dirkms.dist.CaServeSetup;
import org.dirkms.ds.server.DirectoryServer;
import org.dirkms.ds.server.ServerSettings;
import org.dirkms.it.support.DirkmsRun;
import org.dirkms.it.support.LdapTools;
import org.dirkms.it.support.People;
import org.dirkms.it.support.Pem;
import org.dirkms.it.support.ProjectFiles;
import org.dirkms.it.support.Staff;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Secure mail between two users enrolled by {@code dirkms serve}: Jane (the sample Sales group:
 * EC P-256 keys, AES-256-GCM, one PKCS#12 of both keys) and Ron (the default group, changed to RSA-2048
 * keys and the legacy format: one PKCS#12 per key). Each direction between {@code dirkms smime}
 * and {@code openssl cms}: signed, encrypted with each content encryption, signed then encrypted,
 * to RSA and to EC keys; the content encryption of the sender's group; the bad inputs, each one
 * line and nothing written; and, last, a revoked signer and a revoked recipient after
 * {@code dirkms ca revoke}.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SmimeIT {
    private static final String JANE = "jane.doe@example.com";
    private static final String RON = "ron@example.com";
    private static final String RON_PASSWORD = "ron-test-password";
    private static final String JANE_PASSWORD = "jdoe-sample-password-change-me";
    private static final List<String> CONTENT_ENCRYPTIONS = List.of("aes256-gcm", "aes256-cbc", "aes128-cbc", "3des");

    @TempDir
    static Path data;

    @TempDir
    static Path work;

    private static DirectoryServer server;
    private static KmsAgent agent;
    private static LdapTools superuser;
    private static LdapTools kmsAdministrator;
    private static User jane;
    private static User ron;
    private static Path root;

    /** An enrolled user's files: key packages, token, and the keys and certificates as PEM for openssl. */
    private record User(String address, String dn, List<Path> packages, Path token, Path signingKey, Path signingCert,
            Path encryptionKey, Path encryptionCert, MailKeys keys) {
    }

    @BeforeAll
    static void enrollJaneAndRon() throws Exception {
        LdapTools.requireTool("openssl", "openssl");
        CaServeSetup.Serving serving = CaServeSetup.startServing(ServerSettings.forTests(data), Clock.systemUTC(),
                new SecureRandom());
        server = serving.server();
        try {
            // The default group is configured before the agent starts, which reads it then.
            kmsAdministrator = Staff.kmsAdministrator(server);
            kmsAdministrator.modify("dn: " + server.layout().defaultAdministrativeGroup() + "\nchangetype: modify\n"
                    + "replace: kmsKeyAlgorithm\nkmsKeyAlgorithm: RSA-2048\n-\n"
                    + "replace: kmsPackageFormat\nkmsPackageFormat: legacy-pbe-sha1-3des\n-\n").assertSuccess();
            kmsAdministrator.modifyFile(ProjectFiles.file("ldif/samples/10-create-administrative-group.ldif"))
                    .assertSuccess();
        } catch (RuntimeException | Error e) {
            server.close();
            throw e;
        }
        agent = AgentServeSetup.start(serving);
        superuser = LdapTools.against(server.ldapUrl(), server.tlsCertificateFile())
                .asWithPasswordFile(server.adminDn(), server.adminPasswordFile());
        superuser.modifyFile(ProjectFiles.file("ldif/samples/20-add-user.ldif")).assertSuccess();
        kmsAdministrator.modifyFile(ProjectFiles.file("ldif/samples/30-enroll-user.ldif")).assertSuccess();
        String ronDn = "uid=ron,ou=People," + server.layout().suffix();
        People.addAndEnroll(superuser, kmsAdministrator, "dn: " + ronDn + "\nobjectClass: inetOrgPerson\n"
                + "objectClass: kmsUser\nuid: ron\ncn: Ron Rsa\nsn: Rsa\nmail: " + RON + "\nuserPassword: "
                + RON_PASSWORD + "\nkmsEnrollmentState: requested\n");
        String janeDn = "uid=jdoe,ou=People," + server.layout().suffix();
        jane = fetch(kmsAdministrator, JANE, janeDn, JANE_PASSWORD, "jane");
        ron = fetch(kmsAdministrator, RON, ronDn, RON_PASSWORD, "ron");
        root = server.tlsCertificateFile();
    }

    @AfterAll
    static void stop() throws Exception {
        if (agent != null) {
            agent.close();
        }
        if (server != null) {
            server.close();
        }
    }

    /** Waits for the enrollment, then fetches the user's packages bound as the user and the token as a KMS administrator. */
    private static User fetch(LdapTools kmsAdministrator, String address, String dn, String password, String name)
            throws Exception {
        Instant deadline = Instant.now().plusSeconds(60);
        while (true) {
            String entry = kmsAdministrator.search(dn, "(objectClass=*)", "kmsEnrollmentState", "kmsLastError")
                    .assertSuccess().stdout();
            if (entry.contains("kmsEnrollmentState: enrolled")) {
                break;
            }
            if (entry.contains("kmsEnrollmentState: failed") || Instant.now().isAfter(deadline)) {
                fail("not enrolled: " + entry);
            }
            Thread.sleep(200); // polling the agent's progress
        }
        String tokenLdif = kmsAdministrator.withArguments("-s", "base").search(dn, "(objectClass=*)", "kmsEnrollmentToken")
                .assertSuccess().stdout();
        String token = values(tokenLdif, "kmsEnrollmentToken").stream().map(v -> new String(v, StandardCharsets.UTF_8))
                .findFirst().orElseThrow();
        Path tokenFile = Files.writeString(work.resolve(name + ".token"), token + "\n");
        String packageLdif = LdapTools.against(server.ldapUrl(), server.tlsCertificateFile()).as(dn, password)
                .withArguments("-s", "base").search(dn, "(objectClass=*)", "kmsKeyPackage").assertSuccess().stdout();
        List<Path> packages = new ArrayList<>();
        for (byte[] value : values(packageLdif, "kmsKeyPackage")) {
            packages.add(Files.write(work.resolve(name + "-" + (packages.size() + 1) + ".p12"), value));
        }
        List<byte[]> bytes = new ArrayList<>();
        for (Path p : packages) {
            bytes.add(Files.readAllBytes(p));
        }
        MailKeys keys = MailKeys.open(bytes, token.toCharArray());
        return new User(address, dn, packages, tokenFile,
                privateKey(work.resolve(name + "-signing.key"), keys.signing()),
                Pem.write(work.resolve(name + "-signing.pem"), keys.signing().certificate()),
                privateKey(work.resolve(name + "-encryption.key"), keys.encryption()),
                Pem.write(work.resolve(name + "-encryption.pem"), keys.encryption().certificate()), keys);
    }

    private static Path privateKey(Path file, MailKeys.Key key) throws Exception {
        return Files.writeString(file, "-----BEGIN PRIVATE KEY-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(
                        key.privateKey().getEncoded()) + "\n-----END PRIVATE KEY-----\n");
    }

    /** The values of {@code attribute} in an ldapsearch listing (base64 or plain). */
    private static List<byte[]> values(String ldif, String attribute) {
        List<byte[]> values = new ArrayList<>();
        for (String line : ldif.lines().toList()) {
            if (line.startsWith(attribute + ":: ")) {
                values.add(Base64.getDecoder().decode(line.substring(attribute.length() + 3).trim()));
            } else if (line.startsWith(attribute + ": ")) {
                values.add(line.substring(attribute.length() + 2).trim().getBytes(StandardCharsets.UTF_8));
            }
        }
        return values;
    }

    // ---- helpers ----

    private static Path message(String name, String from, String to, String body) throws Exception {
        return Files.writeString(work.resolve(name), "From: " + from + "\r\nTo: " + to + "\r\nSubject: " + name
                + "\r\nDate: Mon, 7 Dec 2026 01:00:00 +0000\r\nMessage-ID: <" + name + "@example.com>\r\n"
                + "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n" + body + "\r\n");
    }

    private static List<String> keyFlags(User user) {
        List<String> flags = new ArrayList<>();
        for (Path p : user.packages()) {
            flags.add("--key-package");
            flags.add(p.toString());
        }
        flags.add("--token-file");
        flags.add(user.token().toString());
        return flags;
    }

    private static List<String> directoryFlags() {
        return List.of("--data", data.toString(), "--url", server.ldapUrl(), "--ca-cert",
                server.tlsCertificateFile().toString());
    }

    private static DirkmsRun smime(String action, List<String> first, List<String> more) {
        List<String> arguments = new ArrayList<>(List.of("smime", action));
        arguments.addAll(first);
        arguments.addAll(more);
        return DirkmsRun.of(arguments);
    }

    private static DirkmsRun sign(User user, Path in, Path out) {
        return smime("sign", keyFlags(user), List.of("--in", in.toString(), "--out", out.toString()));
    }

    private static DirkmsRun encrypt(User user, Path in, Path out, String... more) {
        List<String> flags = new ArrayList<>(keyFlags(user));
        flags.addAll(directoryFlags());
        return smime("encrypt", flags, concat(List.of("--in", in.toString(), "--out", out.toString()), more));
    }

    private static DirkmsRun decrypt(User user, Path in, Path out) {
        return smime("decrypt", keyFlags(user), List.of("--in", in.toString(), "--out", out.toString()));
    }

    private static DirkmsRun verify(Path in, Path out) {
        return smime("verify", directoryFlags(), List.of("--in", in.toString(), "--out", out.toString()));
    }

    private static List<String> concat(List<String> first, String... more) {
        List<String> all = new ArrayList<>(first);
        all.addAll(List.of(more));
        return all;
    }

    private static LdapTools.Result openssl(String... arguments) {
        List<String> command = new ArrayList<>(List.of("openssl"));
        command.addAll(List.of(arguments));
        return LdapTools.run(command, Map.of(), null);
    }

    private static void assertOk(DirkmsRun run) {
        assertEquals(0, run.code(), run.toString());
    }

    /** One line on standard error, a non-zero exit, nothing at {@code out}, no token in the output. */
    private static String assertRefused(DirkmsRun run, Path out) throws Exception {
        assertNotEquals(0, run.code(), run.toString());
        assertFalse(Files.exists(out), "nothing written: " + run);
        String[] lines = run.err().strip().split("\n");
        for (User user : new User[] {jane, ron}) {
            String token = Files.readString(user.token()).strip();
            assertFalse(run.out().contains(token) || run.err().contains(token), "the token never shows: " + run);
        }
        return lines[lines.length - 1];
    }

    private static String text(Path file) throws Exception {
        return Files.readString(file, StandardCharsets.ISO_8859_1);
    }

    // ---- dirkms → openssl ----

    @Test
    @Order(1)
    void aMessageJaneSignsVerifiesWithOpensslAndWithDirkms() throws Exception {
        Path plain = message("signed-by-jane", "Jane Doe <" + JANE + ">", RON, "Signed by Jane.");
        Path signed = work.resolve("signed-by-jane.eml");
        assertOk(sign(jane, plain, signed));
        String mail = text(signed);
        assertTrue(mail.startsWith("From: Jane Doe <" + JANE + ">\r\n"), mail);
        assertTrue(mail.contains("Message-ID: <signed-by-jane@example.com>"), mail);
        assertTrue(mail.contains("multipart/signed") && mail.contains("application/pkcs7-signature"), mail);
        Path content = work.resolve("signed-by-jane.openssl.txt");
        openssl("cms", "-verify", "-in", signed.toString(), "-CAfile", root.toString(), "-out", content.toString())
                .assertSuccess();
        assertTrue(text(content).contains("Signed by Jane."), text(content));
        openssl("smime", "-verify", "-in", signed.toString(), "-CAfile", root.toString(), "-out", content.toString())
                .assertSuccess();
        assertTrue(text(content).contains("Signed by Jane."), text(content));
        LdapTools.Result attributes = openssl("cms", "-cmsout", "-print", "-in", signed.toString());
        String printed = attributes.assertSuccess().stdout();
        assertTrue(printed.contains("signingTime") && printed.contains("S/MIME Capabilities")
                && printed.contains("id-smime-aa-encrypKeyPref"), printed);

        Path verified = work.resolve("signed-by-jane.verified.eml");
        DirkmsRun run = verify(signed, verified);
        assertOk(run);
        assertTrue(run.err().contains("signer " + JANE + " serial "
                + jane.keys().signing().certificate().getSerialNumber().toString(16)), run.toString());
        assertTrue(run.err().contains(": good"), run.toString());
        assertTrue(text(verified).contains("Signed by Jane.") && text(verified).contains("Subject: signed-by-jane"),
                text(verified));
        // Without --out the content goes to standard output, the signer's line to standard error.
        DirkmsRun toStandardOutput = smime("verify", directoryFlags(), List.of("--in", signed.toString()));
        assertOk(toStandardOutput);
        assertEquals(text(verified), toStandardOutput.out());
        assertTrue(toStandardOutput.err().contains(": good") && !toStandardOutput.err().contains("Signed by Jane."),
                toStandardOutput.toString());
    }

    @Test
    @Order(2)
    void ronEncryptsToJanesEcKeyWithEachContentEncryptionAndOpensslDecrypts() throws Exception {
        for (String algorithm : CONTENT_ENCRYPTIONS) {
            Path plain = message("to-jane-" + algorithm, RON, JANE, "For Jane, " + algorithm + ".");
            Path encrypted = work.resolve("to-jane-" + algorithm + ".eml");
            assertOk(encrypt(ron, plain, encrypted, "--content-encryption", algorithm));
            String mail = text(encrypted);
            assertTrue(mail.contains(algorithm.endsWith("gcm") ? "smime-type=authEnveloped-data"
                    : "smime-type=enveloped-data"), mail);
            assertFalse(mail.contains("For Jane"), mail);
            Path decrypted = work.resolve("to-jane-" + algorithm + ".openssl.txt");
            openssl("cms", "-decrypt", "-in", encrypted.toString(), "-recip", jane.encryptionCert().toString(),
                    "-inkey", jane.encryptionKey().toString(), "-out", decrypted.toString()).assertSuccess();
            assertTrue(text(decrypted).contains("For Jane, " + algorithm + "."), text(decrypted));
            // Ron reads what he sent: he is a recipient too.
            Path own = work.resolve("to-jane-" + algorithm + ".own.eml");
            assertOk(decrypt(ron, encrypted, own));
            assertTrue(text(own).contains("For Jane, " + algorithm + ".") && text(own).startsWith("From: " + RON),
                    text(own));
        }
    }

    @Test
    @Order(3)
    void janeSignsAndEncryptsToRonsRsaKeyAndOpensslDecryptsAndVerifies() throws Exception {
        for (String algorithm : CONTENT_ENCRYPTIONS) {
            Path plain = message("to-ron-" + algorithm, JANE, RON, "For Ron, " + algorithm + ".");
            Path encrypted = work.resolve("to-ron-" + algorithm + ".eml");
            assertOk(encrypt(jane, plain, encrypted, "--sign", "--content-encryption", algorithm));
            Path inner = work.resolve("to-ron-" + algorithm + ".inner.eml");
            openssl("cms", "-decrypt", "-in", encrypted.toString(), "-recip", ron.encryptionCert().toString(),
                    "-inkey", ron.encryptionKey().toString(), "-out", inner.toString()).assertSuccess();
            Path content = work.resolve("to-ron-" + algorithm + ".content.txt");
            openssl("cms", "-verify", "-in", inner.toString(), "-CAfile", root.toString(), "-out", content.toString())
                    .assertSuccess();
            assertTrue(text(content).contains("For Ron, " + algorithm + "."), text(content));
            // and dirkms reads it back: decrypt, then verify
            Path decrypted = work.resolve("to-ron-" + algorithm + ".dirkms.eml");
            assertOk(decrypt(ron, encrypted, decrypted));
            Path verified = work.resolve("to-ron-" + algorithm + ".verified.eml");
            DirkmsRun run = verify(decrypted, verified);
            assertOk(run);
            assertTrue(text(verified).contains("For Ron, " + algorithm + "."), text(verified));
        }
    }

    @Test
    @Order(4)
    void theSendersGroupDecidesTheContentEncryption() throws Exception {
        // Jane's Sales group: AES-256-GCM (ldif/samples/10-create-administrative-group.ldif).
        Path fromJane = work.resolve("group-jane.eml");
        assertOk(encrypt(jane, message("group-jane-plain", JANE, "undisclosed-recipients:;", "By Jane's group."), fromJane,
                "--to", "Ron Rsa <Ron@Example.com>"));
        assertOk(decrypt(ron, fromJane, work.resolve("group-jane.read.eml")));
        assertTrue(text(fromJane).contains("smime-type=authEnveloped-data"), text(fromJane));
        assertTrue(openssl("cms", "-cmsout", "-print", "-in", fromJane.toString()).assertSuccess().stdout()
                .contains("aes-256-gcm"));
        // Looked up anonymously, as a mail client would: the recipients and the CRLs are public.
        Path anonymous = work.resolve("group-jane-anonymous.eml");
        List<String> flags = new ArrayList<>(keyFlags(jane));
        flags.addAll(List.of("--url", server.ldapUrl(), "--ca-cert", server.tlsCertificateFile().toString(),
                "--anonymous"));
        DirkmsRun anonymousRun = smime("encrypt", flags, List.of("--in", message("anonymous", JANE, RON,
                "Anonymous look-up.").toString(), "--out", anonymous.toString(), "--sign"));
        assertOk(anonymousRun);
        assertTrue(anonymousRun.err().contains("without a bind your group's content encryption cannot be read;"
                + " encrypting with aes256-cbc"), anonymousRun.toString());
        assertTrue(text(anonymous).contains("smime-type=enveloped-data"), text(anonymous));
        Path anonymousRead = work.resolve("group-jane-anonymous.read.eml");
        assertOk(decrypt(ron, anonymous, anonymousRead));
        Path anonymousContent = work.resolve("group-jane-anonymous.content.eml");
        assertOk(smime("verify", List.of("--url", server.ldapUrl(), "--ca-cert", server.tlsCertificateFile().toString(),
                "--anonymous"), List.of("--in", anonymousRead.toString(), "--out", anonymousContent.toString())));
        assertTrue(text(anonymousContent).contains("Anonymous look-up."), text(anonymousContent));
        // Ron's default group: AES-256-CBC.
        Path fromRon = work.resolve("group-ron.eml");
        assertOk(encrypt(ron, message("group-ron-plain", RON, JANE, "By Ron's group."), fromRon));
        assertTrue(text(fromRon).contains("smime-type=enveloped-data"), text(fromRon));
        assertTrue(openssl("cms", "-cmsout", "-print", "-in", fromRon.toString()).assertSuccess().stdout()
                .contains("aes-256-cbc"));
    }

    // ---- openssl → dirkms ----

    @Test
    @Order(5)
    void whatOpensslSignsAndEncryptsDirkmsDecryptsAndVerifies() throws Exception {
        Path entity = Files.writeString(work.resolve("openssl-entity.txt"),
                "Content-Type: text/plain; charset=us-ascii\r\n\r\nFrom openssl, by Jane.\r\n");
        Path signed = work.resolve("openssl-signed.eml");
        openssl("cms", "-sign", "-in", entity.toString(), "-signer", jane.signingCert().toString(), "-inkey",
                jane.signingKey().toString(), "-from", JANE, "-to", RON, "-subject", "from openssl", "-out",
                signed.toString()).assertSuccess();
        Path verified = work.resolve("openssl-signed.verified.eml");
        DirkmsRun run = verify(signed, verified);
        assertOk(run);
        assertTrue(run.err().contains("signer " + JANE) && run.err().contains(": good"), run.toString());
        assertTrue(text(verified).contains("From openssl, by Jane."), text(verified));

        for (String[] cipher : List.of(new String[] {"-aes-256-cbc", "enveloped"}, new String[] {"-aes-256-gcm",
                "authEnveloped"}, new String[] {"-des3", "enveloped"})) {
            for (User reader : List.of(jane, ron)) {
                // signed without headers, then encrypted with them: what a mail client sends
                Path innerSigned = work.resolve("openssl-inner" + cipher[0] + reader.address() + ".eml");
                openssl("cms", "-sign", "-in", entity.toString(), "-signer", jane.signingCert().toString(), "-inkey",
                        jane.signingKey().toString(), "-out", innerSigned.toString()).assertSuccess();
                Path encrypted = work.resolve("openssl" + cipher[0] + reader.address() + ".eml");
                openssl("cms", "-encrypt", "-in", innerSigned.toString(), cipher[0], "-from", JANE, "-to",
                        reader.address(), "-subject", "encrypted by openssl", "-out", encrypted.toString(),
                        reader.encryptionCert().toString()).assertSuccess();
                assertTrue(text(encrypted).contains("smime-type=" + cipher[1] + "-data"), text(encrypted));
                Path decrypted = work.resolve("openssl" + cipher[0] + reader.address() + ".decrypted.eml");
                assertOk(decrypt(reader, encrypted, decrypted));
                assertTrue(text(decrypted).contains("From: " + JANE + "\r\n"), text(decrypted));
                Path content = work.resolve("openssl" + cipher[0] + reader.address() + ".content.eml");
                DirkmsRun verifiedInner = verify(decrypted, content);
                assertOk(verifiedInner);
                assertTrue(text(content).contains("From openssl, by Jane."), text(content));
            }
        }
    }

    // ---- bad input ----

    @Test
    @Order(6)
    void aMessageChangedByOneByteIsRefused() throws Exception {
        Path signed = work.resolve("tamper-signed.eml");
        assertOk(sign(jane, message("tamper", JANE, RON, "Pay 100 euros."), signed));
        Path tampered = Files.writeString(work.resolve("tamper-signed.changed.eml"),
                text(signed).replace("Pay 100 euros.", "Pay 900 euros."), StandardCharsets.ISO_8859_1);
        Path out = work.resolve("tamper-signed.out");
        DirkmsRun run = verify(tampered, out);
        assertRefused(run, out);
        assertTrue(run.err().contains("bad-signature"), run.toString());

        Path encrypted = work.resolve("tamper-encrypted.eml");
        assertOk(encrypt(jane, message("tamper-gcm", JANE, RON, "Pay 100 euros."), encrypted, "--content-encryption",
                "aes256-gcm"));
        String mail = text(encrypted);
        int body = mail.indexOf("\r\n\r\n", mail.indexOf("application/pkcs7-mime")) + 4;
        int at = body + (mail.length() - body) * 3 / 4;
        while (!Character.isLetterOrDigit(mail.charAt(at))) {
            at++;
        }
        Path changed = Files.writeString(work.resolve("tamper-encrypted.changed.eml"), mail.substring(0, at)
                + (mail.charAt(at) == 'A' ? 'B' : 'A') + mail.substring(at + 1), StandardCharsets.ISO_8859_1);
        Path decrypted = work.resolve("tamper-encrypted.out");
        String line = assertRefused(decrypt(ron, changed, decrypted), decrypted);
        assertTrue(line.startsWith("dirkms smime: "), line);
    }

    @Test
    @Order(7)
    void wrongTokensUnreadablePackagesAndMessagesThatAreNotSmimeAreRefused() throws Exception {
        Path plain = message("bad-input", JANE, RON, "Bad input.");
        Path out = work.resolve("bad-input.out");
        Path wrongToken = Files.writeString(work.resolve("wrong.token"), "not-the-token\n");
        List<String> wrong = new ArrayList<>(keyFlags(jane));
        wrong.set(wrong.size() - 1, wrongToken.toString());
        String line = assertRefused(smime("sign", wrong, List.of("--in", plain.toString(), "--out", out.toString())), out);
        assertEquals("dirkms smime: the token does not open key package 1: give the token that came with this package",
                line);
        Path garbage = Files.writeString(work.resolve("garbage.p12"), "this is not a key package");
        line = assertRefused(smime("sign", List.of("--key-package", garbage.toString(), "--token-file",
                jane.token().toString()), List.of("--in", plain.toString(), "--out", out.toString())), out);
        assertEquals("dirkms smime: key package 1 is not a PKCS#12 file (RFC 7292)", line);
        DirkmsRun missing = smime("sign", List.of("--key-package", work.resolve("missing.p12").toString(),
                "--token-file", jane.token().toString()), List.of("--in", plain.toString(), "--out", out.toString()));
        assertEquals(2, missing.code(), missing.toString());
        assertTrue(missing.err().startsWith("dirkms smime: key package " + work.resolve("missing.p12") + " does not exist"),
                missing.toString());
        assertFalse(Files.exists(out));

        Path emptyToken = Files.writeString(work.resolve("empty.token"), "\n");
        List<String> empty = new ArrayList<>(keyFlags(jane));
        empty.set(empty.size() - 1, emptyToken.toString());
        DirkmsRun emptyRun = smime("sign", empty, List.of("--in", plain.toString(), "--out", out.toString()));
        assertEquals(2, emptyRun.code(), emptyRun.toString());
        assertTrue(emptyRun.err().contains("the first line of " + emptyToken + " is empty"), emptyRun.toString());
        assertFalse(Files.exists(out));
        DirkmsRun badAlgorithm = encrypt(jane, plain, out, "--content-encryption", "rc2");
        assertEquals(2, badAlgorithm.code(), badAlgorithm.toString());
        assertTrue(badAlgorithm.err().startsWith("dirkms smime: --content-encryption 'rc2' is not one of aes256-gcm,"
                + " aes128-gcm, aes256-cbc, aes128-cbc, 3des"), badAlgorithm.toString());

        line = assertRefused(decrypt(jane, plain, out), out);
        assertTrue(line.contains("not encrypted S/MIME"), line);
        line = assertRefused(verify(plain, out), out);
        assertTrue(line.contains("not signed S/MIME"), line);
    }

    @Test
    @Order(8)
    void unknownAndSigningOnlyRecipientsAreRefused() throws Exception {
        Path out = work.resolve("recipients.out");
        String line = assertRefused(encrypt(jane, message("unknown", JANE, "nobody@example.com", "Hello?"), out), out);
        assertEquals("dirkms smime: not encrypted: nobody@example.com is not in the directory", line);

        // A partner CA outside the directory certifies two people an administrator publishes: one
        // with a signing-only certificate, one single-key user (digitalSignature and keyEncipherment).
        PartnerCa partner = new PartnerCa();
        PartnerCa.Issued signOnly = partner.issue("signonly@example.com", false);
        PartnerCa.Issued singleKey = partner.issue("partner@example.com", true);
        for (PartnerCa.Issued person : List.of(signOnly, singleKey)) {
            String uid = person.address().substring(0, person.address().indexOf('@'));
            superuser.add("dn: uid=" + uid + ",ou=People," + server.layout().suffix() + "\nobjectClass: inetOrgPerson\n"
                    + "uid: " + uid + "\ncn: " + uid + "\nsn: " + uid + "\nmail: " + person.address()
                    + "\nuserCertificate;binary:: " + Base64.getEncoder().encodeToString(person.certificate().getEncoded())
                    + "\n").assertSuccess();
        }
        line = assertRefused(encrypt(jane, message("signonly", JANE, "signonly@example.com", "Hello?"), out), out);
        assertEquals("dirkms smime: not encrypted: signonly@example.com publishes only a signing certificate: there is no certificate"
                + " to encrypt to (keyEncipherment or keyAgreement)", line);

        Path toPartner = work.resolve("to-partner.eml");
        DirkmsRun run = encrypt(jane, message("to-partner", JANE, "partner@example.com", "For the partner."), toPartner);
        assertOk(run);
        assertTrue(run.err().contains("the certificate of partner@example.com is from "
                + singleKey.certificate().getIssuerX500Principal().getName() + ", not a CA of the directory"), run.toString());
        Path partnerKey = Files.writeString(work.resolve("partner.key"), "-----BEGIN PRIVATE KEY-----\n"
                + Base64.getMimeEncoder().encodeToString(singleKey.key().getEncoded()) + "\n-----END PRIVATE KEY-----\n");
        Path partnerCert = Pem.write(work.resolve("partner.pem"), singleKey.certificate());
        Path read = work.resolve("to-partner.openssl.txt");
        openssl("cms", "-decrypt", "-in", toPartner.toString(), "-recip", partnerCert.toString(), "-inkey",
                partnerKey.toString(), "-out", read.toString()).assertSuccess();
        assertTrue(text(read).contains("For the partner."), text(read));
    }

    // ---- revocation, last: it changes the CA's CRL ----

    @Test
    @Order(9)
    void aRevokedSignerVerifiesAsRevokedAndARevokedRecipientIsRefused() throws Exception {
        Path signed = work.resolve("before-revocation.eml");
        assertOk(sign(jane, message("before-revocation", JANE, RON, "Signed before the revocation."), signed));
        Path encryptedBefore = work.resolve("encrypted-before-revocation.eml");
        assertOk(encrypt(jane, message("encrypted-before", JANE, RON, "Before."), encryptedBefore));

        X509Certificate signing = jane.keys().signing().certificate();
        X509Certificate encryption = ron.keys().encryption().certificate();
        for (X509Certificate certificate : List.of(signing, encryption)) {
            DirkmsRun revoke = DirkmsRun.of("ca", "revoke", "--serial", certificate.getSerialNumber().toString(16),
                    "--reason", "keyCompromise", "--data", data.toString(), "--url", server.ldapUrl());
            assertOk(revoke);
        }
        Path out = work.resolve("after-revocation.out");
        DirkmsRun run = verify(signed, out);
        String line = assertRefused(run, out);
        assertTrue(run.err().contains("signer " + JANE + " serial " + signing.getSerialNumber().toString(16)), run.toString());
        assertTrue(run.err().contains(": revoked 20") && run.err().contains("reason keyCompromise"), run.toString());
        assertEquals("dirkms smime: not verified; nothing was written", line);

        line = assertRefused(encrypt(jane, message("to-revoked", JANE, RON, "To a revoked key."), out), out);
        assertTrue(line.startsWith("dirkms smime: not encrypted: the certificate of " + RON + " (serial "
                + encryption.getSerialNumber().toString(16) + ") is revoked: revoked 20"), line);
        assertTrue(line.contains("reason keyCompromise"), line);
    }

    @Test
    @Order(10)
    void afterTheRevocationWorkflowRonsMailVerifiesAsRevokedAndNobodyEncryptsToHim() throws Exception {
        Path signed = work.resolve("ron-before-workflow.eml");
        assertOk(sign(ron, message("ron-before-workflow", RON, JANE, "Ron, before his revocation."), signed));
        // The README's revocation: ldif/samples/40-revoke-user.ldif, for Ron.
        String sample = Files.readString(ProjectFiles.file("ldif/samples/40-revoke-user.ldif"));
        assertTrue(sample.contains("uid=jdoe,"), sample);
        kmsAdministrator.modify(sample.replace("uid=jdoe,", "uid=ron,")).assertSuccess();
        Instant deadline = Instant.now().plusSeconds(60);
        while (!kmsAdministrator.search(ron.dn(), "(objectClass=*)", "kmsEnrollmentState").assertSuccess().stdout()
                .contains("kmsEnrollmentState: revoked")) {
            if (Instant.now().isAfter(deadline)) {
                fail("Ron was not revoked");
            }
            Thread.sleep(200); // polling the agent's progress
        }
        Path out = work.resolve("after-workflow.out");
        DirkmsRun run = verify(signed, out);
        assertRefused(run, out);
        assertTrue(run.err().contains("signer " + RON + " serial " + ron.keys().signing().certificate().getSerialNumber()
                .toString(16) + " signed ") && run.err().contains(": revoked 20")
                && run.err().contains("reason keyCompromise"), run.toString());
        String line = assertRefused(encrypt(jane, message("to-revoked-ron", JANE, RON, "Hello?"), out), out);
        assertEquals("dirkms smime: not encrypted: " + RON + " has no certificate in the directory: they are not enrolled, or their"
                + " certificates were revoked", line);
    }

    static X509Certificate certificate(byte[] der) throws Exception {
        return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(der));
    }
}
