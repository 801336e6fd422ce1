package org.dirkms.it.ca;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.dirkms.dist.CaServeSetup;
import org.dirkms.ds.server.DirectoryServer;
import org.dirkms.ds.server.ServerSettings;
import org.dirkms.it.support.LdapTools;
import org.dirkms.schema.DataFolder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The certificate request queue as {@code dirkms serve} runs it: the KMS adds a request entry
 * (nobody else may), the server's CA serves the queue in the background,
 * and the issued certificate in the request entry passes {@code openssl verify} against the CA
 * certificate the server publishes; a request for a weak key ends failed with its reason.
 */
class RequestQueueServeIT {

    @TempDir
    Path data;

    @Test
    void aQueuedRequestIsServedInTheBackground() throws Exception {
        LdapTools.requireTool("openssl", "openssl");
        Clock clock = Clock.systemUTC();
        SecureRandom random = new SecureRandom();
        CaServeSetup.Serving serving = CaServeSetup.startServing(ServerSettings.forTests(data), clock, random);
        ScheduledExecutorService caWork = CaServeSetup.scheduleCaWork(serving, Duration.ofMillis(200),
                Duration.ofHours(1));
        try (DirectoryServer server = serving.server()) {
            Path caPem = DataFolder.of(data).caCertificate();
            String people = server.layout().people();
            String requests = server.layout().requests();
            String template = "cn=smime-signature," + server.layout().certificateTemplates();
            String alice = "uid=alice," + people;
            LdapTools admin = LdapTools.against(server.ldapUrl(), caPem)
                    .asWithPasswordFile(server.adminDn(), server.adminPasswordFile()).withArguments("-ZZ");
            admin.modify(String.join("\n",
                    "dn: " + alice, "changetype: add", "objectClass: inetOrgPerson", "uid: alice", "cn: Alice",
                    "sn: Example", "mail: alice@example.com", "")).assertSuccess();
            // The queue is the KMS's: the superuser may not add to it (nor may a KMS administrator).
            admin.modify(String.join("\n", "dn: cn=planted," + requests, "changetype: add",
                    "objectClass: kmsCertificateRequest", "cn: planted", "kmsRequestState: pending",
                    "kmsRequestTemplate: " + template, "kmsRequestSubject: " + alice,
                    "kmsPkcs10Request:: " + base64Request(ec()), "")).assertExitCode(50);
            LdapTools kms = LdapTools.against(server.ldapUrl(), caPem)
                    .asWithPasswordFile(server.kmsAgentDn(), server.kmsAgentPasswordFile());
            kms.modify(String.join("\n",
                    "dn: cn=alice-signing," + requests, "changetype: add", "objectClass: kmsCertificateRequest",
                    "cn: alice-signing", "kmsRequestState: pending", "kmsRequestTemplate: " + template,
                    "kmsRequestSubject: " + alice, "kmsPkcs10Request:: " + base64Request(ec()), "",
                    "dn: cn=alice-weak," + requests, "changetype: add", "objectClass: kmsCertificateRequest",
                    "cn: alice-weak", "kmsRequestState: pending", "kmsRequestTemplate: " + template,
                    "kmsRequestSubject: " + alice, "kmsPkcs10Request:: " + base64Request(rsa1024()), ""))
                    .assertSuccess();

            String issued = awaitEnd(admin, "cn=alice-signing," + requests);
            assertTrue(issued.contains("kmsRequestState: issued"), issued);
            // ApacheDS names the attribute without the ;binary option in its answer.
            byte[] der = Base64.getDecoder().decode(value(issued, "userCertificate"));
            X509Certificate certificate = (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(new ByteArrayInputStream(der));
            assertEquals("UID=alice,OU=People,DC=example,DC=com", certificate.getSubjectX500Principal().getName());
            Path leafPem = data.resolve("alice.pem");
            Files.writeString(leafPem, "-----BEGIN CERTIFICATE-----\n"
                    + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(der) + "\n-----END CERTIFICATE-----\n");
            LdapTools.run(List.of("openssl", "verify", "-x509_strict", "-purpose", "smimesign", "-CAfile",
                    caPem.toString(), leafPem.toString()), Map.of(), null).assertSuccess();

            String weak = awaitEnd(admin, "cn=alice-weak," + requests);
            assertTrue(weak.contains("kmsRequestState: failed"), weak);
            assertTrue(weak.contains("kmsLastError: the RSA key of the request has 1024 bits"), weak);
            assertTrue(!weak.toLowerCase().contains("usercertificate"), "nothing issued: " + weak);
        } finally {
            caWork.shutdownNow();
        }
    }

    /** The request entry once its state is no longer pending or claimed (at most 30 s). */
    private static String awaitEnd(LdapTools admin, String dn) throws InterruptedException {
        Instant deadline = Instant.now().plusSeconds(30);
        while (Instant.now().isBefore(deadline)) {
            String entry = admin.searchRaw("-LLL", "-o", "ldif-wrap=no", "-s", "base", "-b", dn, "(objectClass=*)",
                    "kmsRequestState", "kmsLastError", "userCertificate;binary").assertSuccess().stdout();
            if (!entry.contains("kmsRequestState: pending") && !entry.contains("kmsRequestState: claimed")) {
                return entry;
            }
            Thread.sleep(100);
        }
        return fail("the queue did not serve " + dn + " within 30 s");
    }

    /** The base64 value of {@code attribute} (with or without the ;binary option) in {@code ldif}. */
    private static String value(String ldif, String attribute) {
        return ldif.lines().filter(line -> line.startsWith(attribute + ":: ") || line.startsWith(attribute + ";binary:: "))
                .findFirst().map(line -> line.substring(line.indexOf(":: ") + 3))
                .orElseThrow(() -> new AssertionError(attribute + " in " + ldif));
    }

    private static KeyPair ec() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        return generator.generateKeyPair();
    }

    private static KeyPair rsa1024() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(1024);
        return generator.generateKeyPair();
    }

    private static String base64Request(KeyPair keys) throws Exception {
        String algorithm = keys.getPublic().getAlgorithm().equals("RSA") ? "SHA256withRSA" : "SHA256withECDSA";
        return Base64.getEncoder().encodeToString(new JcaPKCS10CertificationRequestBuilder(new X500Name(""),
                keys.getPublic()).build(new JcaContentSignerBuilder(algorithm).build(keys.getPrivate())).getEncoded());
    }
}
