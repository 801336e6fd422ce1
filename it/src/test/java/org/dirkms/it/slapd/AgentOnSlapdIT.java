package org.dirkms.it.slapd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.dirkms.it.support.DirkmsRun;
import org.dirkms.it.support.Gpgsm;
import org.dirkms.it.support.LdapTools;
import org.dirkms.it.support.Pem;
import org.dirkms.it.support.ProjectFiles;
import org.dirkms.schema.DirectoryLayout;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The KMS agent standalone ({@code dirkms agent}, a separate process) against a real slapd with
 * syncprov, set up as README "Running on OpenLDAP" does it, in the same order with the same
 * commands: the agent's data folder is made with {@code dirkms ca init} against slapd, the agent
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
        try (ThrowawaySlapd slapd = ThrowawaySlapd.start(Files.createDirectory(work.resolve("slapd")), SUFFIX)) {
            // The agent's data folder: its password (set on its entry by the directory's
            // administrator) and the CA certificate slapd's TLS certificate chains to.
            Path kms = work.resolve("kms");
            Files.createDirectories(kms.resolve("tls"));
            Files.setPosixFilePermissions(kms, PosixFilePermissions.fromString("rwx------"));
            Files.copy(slapd.caCertificate(), kms.resolve("tls/ca.crt"));
            Path agentPassword = Files.writeString(kms.resolve("kms-agent.password"), "agent-" + System.nanoTime());
            slapd.setPassword(LAYOUT.kmsAgentIdentity(), agentPassword);
            String url = slapd.url();
            DirkmsRun init = DirkmsRun.of("ca", "init", "--data", kms.toString(), "--url", url);
            assertEquals(0, init.code(), init.toString());

            // People (the directory's administrator), a KMS administrator, the groups.
            LdapTools root = slapd.asRoot();
            for (String sample : List.of("25-add-kms-people.ldif", "20-add-user.ldif")) {
                root.modifyFile(ProjectFiles.file("ldif/samples/" + sample)).assertSuccess();
            }
            DirkmsRun role = DirkmsRun.of("roles", "add", "kms-administrators", ALICE, "--data", kms.toString(),
                    "--url", url);
            assertEquals(0, role.code(), role.toString());
            LdapTools alice = LdapTools.against(url, slapd.caCertificate()).as(ALICE, ALICE_PASSWORD);
            alice.modifyFile(ProjectFiles.file("ldif/samples/10-create-administrative-group.ldif")).assertSuccess();

            Process agent = startAgent(kms, url);
            try {
                awaitLine(agent, "dirkms agent running");
                // slapd accepts the agent's syncrepl search: it reaches the persist phase.
                awaitLog(agent, FOLLOWING);
                // The sample enrollment, acted on through syncrepl.
                Instant asked = Instant.now();
                alice.modifyFile(ProjectFiles.file("ldif/samples/30-enroll-user.ldif")).assertSuccess();
                awaitState(alice, JDOE, "enrolled", Duration.ofSeconds(60), agent);
                Duration took = Duration.between(asked, Instant.now());
                System.out.printf("agent on slapd: %s enrolled %d ms after the ldapmodify%n", JDOE, took.toMillis());
                assertTrue(took.compareTo(PROMPT) <= 0, "the agent follows slapd with syncrepl and enrolled within "
                        + PROMPT + ", not at its sweep: took " + took + "\n" + Files.readString(work.resolve("agent.err")));

                checkPackageWithOpenssl(slapd, alice);
                String log = Files.readString(work.resolve("agent.err"));
                assertTrue(!log.contains("lost the directory"), "the agent kept its syncrepl search:\n" + log);
            } finally {
                agent.destroy();
                if (!agent.waitFor(30, TimeUnit.SECONDS)) {
                    agent.destroyForcibly();
                }
            }
        }
    }

    /** The token (read by the KMS administrator) opens jdoe's package; each key is a published certificate's. */
    private void checkPackageWithOpenssl(ThrowawaySlapd slapd, LdapTools alice) throws Exception {
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
        List<X509Certificate> published = published(LdapTools.against(slapd.url(), slapd.caCertificate()).anonymous());
        assertEquals(2, published.size(), "both certificates are published under " + JDOE);
        for (X509Certificate certificate : published) {
            Path pem = Pem.write(work.resolve("published" + i++ + ".pem"), certificate);
            String publicKey = LdapTools.run(List.of("openssl", "x509", "-in", pem.toString(), "-noout", "-pubkey"),
                    Map.of(), null).assertSuccess().stdout();
            assertTrue(publicKeys.contains(publicKey), "the package holds the key of " + certificate.getSubjectX500Principal());
        }
    }

    /** jdoe's published certificates, read by a mail client: anonymous, from the children of the entry. */
    private static List<X509Certificate> published(LdapTools anonymous) throws Exception {
        String ldif = anonymous.withArguments("-s", "one").search(JDOE, "(objectClass=kmsPublishedCertificate)",
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

    private Process startAgent(Path kms, String url) throws Exception {
        ProcessBuilder builder = new ProcessBuilder(ProjectFiles.file("dirkms").toString(), "agent", "--data",
                kms.toString(), "--url", url);
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
