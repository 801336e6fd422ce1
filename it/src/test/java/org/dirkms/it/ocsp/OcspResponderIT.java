package org.dirkms.it.ocsp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.ocsp.BasicOCSPResp;
import org.bouncycastle.cert.ocsp.CertificateID;
import org.bouncycastle.cert.ocsp.OCSPReqBuilder;
import org.bouncycastle.cert.ocsp.OCSPResp;
import org.bouncycastle.cert.ocsp.OCSPRespBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.dirkms.agent.ca.IssuanceRequest;
import org.dirkms.agent.ca.StandardTemplates;
import org.dirkms.dist.CaCommand;
import org.dirkms.dist.CaServeSetup;
import org.dirkms.dist.DirkmsCommand;
import org.dirkms.ds.server.DirectoryServer;
import org.dirkms.ds.server.ServerSettings;
import org.dirkms.it.support.Gpgsm;
import org.dirkms.it.support.LdapTools;
import org.dirkms.it.support.Pem;
import org.dirkms.schema.DataFolder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The OCSP responder, CRL and CA certificate that {@code dirkms serve} offers over HTTP, as
 * relying parties use them: openssl asks the responder the URL the certificate names, verifies
 * the response through the delegated responder certificate, sees a revocation by
 * {@code dirkms ca revoke} at once with its reason, and fetches the CRL the certificate names
 * to verify with {@code -crl_download}; gpgsm, its CRL checks off, sees the same through
 * dirmngr's OCSP; the JDK's HTTP client fetches the CRL and CA certificate
 * and asks by GET (RFC 6960 appendix A.1); bad requests get precise answers.
 */
class OcspResponderIT {
    @TempDir
    Path data;

    @TempDir
    Path work;

    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void opensslSeesGoodThenRevokedAtOnceAndUnknownForWhatTheCaNeverIssued() throws Exception {
        LdapTools.requireTool("openssl", "openssl");
        SecureRandom random = new SecureRandom();
        CaServeSetup.Serving serving = CaServeSetup.startServing(ServerSettings.forTests(data), null,
                new CaServeSetup.HttpSettings(new InetSocketAddress("127.0.0.1", 0), null), Clock.systemUTC(), random);
        Gpgsm gpgsm = null;
        try {
            DirectoryServer server = serving.server();
            String base = serving.http().baseUrl();
            assertEquals("http://127.0.0.1:" + serving.http().port(), base);
            String name = DataFolder.caFileName(CaCommand.DEFAULT_NAME);
            Path caPem = Pem.write(work.resolve("ca.pem"), serving.ca().certificate());

            // The delegated responder key: its own key store, owner-only, beside the CA's.
            DataFolder folder = server.dataFolder();
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(
                    folder.ocspKeyStore(CaCommand.DEFAULT_NAME))));
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(
                    folder.ocspPassphrase(CaCommand.DEFAULT_NAME))));
            assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(folder.ocsp())));

            // A user's certificate, kept in the directory as every certificate the KMS hands out is.
            X509Certificate alice = issue(serving, "alice");
            publish(server, "alice", alice);
            Path alicePem = Pem.write(work.resolve("alice.pem"), alice);
            // The certificate names the HTTP CRL beside the LDAP one, and the OCSP responder and
            // CA certificate over HTTP; the CA entry records them for every issuing process.
            String text = openssl("x509", "-in", alicePem.toString(), "-noout", "-text").stdout();
            assertTrue(text.contains("URI:" + base + "/crl/" + name + ".crl"), text);
            assertTrue(text.contains("URI:ldap://"), text);
            assertTrue(text.contains("OCSP - URI:" + base + "/ocsp"), text);
            assertTrue(text.contains("CA Issuers - URI:" + base + "/ca/" + name + ".crt"), text);
            String caDn = serving.ca().dn();
            String recorded = LdapTools.against(server.ldapUrl(), server.tlsCertificateFile())
                    .asWithPasswordFile(server.adminDn(), server.adminPasswordFile())
                    .searchRaw("-LLL", "-o", "ldif-wrap=no", "-s", "base", "-b", caDn, "(objectClass=*)",
                            "kmsOcspUrl", "kmsCaIssuersUrl", "kmsCrlDistributionPoint").assertSuccess().stdout();
            assertTrue(recorded.contains("kmsOcspUrl: " + base + "/ocsp"), recorded);
            assertTrue(recorded.contains("kmsCaIssuersUrl: " + base + "/ca/" + name + ".crt"), recorded);
            assertTrue(recorded.contains("kmsCrlDistributionPoint: " + base + "/crl/" + name + ".crl"), recorded);

            // good, the response verified through the responder certificate the CA issued, the nonce echoed.
            String ocspUrl = openssl("x509", "-in", alicePem.toString(), "-noout", "-ocsp_uri").stdout().strip();
            LdapTools.Result good = ocsp(caPem, ocspUrl, "-cert", alicePem.toString(), "-resp_text");
            assertTrue(good.stdout().contains(alicePem + ": good"), good.describe("good"));
            assertTrue(good.stderr().contains("Response verify OK"), good.describe("Response verify OK"));
            assertFalse((good.stdout() + good.stderr()).contains("nonce"), good.describe("the nonce echoed"));
            assertTrue(good.stdout().contains("OCSP Signing"), good.describe("id-kp-OCSPSigning"));
            assertTrue(good.stdout().contains("OCSP No Check"), good.describe("id-pkix-ocsp-nocheck"));
            assertTrue(good.stdout().contains("CN=OCSP Responder"), good.describe("the delegated responder"));

            // gpgsm asks the responder the certificate names through dirmngr (allow-ocsp), its CRL
            // checks off: the certificate's status comes from OCSP alone.
            gpgsm = Gpgsm.trusting(work.resolve("gnupg"),
                    serving.ca().certificate());
            Files.writeString(gpgsm.home().resolve("dirmngr.conf"), "allow-ocsp\nldaptimeout 10\n");
            gpgsm.importCertificates(caPem, alicePem);
            String fingerprint = "0x" + Gpgsm.fingerprint(alice).replace(":", "");
            assertEquals("f", validity(gpgsm.run("--enable-ocsp", "--disable-crl-checks", "--with-validation",
                    "--with-colons", "--list-keys", fingerprint)), "gpgsm: fully valid");

            // The CRL and CA certificate over HTTP, with their RFC 2585 media types.
            HttpResponse<byte[]> crl = get(base + "/crl/" + name + ".crl");
            assertEquals(200, crl.statusCode());
            assertEquals("application/pkix-crl", crl.headers().firstValue("Content-Type").orElse(""));
            Path crlDer = Files.write(work.resolve("crl.der"), crl.body());
            String crlText = openssl("crl", "-inform", "DER", "-in", crlDer.toString(), "-noout", "-text").stdout();
            assertTrue(crlText.contains("No Revoked Certificates"), crlText);
            HttpResponse<byte[]> ca = get(base + "/ca/" + name + ".crt");
            assertEquals(200, ca.statusCode());
            assertEquals("application/pkix-cert", ca.headers().firstValue("Content-Type").orElse(""));
            Path caDer = Files.write(work.resolve("ca.der"), ca.body());
            assertEquals(openssl("x509", "-in", caPem.toString(), "-noout", "-fingerprint", "-sha256").stdout(),
                    openssl("x509", "-inform", "DER", "-in", caDer.toString(), "-noout", "-fingerprint", "-sha256")
                            .stdout());
            Path crlPem = work.resolve("crl.pem");
            openssl("crl", "-inform", "DER", "-in", crlDer.toString(), "-out", crlPem.toString());
            openssl("verify", "-crl_check", "-CRLfile", crlPem.toString(), "-CAfile", caPem.toString(),
                    alicePem.toString());
            // openssl follows the HTTP distribution point the certificate names.
            LdapTools.Result downloaded = LdapTools.run(List.of("openssl", "verify", "-crl_download", "-crl_check",
                    "-CAfile", caPem.toString(), alicePem.toString()), Map.of(), null);
            assertEquals(0, downloaded.exitCode(), downloaded.describe("verified with the downloaded CRL"));

            // dirkms ca revoke: the very next OCSP answer says revoked, with the time and reason.
            String serial = alice.getSerialNumber().toString(16);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            int exit = DirkmsCommand.run(List.of("ca", "revoke", "--serial", serial, "--reason", "keyCompromise",
                    "--data", data.toString(), "--url", server.ldapUrl()), Map.of(),
                    new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(out, true, StandardCharsets.UTF_8));
            assertEquals(0, exit, out.toString(StandardCharsets.UTF_8));
            LdapTools.Result revoked = ocsp(caPem, ocspUrl, "-cert", alicePem.toString());
            assertTrue(revoked.stdout().contains(alicePem + ": revoked"), revoked.describe("revoked"));
            assertTrue(revoked.stdout().contains("Reason: keyCompromise"), revoked.describe("the reason"));
            assertTrue(revoked.stdout().contains("Revocation Time:"), revoked.describe("the time"));
            assertTrue(revoked.stderr().contains("Response verify OK"), revoked.describe("Response verify OK"));
            assertEquals("r", validity(gpgsm.run("--enable-ocsp", "--disable-crl-checks", "--with-validation",
                    "--with-colons", "--list-keys", fingerprint)), "gpgsm: revoked");
            // The CRL served is the directory's current one: it lists alice now.
            Path crlAfter = Files.write(work.resolve("crl-after.der"), get(base + "/crl/" + name + ".crl").body());
            String afterText = openssl("crl", "-inform", "DER", "-in", crlAfter.toString(), "-noout", "-text").stdout();
            assertTrue(afterText.toUpperCase().contains(serial.toUpperCase()), afterText);
            LdapTools.Result verifyRevoked = LdapTools.run(List.of("openssl", "verify", "-crl_download", "-crl_check",
                    "-CAfile", caPem.toString(), alicePem.toString()), Map.of(), null);
            assertNotEquals(0, verifyRevoked.exitCode(), verifyRevoked.describe("certificate revoked"));
            assertTrue((verifyRevoked.stdout() + verifyRevoked.stderr()).contains("certificate revoked"),
                    verifyRevoked.describe("certificate revoked"));

            // unknown: a certificate the CA signed but the directory never kept, and a serial never issued.
            X509Certificate unkept = issue(serving, "carol");
            Path unkeptPem = Pem.write(work.resolve("carol.pem"), unkept);
            LdapTools.Result unknown = ocsp(caPem, ocspUrl, "-cert", unkeptPem.toString());
            assertTrue(unknown.stdout().contains(unkeptPem + ": unknown"), unknown.describe("unknown"));
            LdapTools.Result neverIssued = ocsp(caPem, ocspUrl, "-serial", "0x" + new BigInteger(120, random).toString(16));
            assertTrue(neverIssued.stdout().contains(": unknown"), neverIssued.describe("unknown"));
            // Once kept in the directory, the same certificate is good.
            publish(server, "carol", unkept);
            LdapTools.Result kept = ocsp(caPem, ocspUrl, "-cert", unkeptPem.toString());
            assertTrue(kept.stdout().contains(unkeptPem + ": good"), kept.describe("good once kept"));

            // Another CA of the same name (another key): this responder is no authority for it.
            Path otherKey = work.resolve("other.key");
            Path otherCa = work.resolve("other.pem");
            openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
                    otherKey.toString(), "-out", otherCa.toString(), "-days", "2", "-subj",
                    "/DC=com/DC=example/OU=KMS/OU=Certification Authorities/CN=dirkms Root CA");
            LdapTools.Result foreign = LdapTools.run(List.of("openssl", "ocsp", "-issuer", otherCa.toString(), "-serial",
                    "0x" + serial, "-url", ocspUrl, "-CAfile", caPem.toString()), Map.of(), null);
            assertTrue((foreign.stdout() + foreign.stderr()).contains("unauthorized"), foreign.describe("unauthorized"));

            // RFC 6960 appendix A.1: GET with the URL-encoded base64 request, nonce echoed.
            X509CertificateHolder caHolder = new X509CertificateHolder(serving.ca().certificate().getEncoded());
            CertificateID id = new CertificateID(new JcaDigestCalculatorProviderBuilder().build()
                    .get(CertificateID.HASH_SHA1), caHolder, alice.getSerialNumber());
            byte[] nonce = new byte[16];
            random.nextBytes(nonce);
            byte[] request = new OCSPReqBuilder().addRequest(id).setRequestExtensions(new org.bouncycastle.asn1.x509
                    .Extensions(new org.bouncycastle.asn1.x509.Extension(
                            org.bouncycastle.asn1.ocsp.OCSPObjectIdentifiers.id_pkix_ocsp_nonce, false,
                            new org.bouncycastle.asn1.DEROctetString(nonce).getEncoded()))).build().getEncoded();
            HttpResponse<byte[]> byGet = get(base + "/ocsp/" + URLEncoder.encode(
                    Base64.getEncoder().encodeToString(request), StandardCharsets.US_ASCII));
            assertEquals(200, byGet.statusCode());
            assertEquals("application/ocsp-response", byGet.headers().firstValue("Content-Type").orElse(""));
            OCSPResp answer = new OCSPResp(byGet.body());
            assertEquals(OCSPRespBuilder.SUCCESSFUL, answer.getStatus());
            BasicOCSPResp basic = (BasicOCSPResp) answer.getResponseObject();
            assertTrue(basic.getResponses()[0].getCertStatus() instanceof org.bouncycastle.cert.ocsp.RevokedStatus);
            assertEquals(new org.bouncycastle.asn1.DEROctetString(nonce), org.bouncycastle.asn1.ASN1OctetString
                    .getInstance(basic.getExtension(org.bouncycastle.asn1.ocsp.OCSPObjectIdentifiers.id_pkix_ocsp_nonce)
                            .getExtnValue().getOctets()));

            // Bad input: garbage is malformedRequest, a wrong method 405, an unknown path 404.
            HttpResponse<byte[]> garbage = http.send(HttpRequest.newBuilder(URI.create(base + "/ocsp"))
                    .header("Content-Type", "application/ocsp-request")
                    .POST(HttpRequest.BodyPublishers.ofString("not an OCSP request")).build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            assertEquals(200, garbage.statusCode());
            assertEquals(OCSPRespBuilder.MALFORMED_REQUEST, new OCSPResp(garbage.body()).getStatus());
            // The same with curl, the answer read by openssl.
            LdapTools.requireTool("curl", "curl");
            Path answerFile = work.resolve("garbage-answer.der");
            LdapTools.run(List.of("curl", "-sS", "-H", "Content-Type: application/ocsp-request", "--data-binary",
                    "@" + crlDer, "-o", answerFile.toString(), ocspUrl), Map.of(), null).assertSuccess();
            LdapTools.Result garbageText = LdapTools.run(List.of("openssl", "ocsp", "-respin", answerFile.toString(),
                    "-resp_text", "-noverify"), Map.of(), null);
            assertTrue(garbageText.stdout().contains("Responder Error: malformedrequest (1)"),
                    garbageText.describe("malformedRequest"));
            HttpResponse<byte[]> put = http.send(HttpRequest.newBuilder(URI.create(base + "/ocsp"))
                    .PUT(HttpRequest.BodyPublishers.ofByteArray(request)).build(), HttpResponse.BodyHandlers.ofByteArray());
            assertEquals(405, put.statusCode());
            assertEquals("POST", put.headers().firstValue("Allow").orElse(""));
            HttpResponse<byte[]> postCrl = http.send(HttpRequest.newBuilder(URI.create(base + "/crl/" + name + ".crl"))
                    .POST(HttpRequest.BodyPublishers.ofString("x")).build(), HttpResponse.BodyHandlers.ofByteArray());
            assertEquals(405, postCrl.statusCode());
            assertEquals(404, get(base + "/crl/other.crl").statusCode());
            assertEquals(404, get(base + "/").statusCode());

            // A restart on another port: the CA keeps the URLs its entry records (its certificates
            // name them), the responder keeps its key, and the new port answers at once.
            X509Certificate responderBefore = serving.http().signingKey().certificate();
            serving.close();
            serving = CaServeSetup.startServing(ServerSettings.forTests(data), null,
                    new CaServeSetup.HttpSettings(new InetSocketAddress("127.0.0.1", 0), null), Clock.systemUTC(),
                    random);
            assertNotEquals(base, serving.http().baseUrl());
            assertEquals(base + "/ocsp", serving.ca().publication().ocspUrl());
            assertEquals(responderBefore, serving.http().signingKey().certificate());
            LdapTools.Result afterRestart = ocsp(caPem, serving.http().baseUrl() + "/ocsp", "-cert",
                    alicePem.toString());
            assertTrue(afterRestart.stdout().contains(alicePem + ": revoked"), afterRestart.describe("revoked"));
        } finally {
            if (gpgsm != null) {
                gpgsm.close();
            }
            serving.close();
        }
    }

    /** The validity field of the first {@code crt} record of a gpgsm colon listing. */
    private static String validity(LdapTools.Result listing) {
        listing.assertSuccess();
        return listing.stdout().lines().filter(line -> line.startsWith("crt:")).findFirst()
                .orElseThrow(() -> new AssertionError(listing.describe("a crt record"))).split(":", -1)[1];
    }

    private HttpResponse<byte[]> get(String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30)).GET().build(),
                HttpResponse.BodyHandlers.ofByteArray());
    }

    private static LdapTools.Result ocsp(Path caPem, String url, String... arguments) {
        List<String> command = new ArrayList<>(List.of("openssl", "ocsp", "-issuer", caPem.toString(), "-url", url,
                "-CAfile", caPem.toString()));
        command.addAll(List.of(arguments));
        return LdapTools.run(command, Map.of(), null).assertSuccess();
    }

    private static LdapTools.Result openssl(String... arguments) {
        List<String> command = new ArrayList<>(List.of("openssl"));
        command.addAll(List.of(arguments));
        return LdapTools.run(command, Map.of(), null).assertSuccess();
    }

    /** What the CA issues for a person: an S/MIME signing certificate for {@code uid}. */
    static X509Certificate issue(CaServeSetup.Serving serving, String uid) throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        var keys = generator.generateKeyPair();
        byte[] request = new JcaPKCS10CertificationRequestBuilder(new X500Name(""), keys.getPublic())
                .build(new JcaContentSignerBuilder("SHA256withECDSA").build(keys.getPrivate())).getEncoded();
        return serving.ca().issue(IssuanceRequest.forPerson(StandardTemplates.SMIME_SIGNATURE, request,
                "uid=" + uid + "," + serving.server().layout().people(), List.of(uid + "@example.com")));
    }

    /** Keeps {@code certificate} on a new person entry, as the directory superuser adds it. */
    static void publish(DirectoryServer server, String uid, X509Certificate certificate) throws Exception {
        LdapTools.against(server.ldapUrl(), server.tlsCertificateFile())
                .asWithPasswordFile(server.adminDn(), server.adminPasswordFile())
                .add("dn: uid=" + uid + "," + server.layout().people() + "\nobjectClass: inetOrgPerson\nuid: " + uid
                        + "\ncn: " + uid + "\nsn: " + uid + "\nmail: " + uid + "@example.com\nuserCertificate;binary:: "
                        + Base64.getEncoder().encodeToString(certificate.getEncoded()) + "\n")
                .assertSuccess();
    }
}
