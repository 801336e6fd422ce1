package org.dirkms.it.openldap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import org.dirkms.it.support.DirkmsRun;
import org.dirkms.it.support.LdapTools;
import org.dirkms.it.support.ProjectFiles;
import org.dirkms.schema.DirectoryLayout;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Threshold custody of the recovery keys on OpenLDAP, as an integrator who followed README
 * "Running on OpenLDAP" runs it: slapd with the shipped configuration ({@link Slapd}), the agent's
 * data folder made with {@code dirkms ca init --url}, roles given with {@code dirkms roles add}, and
 * a standalone {@code dirkms agent}. Three recovery agents are enrolled (EC P-256) and fetch their
 * key packages; {@code dirkms archive custody --threshold 2} against slapd with the agent's data
 * folder leaves no recovery key store there; the agent, restarted as the command says, claims a
 * recovery request a KMS administrator made with {@code ldapmodify} (writing
 * {@code kmsRecoveryRequester} and {@code kmsRecoveryState} themselves, as slapd needs); one
 * approval with {@code dirkms recovery approve --key-package} delivers nothing; the agent restarted
 * then (short lease) publishes a new request key and removes the approval and share sealed to the
 * lost one; approved again, two approvals deliver a
 * PKCS#12 that {@code openssl pkcs12} opens and whose key is the user's published encryption key.
 * {@code dirkms archive check} then opens a custody session in slapd, approved by one agent with
 * the README's OpenSSL and OpenLDAP commands and one with {@code dirkms}, and unwraps every key.
 */
class CustodyOnSlapdIT {

    private static final String SUFFIX = DirectoryLayout.DEFAULT_SUFFIX;
    private static final DirectoryLayout LAYOUT = new DirectoryLayout(SUFFIX);
    private static final String ALICE = "uid=alice,ou=People," + SUFFIX;
    private static final String ALICE_PASSWORD = "alice-sample-password-change-me";
    private static final String JDOE = "uid=jdoe,ou=People," + SUFFIX;
    private static final String BOB = "uid=bob,ou=People," + SUFFIX;
    private static final String CAROL = "uid=carol,ou=People," + SUFFIX;
    private static final String DAVE = "uid=dave,ou=People," + SUFFIX;
    private static final Map<String, String> PASSWORDS = Map.of(BOB, "bob-sample-password-change-me", CAROL,
            "carol-sample-password-change-me", DAVE, "dave-password-change-me", JDOE, "jdoe-sample-password-change-me");

    /** A claim that runs out within seconds and a sweep that notices, so that a restart is seen at once. */
    private static final String[] SHORT_LEASE = {"--lease-seconds", "3", "--sweep-seconds", "2"};

    @TempDir
    Path work;

    @Test
    void twoOfThreeRecoveryAgentsRecoverOnSlapdAfterCustody() throws Exception {
        LdapTools.requireTool("openssl", "openssl");
        try (Slapd slapd = Slapd.start(work.resolve("slapd"), Slapd.Options.defaults())) {
            // README, "Running on OpenLDAP": the agent's data folder, the CA, people and roles.
            Path kms = work.resolve("kms");
            LdapTools.run(List.of("bash", "-c", "set -e; cd \"$WORK\"; mkdir -m 700 kms kms/tls"
                    + " && cp \"$LDAPTLS_CACERT\" kms/tls/ca.crt && cp \"$AGENT_PASSWORD\" kms/kms-agent.password"),
                    Map.of("WORK", work.toString(), "LDAPTLS_CACERT", slapd.caCertificate().toString(), "AGENT_PASSWORD",
                            slapd.agentPasswordFile().toString()), null).assertSuccess();
            String url = slapd.url();
            dirkms("ca", "init", "--data", kms.toString(), "--url", url);
            LdapTools directoryAdministrator = slapd.asDirectoryAdministrator();
            for (String sample : List.of("25-add-kms-people.ldif", "20-add-user.ldif")) {
                directoryAdministrator.modifyFile(ProjectFiles.file("ldif/samples/" + sample)).assertSuccess();
            }
            directoryAdministrator.add("dn: " + DAVE + "\nobjectClass: inetOrgPerson\nuid: dave\ncn: Dave\nsn: Dave\n"
                    + "mail: dave@example.com\nuserPassword: " + PASSWORDS.get(DAVE) + "\n").assertSuccess();
            dirkms("roles", "add", "kms-administrators", ALICE, "--data", kms.toString(), "--url", url);
            for (String agent : List.of(BOB, CAROL, DAVE)) {
                dirkms("roles", "add", "recovery-agents", agent, "--data", kms.toString(), "--url", url);
            }
            LdapTools alice = LdapTools.against(url, slapd.caCertificate()).as(ALICE, ALICE_PASSWORD);
            alice.modifyFile(ProjectFiles.file("ldif/samples/10-create-administrative-group.ldif")).assertSuccess();
            // EC P-256 keys: fast, and the shares are sealed to them by key agreement.
            alice.modify("dn: " + LAYOUT.defaultAdministrativeGroup() + "\nchangetype: modify\n"
                    + "replace: kmsKeyAlgorithm\nkmsKeyAlgorithm: EC-P256\n-\n").assertSuccess();

            Process agent = startAgent(kms, url);
            try {
                awaitLine(agent, "dirkms agent running");
                for (String dn : List.of(JDOE, BOB, CAROL, DAVE)) {
                    alice.modify("dn: " + dn + "\nchangetype: modify\nadd: objectClass\nobjectClass: kmsUser\n-\n"
                            + "add: kmsEnrollmentState\nkmsEnrollmentState: requested\n-\n").assertSuccess();
                }
                for (String dn : List.of(JDOE, BOB, CAROL, DAVE)) {
                    await(dn + " enrolled", agent, () -> alice.withArguments("-s", "base")
                            .search(dn, "(objectClass=*)", "kmsEnrollmentState").stdout()
                            .contains("kmsEnrollmentState: enrolled"));
                }
                assertTrue(Files.isRegularFile(kms.resolve("recovery/key-recovery-agent.p12")),
                        "the agent's first start made the recovery key store");
                for (String dn : List.of(BOB, CAROL, DAVE)) {
                    fetchKeyPackage(slapd, alice, dn);
                }

                // The administrator, where the agent runs, against slapd with the agent's folder.
                DirkmsRun custody = DirkmsRun.of("archive", "custody", "--threshold", "2", "--agents", BOB, CAROL, DAVE,
                        "--data", kms.toString(), "--url", url);
                assertEquals(0, custody.code(), custody + "\nagent:\n" + agentLog());
                assertTrue(custody.out().contains("split among 3 recovery agents, any 2 of whom rebuild them"),
                        custody.toString());
                assertTrue(custody.out().contains("and any 'dirkms agent' of this data folder"), custody.toString());
            } finally {
                stop(agent);
            }
            assertFalse(Files.exists(kms.resolve("recovery/key-recovery-agent.p12")), "no recovery key store");
            assertFalse(Files.exists(kms.resolve("recovery/key-recovery-agent.pass")), "no recovery passphrase");
            String marker = Files.readString(kms.resolve("recovery/custody"));
            assertTrue(marker.contains("threshold 2 of 3") && marker.contains(BOB) && marker.contains(DAVE), marker);

            // Restarted after custody, as the command said.
            agent = startAgent(kms, url, SHORT_LEASE);
            try {
                awaitLine(agent, "dirkms agent running");
                agent = recoverUnderCustody(slapd, alice, kms, url, agent);
                checkTheArchiveInACustodySession(slapd, kms, url, agent);
            } finally {
                stop(agent);
            }
            assertFalse(Files.exists(kms.resolve("recovery/key-recovery-agent.p12")),
                    "the restarted agent made no new recovery key store");
            // The agent's own audit trail holds the recovery and checks against its anchor in slapd.
            String audit = Files.readString(kms.resolve("audit/agent.log"));
            assertTrue(audit.contains("cn=recover-jdoe-2026-11-25," + LAYOUT.recoveryRequests())
                    && audit.contains("kmsRecoveryState=approved"), "the delivery is audited");
            DirkmsRun verify = DirkmsRun.of("audit", "verify", "--data", kms.toString(), "--url", url);
            assertEquals(0, verify.code(), verify.toString());
            assertTrue(verify.out().contains("audit log OK"), verify.toString());
        }
    }

    /**
     * Alice asks with the sample and the two lines slapd needs; one approval with its share leaves
     * the request pending without a package, the second delivers a package openssl opens, holding
     * the key of jdoe's published encryption certificate.
     */
    private Process recoverUnderCustody(Slapd slapd, LdapTools alice, Path kms, String url, Process running)
            throws Exception {
        Process agent = running;
        String request = "cn=recover-jdoe-2026-11-25," + LAYOUT.recoveryRequests();
        String sample = Files.readString(ProjectFiles.file("ldif/samples/50-request-recovery.ldif"));
        alice.modify(sample + "kmsRecoveryRequester: " + ALICE + "\nkmsRecoveryState: pending\n")
                .assertSuccess();
        await("the agent's request key on " + request, agent, () -> alice.withArguments("-s", "base")
                .search(request, "(objectClass=*)", "kmsRequestKey").stdout().contains("kmsRequestKey:: "));

        DirkmsRun first = approve(slapd, url, request, BOB);
        assertEquals(0, first.code(), first + "\nagent:\n" + agentLog());
        assertTrue(first.out().contains("with your share"), first.toString());
        // The agent acts on the approval at once (syncrepl); give it the time to act wrongly.
        Thread.sleep(3000); // waiting for something that must not happen
        String afterOne = alice.withArguments("-s", "base").search(request, "(objectClass=*)", "kmsRecoveryState",
                "kmsRecoveryPackage", "kmsRecoveryToken", "kmsRecoveryShare", "kmsLastError").assertSuccess().stdout();
        assertTrue(afterOne.contains("kmsRecoveryState: pending"), afterOne);
        assertFalse(afterOne.contains("kmsRecoveryPackage") || afterOne.contains("kmsRecoveryToken"),
                "one share delivers nothing: " + afterOne);
        assertFalse(afterOne.contains("kmsLastError"), "a good share is no error: " + afterOne);

        // The agent restarts while the request waits: its request key went with it. Once the claim's
        // lease ran out, the new process publishes a new key and removes the approval and share.
        String firstKey = value(alice.withArguments("-s", "base").search(request, "(objectClass=*)", "kmsRequestKey")
                .assertSuccess().stdout(), "kmsRequestKey:: ");
        stop(agent);
        agent = startAgent(kms, url, SHORT_LEASE);
        awaitLine(agent, "dirkms agent running");
        Process restarted = agent;
        await("a new request key on " + request, agent, () -> {
            String now = alice.withArguments("-s", "base").search(request, "(objectClass=*)", "kmsRequestKey",
                    "kmsLastError").stdout();
            return now.contains("kmsRequestKey:: ") && !now.contains(firstKey)
                    && now.contains("stopped and took the key along");
        });
        String rekeyed = alice.withArguments("-s", "base").search(request, "(objectClass=*)", "kmsRecoveryState",
                "kmsRecoveryApproval", "kmsRecoveryShare", "kmsLastError").assertSuccess().stdout();
        assertTrue(rekeyed.contains("kmsRecoveryState: pending"), rekeyed);
        assertFalse(rekeyed.contains("kmsRecoveryApproval") || rekeyed.contains("kmsRecoveryShare"),
                "the approval and share sealed to the lost key are removed: " + rekeyed);
        assertTrue(rekeyed.contains("each recovery agent approves again"), rekeyed);
        DirkmsRun again = approve(slapd, url, request, BOB);
        assertEquals(0, again.code(), again + "\nagent:\n" + agentLog());

        DirkmsRun second = approve(slapd, url, request, DAVE);
        assertEquals(0, second.code(), second + "\nagent:\n" + agentLog());
        await(request + " approved", agent, () -> alice.withArguments("-s", "base")
                .search(request, "(objectClass=*)", "kmsRecoveryState").stdout().contains("kmsRecoveryState: approved"));
        String delivered = alice.withArguments("-s", "base").search(request, "(objectClass=*)", "kmsRecoveryPackage",
                "kmsRecoveryToken").assertSuccess().stdout();
        Path p12 = Files.write(work.resolve("jdoe-recovered.p12"), binary(delivered, "kmsRecoveryPackage"));
        Path token = Files.writeString(work.resolve("jdoe-recovered.p12.token"), text(delivered, "kmsRecoveryToken"));
        String keys = LdapTools.run(List.of("openssl", "pkcs12", "-in", p12.toString(), "-passin", "file:" + token,
                "-nocerts", "-nodes"), Map.of(), null).assertSuccess().stdout();
        Path key = Files.writeString(work.resolve("recovered-key.pem"),
                keys.substring(keys.indexOf("-----BEGIN PRIVATE KEY-----")));
        String recoveredPublic = LdapTools.run(List.of("openssl", "pkey", "-in", key.toString(), "-pubout"), Map.of(),
                null).assertSuccess().stdout();
        String certificate = LdapTools.against(url, slapd.caCertificate()).anonymous().withArguments("-s", "base")
                .search("cn=encryption," + JDOE, "(objectClass=*)", "userCertificate;binary").assertSuccess().stdout();
        Path pem = Files.writeString(work.resolve("jdoe-encryption.pem"), "-----BEGIN CERTIFICATE-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(binary(certificate, "userCertificate;binary"))
                + "\n-----END CERTIFICATE-----\n");
        String publishedPublic = LdapTools.run(List.of("openssl", "x509", "-in", pem.toString(), "-noout", "-pubkey"),
                Map.of(), null).assertSuccess().stdout();
        assertEquals(publishedPublic, recoveredPublic, "the recovered key is jdoe's published encryption key");

        // Approved: the third agent's share is no longer taken.
        DirkmsRun late = approve(slapd, url, request, CAROL);
        assertEquals(1, late.code(), late.toString());
        assertTrue(late.err().contains(request + " is approved: approvals are given only while it is pending"),
                late.err());
        assertTrue(restarted.isAlive(), "the restarted agent runs");
        return agent;
    }

    /**
     * {@code dirkms archive check} under custody opens a custody session in slapd while the agent
     * runs; two recovery agents approve it with their shares and the check unwraps every archived
     * key; the session is gone afterwards.
     */
    private void checkTheArchiveInACustodySession(Slapd slapd, Path kms, String url, Process agent) throws Exception {
        CompletableFuture<DirkmsRun> check = CompletableFuture.supplyAsync(() -> DirkmsRun.of("archive", "check",
                "--data", kms.toString(), "--url", url));
        String[] session = new String[1];
        await("a custody session", agent, () -> {
            if (check.isDone()) {
                throw new AssertionError("archive check ended before it opened a session: " + check.join());
            }
            session[0] = slapd.asAgent().search(LAYOUT.recoveryRequests(), "(objectClass=kmsCustodySession)", "cn")
                    .assertSuccess().stdout().lines().filter(line -> line.startsWith("cn: "))
                    .map(line -> line.substring(4)).findFirst().orElse(null);
            return session[0] != null;
        });
        String dn = "cn=" + session[0] + "," + LAYOUT.recoveryRequests();
        // Carol the README's way without dirkms (OpenSSL and OpenLDAP tools only), Bob with dirkms.
        approveWithOpensslAndLdapmodify(slapd, url, dn, CAROL);
        DirkmsRun approved = approve(slapd, url, dn, BOB);
        assertEquals(0, approved.code(), approved + "\nagent:\n" + agentLog());
        DirkmsRun checked = check.get(120, TimeUnit.SECONDS);
        assertEquals(0, checked.code(), checked + "\nagent:\n" + agentLog());
        assertTrue(checked.out().contains("checked 4 users and 4 archive records, unwrapped 4 keys: no problems"),
                checked.toString());
        assertTrue(checked.out().contains("2 of 2 shares"), checked.toString());
        assertFalse(slapd.asAgent().search(LAYOUT.recoveryRequests(), "(objectClass=kmsCustodySession)", "cn")
                .assertSuccess().stdout().contains("dn: "), "the session is deleted after use");
    }

    /**
     * README "Without dirkms", as written there (the password read with {@code -y FILE} where a
     * person types {@code -W}), against slapd: the share opened with the key package and sealed
     * again to the request key with {@code openssl cms}, written with the approval by
     * {@code ldapmodify}.
     */
    private void approveWithOpensslAndLdapmodify(Slapd slapd, String url, String request, String agent)
            throws Exception {
        String uid = uid(agent);
        Path password = Files.writeString(work.resolve(uid + ".password"), PASSWORDS.get(agent));
        Path folder = Files.createDirectories(work.resolve(uid + "-machine"));
        String script = "set -e; cd \"$FOLDER\"\n"
                + "L=\"-H $URL -ZZ -x -D $ME -y $PASSWORD\"\n"
                + "ldapsearch $L -b \"$KRA\" -LLL -o ldif-wrap=no \"(kmsShareHolder=$ME)\" kmsSealedShare \\\n"
                + "    | sed -n 's/^kmsSealedShare:: //p' | base64 -d > share.der\n"
                + "ldapsearch $L -b \"$R\" -s base -LLL -o ldif-wrap=no kmsRequestKey \\\n"
                + "    | sed -n 's/^kmsRequestKey:: //p' | base64 -d > request-key.der\n"
                + "openssl x509 -inform DER -in request-key.der -out request-key.pem\n"
                + "openssl pkcs12 -in \"$P12\" -passin file:\"$TOKEN\" -nodes -nocerts -out my-keys.pem\n"
                + "openssl cms -decrypt -binary -inform DER -in share.der -inkey my-keys.pem -out share-content.der\n"
                + "openssl cms -encrypt -binary -aes256 -outform DER -in share-content.der -out share-for-request.der"
                + " request-key.pem\n"
                + "printf 'dn: %s\\nchangetype: modify\\nadd: kmsRecoveryApproval\\nkmsRecoveryApproval: %s\\n-\\n"
                + "add: kmsRecoveryShare\\nkmsRecoveryShare:< file://%s\\n-\\n' \\\n"
                + "    \"$R\" \"$ME\" \"$PWD/share-for-request.der\" | ldapmodify $L\n"
                + "rm share-content.der my-keys.pem\n";
        Map<String, String> environment = new HashMap<>(Map.of("FOLDER", folder.toString(), "URL", url,
                "ME", agent, "PASSWORD", password.toString(), "KRA", LAYOUT.keyRecoveryAgent(), "R", request,
                "P12", work.resolve(uid + ".p12").toString(), "TOKEN", work.resolve(uid + ".token").toString()));
        environment.put("LDAPTLS_CACERT", slapd.caCertificate().toString());
        environment.put("LDAPTLS_REQCERT", "demand");
        environment.put("LDAPCONF", "/dev/null");
        LdapTools.run(List.of("bash", "-c", script), environment, null).assertSuccess();
        assertTrue(Files.size(folder.resolve("share-for-request.der")) > 0, "a share sealed to the request key");
    }

    /** {@code dirkms recovery approve} from the agent's machine, with their key package and token. */
    private DirkmsRun approve(Slapd slapd, String url, String request, String agent) throws Exception {
        String uid = uid(agent);
        Path password = Files.writeString(work.resolve(uid + ".password"), PASSWORDS.get(agent));
        return DirkmsRun.of("recovery", "approve", request, "--bind-dn", agent,
                "--password-file", password.toString(), "--key-package", work.resolve(uid + ".p12").toString(),
                "--key-package-password-file", work.resolve(uid + ".token").toString(), "--url", url, "--ca-cert",
                slapd.caCertificate().toString());
    }

    /** The agent's key package, fetched bound as themselves; the token from the KMS administrator. */
    private void fetchKeyPackage(Slapd slapd, LdapTools alice, String agent) throws Exception {
        String uid = uid(agent);
        LdapTools self = LdapTools.against(slapd.url(), slapd.caCertificate()).as(agent, PASSWORDS.get(agent));
        Files.write(work.resolve(uid + ".p12"), binary(self.withArguments("-s", "base")
                .search(agent, "(objectClass=*)", "kmsKeyPackage").assertSuccess().stdout(), "kmsKeyPackage"));
        Files.writeString(work.resolve(uid + ".token"), text(alice.withArguments("-s", "base")
                .search(agent, "(objectClass=*)", "kmsEnrollmentToken").assertSuccess().stdout(), "kmsEnrollmentToken"));
    }

    private static String uid(String dn) {
        return dn.substring(4, dn.indexOf(','));
    }

    private static void dirkms(String... arguments) {
        DirkmsRun run = DirkmsRun.of(arguments);
        assertEquals(0, run.code(), run.toString());
    }

    private Process startAgent(Path kms, String url, String... flags) throws Exception {
        List<String> command = new ArrayList<>(List.of(ProjectFiles.file("dirkms").toString(), "agent", "--data",
                kms.toString(), "--url", url));
        command.addAll(List.of(flags));
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.redirectOutput(work.resolve("agent.out").toFile());
        builder.redirectError(work.resolve("agent.err").toFile());
        return builder.start();
    }

    private static void stop(Process agent) throws InterruptedException {
        agent.destroy(); // SIGTERM
        if (!agent.waitFor(30, TimeUnit.SECONDS)) {
            agent.destroyForcibly();
            fail("the agent did not stop on SIGTERM");
        }
    }

    private String agentLog() throws Exception {
        String log = Files.readString(work.resolve("agent.err"));
        return log.substring(Math.max(0, log.length() - 4000));
    }

    private void awaitLine(Process agent, String line) throws Exception {
        Instant deadline = Instant.now().plusSeconds(240); // the script builds the jar if it is stale
        while (!Files.readString(work.resolve("agent.out")).contains(line)) {
            if (!agent.isAlive() || Instant.now().isAfter(deadline)) {
                fail("the agent did not start:\n" + agentLog());
            }
            Thread.sleep(50); // polling the other process's start
        }
    }

    private void await(String what, Process agent, BooleanSupplier condition) throws Exception {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(60));
        while (!condition.getAsBoolean()) {
            if (!agent.isAlive() || Instant.now().isAfter(deadline)) {
                fail("not reached: " + what + "\nagent:\n" + agentLog());
            }
            Thread.sleep(50); // polling the other process's progress
        }
    }

    private static byte[] binary(String ldif, String attribute) {
        return Base64.getDecoder().decode(value(ldif, attribute + ":: "));
    }

    private static String text(String ldif, String attribute) {
        List<String> found = new ArrayList<>();
        for (String line : ldif.lines().toList()) {
            if (line.startsWith(attribute + ":: ")) {
                found.add(new String(Base64.getDecoder().decode(line.substring(attribute.length() + 3))));
            } else if (line.startsWith(attribute + ": ")) {
                found.add(line.substring(attribute.length() + 2));
            }
        }
        if (found.isEmpty()) {
            throw new AssertionError("no " + attribute + " in " + ldif);
        }
        return found.get(0);
    }

    private static String value(String ldif, String prefix) {
        return ldif.lines().filter(line -> line.startsWith(prefix)).map(line -> line.substring(prefix.length()))
                .findFirst().orElseThrow(() -> new AssertionError("no " + prefix + " in " + ldif));
    }
}
