package org.dirkms.it.transfer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.dirkms.it.support.DirkmsRun;
import org.dirkms.it.support.LdapTools;
import org.dirkms.it.support.ServeProcess;
import org.dirkms.schema.DataFolder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two {@code ./dirkms serve} processes, each with its own data folder, suffix and CA: jdoe is
 * enrolled and re-enrolled on the source, exported to the destination's transport certificate,
 * and imported there; the destination's archive check is clean, a recovery there delivers her
 * old and new keys, which read mail encrypted on the source; a second import changes nothing.
 * Every damaged, foreign or expired file is refused whole, in one line, with the destination
 * unchanged (an ldapsearch dump before and after). openssl opens and verifies the file as an
 * auditor would (README, "Moving users between servers").
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class TransferIT {
    private static final String SOURCE = "dc=source,dc=example";
    private static final String DEST = "dc=dest,dc=example";
    private static final String PASSWORD = "transfer-test-password";

    @TempDir
    static Path folder;

    private static Server source;
    private static Server destination;
    private static Path transportPem;
    private static Path sourceCa;
    private static Path exported;
    private static final List<Path> MAIL = new ArrayList<>();

    /** One running server and the tools bound to it. */
    private record Server(ServeProcess process, Path data, String suffix, String url) {
        DataFolder folder() {
            return DataFolder.of(data);
        }

        LdapTools superuser() {
            return LdapTools.against(url, folder().caCertificate()).asWithPasswordFile("uid=admin,ou=system",
                    folder().adminPassword());
        }

        LdapTools as(String uid) {
            return LdapTools.against(url, folder().caCertificate()).as("uid=" + uid + ",ou=People," + suffix, PASSWORD);
        }

        DirkmsRun dirkms(String... arguments) {
            List<String> all = new ArrayList<>(List.of(arguments));
            all.addAll(List.of("--data", data.toString(), "--suffix", suffix));
            return DirkmsRun.of(all);
        }

        /**
         * Every entry and value below the suffix, as the superuser reads them, but what the running
         * server itself rewrites on its own schedule (heartbeats, the audit log's anchored head,
         * the syncrepl cookie): what an import must leave as it was.
         */
        String dump() {
            String ldif = superuser().searchRaw("-LLL", "-o", "ldif-wrap=no", "-b", suffix, "(objectClass=*)", "*")
                    .assertSuccess().stdout();
            return String.join("\n", ldif.lines().filter(line -> !SCHEDULED.matcher(line).lookingAt()).sorted()
                    .toList());
        }
    }

    private static final Pattern SCHEDULED = Pattern.compile("(?i)(kmsHeartbeat|kmsAudit[a-z]*|kmsSyncCookie):");
    private static final Pattern URL = Pattern.compile("LDAP \\(StartTLS\\): (ldap://\\S+)");

    private static Server start(String name, String suffix) throws Exception {
        Path data = folder.resolve(name);
        ServeProcess process = ServeProcess.start(folder, "--data", data.toString(), "--suffix", suffix, "--ldap-port",
                "0", "--ldaps-port", "0", "--http-port", "0");
        Matcher url = URL.matcher(process.awaitBanner());
        assertTrue(url.find());
        Server server = new Server(process, data, suffix, url.group(1));
        // People who hold the roles: alice asks for recoveries, bob approves them.
        server.superuser().add(person("alice", suffix, "alice@" + name + ".example") + "\n"
                + person("bob", suffix, "bob@" + name + ".example")).assertSuccess();
        assertEquals(0, server.dirkms("roles", "add", "kms-administrators", "uid=alice,ou=People," + suffix).code());
        assertEquals(0, server.dirkms("roles", "add", "recovery-agents", "uid=bob,ou=People," + suffix).code());
        // EC keys: fast, and what every tool here reads.
        server.as("alice").modify("dn: cn=Default,ou=Administrative Groups," + suffix + "\nchangetype: modify\n"
                + "replace: kmsKeyAlgorithm\nkmsKeyAlgorithm: EC-P256\n").assertSuccess();
        return server;
    }

    private static String person(String uid, String suffix, String mail) {
        return "dn: uid=" + uid + ",ou=People," + suffix + "\nobjectClass: inetOrgPerson\nuid: " + uid + "\ncn: " + uid
                + "\nsn: " + uid + "\nmail: " + mail + "\nuserPassword: " + PASSWORD + "\n";
    }

    @BeforeAll
    static void twoServers() throws Exception {
        source = start("source", SOURCE);
        destination = start("dest", DEST);
        sourceCa = source.folder().caCertificate();
    }

    @AfterAll
    static void stop() throws Exception {
        for (Server server : new Server[] {source, destination}) {
            if (server != null) {
                server.process().close();
            }
        }
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + 90_000_000_000L;
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "waited 90 s for " + what);
            Thread.sleep(200);
        }
    }

    private static List<String> values(LdapTools tools, String dn, String attribute) {
        return tools.searchRaw("-LLL", "-o", "ldif-wrap=no", "-s", "base", "-b", dn, "(objectClass=*)", attribute)
                .assertSuccess().stdout().lines().filter(l -> {
                    String name = l.substring(0, Math.max(0, l.indexOf(':'))).toLowerCase();
                    String base = attribute.toLowerCase().replaceFirst(";.*", "");
                    return name.equals(base) || name.startsWith(base + ";");
                }).map(l -> l.substring(l.indexOf(':') + 1).replaceFirst("^:? ", "")).toList();
    }

    private static LdapTools.Result run(String... command) {
        return LdapTools.run(List.of(command), Map.of(), null);
    }

    private static Path pemOf(String base64, String name) throws Exception {
        Path file = folder.resolve(name);
        Files.writeString(file, "-----BEGIN CERTIFICATE-----\n" + base64 + "\n-----END CERTIFICATE-----\n");
        return file;
    }

    @Test
    @Order(1)
    void usersEnrolledAndReEnrolledOnTheSourceAreExportedToTheDestinationsTransportCertificate() throws Exception {
        String jdoe = "uid=jdoe,ou=People," + SOURCE;
        source.superuser().add(person("jdoe", SOURCE, "jdoe@example.com")).assertSuccess();
        LdapTools alice = source.as("alice");
        List<String> encryption = new ArrayList<>();
        for (int round = 1; round <= 2; round++) {
            alice.modify("dn: " + jdoe + "\nchangetype: modify\n"
                    + (round == 1 ? "add: objectClass\nobjectClass: kmsUser\n-\n" : "")
                    + "replace: kmsEnrollmentState\nkmsEnrollmentState: requested\n").assertSuccess();
            int expected = round;
            LdapTools agent = source.superuser();
            await("enrollment " + round, () -> {
                List<String> state = values(agent, jdoe, "kmsEnrollmentState");
                List<String> records = values(agent, jdoe, "kmsArchiveRecord");
                return state.equals(List.of("enrolled")) && records.size() == expected;
            });
            encryption.add(values(agent, "cn=encryption," + jdoe, "userCertificate;binary").get(0));
        }
        assertNotEquals(encryption.get(0), encryption.get(1), "re-enrollment made a new encryption certificate");
        // Mail to each of her encryption certificates, encrypted on the source's side.
        for (int i = 0; i < 2; i++) {
            Path certificate = pemOf(encryption.get(i), "jdoe-encryption-" + i + ".pem");
            Path message = folder.resolve("message-" + i + ".txt");
            Files.writeString(message, "Subject: key " + i + "\n\nmessage to key " + i + "\n");
            Path encrypted = folder.resolve("mail-" + i + ".p7m");
            run("openssl", "cms", "-encrypt", "-aes256", "-in", message.toString(), "-out", encrypted.toString(),
                    certificate.toString()).assertSuccess();
            MAIL.add(encrypted);
        }

        // The destination hands out its transport certificate, which its server entry publishes too.
        transportPem = folder.resolve("dest-transport.pem");
        DirkmsRun certificate = destination.dirkms("transfer", "certificate", "--out", transportPem.toString());
        assertEquals(0, certificate.code(), certificate.toString());
        List<String> published = values(destination.superuser(), "cn=default,ou=Servers,ou=KMS," + DEST,
                "kmsTransportCertificate");
        assertEquals(1, published.size());
        String fromFile = Files.readString(transportPem).replaceAll("-----[A-Z ]+-----|\\s", "");
        assertEquals(published.get(0), fromFile, "the file holds the certificate the server entry publishes");
        String usage = run("openssl", "x509", "-in", transportPem.toString(), "-noout", "-ext", "keyUsage")
                .assertSuccess().stdout();
        // Encryption only: keyEncipherment for the RSA key of the default (RSA) CA's family.
        assertTrue((usage.contains("Key Encipherment") || usage.contains("Key Agreement"))
                && !usage.contains("Digital Signature"), usage);
        String mode = PosixFilePermissions.toString(Files.getPosixFilePermissions(destination.folder()
                .transferTransportKeyStore()));
        assertEquals("rw-------", mode);

        exported = folder.resolve("users.p7m");
        DirkmsRun export = source.dirkms("export", "--to", transportPem.toString(), "--filter", "(mail=*@example.com)",
                "--out", exported.toString());
        assertEquals(0, export.code(), export.toString());
        // Both encryption certificates and the current signing one: a superseded signing certificate
        // is kept nowhere once it is revoked (only encryption keys are archived, with their certificates).
        assertTrue(export.out().startsWith("exported 1 users (3 certificates, 2 archived keys) to "), export.out());
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(exported)));
        // The export is recorded in the source directory, so its audit log holds it.
        String audit = Files.readString(source.folder().auditLog());
        assertTrue(audit.contains("ou=Transfers,ou=KMS," + SOURCE), "the source's audit log records the export");
    }

    @Test
    @Order(2)
    void anAuditorOpensTheFileWithOpensslAndChecksItsSignature() throws Exception {
        Path key = folder.resolve("dest-transport-key.pem");
        run("openssl", "pkcs12", "-in", destination.folder().transferTransportKeyStore().toString(), "-nocerts",
                "-nodes", "-passin", "file:" + destination.folder().transferTransportPassphrase(), "-out",
                key.toString()).assertSuccess();
        Path signed = folder.resolve("users.signed.der");
        run("openssl", "cms", "-decrypt", "-inform", "DER", "-in", exported.toString(), "-inkey", key.toString(),
                "-recip", transportPem.toString(), "-binary", "-out", signed.toString()).assertSuccess();
        Path json = folder.resolve("users.json");
        LdapTools.Result verified = run("openssl", "cms", "-verify", "-inform", "DER", "-in", signed.toString(),
                "-CAfile", sourceCa.toString(), "-binary", "-out", json.toString()).assertSuccess();
        assertTrue(verified.stderr().contains("Verification successful"), verified.stderr());
        String document = Files.readString(json);
        assertTrue(document.contains("\"format\" : \"dirkms-transfer/1\""), document.substring(0, 300));
        assertTrue(document.contains("jdoe@example.com"));
        // A CA that did not sign it is refused by openssl too.
        LdapTools.Result other = run("openssl", "cms", "-verify", "-inform", "DER", "-in", signed.toString(),
                "-CAfile", destination.folder().caCertificate().toString(), "-binary", "-out", "/dev/null");
        assertNotEquals(0, other.exitCode());
    }

    @Test
    @Order(3)
    void everyDamagedForeignOrExpiredFileIsRefusedWholeAndTheDestinationIsUnchanged() throws Exception {
        byte[] good = Files.readAllBytes(exported);
        String before = destination.dump();
        Map<String, Path> files = new java.util.LinkedHashMap<>();
        byte[] flipped = good.clone();
        flipped[good.length / 2] ^= 0x01;
        files.put("one byte changed", write("flipped.p7m", flipped));
        files.put("truncated", write("truncated.p7m", Arrays.copyOf(good, good.length - 100)));
        // Unsigned: the same JSON, enveloped to the destination without a signature.
        Path json = folder.resolve("users.json");
        Path unsigned = folder.resolve("unsigned.p7m");
        run("openssl", "cms", "-encrypt", "-binary", "-aes256", "-outform", "DER", "-in", json.toString(), "-out",
                unsigned.toString(), transportPem.toString()).assertSuccess();
        files.put("unsigned", unsigned);
        // Addressed to another server: the source's own transport certificate.
        Path sourceTransport = folder.resolve("source-transport.pem");
        assertEquals(0, source.dirkms("transfer", "certificate", "--out", sourceTransport.toString()).code());
        Path misaddressed = folder.resolve("misaddressed.p7m");
        assertEquals(0, source.dirkms("export", "--to", sourceTransport.toString(), "--filter", "(uid=jdoe)", "--out",
                misaddressed.toString()).code());
        files.put("misaddressed", misaddressed);
        Path expired = folder.resolve("expired.p7m");
        assertEquals(0, source.dirkms("export", "--to", transportPem.toString(), "--filter", "(uid=jdoe)", "--days",
                "0", "--out", expired.toString()).code());
        files.put("expired", expired);

        Map<String, String> expectations = Map.of(
                "one byte changed", "the signature does not verify: the file was changed after it was signed",
                "truncated", "is not CMS EnvelopedData",
                "unsigned", "is not CMS SignedData",
                "misaddressed", "is encrypted to another server's transport certificate",
                "expired", "the file expired at ");
        for (Map.Entry<String, Path> file : files.entrySet()) {
            DirkmsRun refused = destination.dirkms("import", file.getValue().toString(), "--trust", sourceCa.toString());
            assertEquals(1, refused.code(), file.getKey() + ": " + refused);
            assertEquals("", refused.out(), file.getKey());
            assertEquals(1, refused.err().strip().lines().count(), file.getKey() + ": " + refused.err());
            assertTrue(refused.err().startsWith("dirkms import: refused " + file.getValue() + ": ")
                    && refused.err().contains(expectations.get(file.getKey()))
                    && refused.err().strip().endsWith("; nothing was written"), file.getKey() + ": " + refused.err());
        }
        // Signed by the source, but the administrator trusts another CA.
        DirkmsRun foreign = destination.dirkms("import", exported.toString(), "--trust",
                destination.folder().caCertificate().toString());
        assertEquals(1, foreign.code(), foreign.toString());
        assertTrue(foreign.err().contains("does not chain to the trusted source CA"), foreign.err());
        assertEquals(before, destination.dump(), "a refused file writes nothing");
    }

    @Test
    @Order(4)
    void theImportWritesTheUsersOnceAndTheirKeysRecoverOnTheDestination() throws Exception {
        String before = destination.dump();
        DirkmsRun dry = destination.dirkms("import", exported.toString(), "--trust", sourceCa.toString(), "--dry-run");
        assertEquals(0, dry.code(), dry.toString());
        assertTrue(dry.out().contains("would user-1 jdoe@example.com: create uid=jdoe,ou=People," + DEST
                + ": new person; 2 archive records (of 2 keys), 3 certificates, of which 2 published;"
                + " kmsEnrollmentState enrolled"), dry.out());
        assertTrue(dry.out().contains("nothing was written"), dry.out());
        assertEquals(before, destination.dump(), "a dry run writes nothing");

        DirkmsRun imported = destination.dirkms("import", exported.toString(), "--trust", sourceCa.toString());
        assertEquals(0, imported.code(), imported.toString());
        assertTrue(imported.out().contains("imported 1 users from cn=default,ou=Servers,ou=KMS," + SOURCE),
                imported.out());
        String jdoe = "uid=jdoe,ou=People," + DEST;
        LdapTools superuser = destination.superuser();
        assertEquals(List.of("enrolled"), values(superuser, jdoe, "kmsEnrollmentState"));
        assertEquals(2, values(superuser, jdoe, "kmsArchiveRecord").size());
        assertEquals(2, values(superuser, jdoe, "userCertificate;binary").size());
        // The source CA is published where clients build paths, and the imported certificate verifies.
        String trust = superuser.searchRaw("-LLL", "-o", "ldif-wrap=no", "-b", "ou=Trust,ou=KMS," + DEST,
                "(objectClass=pkiCA)", "cACertificate;binary").assertSuccess().stdout();
        String caBase64 = trust.lines().filter(l -> l.toLowerCase().startsWith("cacertificate")).findFirst().orElseThrow()
                .replaceFirst("^[^:]*:: ", "");
        Path publishedCa = pemOf(caBase64, "published-source-ca.pem");
        Path current = pemOf(values(superuser, jdoe, "userCertificate;binary").get(0), "imported-encryption.pem");
        run("openssl", "verify", "-CAfile", publishedCa.toString(), current.toString()).assertSuccess();
        String audit = Files.readString(destination.folder().auditLog());
        assertTrue(audit.contains("ou=Transfers,ou=KMS," + DEST), "the destination's audit log records the import");

        DirkmsRun check = destination.dirkms("archive", "check");
        assertEquals(0, check.code(), check.toString());
        assertTrue(check.out().contains("no problems"), check.out());

        // The same file again: nothing to write, and nothing written.
        String after = destination.dump();
        DirkmsRun again = destination.dirkms("import", exported.toString(), "--trust", sourceCa.toString());
        assertEquals(0, again.code(), again.toString());
        assertTrue(again.out().strip().endsWith("nothing to import: every user is already imported"), again.out());
        assertEquals(after, destination.dump());

        // A recovery on the destination delivers her old and new keys; each reads its mail from the source.
        assertEquals(0, destination.dirkms("recovery", "required-approvals", "1").code());
        String request = "cn=recover-jdoe,ou=Recovery Requests,ou=KMS," + DEST;
        destination.as("alice").modify("dn: " + request + "\nchangetype: add\nobjectClass: top\nobjectClass:"
                + " kmsRecoveryRequest\ncn: recover-jdoe\nkmsRecoveryTarget: " + jdoe + "\n").assertSuccess();
        destination.as("bob").modify("dn: " + request + "\nchangetype: modify\nadd: kmsRecoveryApproval\n"
                + "kmsRecoveryApproval: uid=bob,ou=People," + DEST + "\n-\n").assertSuccess();
        await("the recovery", () -> values(superuser, request, "kmsRecoveryState").equals(List.of("approved")));
        Path password = folder.resolve("alice.password");
        Files.writeString(password, PASSWORD);
        Path p12 = folder.resolve("jdoe.p12");
        DirkmsRun fetch = destination.dirkms("recovery", "fetch", "recover-jdoe", "--out", p12.toString(), "--bind-dn",
                "uid=alice,ou=People," + DEST, "--password-file", password.toString());
        assertEquals(0, fetch.code(), fetch.toString());
        String keys = run("openssl", "pkcs12", "-in", p12.toString(), "-passin", "file:" + p12 + ".token", "-nocerts",
                "-nodes").assertSuccess().stdout();
        List<Path> keyFiles = new ArrayList<>();
        Matcher block = Pattern.compile("-----BEGIN PRIVATE KEY-----[^-]+-----END PRIVATE KEY-----").matcher(keys);
        while (block.find()) {
            Path keyFile = folder.resolve("recovered-" + keyFiles.size() + ".pem");
            Files.writeString(keyFile, block.group() + "\n");
            keyFiles.add(keyFile);
        }
        assertEquals(2, keyFiles.size(), "the old and the new key");
        for (int i = 0; i < MAIL.size(); i++) {
            boolean read = false;
            for (Path keyFile : keyFiles) {
                LdapTools.Result decrypted = run("openssl", "cms", "-decrypt", "-in", MAIL.get(i).toString(), "-inkey",
                        keyFile.toString());
                read |= decrypted.exitCode() == 0 && decrypted.stdout().contains("message to key " + i);
            }
            assertTrue(read, "a recovered key reads the mail sent on the source to key " + i);
        }
        assertFalse(keys.isBlank());
    }

    @Test
    @Order(5)
    void anImportKilledHalfwayIsFinishedByTheNextRunAndAConflictingUserIsRefusedAlone() throws Exception {
        // mike@example.org is a KMS user on both servers, with each server's own certificates.
        for (Server server : new Server[] {source, destination}) {
            String mike = "uid=mike,ou=People," + server.suffix();
            server.superuser().add(person("mike", server.suffix(), "mike@example.org")).assertSuccess();
            server.as("alice").modify("dn: " + mike + "\nchangetype: modify\nadd: objectClass\nobjectClass: kmsUser\n"
                    + "-\nreplace: kmsEnrollmentState\nkmsEnrollmentState: requested\n").assertSuccess();
            LdapTools superuser = server.superuser();
            await("mike's enrollment", () -> values(superuser, mike, "kmsEnrollmentState").equals(List.of("enrolled")));
        }
        org.dirkms.it.support.People.addCrowd(source.superuser(), SOURCE, CROWD);
        DirkmsRun enroll = source.dirkms("enroll", "--filter", "(uid=person*)", "--report",
                folder.resolve("enroll-report.tsv").toString());
        assertEquals(0, enroll.code(), enroll.toString());
        Path crowd = folder.resolve("crowd.p7m");
        DirkmsRun export = source.dirkms("export", "--to", transportPem.toString(), "--filter",
                "(|(uid=person*)(uid=mike))", "--out", crowd.toString());
        assertEquals(0, export.code(), export.toString());

        // The import as an administrator runs it, killed (SIGKILL) once it has written some users.
        List<String> command = List.of(org.dirkms.it.support.ProjectFiles.file("dirkms").toString(), "import",
                crowd.toString(), "--trust", sourceCa.toString(), "--data", destination.data().toString(), "--suffix",
                DEST);
        Process killed = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(folder.resolve("killed-import.out").toFile()).start();
        LdapTools superuser = destination.superuser();
        await("the first imported users", () -> enrolledCrowd(superuser) >= 5 || !killed.isAlive());
        killed.destroyForcibly().waitFor();
        int partly = enrolledCrowd(superuser);
        assertTrue(partly < CROWD, "the kill came before the import ended (" + partly + " of " + CROWD + " users)");

        DirkmsRun resumed = destination.dirkms("import", crowd.toString(), "--trust", sourceCa.toString());
        assertEquals(1, resumed.code(), "a refused user makes the exit code 1: " + resumed);
        assertTrue(resumed.out().contains(" mike@example.org: refused: uid=mike,ou=People," + DEST
                + " is already a KMS user here (kmsEnrollmentState enrolled) with 2 other certificates"), resumed.out());
        assertTrue(resumed.out().contains("imported " + (CROWD - partly) + " users from "), resumed.out());
        assertEquals(CROWD, enrolledCrowd(superuser));
        DirkmsRun check = destination.dirkms("archive", "check");
        assertEquals(0, check.code(), check.toString());

        String after = destination.dump();
        DirkmsRun again = destination.dirkms("import", crowd.toString(), "--trust", sourceCa.toString());
        assertEquals(1, again.code(), again.toString());
        assertTrue(again.out().strip().endsWith("nothing to import: every user is already imported or refused"
                + " (1 refused)"), again.out());
        assertEquals(after, destination.dump());
    }

    private static final int CROWD = 120;

    private static int enrolledCrowd(LdapTools superuser) {
        return (int) superuser.searchRaw("-LLL", "-b", "ou=People," + DEST, "(&(uid=person*)(kmsEnrollmentState=enrolled))",
                "1.1").assertSuccess().stdout().lines().filter(line -> line.startsWith("dn: ")).count();
    }

    private static Path write(String name, byte[] content) throws Exception {
        Path file = folder.resolve(name);
        Files.write(file, content);
        return file;
    }
}
