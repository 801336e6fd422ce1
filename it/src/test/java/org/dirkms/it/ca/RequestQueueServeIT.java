package org.dirkms.it.ca;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.concurrent.ScheduledExecutorService;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.dirkms.dist.CaServeSetup;
import org.dirkms.ds.server.DirectoryServer;
import org.dirkms.ds.server.ServerSettings;
import org.dirkms.it.support.LdapTools;
import org.dirkms.it.support.Staff;
import org.dirkms.schema.DataFolder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The certificate request queue as {@code dirkms serve} runs it: nobody but the KMS may add a
 * request entry, and the server's CA, serving the queue in the background, issues only the
 * requests of an enrollment in progress. Requests written with the KMS agent's identity that
 * belong to no such enrollment (a person who is no KMS user; a KMS user whose enrollment was
 * asked for but is not under way) end failed with the reason, and nothing is issued. A real
 * queued enrollment through the same queue is {@code AgentWithoutCaIT} (and
 * {@code QueuedEnrollmentIT}), whose certificates {@code openssl verify} accepts.
 */
class RequestQueueServeIT {

    @TempDir
    Path data;

    @Test
    void requestsThatBelongToNoEnrollmentInProgressAreRefusedInTheBackground() throws Exception {
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
            String bob = "uid=bob," + people;
            LdapTools admin = LdapTools.against(server.ldapUrl(), caPem)
                    .asWithPasswordFile(server.adminDn(), server.adminPasswordFile()).withArguments("-ZZ");
            admin.modify(String.join("\n",
                    "dn: " + alice, "changetype: add", "objectClass: inetOrgPerson", "uid: alice", "cn: Alice",
                    "sn: Example", "mail: alice@example.com", "",
                    "dn: " + bob, "changetype: add", "objectClass: inetOrgPerson", "uid: bob", "cn: Bob",
                    "sn: Example", "mail: bob@example.com", "")).assertSuccess();
            // Bob's enrollment is asked for, but no agent runs to take it up: it is not in progress.
            Staff.kmsAdministrator(server).modify("dn: " + bob + "\nchangetype: modify\nadd: objectClass\n"
                    + "objectClass: kmsUser\n-\nadd: kmsEnrollmentState\nkmsEnrollmentState: requested\n-\n")
                    .assertSuccess();
            // The queue is the KMS's: the superuser may not add to it (nor may a KMS administrator).
            admin.modify(String.join("\n", "dn: cn=planted," + requests, "changetype: add",
                    "objectClass: kmsCertificateRequest", "cn: planted", "kmsRequestState: pending",
                    "kmsRequestTemplate: " + template, "kmsRequestSubject: " + alice,
                    "kmsPkcs10Request:: " + base64Request(ec()), "")).assertExitCode(50);
            // The KMS agent's identity, used in error: the guard lets it write, the CA refuses.
            LdapTools kms = LdapTools.against(server.ldapUrl(), caPem)
                    .asWithPasswordFile(server.kmsAgentDn(), server.kmsAgentPasswordFile());
            kms.modify(String.join("\n",
                    "dn: cn=alice-signing," + requests, "changetype: add", "objectClass: kmsCertificateRequest",
                    "cn: alice-signing", "kmsRequestState: pending", "kmsRequestTemplate: " + template,
                    "kmsRequestSubject: " + alice, "kmsPkcs10Request:: " + base64Request(ec()), "",
                    "dn: cn=bob-signing," + requests, "changetype: add", "objectClass: kmsCertificateRequest",
                    "cn: bob-signing", "kmsRequestState: pending", "kmsRequestTemplate: " + template,
                    "kmsRequestSubject: " + bob, "kmsPkcs10Request:: " + base64Request(ec()), ""))
                    .assertSuccess();

            String notKmsUser = awaitEnd(admin, "cn=alice-signing," + requests);
            assertTrue(notKmsUser.contains("kmsRequestState: failed"), notKmsUser);
            assertTrue(notKmsUser.contains("kmsLastError: the request cn=alice-signing," + requests + " does not belong"
                    + " to an enrollment in progress: " + alice + " is not a KMS user"), notKmsUser);
            assertTrue(!notKmsUser.toLowerCase().contains("usercertificate"), "nothing issued: " + notKmsUser);

            String notUnderWay = awaitEnd(admin, "cn=bob-signing," + requests);
            assertTrue(notUnderWay.contains("kmsRequestState: failed"), notUnderWay);
            assertTrue(notUnderWay.contains("kmsLastError: the request cn=bob-signing," + requests + " does not belong"
                    + " to an enrollment in progress: the enrollment of " + bob + " is not in progress"
                    + " (kmsEnrollmentState: requested); nothing was issued"), notUnderWay);
            assertTrue(!notUnderWay.toLowerCase().contains("usercertificate"), "nothing issued: " + notUnderWay);
            String bobEntry = admin.searchRaw("-LLL", "-o", "ldif-wrap=no", "-s", "base", "-b", bob, "(objectClass=*)",
                    "kmsEnrollmentState", "kmsLastError", "userCertificate").assertSuccess().stdout();
            assertTrue(bobEntry.contains("kmsEnrollmentState: requested"), bobEntry);
            assertTrue(!bobEntry.contains("kmsLastError") && !bobEntry.contains("userCertificate"),
                    "the user's entry is left alone: " + bobEntry);
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

    private static KeyPair ec() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        return generator.generateKeyPair();
    }

    private static String base64Request(KeyPair keys) throws Exception {
        String algorithm = keys.getPublic().getAlgorithm().equals("RSA") ? "SHA256withRSA" : "SHA256withECDSA";
        return Base64.getEncoder().encodeToString(new JcaPKCS10CertificationRequestBuilder(new X500Name(""),
                keys.getPublic()).build(new JcaContentSignerBuilder(algorithm).build(keys.getPrivate())).getEncoded());
    }
}
