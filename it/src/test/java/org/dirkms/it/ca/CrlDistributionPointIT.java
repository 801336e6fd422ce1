package org.dirkms.it.ca;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.apache.directory.ldap.client.api.LdapNetworkConnection;
import org.bouncycastle.asn1.x509.CRLDistPoint;
import org.bouncycastle.asn1.x509.DistributionPoint;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.X509CertificateHolder;
import org.dirkms.agent.directory.LdapEnrollmentRecords;
import org.dirkms.agent.enroll.KmsAgent;
import org.dirkms.agent.keys.KeyPairFactory;
import org.dirkms.dist.AgentServeSetup;
import org.dirkms.dist.CaServeSetup;
import org.dirkms.ds.server.DirectoryServer;
import org.dirkms.ds.server.ServerSettings;
import org.dirkms.it.support.AgentProgress;
import org.dirkms.it.support.Pem;
import org.dirkms.it.support.Gpgsm;
import org.dirkms.it.support.LdapTools;
import org.dirkms.it.support.People;
import org.dirkms.it.support.Staff;
import org.dirkms.schema.CrlDistributionPoints;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CRL distribution point of the certificates the CA of {@code dirkms serve} issues works in
 * a directory of any size (docs/interoperability.md): in a directory of more than 500 entries,
 * far past the 100 entries an anonymous search returns, gpgsm with CRL checks on, its dirmngr
 * knowing no LDAP server but the URL the certificate names, verifies a signature made with an
 * enrolled user's signing key. A host-less {@code ldap:///<CA DN>?certificateRevocationList;binary}
 * failed here: dirmngr searched its configured directory from the suffix, anonymously, met the
 * size limit, and gpgsm answered "No CRL known".
 */
class CrlDistributionPointIT {
    private static final int BULK_PEOPLE = 520;

    @TempDir
    Path data;

    @TempDir
    Path work;

    @Test
    void gpgsmVerifiesASignatureThroughTheDistributionPointInALargeDirectory() throws Exception {
        LdapTools.requireTool("openssl", "openssl");
        SecureRandom random = new SecureRandom();
        CaServeSetup.Serving serving = CaServeSetup.startServing(ServerSettings.forTests(data), Clock.systemUTC(), random);
        try (DirectoryServer server = serving.server();
                KmsAgent agent = AgentServeSetup.start(serving);
                LdapNetworkConnection connection = serving.kms().openConnection(Duration.ofSeconds(30).toMillis())) {
            String suffix = server.layout().suffix();
            LdapTools superuser = LdapTools.against(server.ldapUrl(), server.tlsCertificateFile())
                    .asWithPasswordFile(server.adminDn(), server.adminPasswordFile());
            LdapTools anonymous = LdapTools.against(server.ldapUrl(), server.tlsCertificateFile()).anonymous();
            // The organisation's people, added in bulk by the directory superuser.
            People.addCrowd(superuser, suffix, BULK_PEOPLE);
            // What a host-less URL made dirmngr do: an anonymous search of the whole tree ends at the cap.
            LdapTools.Result wholeTree = anonymous.searchRaw("-LLL", "-b", suffix, "(objectClass=*)", "1.1");
            assertEquals(4, wholeTree.exitCode(), wholeTree.describe("sizeLimitExceeded (4)"));

            String dn = "uid=signer,ou=People," + suffix;
            People.addAndEnroll(superuser, Staff.kmsAdministrator(server), "dn: " + dn + "\nobjectClass: inetOrgPerson\n"
                    + "objectClass: kmsUser\nuid: signer\ncn: Signer\nsn: Signer\nmail: signer@example.com\n"
                    + "kmsEnrollmentState: requested\n");
            AgentProgress.awaitEnrolled(connection, dn);
            LdapEnrollmentRecords records = new LdapEnrollmentRecords(connection, server.layout());
            X509Certificate signing = null;
            for (byte[] der : records.publishedCertificates(dn)) {
                X509Certificate certificate = certificate(der);
                if (certificate.getKeyUsage()[0]) {
                    signing = certificate;
                }
            }
            assertTrue(signing != null, "the user has a signing certificate");
            X509Certificate root = serving.ca().certificate();

            // The user signs with the key of their package (openssl), a correspondent verifies (gpgsm).
            Path key = signingKey(connection, records, dn, signing);
            Path signingPem = Pem.write(work.resolve("signing.pem"), signing);
            Path rootPem = Pem.write(work.resolve("root.pem"), root);
            Path message = Files.writeString(work.resolve("message.txt"), "Signed in a large directory.\n");
            Path signature = work.resolve("message.p7s");
            LdapTools.run(List.of("openssl", "cms", "-sign", "-binary", "-in", message.toString(), "-signer",
                    signingPem.toString(), "-inkey", key.toString(), "-outform", "DER", "-out", signature.toString()),
                    Map.of(), null).assertSuccess();
            try (Gpgsm gpgsm = Gpgsm.trusting(work.resolve("gnupg"), root)) {
                gpgsm.importCertificates(rootPem, signingPem);
                LdapTools.Result verify = gpgsm.run("--verify", signature.toString(), message.toString());
                verify.assertSuccess();
                assertTrue(verify.stderr().contains("Good signature"), verify.describe("Good signature"));
                LdapTools.Result listing = gpgsm.run("--with-validation", "--with-colons", "--list-keys",
                        "0x" + Gpgsm.fingerprint(signing).replace(":", ""));
                String record = listing.stdout().lines().filter(line -> line.startsWith("crt:")).findFirst()
                        .orElseThrow(() -> new AssertionError(listing.describe("a crt record")));
                String validity = record.split(":", -1)[1];
                assertTrue(!validity.equals("i") && !validity.equals("r") && !validity.equals("e"),
                        listing.describe("a valid certificate"));
            }

            // The distribution point: this directory's host and port, the CA entry, the base scope;
            // the same URL the CA entry records.
            String caDn = serving.ca().dn();
            String expected = CrlDistributionPoints.ldap(server.ldapUrl(), caDn);
            assertEquals(List.of(expected), distributionPoints(signing));
            assertEquals(List.of(expected), serving.ca().crlDistributionPoints());
            String recorded = superuser.searchRaw("-LLL", "-o", "ldif-wrap=no", "-s", "base", "-b", caDn,
                    "(objectClass=*)", "kmsCrlDistributionPoint").assertSuccess().stdout();
            assertTrue(recorded.contains("kmsCrlDistributionPoint: " + expected), recorded);
            // The CA entry answers an anonymous base search for its CRL, whatever the directory's size.
            String crl = anonymous.searchRaw("-LLL", "-o", "ldif-wrap=no", "-s", "base", "-b", caDn,
                    "(objectClass=*)", "certificateRevocationList;binary").assertSuccess().stdout();
            assertTrue(crl.contains("certificateRevocationList"), crl);
        }
    }

    /** The URIs of the certificate's CRL distribution points. */
    private static List<String> distributionPoints(X509Certificate certificate) throws Exception {
        X509CertificateHolder holder = new X509CertificateHolder(certificate.getEncoded());
        CRLDistPoint points = CRLDistPoint.getInstance(holder.getExtension(Extension.cRLDistributionPoints).getParsedValue());
        java.util.ArrayList<String> urls = new java.util.ArrayList<>();
        for (DistributionPoint point : points.getDistributionPoints()) {
            for (GeneralName name : GeneralNames.getInstance(point.getDistributionPoint().getName()).getNames()) {
                urls.add(name.getName().toString());
            }
        }
        return urls;
    }

    /** The private key of {@code certificate} from the user's package, with the token (read here as the agent). */
    private Path signingKey(LdapNetworkConnection connection, LdapEnrollmentRecords records, String dn,
            X509Certificate certificate) throws Exception {
        char[] token = records.readEnrollmentToken(dn);
        KeyStore p12 = KeyStore.getInstance("PKCS12");
        p12.load(new ByteArrayInputStream(connection.lookup(dn, "kmsKeyPackage").get("kmsKeyPackage").getBytes()), token);
        for (String alias : Collections.list(p12.aliases())) {
            if (p12.getKey(alias, token) instanceof PrivateKey privateKey
                    && KeyPairFactory.matches(privateKey, certificate.getPublicKey())) {
                return Files.writeString(work.resolve("signing.key"), "-----BEGIN PRIVATE KEY-----\n"
                        + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                                .encodeToString(privateKey.getEncoded()) + "\n-----END PRIVATE KEY-----\n");
            }
        }
        throw new AssertionError("the package of " + dn + " holds no key of its signing certificate");
    }

    private static X509Certificate certificate(byte[] der) throws Exception {
        return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(der));
    }
}
