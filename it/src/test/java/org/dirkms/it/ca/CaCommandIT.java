package org.dirkms.it.ca;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPairGenerator;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
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
import org.dirkms.it.support.LdapTools;
import org.dirkms.it.support.TestDirectory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code dirkms ca} as an administrator runs it against the real embedded directory: a root
 * made by {@code init}, a subordinate under a root made with plain openssl through
 * {@code init --subordinate} and {@code install}, {@code revoke} and {@code crl}; every result
 * judged with ldapsearch and openssl.
 */
class CaCommandIT {
    @RegisterExtension
    static final TestDirectory directory = new TestDirectory();

    @TempDir
    Path work;

    private static final BouncyCastleProvider BC = new BouncyCastleProvider();

    @Test
    void rootInitRevokeAndCrlThroughTheCommand() throws Exception {
        LdapTools.requireTool("openssl", "openssl");
        String dn = "cn=Example Root CA," + directory.layout().certificationAuthorities();
        String wrongUrl = run(2, "init", "--name", "Example Root CA", "--public-url", "ldap:///");
        assertTrue(wrongUrl.contains("--public-url: the LDAP URL 'ldap:///' names no host"), wrongUrl);
        run(0, "init", "--name", "Example Root CA", "--public-url", "ldap://kms.example.com:389");
        Path keyStore = directory.dataFolder().caKeyStore("Example Root CA");
        Path passphrase = directory.dataFolder().caPassphrase("Example Root CA");
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(keyStore)));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(passphrase)));
        X509Certificate root = certificate(binary(anonymousBase(dn, "cACertificate;binary"), "cACertificate"));
        assertEquals("RSA", root.getPublicKey().getAlgorithm(), "RSA-3072 is the default");
        assertEquals(3072, ((java.security.interfaces.RSAPublicKey) root.getPublicKey()).getModulus().bitLength());

        // A second init of the same CA refuses to overwrite its key.
        String again = run(1, "init", "--name", "Example Root CA");
        assertTrue(again.contains("already exists"), again);

        X509Certificate leaf;
        try (LdapNetworkConnection connection = directory.secureAgentConnection()) {
            CaService service = directory.kms().caService(connection);
            CertificationAuthority ca = service.open(dn, keyStore, KeyStorePassphrase.fromFile(passphrase),
                    CertificationAuthority.Publication.at(directory.ldapUrl()));
            leaf = ca.issue(IssuanceRequest.forPerson(StandardTemplates.SMIME_SIGNATURE, request(),
                    "uid=bob," + directory.layout().people(), List.of("bob@example.com")));
        }
        // The distribution point --public-url named, recorded on the entry, in what the CA issues.
        String distributionPoint = "ldap://kms.example.com:389/" + dn.replace(" ", "%20")
                + "?certificateRevocationList;binary?base";
        assertTrue(adminBase(dn, "kmsCrlDistributionPoint").contains("kmsCrlDistributionPoint: " + distributionPoint),
                adminBase(dn, "kmsCrlDistributionPoint"));
        String leafText = LdapTools.run(List.of("openssl", "x509", "-noout", "-text"), Map.of(),
                "-----BEGIN CERTIFICATE-----\n" + java.util.Base64.getMimeEncoder().encodeToString(leaf.getEncoded())
                        + "\n-----END CERTIFICATE-----\n").assertSuccess().stdout();
        assertTrue(leafText.contains("URI:" + distributionPoint), leafText);
        // A serial the CA never issued is refused in one line, and the CRL stays as it was.
        String crlBefore = anonymousBase(dn, "certificateRevocationList;binary");
        String neverIssued = run(1, "revoke", "--name", "Example Root CA", "--serial", "DEADBEEF");
        assertEquals("dirkms ca revoke: " + dn + " never issued serial deadbeef: no certificate with that serial and"
                + " issuer is kept in the directory; nothing changed, check the serial ('openssl x509 -noout -serial -in"
                + " CERT' prints it) and --name\n", neverIssued);
        assertEquals(crlBefore, anonymousBase(dn, "certificateRevocationList;binary"));
        // Issued but kept nowhere in the directory is the same as never issued: the directory is the record.
        run(1, "revoke", "--name", "Example Root CA", "--serial", leaf.getSerialNumber().toString(16));
        String bob = publish("bob", leaf);
        String revoked = run(0, "revoke", "--name", "Example Root CA", "--serial", leaf.getSerialNumber().toString(16),
                "--reason", "keyCompromise");
        assertTrue(revoked.contains("CRL with 1 entries published"), revoked);
        assertTrue(revoked.contains("of the certificate in " + bob), revoked);
        // A second revocation of the same serial says so and changes nothing.
        String crlRevoked = anonymousBase(dn, "certificateRevocationList;binary");
        String twice = run(1, "revoke", "--name", "Example Root CA", "--serial", leaf.getSerialNumber().toString(16));
        assertTrue(twice.startsWith("dirkms ca revoke: serial " + leaf.getSerialNumber().toString(16)
                + " is already on the CRL of " + dn + ", revoked "), twice);
        assertTrue(twice.endsWith(" (keyCompromise): nothing changed\n"), twice);
        assertEquals(crlRevoked, anonymousBase(dn, "certificateRevocationList;binary"));
        String badReason = run(2, "revoke", "--name", "Example Root CA", "--serial", "01", "--reason", "lost");
        assertTrue(badReason.contains("--reason 'lost' is not one of: unspecified, keyCompromise"), badReason);

        Path crlPem = pemFromDer(work.resolve("crl.pem"), "X509 CRL",
                binary(anonymousBase(dn, "certificateRevocationList;binary"), "certificateRevocationList"));
        Path rootPem = pemFromDer(work.resolve("root.pem"), "CERTIFICATE", root.getEncoded());
        Path leafPem = pemFromDer(work.resolve("leaf.pem"), "CERTIFICATE", leaf.getEncoded());
        LdapTools.Result verify = LdapTools.run(List.of("openssl", "verify", "-x509_strict", "-crl_check", "-CRLfile",
                crlPem.toString(), "-CAfile", rootPem.toString(), leafPem.toString()), Map.of(), null);
        assertNotEquals(0, verify.exitCode());
        assertTrue((verify.stdout() + verify.stderr()).contains("certificate revoked"), verify.stdout() + verify.stderr());

        Path written = work.resolve("renewed.pem");
        run(0, "crl", "--name", "Example Root CA", "--out", written.toString());
        String text = LdapTools.run(List.of("openssl", "crl", "-in", written.toString(), "-noout", "-text"), Map.of(), null)
                .assertSuccess().stdout();
        assertTrue(text.contains("Key Compromise"), text);
        assertTrue(text.replaceAll("\\s+", " ").contains("X509v3 CRL Number: 3"), text);
    }

    @Test
    void subordinateUnderAnOpensslRootIsInstalledAndActivated() throws Exception {
        LdapTools.requireTool("openssl", "openssl");
        String name = "Example Issuing CA";
        String dn = "cn=" + name + "," + directory.layout().certificationAuthorities();
        Path csr = work.resolve("issuing.csr");
        run(0, "init", "--subordinate", "--name", name, "--key-algorithm", "EC-P384", "--csr-out", csr.toString());
        assertTrue(adminBase(dn, "kmsCAState").contains("kmsCAState: awaiting-certificate"));
        // Without --public-url: the directory the command reached, this CA's entry, base scope.
        assertTrue(adminBase(dn, "kmsCrlDistributionPoint").contains("kmsCrlDistributionPoint: "
                + org.dirkms.schema.CrlDistributionPoints.ldap(directory.ldapUrl(), dn)), adminBase(dn, "kmsCrlDistributionPoint"));

        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
                "outside.key", "-out", "outside.pem", "-days", "3650", "-subj", "/O=Outside Trust/CN=Outside Root",
                "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign");
        Files.writeString(work.resolve("sub.ext"), "basicConstraints=critical,CA:TRUE,pathlen:0\n"
                + "keyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n");
        openssl("x509", "-req", "-in", csr.toString(), "-CA", "outside.pem", "-CAkey", "outside.key", "-CAcreateserial",
                "-days", "1825", "-extfile", "sub.ext", "-out", "issuing.pem");

        // The wrong chain is refused and changes nothing.
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
                "stranger.key", "-out", "stranger.pem", "-days", "30", "-subj", "/CN=Stranger Root");
        String refused = run(1, "install", "--name", name, "--cert", work.resolve("issuing.pem").toString(),
                "--chain", work.resolve("stranger.pem").toString());
        assertTrue(refused.contains("does not chain to the root"), refused);
        assertTrue(adminBase(dn, "kmsCAState").contains("kmsCAState: awaiting-certificate"));

        String installed = run(0, "install", "--name", name, "--cert", work.resolve("issuing.pem").toString(),
                "--chain", work.resolve("outside.pem").toString());
        assertTrue(installed.contains("is active; chain of 2 certificates published"), installed);
        String entry = adminBase(dn, "kmsCAState", "cACertificate;binary", "certificateRevocationList;binary");
        assertTrue(entry.contains("kmsCAState: active"), entry);
        assertEquals(2, entry.lines().filter(l -> l.startsWith("cACertificate")).count(), entry);
        assertEquals(1, entry.lines().filter(l -> l.startsWith("certificateRevocationList")).count(), entry);

        // Installing again (a re-run, or a renewed certificate for the same key) keeps the CA's revocations.
        X509Certificate issued;
        try (LdapNetworkConnection connection = directory.secureAgentConnection()) {
            CaService service = directory.kms().caService(connection);
            CertificationAuthority ca = service.open(dn, directory.dataFolder().caKeyStore(name),
                    KeyStorePassphrase.fromFile(directory.dataFolder().caPassphrase(name)),
                    CertificationAuthority.Publication.at(directory.ldapUrl()));
            issued = ca.issue(IssuanceRequest.forPerson(StandardTemplates.SMIME_SIGNATURE, request(),
                    "uid=carol," + directory.layout().people(), List.of("carol@example.com")));
        }
        publish("carol", issued);
        String serial = issued.getSerialNumber().toString(16);
        run(0, "revoke", "--name", name, "--serial", serial, "--reason", "superseded");
        String again = run(0, "install", "--name", name, "--cert", work.resolve("issuing.pem").toString(),
                "--chain", work.resolve("outside.pem").toString());
        assertTrue(again.contains("is active"), again);
        String after = adminBase(dn, "certificateRevocationList;binary");
        assertEquals(1, after.lines().filter(l -> l.startsWith("certificateRevocationList")).count(), after);
        java.security.cert.X509CRL crl = (java.security.cert.X509CRL) CertificateFactory.getInstance("X.509")
                .generateCRL(new ByteArrayInputStream(binary(after, "certificateRevocationList")));
        assertTrue(crl.getRevokedCertificate(issued.getSerialNumber()) != null,
                "the serial revoked before the second install is still on the CRL");
        assertEquals("3", crlNumberText(crl),
                "first install, revocation, second install: CRL number 3");
    }

    /**
     * Keeps {@code certificate} in the directory as the KMS does for a user, in the
     * {@code userCertificate;binary} of a new person {@code uid} with the address it certifies,
     * {@code uid@example.com} (added by the superuser with ldapmodify); returns the person's DN.
     */
    private static String publish(String uid, X509Certificate certificate) throws Exception {
        String dn = "uid=" + uid + "," + directory.layout().people();
        LdapTools.against(directory).asAdmin().modify("dn: " + dn + "\nchangetype: add\nobjectClass: inetOrgPerson\n"
                + "uid: " + uid + "\ncn: " + uid + "\nsn: " + uid + "\nmail: " + uid + "@example.com\nuserCertificate;binary:: "
                + Base64.getEncoder().encodeToString(certificate.getEncoded()) + "\n").assertSuccess();
        return dn;
    }

    private static String crlNumberText(java.security.cert.X509CRL crl) {
        return org.bouncycastle.asn1.ASN1Integer.getInstance(org.bouncycastle.asn1.ASN1OctetString.getInstance(
                crl.getExtensionValue("2.5.29.20")).getOctets()).getValue().toString();
    }

    private String run(int expectedExit, String... arguments) {
        List<String> all = new ArrayList<>(List.of("ca"));
        all.addAll(List.of(arguments));
        all.addAll(List.of("--data", directory.dataDirectory().toString(), "--url", directory.ldapUrl()));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        // No DIRKMS_CA_PASSPHRASE from the machine's environment: the data folder's passphrase files.
        int exit = DirkmsCommand.run(all, Map.of(), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        String output = out.toString(StandardCharsets.UTF_8) + err.toString(StandardCharsets.UTF_8);
        assertEquals(expectedExit, exit, "dirkms ca " + String.join(" ", arguments) + ":\n" + output);
        return output;
    }

    private void openssl(String... arguments) {
        List<String> command = new ArrayList<>(List.of("openssl"));
        command.addAll(List.of(arguments));
        // LdapTools.run has no working directory: a shell changes into the work folder first.
        LdapTools.run(concat(List.of("sh", "-c", "cd \"$0\" && exec \"$@\"", work.toString()), command), Map.of(), null)
                .assertSuccess();
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    private static String anonymousBase(String dn, String... attributes) {
        return base(LdapTools.against(directory).anonymous(), dn, attributes);
    }

    /** The CA's state is for authenticated readers; anonymous clients read certificates and CRLs. */
    private static String adminBase(String dn, String... attributes) {
        return base(LdapTools.against(directory).asAdmin(), dn, attributes);
    }

    private static String base(LdapTools tools, String dn, String... attributes) {
        List<String> arguments = new ArrayList<>(List.of("-LLL", "-o", "ldif-wrap=no", "-s", "base", "-b", dn,
                "(objectClass=*)"));
        arguments.addAll(List.of(attributes));
        return tools.searchRaw(arguments.toArray(new String[0])).assertSuccess().stdout();
    }

    private static byte[] binary(String ldif, String attribute) {
        String line = ldif.lines().filter(l -> l.startsWith(attribute + ":: ") || l.startsWith(attribute + ";binary:: "))
                .findFirst().orElseThrow(() -> new AssertionError("no " + attribute + " in:\n" + ldif));
        return Base64.getDecoder().decode(line.substring(line.indexOf(":: ") + 3));
    }

    private static X509Certificate certificate(byte[] der) throws Exception {
        return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(der));
    }

    private static Path pemFromDer(Path file, String type, byte[] der) throws Exception {
        return Files.writeString(file, "-----BEGIN " + type + "-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
                + "\n-----END " + type + "-----\n");
    }

    private static byte[] request() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC", BC);
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        var keys = generator.generateKeyPair();
        return new JcaPKCS10CertificationRequestBuilder(new X500Name(""), keys.getPublic())
                .build(new JcaContentSignerBuilder("SHA256withECDSA").setProvider(BC).build(keys.getPrivate())).getEncoded();
    }
}
