package org.dirkms.it.slapd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.dirkms.it.openldap.Slapd;
import org.dirkms.it.support.DirkmsRun;
import org.dirkms.it.support.Gpgsm;
import org.dirkms.it.support.LdapTools;
import org.dirkms.it.support.Pem;
import org.dirkms.it.support.ProjectFiles;
import org.dirkms.schema.AttributeNames;
import org.dirkms.schema.DirectoryLayout;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The KMS agent standalone ({@code dirkms agent}, a separate process) against a real slapd with
 * the shipped configuration ({@link Slapd}: {@code dirkms openldap config}'s schema, mdb with
 * syncprov, limits, access rules and bootstrap), set up as README "Running on OpenLDAP" does it, in
 * the same order with the same commands: the agent's data folder is made with {@code dirkms ca init} against slapd, the agent
 * follows slapd with syncrepl (slapd accepts its search: derefAliases never, RFC 4511 section
 * 4.5.1.3), and an enrollment asked for with the samples and {@code ldapmodify} is acted on within
 * 2 seconds, not at the agent's sweep. The key package opens with openssl and its keys are the
 * published certificates' keys; a gpgsm user's packages import into gpgsm, which then holds the
 * keys of both published certificates.
 */
class AgentOnSlapdIT {

    private static final String SUFFIX = DirectoryLayout.DEFAULT_SUFFIX;
    private static final DirectoryLayout LAYOUT = new DirectoryLayout(SUFFIX);
    /** An agent that follows the directory acts within this; one that waits for its sweep (60 s) does not. */
    private static final Duration PROMPT = Duration.ofSeconds(2);
    private static final String ALICE = "uid=alice,ou=People," + SUFFIX;
    private static final String ALICE_PASSWORD = "alice-sample-password-change-me";
    private static final String JDOE = "uid=jdoe,ou=People," + SUFFIX;
    /** What the agent logs when its syncrepl search enters the persist phase (RFC 4533 section 3.4). */
    private static final String FOLLOWING = "Following " + SUFFIX + " with syncrepl";

    @TempDir
    Path work;

    @Test
    void theStandaloneAgentEnrollsOnSlapdWithinTwoSeconds() throws Exception {
        LdapTools.requireTool("openssl", "openssl");
        try (Slapd slapd = Slapd.start(work.resolve("slapd"), Slapd.Options.defaults())) {
            // README, "Running on OpenLDAP": the same commands, in the same order, after slapd was
            // set up with 'dirkms openldap config' (the harness) and the agent's password file.
            Path kms = work.resolve("kms");
            LdapTools.run(List.of("bash", "-c", "set -e; cd \"$WORK\"; mkdir -m 700 kms kms/tls"
                    + " && cp \"$LDAPTLS_CACERT\" kms/tls/ca.crt && cp \"$AGENT_PASSWORD\" kms/kms-agent.password"),
                    Map.of("WORK", work.toString(), "LDAPTLS_CACERT", slapd.caCertificate().toString(), "AGENT_PASSWORD",
                            slapd.agentPasswordFile().toString()), null).assertSuccess();
            String url = slapd.url();
            DirkmsRun init = DirkmsRun.of("ca", "init", "--data", kms.toString(), "--url", url);
            assertEquals(0, init.code(), init.toString());

            // People (the directory's administrator), a KMS administrator, the groups.
            LdapTools directoryAdministrator = slapd.asDirectoryAdministrator();
            for (String sample : List.of("25-add-kms-people.ldif", "20-add-user.ldif")) {
                directoryAdministrator.modifyFile(ProjectFiles.file("ldif/samples/" + sample)).assertSuccess();
            }
            DirkmsRun role = DirkmsRun.of("roles", "add", "kms-administrators", ALICE, "--data", kms.toString(),
                    "--url", url);
            assertEquals(0, role.code(), role.toString());
            LdapTools alice = LdapTools.against(url, slapd.caCertificate()).as(ALICE, ALICE_PASSWORD);
            alice.modifyFile(ProjectFiles.file("ldif/samples/10-create-administrative-group.ldif")).assertSuccess();
            // The default group for gpgsm 2.2 users (RSA keys, one key per PKCS#12 in PBE-SHA1-3DES).
            alice.modify("dn: " + LAYOUT.defaultAdministrativeGroup() + "\nchangetype: modify\n"
                    + "replace: kmsPackageFormat\nkmsPackageFormat: legacy-pbe-sha1-3des\n-\n").assertSuccess();

            Process agent = startAgent(kms, url);
            try {
                awaitLine(agent, "dirkms agent running");
                // slapd accepts the agent's syncrepl search: it reaches the persist phase.
                awaitLog(agent, FOLLOWING);
                // The sample enrollment, acted on through syncrepl.
                Instant asked = Instant.now();
                alice.modifyFile(ProjectFiles.file("ldif/samples/30-enroll-user.ldif")).assertSuccess();
                awaitActedOn(alice, JDOE, agent);
                Duration took = Duration.between(asked, Instant.now());
                awaitState(alice, JDOE, "enrolled", Duration.ofSeconds(60), agent);
                System.out.printf("agent on slapd: %s claimed %d ms and enrolled %d ms after the ldapmodify%n", JDOE,
                        took.toMillis(), Duration.between(asked, Instant.now()).toMillis());
                assertTrue(took.compareTo(PROMPT) <= 0, "the agent follows slapd with syncrepl and acted within "
                        + PROMPT + ", not at its sweep: took " + took + "\n" + Files.readString(work.resolve("agent.err")));

                assertTrue(Files.isRegularFile(kms.resolve("recovery/key-recovery-agent.p12")),
                        "the agent's first start made the recovery key store");
                checkPackageWithOpenssl(slapd, alice);
                gpgsmImportsTheKeysOfAUserOfTheDefaultGroup(slapd, directoryAdministrator, alice, agent);
                String log = Files.readString(work.resolve("agent.err"));
                assertTrue(!log.contains("lost the directory"), "the agent kept its syncrepl search:\n" + log);

                // The agent's own audit trail, checked against its anchor in slapd while it runs.
                DirkmsRun verify = DirkmsRun.of("audit", "verify", "--data", kms.toString(), "--url", url);
                assertEquals(0, verify.code(), verify.toString());
                assertTrue(verify.out().contains("audit log OK"), verify.toString());
            } finally {
                stop(agent);
            }
            auditTrailShowsTamperingAndAMissingAnchor(slapd, kms, url);
        }
    }

    /**
     * The agent's log records its writes with the enrollment states, is OK against its anchor, and
     * is not OK once edited, truncated or deleted, or once its anchor is gone; an agent does not
     * start on a log its anchor does not vouch for, and a folder without any log is never OK.
     */
    private void auditTrailShowsTamperingAndAMissingAnchor(Slapd slapd, Path kms, String url)
            throws Exception {
        Path log = kms.resolve("audit/agent.log");
        List<String> lines = Files.readAllLines(log);
        assertTrue(lines.get(0).contains("\tagent-chain-start\t"), lines.get(0));
        String anchor = lines.get(0).split("\t")[4];
        assertTrue(anchor.startsWith("cn=agent-") && anchor.endsWith("," + LAYOUT.audit()), anchor);
        assertTrue(lines.stream().anyMatch(line -> line.contains("\t" + JDOE + "\t")
                && line.contains("kmsEnrollmentState=enrolled")), "the publication of jdoe's enrollment is recorded");
        assertTrue(lines.stream().noneMatch(line -> line.contains("kmsKeyPackage:") || line.contains("BEGIN")),
                "no value is recorded");
        // The agent saves its syncrepl cookie after entries, not after each syncInfo newcookie
        // slapd sends for its own write of the cookie (a write loop, thousands a minute).
        long cookieWrites = lines.stream().filter(line -> line.contains("\t" + AttributeNames.SYNC_COOKIE + "\t")).count();
        assertTrue(cookieWrites <= 10, cookieWrites + " writes of " + AttributeNames.SYNC_COOKIE + " in " + lines.size()
                + " records");
        // SIGTERM anchored the last record.
        assertVerify(kms, url, 0, "anchored head: record " + lines.size() + " ");
        assertVerify(kms, url, 0, "audit log OK: " + lines.size() + " records");
        List<String> original = List.copyOf(lines);

        List<String> edited = new ArrayList<>(original);
        edited.set(2, edited.get(2).replace("\tmodify\t", "\tdelete\t").replace("\tadd\t", "\tdelete\t"));
        Files.write(log, edited);
        assertVerify(kms, url, 1, "audit log BROKEN at record 3");

        Files.write(log, original.subList(0, original.size() - 1));
        assertVerify(kms, url, 1, "the log was truncated");

        Files.delete(log);
        assertVerify(kms, url, 1, "audit/agent.log; a folder a server or an agent ever wrote to has one");
        assertVerify(Files.createDirectory(work.resolve("empty")), url, 1, "audit log BROKEN at record 1");
        assertAgentRefuses(kms, url, "is missing: restore it from a backup, or start once with "
                + "--accept-missing-audit-log");

        Files.write(log, original);
        assertVerify(kms, url, 0, "audit log OK");
        slapd.asRoot().delete(anchor).assertSuccess();
        assertVerify(kms, url, 1, "audit log UNANCHORED");
        assertAgentRefuses(kms, url, "it is unanchored: the directory holds no head at " + anchor);

        // The operator's way past: once, the broken log set aside and a new chain that names it.
        Process accepted = startAgent(kms, url, "--accept-missing-audit-log");
        try {
            awaitLine(accepted, "dirkms agent running");
        } finally {
            stop(accepted);
        }
        try (var aside = Files.list(kms.resolve("audit"))) {
            assertEquals(1, aside.filter(file -> file.getFileName().toString().startsWith("agent.log.broken-")).count(),
                    "the broken log is kept as evidence");
        }
        assertVerify(kms, url, 0, "record 1 began this chain after a broken one");
        assertVerify(kms, url, 0, "audit log OK");
        assertAgentRefuses(kms, url, "--accept-missing-audit-log is refused: the audit log", "--accept-missing-audit-log");
    }

    /** A start of the agent on {@code kms} ends at once, exit 1, its one line saying {@code why}. */
    private void assertAgentRefuses(Path kms, String url, String why, String... flags) throws Exception {
        Process refused = startAgent(kms, url, flags);
        assertTrue(refused.waitFor(120, TimeUnit.SECONDS), "the agent stops at once");
        String err = Files.readString(work.resolve("agent.err"));
        assertEquals(1, refused.exitValue(), err);
        assertTrue(err.contains(why), "expected '" + why + "':\n" + err);
    }

    private void assertVerify(Path data, String url, int code, String expected) throws Exception {
        DirkmsRun verify = DirkmsRun.of("audit", "verify", "--data", data.toString(), "--url", url);
        String agentLog = Files.exists(work.resolve("agent.err")) ? Files.readString(work.resolve("agent.err")) : "";
        String context = verify + "\nthe agent's log ends:\n"
                + agentLog.substring(Math.max(0, agentLog.length() - 3000));
        assertEquals(code, verify.code(), context);
        assertTrue((verify.out() + verify.err()).contains(expected), "expected '" + expected + "': " + context);
    }

    /**
     * rsa, in the default group (RSA-2048, a PKCS#12 per key in PBE-SHA1-3DES), is enrolled by
     * the running agent; gpgsm imports each of the two packages with the token, and then holds the
     * keys of both certificates published for rsa, which chain to the KMS CA.
     */
    private void gpgsmImportsTheKeysOfAUserOfTheDefaultGroup(Slapd slapd, LdapTools directoryAdministrator,
            LdapTools alice,
            Process agent) throws Exception {
        LdapTools.requireTool("gpgsm", "gpgsm");
        String dn = "uid=rsa,ou=People," + SUFFIX;
        String password = "rsa-password-" + System.nanoTime();
        directoryAdministrator.add("dn: " + dn + "\nobjectClass: inetOrgPerson\nuid: rsa\ncn: Rsa User\nsn: User\n"
                + "mail: rsa.user@example.com\nuserPassword: " + password + "\n").assertSuccess();
        alice.modify("dn: " + dn + "\nchangetype: modify\nadd: objectClass\nobjectClass: kmsUser\n-\n"
                + "add: kmsEnrollmentState\nkmsEnrollmentState: requested\n-\n").assertSuccess();
        awaitState(alice, dn, "enrolled", Duration.ofSeconds(60), agent);
        String token = value(alice.withArguments("-s", "base").search(dn, "(objectClass=*)", "kmsEnrollmentToken")
                .assertSuccess().stdout(), "kmsEnrollmentToken");
        String packages = LdapTools.against(slapd.url(), slapd.caCertificate()).as(dn, password)
                .withArguments("-s", "base").search(dn, "(objectClass=*)", "kmsKeyPackage").assertSuccess().stdout();
        List<Path> files = new ArrayList<>();
        for (String line : packages.lines().filter(l -> l.startsWith("kmsKeyPackage:: ")).toList()) {
            files.add(Files.write(work.resolve("rsa-" + (files.size() + 1) + ".p12"),
                    Base64.getDecoder().decode(line.substring("kmsKeyPackage:: ".length()))));
        }
        assertEquals(2, files.size(), "one PKCS#12 per key: " + packages.replaceAll("::.*", ":: ..."));
        String caLdif = LdapTools.against(slapd.url(), slapd.caCertificate()).anonymous()
                .withArguments("-s", "one").search(LAYOUT.certificationAuthorities(), "(cACertificate;binary=*)",
                        "cACertificate;binary").assertSuccess().stdout();
        X509Certificate kmsRoot = certificate(value(caLdif, "cACertificate;binary"));
        Path kmsRootPem = Pem.write(work.resolve("kms-root.pem"), kmsRoot);
        try (Gpgsm gpgsm = Gpgsm.trusting(work.resolve("gnupg"), kmsRoot)) {
            gpgsm.importCertificates(kmsRootPem);
            for (Path p12 : files) {
                LdapTools.Result imported = gpgsm.runWithPassphrase(token, "--import", p12.toString());
                assertTrue(imported.exitCode() == 0 && imported.stderr().contains("secret keys imported: 1"),
                        imported.describe("gpgsm imports the one key of " + p12.getFileName()));
            }
            String secrets = gpgsm.run("--with-colons", "-K").assertSuccess().stdout();
            List<X509Certificate> published = published(LdapTools.against(slapd.url(), slapd.caCertificate())
                    .anonymous(), dn);
            assertEquals(2, published.size());
            for (X509Certificate certificate : published) {
                certificate.verify(kmsRoot.getPublicKey());
                assertTrue(secrets.contains(Gpgsm.fingerprint(certificate).replace(":", "")),
                        "gpgsm holds the key of " + certificate.getSubjectX500Principal() + ":\n" + secrets);
            }
        }
    }

    private static X509Certificate certificate(String base64) throws Exception {
        return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(
                new ByteArrayInputStream(Base64.getDecoder().decode(base64)));
    }

    private static void stop(Process agent) throws InterruptedException {
        agent.destroy(); // SIGTERM: the agent anchors its audit head a last time
        if (!agent.waitFor(30, TimeUnit.SECONDS)) {
            agent.destroyForcibly();
            fail("the agent did not stop on SIGTERM");
        }
    }

    /** The token (read by the KMS administrator) opens jdoe's package; each key is a published certificate's. */
    private void checkPackageWithOpenssl(Slapd slapd, LdapTools alice) throws Exception {
        String token = value(alice.withArguments("-s", "base").search(JDOE, "(objectClass=*)", "kmsEnrollmentToken")
                .assertSuccess().stdout(), "kmsEnrollmentToken");
        Path tokenFile = Files.writeString(work.resolve("token"), token + "\n");
        LdapTools jdoe = LdapTools.against(slapd.url(), slapd.caCertificate()).as(JDOE, "jdoe-sample-password-change-me");
        String packageLdif = jdoe.withArguments("-s", "base").search(JDOE, "(objectClass=*)", "kmsKeyPackage")
                .assertSuccess().stdout();
        Path p12 = Files.write(work.resolve("jdoe.p12"), Base64.getDecoder().decode(value(packageLdif, "kmsKeyPackage")));
        String keys = LdapTools.run(List.of("openssl", "pkcs12", "-in", p12.toString(), "-passin", "file:" + tokenFile,
                "-nocerts", "-nodes"), Map.of(), null).assertSuccess().stdout();
        List<String> publicKeys = new ArrayList<>();
        int i = 0;
        for (String block : keys.split("(?=-----BEGIN PRIVATE KEY-----)")) {
            if (!block.contains("-----BEGIN PRIVATE KEY-----")) {
                continue;
            }
            Path key = Files.writeString(work.resolve("key" + i++ + ".pem"),
                    block.substring(block.indexOf("-----BEGIN PRIVATE KEY-----")));
            publicKeys.add(LdapTools.run(List.of("openssl", "pkey", "-in", key.toString(), "-pubout"), Map.of(), null)
                    .assertSuccess().stdout());
        }
        assertEquals(2, publicKeys.size(), "the package holds the signing and the encryption key");
        List<X509Certificate> published = published(LdapTools.against(slapd.url(), slapd.caCertificate()).anonymous(),
                JDOE);
        assertEquals(2, published.size(), "both certificates are published under " + JDOE);
        for (X509Certificate certificate : published) {
            Path pem = Pem.write(work.resolve("published" + i++ + ".pem"), certificate);
            String publicKey = LdapTools.run(List.of("openssl", "x509", "-in", pem.toString(), "-noout", "-pubkey"),
                    Map.of(), null).assertSuccess().stdout();
            assertTrue(publicKeys.contains(publicKey), "the package holds the key of " + certificate.getSubjectX500Principal());
        }
    }

    /** A user's published certificates, read by a mail client: anonymous, from the children of the entry. */
    private static List<X509Certificate> published(LdapTools anonymous, String dn) throws Exception {
        String ldif = anonymous.withArguments("-s", "one").search(dn, "(objectClass=kmsPublishedCertificate)",
                "userCertificate;binary").assertSuccess().stdout();
        List<X509Certificate> certificates = new ArrayList<>();
        for (String line : ldif.lines().toList()) {
            if (line.startsWith("userCertificate;binary:: ")) {
                certificates.add((X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(
                        new ByteArrayInputStream(Base64.getDecoder().decode(line.substring(line.indexOf(":: ") + 3)))));
            }
        }
        return certificates;
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

    private void awaitLine(Process agent, String line) throws Exception {
        Instant deadline = Instant.now().plusSeconds(240); // the script builds the jar if it is stale
        while (!Files.readString(work.resolve("agent.out")).contains(line)) {
            if (!agent.isAlive() || Instant.now().isAfter(deadline)) {
                fail("the agent did not start:\n" + Files.readString(work.resolve("agent.err")));
            }
            Thread.sleep(50); // polling the other process's start
        }
    }

    /** Waits until the agent's log (its standard error) holds {@code text}. */
    private void awaitLog(Process agent, String text) throws Exception {
        Instant deadline = Instant.now().plusSeconds(30);
        while (!Files.readString(work.resolve("agent.err")).contains(text)) {
            if (!agent.isAlive() || Instant.now().isAfter(deadline)) {
                fail("the agent's log never said '" + text + "':\n" + Files.readString(work.resolve("agent.err")));
            }
            Thread.sleep(50); // polling the other process's log
        }
    }

    /** Waits (at most a minute) until the agent took the requested enrollment of {@code dn} on. */
    private void awaitActedOn(LdapTools reader, String dn, Process agent) throws Exception {
        Instant deadline = Instant.now().plusSeconds(60);
        while (reader.withArguments("-s", "base").search(dn, "(objectClass=*)", "kmsEnrollmentState").assertSuccess()
                .stdout().contains("kmsEnrollmentState: requested")) {
            if (!agent.isAlive() || Instant.now().isAfter(deadline)) {
                fail("the agent did not take " + dn + " on:\n" + Files.readString(work.resolve("agent.err")));
            }
            Thread.sleep(10); // polling the other process's progress
        }
    }

    private void awaitState(LdapTools reader, String dn, String state, Duration patience, Process agent)
            throws Exception {
        Instant deadline = Instant.now().plus(patience);
        while (true) {
            String entry = reader.withArguments("-s", "base").search(dn, "(objectClass=*)", "kmsEnrollmentState",
                    "kmsLastError").assertSuccess().stdout();
            if (entry.contains("kmsEnrollmentState: " + state)) {
                return;
            }
            if (entry.contains("kmsEnrollmentState: failed") || !agent.isAlive() || Instant.now().isAfter(deadline)) {
                fail(dn + " is not " + state + ": " + entry + "\nagent:\n" + Files.readString(work.resolve("agent.err")));
            }
            Thread.sleep(20); // polling the other process's progress
        }
    }

    private static String value(String ldif, String attribute) {
        return ldif.lines().filter(line -> line.startsWith(attribute + ": ") || line.startsWith(attribute + ":: "))
                .map(line -> line.substring(line.indexOf(": ") + 2)).findFirst()
                .orElseThrow(() -> new AssertionError("no " + attribute + " in " + ldif));
    }
}
