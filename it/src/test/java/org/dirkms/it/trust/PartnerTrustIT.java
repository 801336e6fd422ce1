package org.dirkms.it.trust;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.dirkms.agent.enroll.KmsAgent;
import org.dirkms.agent.trust.PartnerRoot;
import org.dirkms.agent.trust.SignedTrustList;
import org.dirkms.dist.AgentServeSetup;
import org.dirkms.dist.CaServeSetup;
import org.dirkms.ds.server.DirectoryServer;
import org.dirkms.ds.server.ServerSettings;
import org.dirkms.it.support.DirkmsRun;
import org.dirkms.it.support.LdapTools;
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
 * Trusting partner organisations against what {@code dirkms serve} runs (its directory, CA and
 * agent), as the README's "Trusting a partner organisation" tells an administrator and an
 * auditor to: {@code dirkms trust add} two partner roots (made with Bouncy Castle, as another
 * vendor's CA would), and the trust list read with {@code ldapsearch} verifies with
 * {@code openssl cms -verify} against the enterprise root alone and {@code openssl asn1parse}
 * of its content names exactly those roots; {@code trust remove} publishes a list with a higher
 * sequence without the removed one. A partner added with the sample LDIF by a KMS administrator
 * is put on the list by the running agent; one with an expired root is refused by the agent,
 * which says why in {@code kmsLastError}. {@code trust cross-certify} makes a partner user's
 * certificate verify with {@code openssl verify -x509_strict} from the enterprise root through
 * the cross-certificate, not an address outside its name constraints; once
 * {@code trust revoke-cross} has put it on the CRL that {@code ldapsearch} reads from the CA
 * entry, the same check with every CRL fails. Every bad root is refused with its one line and
 * exit code 1, and the directory is what it was.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PartnerTrustIT {

    @TempDir
    static Path data;

    @TempDir
    static Path work;

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String SUFFIX = "dc=example,dc=com";
    private static final String TRUST = "ou=Trust,ou=KMS," + SUFFIX;
    private static final String TRUST_LIST = "cn=Trust List," + TRUST;
    private static final String CA_DN = "cn=dirkms Root CA,ou=Certification Authorities,ou=KMS," + SUFFIX;

    private static CaServeSetup.Serving serving;
    private static DirectoryServer server;
    private static KmsAgent agent;
    private static LdapTools anonymous;
    private static LdapTools administrator;
    private static PartnerPki alpha;
    private static PartnerPki beta;
    private static Path enterpriseRoot;

    @BeforeAll
    static void serveWithTheAgent() throws Exception {
        LdapTools.requireTool("openssl", "openssl");
        serving = CaServeSetup.startServing(ServerSettings.forTests(data), Clock.systemUTC(), RANDOM);
        server = serving.server();
        agent = AgentServeSetup.start(serving);
        assertTrue(agent.awaitLive(Duration.ofMinutes(1)), "the agent follows the directory");
        anonymous = LdapTools.against(server.ldapUrl(), server.tlsCertificateFile()).anonymous();
        enterpriseRoot = server.dataFolder().caCertificate();
        administrator = Staff.kmsAdministrator(server);
        alpha = PartnerPki.create("Alpha Partner", Duration.ofDays(60));
        beta = PartnerPki.create("Beta Partner", Duration.ofDays(60));
    }

    @AfterAll
    static void stop() {
        if (agent != null) {
            agent.close();
        }
        if (serving != null) {
            serving.close();
        }
    }

    @Test
    @Order(1)
    void theSignedTrustListNamesExactlyThePartnerRootsAndVerifiesFromTheEnterpriseRoot() throws Exception {
        Path alphaPem = PartnerPki.pem(work.resolve("alpha-root.pem"), "CERTIFICATE", alpha.root().getEncoded());
        Path betaDer = Files.write(work.resolve("beta-root.der"), beta.root().getEncoded());
        DirkmsRun added = trust("add", alphaPem.toString(), "--name", "alpha", "--domain", "alpha.example");
        assertEquals(0, added.code(), added.toString());
        assertTrue(added.out().contains("trusted partner 'alpha'"), added.out());
        assertEquals(0, trust("add", betaDer.toString(), "--name", "beta").code());

        Published first = published();
        Path content = verifiedContent(first, "first");
        String parsed = asn1parse(content);
        assertTrue(parsed.contains(":Alpha Partner Root CA") && parsed.contains(":Beta Partner Root CA"), parsed);
        assertEquals(2, topLevelCertificates(content), parsed);
        assertEquals(List.of(PartnerRoot.fingerprint(alpha.root().getEncoded()),
                PartnerRoot.fingerprint(beta.root().getEncoded())).stream().sorted().toList(),
                SignedTrustList.parse(first.der()).fingerprints().stream().sorted().toList());
        // The check can fail: a list is not taken on the word of another root.
        Path alphaRoot = PartnerPki.pem(work.resolve("alpha-as-root.pem"), "CERTIFICATE", alpha.root().getEncoded());
        LdapTools.Result foreign = openssl("cms", "-verify", "-inform", "DER", "-in", first.file().toString(),
                "-CAfile", alphaRoot.toString(), "-purpose", "any", "-out", work.resolve("x.der").toString());
        assertNotEquals(0, foreign.exitCode(), foreign.describe("a list verified from a partner's root"));
        assertTrue(first.nextUpdate().isAfter(Instant.now()), first.toString());
        // The sequence and the next update are signed attributes, as openssl prints them.
        String printed = openssl("cms", "-cmsout", "-print", "-inform", "DER", "-in", first.file().toString())
                .assertSuccess().stdout();
        assertTrue(printed.contains("2.25.268010694880826052437632457492141761400.3.1")
                && printed.contains("2.25.268010694880826052437632457492141761400.3.2")
                && printed.contains("INTEGER:" + first.sequence()), printed);

        DirkmsRun removed = trust("remove", "beta");
        assertEquals(0, removed.code(), removed.toString());
        Published second = published();
        assertTrue(second.sequence() > first.sequence(), first.sequence() + " then " + second.sequence());
        String after = asn1parse(verifiedContent(second, "second"));
        assertTrue(after.contains(":Alpha Partner Root CA"), after);
        assertFalse(after.contains("Beta Partner"), after);
        assertEquals(1, topLevelCertificates(work.resolve("second-content.der")), after);

        DirkmsRun list = trust("list", "--json");
        assertEquals(0, list.code(), list.toString());
        JsonNode partners = new ObjectMapper().readTree(list.out());
        assertEquals(1, partners.size(), list.out());
        assertEquals("alpha", partners.get(0).get("name").asText());
        String subject = partners.get(0).get("subject").asText();
        assertTrue(subject.contains("cn=Alpha Partner Root CA") && subject.contains("o=Alpha Partner"), list.out());
        assertTrue(partners.get(0).get("listed").asBoolean(), list.out());
        assertEquals(second.sequence(), partners.get(0).get("trustListSequence").asLong(), list.out());
        assertEquals("alpha.example", partners.get(0).get("domains").get(0).asText());
    }

    @Test
    @Order(2)
    void theAgentListsAPartnerAddedWithTheSampleAndRefusesAnExpiredOne() throws Exception {
        PartnerPki gamma = PartnerPki.create("Gamma Partner", Duration.ofDays(60));
        Path folder = Files.createDirectories(work.resolve("sample"));
        Files.write(folder.resolve("partner-root.der"), gamma.root().getEncoded());
        long before = published().sequence();
        LdapTools.Result sample = LdapTools.run(List.of("bash", "-c", "cd \"$DIR\" && ldapmodify -H \"$URL\" -ZZ -x"
                + " -D \"$DN\" -w \"$PASSWORD\" -f \"$SAMPLE\""), Map.of("DIR", folder.toString(), "URL",
                        server.ldapUrl(), "DN", Staff.dn(server, "kms-admin"), "PASSWORD", Staff.PASSWORD, "SAMPLE",
                        ProjectFiles.file("ldif/samples/70-add-trusted-partner.ldif").toString(), "LDAPTLS_CACERT",
                        server.tlsCertificateFile().toString(), "LDAPTLS_REQCERT", "demand", "LDAPCONF", "/dev/null",
                        "LDAPRC", "dirkms-it-no-ldaprc"), null);
        sample.assertSuccess();
        // The running agent (no command) republishes: the list gains Gamma.
        Published withGamma = await(() -> {
            Published now = published();
            return now.sequence() > before ? now : null;
        }, "the agent republishes the list with the sample's partner");
        String parsed = asn1parse(verifiedContent(withGamma, "gamma"));
        assertTrue(parsed.contains(":Gamma Partner Root CA") && parsed.contains(":Alpha Partner Root CA"), parsed);

        // An expired root added over LDAP: the agent refuses it, says why, and lists nothing new.
        PartnerPki expired = PartnerPki.create("Expired Partner", Instant.now().minus(Duration.ofDays(30)),
                Duration.ofDays(10), true);
        String ldif = "dn: cn=expired," + TRUST + "\nchangetype: add\nobjectClass: kmsTrustedPartner\ncn: expired\n"
                + "cACertificate;binary:: " + Base64.getEncoder().encodeToString(expired.root().getEncoded()) + "\n";
        administrator.modify(ldif).assertSuccess();
        String error = await(() -> value(administrator.search("cn=expired," + TRUST, "(objectClass=*)", "-s", "base",
                "kmsLastError").assertSuccess().stdout(), "kmsLastError"), "the agent's kmsLastError on the expired partner");
        assertTrue(error.contains("expired on"), error);
        Published still = published();
        assertEquals(withGamma.sequence(), still.sequence(), "nothing published for the refused entry");
        assertFalse(asn1parse(verifiedContent(still, "still")).contains("Expired Partner"));
        DirkmsRun list = trust("list");
        assertTrue(list.out().contains("expired  REFUSED: ") && list.out().contains("expired on"), list.out());
        administrator.delete("cn=expired," + TRUST).assertSuccess();
        // The agent republishes when a partner entry goes: removed with ldapdelete, not the command.
        administrator.delete("cn=partner-example," + TRUST).assertSuccess();
        Published withoutGamma = await(() -> {
            Published now = published();
            return now.sequence() > still.sequence() ? now : null;
        }, "the agent republishes the list without the deleted partner");
        assertFalse(asn1parse(verifiedContent(withoutGamma, "without-gamma")).contains("Gamma Partner"));
    }

    @Test
    @Order(3)
    void aCrossCertificateCarriesPartnerUsersToTheEnterpriseRootUntilItIsRevoked() throws Exception {
        Path cross = work.resolve("alpha-cross.pem");
        DirkmsRun certified = trust("cross-certify", "alpha", "--permit-email", "alpha.example", "--out",
                cross.toString());
        assertEquals(0, certified.code(), certified.toString());
        // Published on the partner's entry, where anonymous relying parties read it.
        String pair = value(anonymous.search("cn=alpha," + TRUST, "(objectClass=*)", "-s", "base",
                "crossCertificatePair;binary").assertSuccess().stdout(), "crossCertificatePair;binary:");
        assertTrue(pair != null && !pair.isBlank(), "crossCertificatePair published");
        LdapTools.Result text = openssl("x509", "-in", cross.toString(), "-noout", "-text");
        text.assertSuccess();
        assertTrue(text.stdout().contains("CA:TRUE, pathlen:0") && text.stdout().contains("Permitted:")
                && text.stdout().contains("email:alpha.example"), text.stdout());

        Path user = PartnerPki.pem(work.resolve("pat.pem"), "CERTIFICATE",
                alpha.issueUser("Pat Partner", "pat@alpha.example").getEncoded());
        Path outsider = PartnerPki.pem(work.resolve("mallory.pem"), "CERTIFICATE",
                alpha.issueUser("Mallory", "mallory@evil.example").getEncoded());
        verify(user, cross, null).assertSuccess();
        // Without the cross-certificate the enterprise root does not reach the partner's user.
        assertNotEquals(0, verify(user, null, null).exitCode());
        LdapTools.Result constrained = verify(outsider, cross, null);
        assertNotEquals(0, constrained.exitCode(), constrained.describe("an address outside the name constraints"));
        assertTrue((constrained.stdout() + constrained.stderr()).contains("permitted subtree violation"),
                constrained.describe("the name constraint"));

        Path crls = crls("before");
        verify(user, cross, crls).assertSuccess();

        // While it is valid the partner stays: the CA must be able to revoke what it issued.
        DirkmsRun early = trust("remove", "alpha");
        assertEquals(1, early.code(), early.toString());
        assertTrue(early.err().contains("not revoked: run 'dirkms trust revoke-cross alpha' first"), early.err());
        LdapTools.Result deleted = administrator.delete("cn=alpha," + TRUST);
        assertEquals(50, deleted.exitCode(), deleted.describe("insufficientAccessRights"));
        assertTrue(deleted.stderr().contains("holds a cross-certificate"), deleted.stderr());

        DirkmsRun revoked = trust("revoke-cross", "alpha");
        assertEquals(0, revoked.code(), revoked.toString());
        LdapTools.Result afterRevocation = verify(user, cross, crls("after"));
        assertNotEquals(0, afterRevocation.exitCode(), afterRevocation.describe("revoked cross-certificate"));
        // Depth 1: the cross-certificate (the user at 0, the enterprise root at 2) is what is revoked.
        assertTrue((afterRevocation.stdout() + afterRevocation.stderr()).contains(
                "error 23 at 1 depth lookup: certificate revoked"), afterRevocation.describe("revoked"));
        DirkmsRun again = trust("revoke-cross", "alpha");
        assertEquals(1, again.code(), again.toString());
        assertTrue(again.err().contains("already on the CRL"), again.err());
        DirkmsRun list = trust("list", "--json");
        assertEquals("revoked", new ObjectMapper().readTree(list.out()).get(0).get("crossCertificateStatus").asText(),
                list.out());
    }

    @Test
    @Order(4)
    void badRootsAreRefusedWithTheirReasonAndNothingIsPublished() throws Exception {
        String before = trustSubtree();
        PartnerPki endEntity = PartnerPki.create("Not A CA", Instant.now().minus(Duration.ofHours(1)),
                Duration.ofDays(30), false);
        PartnerPki expired = PartnerPki.create("Old Partner", Instant.now().minus(Duration.ofDays(30)),
                Duration.ofDays(10), true);
        PartnerPki tampered = PartnerPki.create("Tampered Partner", Duration.ofDays(30));
        Map<String, String> cases = new java.util.LinkedHashMap<>();
        cases.put("garbage", "is not an X.509 certificate");
        cases.put("end-entity", "is not a CA certificate");
        cases.put("expired", "expired on");
        cases.put("tampered", "does not verify");
        cases.put("same-certificate", "trusted already as partner 'alpha'");
        cases.put("same-name", "a partner named 'alpha' exists already");
        Map<String, byte[]> files = Map.of("garbage", "not a certificate at all\n".getBytes(),
                "end-entity", endEntity.root().getEncoded(), "expired", expired.root().getEncoded(),
                "tampered", tampered.rootWithBrokenSignature(), "same-certificate", alpha.root().getEncoded(),
                "same-name", beta.root().getEncoded());
        for (Map.Entry<String, String> refusal : cases.entrySet()) {
            Path file = Files.write(work.resolve(refusal.getKey() + ".der"), files.get(refusal.getKey()));
            String name = refusal.getKey().equals("same-name") ? "alpha" : refusal.getKey();
            DirkmsRun run = trust("add", file.toString(), "--name", name);
            assertEquals(1, run.code(), refusal.getKey() + ": " + run);
            assertTrue(run.err().contains(refusal.getValue()) && run.err().contains("nothing was published"),
                    refusal.getKey() + ": " + run.err());
            assertEquals(1, run.err().strip().lines().count(), "one line: " + run.err());
        }
        DirkmsRun unknown = trust("remove", "nobody");
        assertEquals(1, unknown.code(), unknown.toString());
        assertTrue(unknown.err().contains("there is no partner named 'nobody'"), unknown.err());
        DirkmsRun badConstraint = trust("cross-certify", "alpha", "--permit-dns", ".alpha.example");
        assertEquals(2, badConstraint.code(), badConstraint.toString());
        assertEquals(before, trustSubtree(), "the directory under ou=Trust is unchanged");
        // KMS administrators publish no cross-certificates of their own.
        LdapTools.Result forged = administrator.modify("dn: cn=alpha," + TRUST
                + "\nchangetype: modify\nreplace: description\ndescription: x\n-\nreplace: crossCertificatePair;binary\n"
                + "crossCertificatePair;binary:< file://" + work.resolve("alpha-cross.pem") + "\n-\n");
        assertEquals(50, forged.exitCode(), forged.describe("insufficientAccessRights"));
        assertEquals(before, trustSubtree(), "the directory under ou=Trust is unchanged");
    }

    // ------------------------------------------------------------------ helpers

    private static DirkmsRun trust(String... arguments) {
        List<String> command = new ArrayList<>(List.of("trust"));
        command.addAll(List.of(arguments));
        command.addAll(List.of("--data", data.toString(), "--url", server.ldapUrl()));
        return DirkmsRun.of(command);
    }

    /** The published list as ldapsearch reads it, anonymously. */
    private record Published(long sequence, Instant nextUpdate, byte[] der, Path file) {
    }

    private static Published published() {
        String ldif = anonymous.search(TRUST_LIST, "(objectClass=*)", "-s", "base", "kmsSignedTrustList",
                "kmsTrustListSequence", "kmsTrustListNextUpdate").assertSuccess().stdout();
        String list = value(ldif, "kmsSignedTrustList:");
        String sequence = value(ldif, "kmsTrustListSequence");
        if (list == null || sequence == null) {
            throw new AssertionError("no trust list published:\n" + ldif);
        }
        byte[] der = Base64.getDecoder().decode(list);
        Path file;
        try {
            file = Files.write(work.resolve("list-" + sequence + ".der"), der);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        String next = value(ldif, "kmsTrustListNextUpdate");
        return new Published(Long.parseLong(sequence), java.time.format.DateTimeFormatter.ofPattern("yyyyMMddHHmmssX")
                .parse(next, Instant::from), der, file);
    }

    /** {@code openssl cms -verify} against the enterprise root alone; the content it writes. */
    private static Path verifiedContent(Published published, String name) {
        Path content = work.resolve(name + "-content.der");
        openssl("cms", "-verify", "-inform", "DER", "-in", published.file().toString(), "-CAfile",
                enterpriseRoot.toString(), "-purpose", "any", "-binary", "-out", content.toString()).assertSuccess();
        return content;
    }

    private static String asn1parse(Path content) {
        return openssl("asn1parse", "-inform", "DER", "-in", content.toString()).assertSuccess().stdout();
    }

    /** How many certificates the TrustAnchorList holds: the SEQUENCEs at depth 1 (asn1parse's "d=1"). */
    private static long topLevelCertificates(Path content) {
        return asn1parse(content).lines().filter(line -> line.contains("d=1") && line.contains("SEQUENCE")).count();
    }

    private static LdapTools.Result verify(Path user, Path cross, Path crls) {
        List<String> command = new ArrayList<>(List.of("openssl", "verify", "-x509_strict", "-CAfile",
                enterpriseRoot.toString()));
        if (cross != null) {
            command.addAll(List.of("-untrusted", cross.toString()));
        }
        if (crls != null) {
            command.addAll(List.of("-crl_check_all", "-CRLfile", crls.toString()));
        }
        command.add(user.toString());
        return LdapTools.run(command, Map.of(), null);
    }

    /** The enterprise CA's CRL as ldapsearch reads it from the CA entry, and the partner's, in one PEM file. */
    private static Path crls(String name) throws Exception {
        String crl = value(anonymous.search(CA_DN, "(objectClass=*)", "-s", "base", "certificateRevocationList;binary")
                .assertSuccess().stdout(), "certificateRevocationList;binary:");
        Path der = Files.write(work.resolve(name + "-ca.crl"), Base64.getDecoder().decode(crl));
        String ours = openssl("crl", "-inform", "DER", "-in", der.toString()).assertSuccess().stdout();
        String partner = Files.readString(PartnerPki.pem(work.resolve(name + "-alpha.crl.pem"), "X509 CRL",
                alpha.crl().getEncoded()));
        return Files.writeString(work.resolve(name + "-crls.pem"), ours + partner);
    }

    private static String trustSubtree() {
        return LdapTools.against(server.ldapUrl(), server.tlsCertificateFile())
                .asWithPasswordFile(server.adminDn(), server.adminPasswordFile())
                .search(TRUST, "(objectClass=*)", "*", "+").assertSuccess().stdout()
                .lines().filter(line -> !line.toLowerCase().startsWith("entrycsn:")
                        && !line.toLowerCase().startsWith("modifytimestamp:")).reduce("", (a, b) -> a + b + "\n");
    }

    /**
     * The value of the first {@code attribute} line of an LDIF ({@code attribute: v} or
     * {@code attribute:: b64}), with or without the {@code ;binary} option.
     */
    private static String value(String ldif, String attribute) {
        // The server may answer an attribute asked for with ;binary under its plain name.
        String name = attribute.replaceFirst(":$", "").replaceFirst(";binary$", "");
        for (String line : ldif.split("\n")) {
            int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).replaceFirst(";binary$", "").equalsIgnoreCase(name)) {
                return line.substring(colon + 1).replaceFirst("^:? ?", "").trim();
            }
        }
        return null;
    }

    private static LdapTools.Result openssl(String... arguments) {
        List<String> command = new ArrayList<>(List.of("openssl"));
        command.addAll(List.of(arguments));
        return LdapTools.run(command, Map.of(), null);
    }

    private static <T> T await(Supplier<T> condition, String what) throws InterruptedException {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(90));
        while (Instant.now().isBefore(deadline)) {
            try {
                T value = condition.get();
                if (value != null) {
                    return value;
                }
            } catch (AssertionError | RuntimeException e) {
                // not there yet
            }
            Thread.sleep(200); // polling the directory for the agent's write, not waiting for time to pass
        }
        throw new AssertionError("timed out waiting for " + what);
    }
}
