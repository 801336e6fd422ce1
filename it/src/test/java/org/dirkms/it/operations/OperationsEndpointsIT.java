package org.dirkms.it.operations;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.dirkms.agent.enroll.KmsAgent;
import org.dirkms.dist.AgentServeSetup;
import org.dirkms.dist.CaCommand;
import org.dirkms.dist.CaServeSetup;
import org.dirkms.dist.OperationsServing;
import org.dirkms.ds.server.DirectoryServer;
import org.dirkms.ds.server.ServerSettings;
import org.dirkms.it.support.LdapTools;
import org.dirkms.it.support.ProjectFiles;
import org.dirkms.it.support.Staff;
import org.dirkms.schema.DataFolder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The health report, the metrics and the status page of the directory, CA and agent that
 * {@code dirkms serve} runs, on its HTTP port. Alice, a KMS administrator, enrolls Jane and Ron
 * with the samples, and Nemo, who has no mail address, whose enrollment fails; she asks for the
 * recovery of Jane's keys and Bob approves once. Then:
 * <ul>
 * <li>{@code /metrics}, parsed by the Prometheus text-format parser of python3-prometheus-client,
 * counts two users enrolled and one failed (as ldapsearch counts them), one pending recovery with
 * one approval, the CRL's nextUpdate as openssl reads it from the CRL, the audit head as
 * ldapsearch reads it, and the agent's outcomes;</li>
 * <li>{@code /healthz} is 200 with four ok lines; 503 naming the CA check when the CA key store
 * is moved away, and 200 again when it is back; 503 naming the agent when the agent is stopped,
 * and 200 again once a new agent follows;</li>
 * <li>{@code /status}, rendered by headless Chromium: a screenshot (a PNG of some size), and its
 * text shows the CA, Nemo's plain failure reason and the pending recovery with "1 of 2";</li>
 * <li>none of the three answers holds a token, a key package, a wrapped key or a password of
 * the test.</li>
 * </ul>
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class OperationsEndpointsIT {
    private static final String SUFFIX = "dc=example,dc=com";
    private static final String JDOE = "uid=jdoe,ou=People," + SUFFIX;
    private static final String RON = "uid=ron,ou=People," + SUFFIX;
    private static final String NEMO = "uid=nemo,ou=People," + SUFFIX;
    private static final String ALICE = "uid=alice,ou=People," + SUFFIX;
    private static final String BOB = "uid=bob,ou=People," + SUFFIX;
    private static final String CAROL = "uid=carol,ou=People," + SUFFIX;
    private static final String RECOVERY = "cn=recover-jdoe-2026-11-25,ou=Recovery Requests,ou=KMS," + SUFFIX;
    private static final Duration PATIENCE = Duration.ofSeconds(60);

    @TempDir
    static Path data;

    @TempDir
    static Path work;

    private static CaServeSetup.Serving serving;
    private static DirectoryServer server;
    private static final AtomicReference<KmsAgent> AGENT = new AtomicReference<>();
    private static LdapTools superuser;
    private static LdapTools alice;
    private static String base;
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    @BeforeAll
    static void aliceEnrollsThreeUsersAndAsksForARecovery() throws Exception {
        python3();
        LdapTools.requireTool("chromium", "chromium");
        LdapTools.requireTool("openssl", "openssl");
        SecureRandom random = new SecureRandom();
        serving = CaServeSetup.startServing(ServerSettings.forTests(data), null,
                new CaServeSetup.HttpSettings(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0), null),
                Clock.systemUTC(), random);
        server = serving.server();
        AGENT.set(AgentServeSetup.start(serving));
        assertTrue(AGENT.get().awaitLive(PATIENCE));
        // As dirkms serve does: the endpoints on the CA's HTTP port.
        OperationsServing.mount(serving, AGENT::get);
        base = "http://127.0.0.1:" + serving.http().port();

        superuser = tools().asWithPasswordFile(server.adminDn(), server.adminPasswordFile());
        superuser.modifyFile(sample("20-add-user.ldif")).assertSuccess();
        superuser.modifyFile(sample("25-add-kms-people.ldif")).assertSuccess();
        superuser.add("dn: " + RON + "\nobjectClass: inetOrgPerson\nuid: ron\ncn: Ron Rsa\nsn: Rsa\n"
                + "mail: ron@example.com\n").assertSuccess();
        // Nemo has no mail address: his enrollment fails with a plain reason.
        superuser.add("dn: " + NEMO + "\nobjectClass: inetOrgPerson\nuid: nemo\ncn: Nemo\nsn: Nemo\n").assertSuccess();
        Staff.giveRole(server, "kms-administrators", ALICE);
        Staff.giveRole(server, "recovery-agents", BOB);
        Staff.giveRole(server, "recovery-agents", CAROL);
        alice = tools().as(ALICE, "alice-sample-password-change-me");
        alice.modifyFile(sample("10-create-administrative-group.ldif")).assertSuccess();
        alice.modifyFile(sample("30-enroll-user.ldif")).assertSuccess();
        for (String user : List.of(RON, NEMO)) {
            alice.modify("dn: " + user + "\nchangetype: modify\nadd: objectClass\nobjectClass: kmsUser\n-\n"
                    + "add: kmsEnrollmentState\nkmsEnrollmentState: requested\n-\nadd: kmsAdministrativeGroup\n"
                    + "kmsAdministrativeGroup: cn=Sales,ou=Administrative Groups," + SUFFIX + "\n-\n").assertSuccess();
        }
        await(() -> state(JDOE).equals("enrolled") && state(RON).equals("enrolled") && state(NEMO).equals("failed"),
                "Jane and Ron enrolled, Nemo failed");
        alice.modifyFile(sample("50-request-recovery.ldif")).assertSuccess();
        tools().as(BOB, "bob-sample-password-change-me").modifyFile(sample("60-approve-recovery.ldif")).assertSuccess();
    }

    @AfterAll
    static void stop() {
        KmsAgent agent = AGENT.get();
        if (agent != null) {
            agent.close();
        }
        if (serving != null) {
            serving.close();
        }
    }

    @Test
    @Order(1)
    void metricsParseAndCountWhatTheTestDid() throws Exception {
        int enrolled = count("(kmsEnrollmentState=enrolled)");
        int failed = count("(kmsEnrollmentState=failed)");
        assertEquals(2, enrolled);
        assertEquals(1, failed);
        // The readings are kept a few seconds: wait until they show the recovery request.
        Map<String, Double> metrics = awaitMetrics(parsed -> parsed.getOrDefault(
                "dirkms_recovery_requests{state=\"pending\"}", 0.0) == 1.0, "the pending recovery in /metrics");
        assertEquals(enrolled, metrics.get("dirkms_enrollments{state=\"enrolled\"}"), metrics.toString());
        assertEquals(failed, metrics.get("dirkms_enrollments{state=\"failed\"}"), metrics.toString());
        assertEquals(0.0, metrics.get("dirkms_enrollments{state=\"requested\"}"), metrics.toString());
        assertEquals(1.0, metrics.get("dirkms_recovery_pending_approvals"), metrics.toString());
        assertEquals(2.0, metrics.get("dirkms_agent_enrollment_outcomes_total{outcome=\"enrolled\"}"),
                metrics.toString());
        assertEquals(1.0, metrics.get("dirkms_agent_enrollment_outcomes_total{outcome=\"failed\"}"),
                metrics.toString());
        assertEquals(0.0, metrics.get("dirkms_certificate_request_queue_depth"), metrics.toString());
        assertEquals(1.0, metrics.get("dirkms_up"), metrics.toString());
        assertTrue(metrics.get("process_start_time_seconds") > 0, metrics.toString());

        // The CRL's nextUpdate as openssl reads it from the CRL the HTTP port serves.
        Path crl = work.resolve("ca.crl");
        Files.write(crl, HTTP.send(HttpRequest.newBuilder(URI.create(base + "/crl/"
                + DataFolder.caFileName(CaCommand.DEFAULT_NAME) + ".crl")).build(),
                HttpResponse.BodyHandlers.ofByteArray()).body());
        String nextUpdate = LdapTools.run(List.of("openssl", "crl", "-inform", "DER", "-in", crl.toString(), "-noout",
                "-nextupdate", "-dateopt", "iso_8601"), Map.of(), null).assertSuccess().stdout().strip();
        Instant next = Instant.from(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ssX").withZone(ZoneOffset.UTC)
                .parse(nextUpdate.substring(nextUpdate.indexOf('=') + 1)));
        assertEquals((double) next.getEpochSecond(), metrics.get("dirkms_crl_next_update_seconds{ca=\""
                + serving.ca().dn() + "\"}"), metrics.toString());

        // The audit head, as the directory superuser reads it: the metric was read before.
        String head = superuser.search("cn=head,ou=Audit,ou=KMS," + SUFFIX, "(objectClass=*)", "kmsAuditSequence")
                .assertSuccess().stdout();
        // Attribute names are case-insensitive (RFC 4512 section 2.5): the server may spell it either way.
        Matcher sequence = Pattern.compile("kmsAuditSequence: (\\d+)", Pattern.CASE_INSENSITIVE).matcher(head);
        assertTrue(sequence.find(), head);
        Double metric = metrics.get("dirkms_audit_head_sequence");
        assertTrue(metric != null && metric > 0 && metric <= Long.parseLong(sequence.group(1)),
                metric + " against " + head);
    }

    @Test
    @Order(2)
    void healthzFailsWhileTheCaKeyStoreIsGoneAndWhileTheAgentIsStopped() throws Exception {
        String healthy = awaitHealth(200, "healthy");
        for (String check : List.of("directory", "agent", "ca", "crl")) {
            assertTrue(healthy.contains("\n" + check + " ok "), healthy);
        }
        // The CA key store moved away: the CA cannot sign.
        Path keyStore = server.dataFolder().caKeyStore(CaCommand.DEFAULT_NAME);
        Path aside = keyStore.resolveSibling("moved-away.p12");
        Files.move(keyStore, aside, StandardCopyOption.ATOMIC_MOVE);
        try {
            String unhealthy = awaitHealth(503, "\nca FAIL ");
            assertTrue(unhealthy.startsWith("unhealthy\n") && unhealthy.contains(keyStore.toString()), unhealthy);
            assertTrue(unhealthy.contains("\nagent ok "), unhealthy);
        } finally {
            Files.move(aside, keyStore, StandardCopyOption.ATOMIC_MOVE);
        }
        awaitHealth(200, "\nca ok ");

        // The agent stops following: closed, as a crashed loop would leave it.
        AGENT.get().close();
        String stopped = awaitHealth(503, "\nagent FAIL ");
        assertTrue(stopped.contains("the agent is stopped"), stopped);
        assertEquals(0.0, awaitMetrics(parsed -> parsed.get("dirkms_up") == 0.0, "dirkms_up 0")
                .get("dirkms_health_check{check=\"agent\"}"));
        AGENT.set(AgentServeSetup.start(serving));
        assertTrue(AGENT.get().awaitLive(PATIENCE));
        awaitHealth(200, "\nagent ok ");
    }

    @Test
    @Order(3)
    void theStatusPageShowsTheCaTheFailureAndThePendingRecoveryInChromium() throws Exception {
        awaitHealth(200, "healthy");
        String chromium = LdapTools.requireTool("chromium", "chromium");
        Path screenshot = work.resolve("status.png");
        List<String> common = List.of(chromium, "--headless", "--no-sandbox", "--disable-gpu",
                "--window-size=1200,900", "--user-data-dir=" + work.resolve("chromium-profile"));
        List<String> shoot = new ArrayList<>(common);
        shoot.add("--screenshot=" + screenshot);
        shoot.add(base + "/status");
        LdapTools.run(shoot, Map.of(), null).assertSuccess();
        byte[] png = Files.readAllBytes(screenshot);
        assertTrue(png.length > 10_000, "a screenshot of " + png.length + " bytes");
        assertEquals("\u0089PNG", new String(png, 0, 4, java.nio.charset.StandardCharsets.ISO_8859_1));
        // Kept for a person to look at: it/target/status-page.png.
        Files.createDirectories(Path.of("target"));
        Files.copy(screenshot, Path.of("target", "status-page.png"), StandardCopyOption.REPLACE_EXISTING);
        List<String> dump = new ArrayList<>(common);
        dump.add("--dump-dom");
        dump.add(base + "/status");
        String dom = LdapTools.run(dump, Map.of(), null).assertSuccess().stdout();
        String nemoReason = attribute(NEMO, "kmsLastError");
        assertFalse(nemoReason.isEmpty());
        assertTrue(dom.contains(serving.ca().dn()), dom);
        assertTrue(dom.contains(NEMO) && dom.contains(escapeHtml(nemoReason)), nemoReason + " in " + dom);
        assertTrue(dom.contains(RECOVERY) && dom.contains(JDOE) && dom.contains("1 of 2"), dom);
        assertFalse(dom.contains("<script"), dom);
    }

    @Test
    @Order(4)
    void noEndpointHoldsATokenAPackageAWrappedKeyOrAPassword() throws Exception {
        // Tokens are for KMS administrators' eyes, packages and wrapped keys for the agent's.
        LdapTools agent = tools().asWithPasswordFile(server.kmsAgentDn(), server.kmsAgentPasswordFile());
        List<String> tokens = new ArrayList<>();
        List<String> packages = new ArrayList<>();
        for (String user : List.of(JDOE, RON)) {
            tokens.addAll(values(alice.search(user, "(objectClass=*)", "kmsEnrollmentToken").assertSuccess().stdout(),
                    "kmsEnrollmentToken"));
            packages.addAll(values(agent.search(user, "(objectClass=*)", "kmsKeyPackage").assertSuccess().stdout(),
                    "kmsKeyPackage"));
        }
        String archive = agent.searchRaw("-LLL", "-o", "ldif-wrap=no", "-b", "ou=Key Archive,ou=KMS," + SUFFIX,
                "(objectClass=kmsArchivedKey)", "kmsWrappedKey").assertSuccess().stdout();
        List<String> wrapped = values(archive, "kmsWrappedKey");
        assertEquals(List.of(2, 2, 2), List.of(tokens.size(), packages.size(), wrapped.size()),
                "tokens, packages, wrapped keys of Jane and Ron");
        List<String> secrets = new ArrayList<>(tokens);
        secrets.addAll(packages);
        secrets.addAll(wrapped);
        secrets.add(server.adminPassword());
        secrets.add(server.kmsAgentPassword());
        secrets.add(Files.readString(server.dataFolder().caPassphrase(CaCommand.DEFAULT_NAME)).strip());
        secrets.add("alice-sample-password-change-me");
        secrets.add("bob-sample-password-change-me");
        for (String path : List.of("/healthz", "/metrics", "/status")) {
            String body = get(path).body();
            for (String secret : secrets) {
                // A base64 value would show whole, or as its first 40 characters when cut.
                String probe = secret.length() > 40 ? secret.substring(0, 40) : secret;
                assertFalse(body.contains(probe), path + " shows a secret value");
            }
        }
    }

    private static List<String> values(String ldif, String attribute) {
        List<String> found = new ArrayList<>();
        Matcher matcher = Pattern.compile("(?m)^" + attribute + "(?:;[^:]*)?::? (\\S+)$").matcher(ldif);
        while (matcher.find()) {
            found.add(matcher.group(1));
        }
        return found;
    }

    private static String escapeHtml(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }

    private static HttpResponse<String> get(String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** Polls /healthz until it answers {@code status} with a body containing {@code text} (the checks are cached). */
    private static String awaitHealth(int status, String text) throws Exception {
        Instant deadline = Instant.now().plus(PATIENCE);
        HttpResponse<String> last;
        do {
            last = get("/healthz");
            if (last.statusCode() == status && last.body().contains(text)) {
                assertTrue(last.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"));
                return last.body();
            }
            Thread.sleep(500); // the readings and the probe are kept a few seconds
        } while (Instant.now().isBefore(deadline));
        throw new AssertionError("/healthz did not answer " + status + " with '" + text + "': " + last.statusCode()
                + "\n" + last.body());
    }

    /** /metrics parsed by prometheus_client's parser, polled until {@code ready}: sample (name{labels}) to value. */
    private static Map<String, Double> awaitMetrics(Predicate<Map<String, Double>> ready, String what) throws Exception {
        Instant deadline = Instant.now().plus(PATIENCE);
        Map<String, Double> parsed;
        do {
            HttpResponse<String> response = get("/metrics");
            assertEquals(200, response.statusCode());
            assertEquals("text/plain; version=0.0.4; charset=utf-8",
                    response.headers().firstValue("Content-Type").orElse(""));
            parsed = parse(response.body());
            if (ready.test(parsed)) {
                return parsed;
            }
            Thread.sleep(500);
        } while (Instant.now().isBefore(deadline));
        throw new AssertionError("/metrics never showed " + what + ": " + parsed);
    }

    private static final String PARSER = String.join("\n",
            "import sys",
            "from prometheus_client.parser import text_string_to_metric_families",
            "for family in text_string_to_metric_families(sys.stdin.read()):",
            "    for s in family.samples:",
            "        labels = ','.join('%s=\"%s\"' % (k, v) for k, v in sorted(s.labels.items()))",
            "        print('%s%s\\t%r' % (s.name, '{' + labels + '}' if labels else '', s.value))");

    /**
     * The Debian python3, which python3-prometheus-client installs the parser for (a python3
     * first on the PATH, e.g. of pyenv, may not have it).
     */
    private static String python3() {
        Path debian = Path.of("/usr/bin/python3");
        return Files.isExecutable(debian) ? debian.toString()
                : LdapTools.requireTool("python3", "python3-prometheus-client");
    }

    private static Map<String, Double> parse(String exposition) {
        LdapTools.Result result = LdapTools.run(List.of(python3(), "-c", PARSER), Map.of(), exposition);
        if (result.exitCode() != 0 && result.stderr().contains("No module named 'prometheus_client'")) {
            throw new AssertionError("python3 has no prometheus_client: install the Debian package"
                    + " python3-prometheus-client");
        }
        result.assertSuccess();
        Map<String, Double> samples = new HashMap<>();
        for (String line : result.stdout().split("\n")) {
            if (!line.isBlank()) {
                String[] parts = line.split("\t");
                samples.put(parts[0], Double.parseDouble(parts[1]));
            }
        }
        return samples;
    }

    private static int count(String filter) {
        String found = superuser.searchRaw("-LLL", "-b", "ou=People," + SUFFIX, "(&(objectClass=kmsUser)" + filter
                + ")", "1.1").assertSuccess().stdout();
        return (int) found.lines().filter(line -> line.startsWith("dn: ")).count();
    }

    private static String state(String dn) {
        return attribute(dn, "kmsEnrollmentState");
    }

    private static String attribute(String dn, String attribute) {
        String entry = superuser.search(dn, "(objectClass=*)", attribute)
                .assertSuccess().stdout();
        Matcher matcher = Pattern.compile("(?m)^" + attribute + ": (.*)$").matcher(entry);
        return matcher.find() ? matcher.group(1) : "";
    }

    private static void await(java.util.function.BooleanSupplier condition, String what) throws Exception {
        Instant deadline = Instant.now().plus(PATIENCE);
        while (!condition.getAsBoolean()) {
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(200);
        }
    }

    private static LdapTools tools() {
        return LdapTools.against(server.ldapUrl(), server.tlsCertificateFile());
    }

    private static Path sample(String name) {
        return ProjectFiles.file("ldif/samples/" + name);
    }
}
