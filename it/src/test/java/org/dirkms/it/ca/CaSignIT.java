package org.dirkms.it.ca;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.apache.directory.ldap.client.api.LdapNetworkConnection;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.dirkms.agent.ca.CaService;
import org.dirkms.agent.ca.CertificationAuthority;
import org.dirkms.agent.ca.IssuanceRequest;
import org.dirkms.agent.ca.KeyStorePassphrase;
import org.dirkms.agent.ca.StandardTemplates;
import org.dirkms.dist.DirkmsCommand;
import org.dirkms.dist.KmsContext;
import org.dirkms.it.support.LdapTools;
import org.dirkms.it.support.TestDirectory;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's subordinate-CA path ("Certification Services"), both ways, as an administrator
 * runs it against the real embedded directory: {@code dirkms ca init --subordinate} writes
 * {@code issuing.csr}; our root signs it with {@code dirkms ca sign --template subordinate-ca}
 * (or openssl does, as a third-party parent); {@code dirkms ca install} activates the
 * subordinate; a certificate the subordinate issues verifies with
 * {@code openssl verify -CAfile root -untrusted sub}. Then what {@code ca sign} refuses, and
 * {@code dirkms ca list} as a table and as JSON, a stale CRL flagged.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CaSignIT {
    @RegisterExtension
    static final TestDirectory directory = new TestDirectory();

    private static final BouncyCastleProvider BC = new BouncyCastleProvider();
    private static final String ROOT = "Example Root CA";
    private static final String ISSUING = "Example Issuing CA";
    private static final String THIRD_PARTY_ISSUING = "Partner Issuing CA";

    @TempDir
    static Path work;

    private static String rootDn() {
        return "cn=" + ROOT + "," + directory.layout().certificationAuthorities();
    }

    @Test
    @Order(1)
    void ourRootSignsTheSubordinatesRequestAndTheChainVerifies() throws Exception {
        LdapTools.requireTool("openssl", "openssl");
        run(0, "init", "--name", ROOT);
        Path csr = work.resolve("issuing.csr");
        run(0, "init", "--subordinate", "--name", ISSUING, "--key-algorithm", "EC-P384", "--csr-out", csr.toString());

        Path issued = work.resolve("issuing.crt");
        Result signed = run(0, "sign", "--csr", csr.toString(), "--template", StandardTemplates.SUBORDINATE_CA,
                "--ca", rootDn(), "--out", issued.toString(), "--days", "730");
        assertTrue(signed.out().startsWith("signed serial "), signed.out());
        assertTrue(signed.out().contains("for 'CN=" + ISSUING + ",OU=Certification Authorities,OU=KMS,"), signed.out());
        String text = openssl("x509", "-in", issued.toString(), "-noout", "-text");
        assertTrue(text.contains("CA:TRUE, pathlen:0"), text);
        assertTrue(text.contains("Certificate Sign, CRL Sign"), text);
        assertTrue(text.contains("Issuer: DC = com, DC = example, OU = KMS, OU = Certification Authorities, CN = "
                + ROOT + "\n"), text);
        X509Certificate subordinate = certificate(Files.readAllBytes(issued));
        long days = Duration.between(subordinate.getNotBefore().toInstant(), subordinate.getNotAfter().toInstant())
                .toDays();
        assertEquals(730, days, "--days 730");

        // Recorded as every issued certificate is: a request entry in state issued holding it.
        String serial = subordinate.getSerialNumber().toString(16);
        String record = LdapTools.against(directory).asAdmin().searchRaw("-LLL", "-o", "ldif-wrap=no", "-b",
                directory.layout().requests(), "(cn=signed-" + serial + ")", "kmsRequestState", "kmsRequestTemplate")
                .assertSuccess().stdout();
        assertTrue(record.contains("kmsRequestState: issued"), record);
        assertTrue(record.contains("kmsRequestTemplate: cn=subordinate-ca,"), record);
        // Audited: the add of the record, by the KMS agent, in the hash-chained log.
        String recordDn = "cn=signed-" + serial + "," + directory.layout().requests();
        assertEquals(1, Files.readAllLines(directory.dataFolder().auditLog()).stream()
                .map(line -> line.split("\t", -1))
                .filter(fields -> fields.length >= 5 && fields[3].equals("add") && fields[4].equalsIgnoreCase(recordDn)
                        && fields[2].equalsIgnoreCase(directory.agentDn()))
                .count(), "the audit log records the signed certificate's record");

        Path rootPem = work.resolve("root.pem");
        Files.write(rootPem, pem(rootCertificate().getEncoded()));
        String installed = run(0, "install", "--name", ISSUING, "--cert", issued.toString(), "--chain",
                rootPem.toString()).out();
        assertTrue(installed.contains("is active; chain of 2 certificates published"), installed);

        Path leaf = work.resolve("leaf.pem");
        Files.write(leaf, pem(issueFrom(ISSUING, "uid=bob," + directory.layout().people(), "bob@example.com")
                .getEncoded()));
        String verified = openssl("verify", "-x509_strict", "-CAfile", rootPem.toString(), "-untrusted",
                issued.toString(), leaf.toString());
        assertEquals(leaf + ": OK\n", verified);

        // The root knows it issued the subordinate: it revokes it by serial (and nothing else it never issued).
        String revoked = run(0, "revoke", "--name", ROOT, "--serial", serial, "--reason", "cessationOfOperation").out();
        assertTrue(revoked.contains("of the certificate in cn=signed-" + serial + ","), revoked);
    }

    @Test
    @Order(2)
    void anOpensslParentSignsTheSubordinatesRequest() throws Exception {
        LdapTools.requireTool("openssl", "openssl");
        Path csr = work.resolve("partner.csr");
        run(0, "init", "--subordinate", "--name", THIRD_PARTY_ISSUING, "--csr-out", csr.toString());
        opensslIn("req", "-x509", "-newkey", "rsa:3072", "-nodes", "-keyout", "parent.key", "-out", "parent.pem",
                "-days", "3650", "-subj", "/O=Partner Trust/CN=Partner Root", "-addext",
                "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign");
        // The extensions the README gives the third-party parent.
        Files.writeString(work.resolve("subordinate.ext"), "basicConstraints=critical,CA:TRUE,pathlen:0\n"
                + "keyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n");
        opensslIn("x509", "-req", "-in", csr.toString(), "-CA", "parent.pem", "-CAkey", "parent.key",
                "-CAcreateserial", "-days", "1825", "-extfile", "subordinate.ext", "-out", "partner.crt");
        run(0, "install", "--name", THIRD_PARTY_ISSUING, "--cert", work.resolve("partner.crt").toString(), "--chain",
                work.resolve("parent.pem").toString());
        Path leaf = work.resolve("partner-leaf.pem");
        Files.write(leaf, pem(issueFrom(THIRD_PARTY_ISSUING, "uid=carol," + directory.layout().people(),
                "carol@example.com").getEncoded()));
        assertEquals(leaf + ": OK\n", openssl("verify", "-x509_strict", "-CAfile", work.resolve("parent.pem").toString(),
                "-untrusted", work.resolve("partner.crt").toString(), leaf.toString()));
    }

    @Test
    @Order(3)
    void signRefusesInOneLineAndRecordsNothing() throws Exception {
        String before = requestEntries();
        // A request whose signature fails: one octet of the signature changed.
        byte[] good = request("CN=Tampered Issuing CA");
        byte[] tampered = good.clone();
        tampered[tampered.length - 5] ^= 0x01;
        Path bad = Files.write(work.resolve("tampered.csr"), pemRequest(tampered));
        Result badSignature = run(1, "sign", "--csr", bad.toString(), "--template", "subordinate-ca", "--ca", rootDn());
        assertEquals(1, badSignature.err().lines().count(), badSignature.err());
        assertTrue(badSignature.err().startsWith("dirkms ca sign: the signature of the certificate request does not"
                + " verify"), badSignature.err());

        Path csr = Files.write(work.resolve("good.csr"), pemRequest(good));
        Result unknown = run(1, "sign", "--csr", csr.toString(), "--template", "sub-ca", "--ca", rootDn());
        assertTrue(unknown.err().startsWith("dirkms ca sign: there is no certificate template 'sub-ca' (the templates: "),
                unknown.err());
        assertEquals(1, unknown.err().lines().count(), unknown.err());

        // A template that exists (the KMS agent adds it) but is not installed on the CA.
        LdapTools.against(directory).asAgent().modify("dn: cn=partner-server," + directory.layout().certificateTemplates()
                + "\nchangetype: add\nobjectClass: top\nobjectClass: kmsCertificateTemplate\ncn: partner-server\n"
                + "kmsKeyUsage: digitalSignature\nkmsValidityDays: 90\nkmsAllowedKeyAlgorithm: EC-P256\n"
                + "kmsCertificateVersion: 3\n").assertSuccess();
        Result notInstalled = run(1, "sign", "--csr", csr.toString(), "--template", "partner-server", "--ca", rootDn());
        assertTrue(notInstalled.err().startsWith("dirkms ca sign: template 'partner-server' is not installed on CA "),
                notInstalled.err());
        assertEquals(1, notInstalled.err().lines().count(), notInstalled.err());
        assertTrue(notInstalled.err().endsWith("; nothing was signed\n"), notInstalled.err());

        // Longer than the template allows.
        Result tooLong = run(1, "sign", "--csr", csr.toString(), "--template", "subordinate-ca", "--ca", rootDn(),
                "--days", "4000");
        assertTrue(tooLong.err().contains("is valid for 1 to 1825 days, not 4000"), tooLong.err());

        // A subordinate with pathLen 0 may not certify another CA (RFC 5280 section 4.2.1.9).
        Result pathLength = run(1, "sign", "--csr", csr.toString(), "--template", "subordinate-ca", "--ca",
                "cn=" + ISSUING + "," + directory.layout().certificationAuthorities());
        assertTrue(pathLength.err().contains("has a path length constraint of 0: it may not certify another CA"),
                pathLength.err());

        // An existing --out is never replaced.
        Path existing = Files.writeString(work.resolve("existing.crt"), "keep me\n");
        Result kept = run(2, "sign", "--csr", csr.toString(), "--template", "subordinate-ca", "--out",
                existing.toString(), "--ca", rootDn());
        assertTrue(kept.err().startsWith("dirkms ca sign: --out " + existing + " exists;"), kept.err());
        assertEquals("keep me\n", Files.readString(existing));

        assertEquals(before, requestEntries(), "a refused request leaves no record");
    }

    @Test
    @Order(4)
    void listShowsEveryCaAsATableAndAsJsonAndFlagsAStaleCrl() throws Exception {
        String table = run(0, "list").out();
        assertTrue(table.startsWith("NAME "), table);
        assertTrue(table.contains("TEMPLATES"), table);
        String rootLine = table.lines().filter(line -> line.startsWith(ROOT + " ")).findFirst().orElseThrow();
        assertTrue(rootLine.contains("active, key here"), rootLine);
        assertTrue(rootLine.contains("RSA-3072"), rootLine);
        assertTrue(rootLine.contains("subordinate-ca"), rootLine);
        assertFalse(rootLine.contains("stale"), rootLine);
        assertTrue(table.contains("\n  " + rootDn() + "\n"), table);

        // A CRL signed 30 days ago, valid 7: its next update has passed.
        KmsContext past = new KmsContext(directory.kms().dataFolder(), directory.layout(), directory.kms().connection(),
                Clock.offset(Clock.systemUTC(), Duration.ofDays(-30)), new SecureRandom());
        try (LdapNetworkConnection connection = directory.secureAgentConnection()) {
            CaService service = past.caService(connection);
            service.publishCrl(service.open(rootDn(), directory.dataFolder().caKeyStore(ROOT),
                    KeyStorePassphrase.fromFile(directory.dataFolder().caPassphrase(ROOT)),
                    CertificationAuthority.Publication.at(directory.ldapUrl())));
        }
        Result json = run(0, "list", "--json");
        assertEquals("", json.err());
        JsonNode cas = new ObjectMapper().readTree(json.out());
        assertTrue(cas.isArray(), json.out());
        JsonNode root = find(cas, ROOT);
        assertEquals(rootDn(), root.get("dn").asText());
        assertEquals("active", root.get("state").asText());
        assertTrue(root.get("keyHere").asBoolean());
        assertEquals("RSA-3072", root.get("keyAlgorithm").asText());
        assertTrue(root.get("crlStale").asBoolean(), json.out());
        assertTrue(root.get("crlNumber").asInt() >= 2, json.out());
        List<String> templates = new ArrayList<>();
        root.get("templates").forEach(node -> templates.add(node.asText()));
        assertTrue(templates.containsAll(List.of("smime-signature", "smime-encryption", "legacy-v1", "subordinate-ca")),
                templates.toString());
        assertEquals(rootCertificate().getNotAfter().toInstant().toString(), root.get("notAfter").asText());
        JsonNode issuing = find(cas, ISSUING);
        assertEquals("EC-P384", issuing.get("keyAlgorithm").asText());
        assertEquals("active", issuing.get("state").asText());
        String staleLine = run(0, "list").out().lines().filter(line -> line.startsWith(ROOT + " ")).findFirst()
                .orElseThrow();
        assertTrue(staleLine.contains(" (stale)"), staleLine);

        // A subordinate still waiting for its certificate: no algorithm, no validity, nothing stale.
        run(0, "init", "--subordinate", "--name", "Waiting CA", "--csr-out", work.resolve("waiting.csr").toString());
        JsonNode waiting = find(new ObjectMapper().readTree(run(0, "list", "--json").out()), "Waiting CA");
        assertEquals("awaiting-certificate", waiting.get("state").asText());
        assertTrue(waiting.get("keyAlgorithm").isNull());
        assertTrue(waiting.get("crlNextUpdate").isNull());
        assertFalse(waiting.get("crlStale").asBoolean());
        assertFalse(waiting.get("serving").asBoolean());

        run(0, "crl", "--name", ROOT);
        assertFalse(find(new ObjectMapper().readTree(run(0, "list", "--json").out()), ROOT).get("crlStale").asBoolean());
    }

    private static JsonNode find(JsonNode cas, String name) {
        for (JsonNode ca : cas) {
            if (name.equals(ca.get("name").asText())) {
                return ca;
            }
        }
        throw new AssertionError("no CA named " + name + " in " + cas);
    }

    private static String requestEntries() {
        return LdapTools.against(directory).asAdmin().searchRaw("-LLL", "-o", "ldif-wrap=no", "-s", "one", "-b",
                directory.layout().requests(), "(objectClass=*)", "1.1").assertSuccess().stdout();
    }

    private static X509Certificate rootCertificate() throws Exception {
        try (LdapNetworkConnection connection = directory.secureAgentConnection()) {
            return directory.kms().caService(connection).listCas().stream().filter(ca -> ca.name().equals(ROOT))
                    .findFirst().orElseThrow().certificate();
        }
    }

    private static X509Certificate issueFrom(String name, String subject, String mail) throws Exception {
        try (LdapNetworkConnection connection = directory.secureAgentConnection()) {
            CaService service = directory.kms().caService(connection);
            CertificationAuthority ca = service.open(service.caDn(name), directory.dataFolder().caKeyStore(name),
                    KeyStorePassphrase.fromFile(directory.dataFolder().caPassphrase(name)),
                    CertificationAuthority.Publication.at(directory.ldapUrl()));
            return ca.issue(IssuanceRequest.forPerson(StandardTemplates.SMIME_SIGNATURE, request(""), subject,
                    List.of(mail)));
        }
    }

    /** What a command printed on each stream. */
    private record Result(String out, String err) {
    }

    private static Result run(int expectedExit, String... arguments) {
        List<String> all = new ArrayList<>(List.of("ca"));
        all.addAll(List.of(arguments));
        all.addAll(List.of("--data", directory.dataDirectory().toString(), "--url", directory.ldapUrl()));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = DirkmsCommand.run(all, Map.of(), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        Result result = new Result(out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        assertEquals(expectedExit, exit, "dirkms ca " + String.join(" ", arguments) + ":\n" + result);
        return result;
    }

    private static String openssl(String... arguments) {
        List<String> command = new ArrayList<>(List.of("openssl"));
        command.addAll(List.of(arguments));
        LdapTools.Result result = LdapTools.run(command, Map.of(), null);
        assertEquals(0, result.exitCode(), String.join(" ", command) + ":\n" + result.stdout() + result.stderr());
        return result.stdout();
    }

    private static void opensslIn(String... arguments) {
        List<String> command = new ArrayList<>(List.of("sh", "-c", "cd \"$0\" && exec \"$@\"", work.toString(),
                "openssl"));
        command.addAll(List.of(arguments));
        LdapTools.run(command, Map.of(), null).assertSuccess();
    }

    private static byte[] pem(byte[] der) {
        return ("-----BEGIN CERTIFICATE-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
                + "\n-----END CERTIFICATE-----\n").getBytes(StandardCharsets.US_ASCII);
    }

    private static byte[] pemRequest(byte[] der) {
        return ("-----BEGIN CERTIFICATE REQUEST-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'})
                .encodeToString(der) + "\n-----END CERTIFICATE REQUEST-----\n").getBytes(StandardCharsets.US_ASCII);
    }

    private static X509Certificate certificate(byte[] encoded) throws Exception {
        return (X509Certificate) CertificateFactory.getInstance("X.509")
                .generateCertificate(new ByteArrayInputStream(encoded));
    }

    private static byte[] request(String subject) throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC", BC);
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        var keys = generator.generateKeyPair();
        return new JcaPKCS10CertificationRequestBuilder(new X500Name(subject), keys.getPublic())
                .build(new JcaContentSignerBuilder("SHA256withECDSA").setProvider(BC).build(keys.getPrivate()))
                .getEncoded();
    }
}
