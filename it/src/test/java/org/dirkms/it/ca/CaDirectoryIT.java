package org.dirkms.it.ca;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.apache.directory.ldap.client.api.LdapNetworkConnection;
import org.dirkms.agent.queue.QueueServer;
import org.dirkms.dist.KmsContext;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.dirkms.agent.ca.CaService;
import org.dirkms.agent.ca.CertificationAuthority;
import org.dirkms.agent.ca.KeyStorePassphrase;
import org.dirkms.agent.ca.StandardTemplates;
import org.dirkms.agent.directory.LdapCaRecords;
import org.dirkms.agent.directory.LdapEnrollmentRecords;
import org.dirkms.it.support.Gpgsm;
import org.dirkms.it.support.LdapTools;
import org.dirkms.it.support.People;
import org.dirkms.it.support.TestDirectory;
import org.dirkms.schema.EnrollmentState;
import org.dirkms.schema.KeyAlgorithm;
import org.dirkms.schema.RevocationReason;
import org.dirkms.schema.DataFolder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CA in the real embedded directory: its entry at its subject DN readable by anonymous
 * ldapsearch, the request queue served with reasons on refusals (requests that belong to no
 * enrollment in progress are refused before anything is issued), and a revocation whose CRL,
 * fetched from the CA entry by ldapsearch, makes openssl reject the certificate, and that gpgsm
 * (through dirmngr reading the CA entry over LDAP) reports revoked.
 */
class CaDirectoryIT {
    @RegisterExtension
    static final TestDirectory directory = new TestDirectory();

    @TempDir
    static Path work;

    private static final BouncyCastleProvider BC = new BouncyCastleProvider();
    private static LdapNetworkConnection connection;
    private static CaService service;
    private static CertificationAuthority ca;
    private static String aliceDn;

    @BeforeAll
    static void createCa() throws Exception {
        LdapTools.requireTool("openssl", "openssl");
        connection = directory.secureAgentConnection();
        service = directory.kms().caService(connection);
        ca = service.initRoot("Example Root CA", KeyAlgorithm.RSA_3072, CaService.DEFAULT_ROOT_VALIDITY, 1,
                DataFolder.of(work).caKeyStore("Example Root CA"), KeyStorePassphrase.of("it passphrase".toCharArray()),
                CertificationAuthority.Publication.at(directory.ldapUrl()));
        aliceDn = "uid=alice," + directory.layout().people();
        People.addAndEnroll(directory, String.join("\n",
                "dn: " + aliceDn, "objectClass: inetOrgPerson", "objectClass: kmsUser", "uid: alice", "cn: Alice",
                "sn: Example", "mail: alice@example.com", "kmsEnrollmentState: requested", ""));
    }

    @AfterAll
    static void close() throws Exception {
        if (connection != null) {
            connection.close();
        }
    }

    @Test
    void caEntryIsReadableAnonymouslyAtTheCaSubjectDn() throws Exception {
        String dn = "cn=Example Root CA," + directory.layout().certificationAuthorities();
        assertEquals(dn, ca.dn());
        LdapTools.Result anonymous = LdapTools.against(directory).anonymous()
                .searchRaw("-LLL", "-o", "ldif-wrap=no", "-s", "base", "-b", dn, "(objectClass=pkiCA)",
                        "cACertificate;binary").assertSuccess();
        byte[] der = firstBinary(anonymous.stdout(), "cACertificate;binary");
        X509Certificate published = certificate(der);
        assertEquals(ca.certificate(), published);
        // The CA's state and templates are for authenticated readers only.
        LdapTools.Result result = LdapTools.against(directory).asAdmin()
                .searchRaw("-LLL", "-o", "ldif-wrap=no", "-s", "base", "-b", dn, "(objectClass=pkiCA)",
                        "kmsCAState", "kmsInstalledTemplate").assertSuccess();
        assertTrue(result.stdout().contains("kmsCAState: active"), result.stdout());
        assertTrue(result.stdout().contains("kmsInstalledTemplate: cn=smime-signature,"), result.stdout());
        // The entry's DN is the certificate's subject: what dirmngr reads to find an issuer.
        assertEquals("CN=Example Root CA,OU=Certification Authorities,OU=KMS,DC=example,DC=com",
                published.getSubjectX500Principal().getName());
        LdapTools.Result templates = LdapTools.against(directory).asAdmin()
                .search(directory.layout().certificateTemplates(), "(objectClass=kmsCertificateTemplate)", "cn")
                .assertSuccess();
        assertEquals(StandardTemplates.all().size(), templates.stdout().lines().filter(l -> l.startsWith("cn: ")).count(),
                templates.stdout());
    }

    @Test
    void crlIsRepublishedOnScheduleOnlyWhenItsNextUpdateNears() throws Exception {
        LdapCaRecords records = new LdapCaRecords(connection, directory.layout(), Clock.systemUTC());
        java.math.BigInteger before = crlNumber(service.currentCrl(ca));
        assertTrue(service.renewCrlIfDue(ca, java.time.Duration.ofDays(1)).isEmpty(), "a fresh CRL is left alone");
        assertEquals(before, crlNumber(service.currentCrl(ca)));
        // Six and a half days later, a CRL valid for seven days is within a day of its next update.
        Clock later = Clock.offset(Clock.systemUTC(), java.time.Duration.ofHours(156));
        CaService laterService = new CaService(records, directory.layout(), later, new SecureRandom());
        assertTrue(laterService.renewCrlIfDue(ca, java.time.Duration.ofDays(1)).isPresent());
        assertEquals(before.add(java.math.BigInteger.ONE), crlNumber(service.currentCrl(ca)));
    }

    private static java.math.BigInteger crlNumber(java.security.cert.X509CRL crl) {
        return org.bouncycastle.asn1.ASN1Integer.getInstance(org.bouncycastle.asn1.ASN1OctetString.getInstance(
                crl.getExtensionValue("2.5.29.20")).getOctets()).getValue();
    }

    @Test
    void queuedRequestsAreIssuedOrRefusedWithAReasonAndRevocationReachesOpensslThroughLdap() throws Exception {
        String requests = directory.layout().requests();
        String signingTemplate = service.templateDn(StandardTemplates.SMIME_SIGNATURE);
        LdapCaRecords records = new LdapCaRecords(connection, directory.layout(), Clock.systemUTC());
        // Alice's enrollment is under way as the agent runs it: claimed with the test-and-set,
        // then its two requests queued at the names the claim derives.
        LdapEnrollmentRecords enrollment = new LdapEnrollmentRecords(connection, directory.layout());
        String claim = "it-agent #1";
        assertTrue(enrollment.claim(aliceDn, EnrollmentState.REQUESTED,
                org.dirkms.agent.directory.Claim.of(claim, Instant.now().plusSeconds(300).truncatedTo(
                        java.time.temporal.ChronoUnit.SECONDS))));
        String good = enrollment.requestDn(aliceDn, claim, "signing");
        String weak = enrollment.requestDn(aliceDn, claim, "encryption");
        enrollment.queueRequest(good, StandardTemplates.SMIME_SIGNATURE, aliceDn, request(ec()));
        enrollment.queueRequest(weak, StandardTemplates.SMIME_ENCRYPTION, aliceDn, request(rsa1024()));
        // Requests that belong to no enrollment in progress, written with the KMS agent's identity
        // (the guard keeps everybody else out of the queue): the CA issues none of them.
        String bobDn = "uid=bob," + directory.layout().people();
        String carolDn = "uid=carol," + directory.layout().people();
        People.addAndEnroll(directory, String.join("\n",
                "dn: " + bobDn, "objectClass: inetOrgPerson", "objectClass: kmsUser", "uid: bob", "cn: Bob",
                "sn: Example", "mail: bob@example.com", "kmsEnrollmentState: requested", "",
                "dn: " + carolDn, "objectClass: inetOrgPerson", "uid: carol", "cn: Carol", "sn: Example",
                "mail: carol@example.com", ""));
        Map<String, String> strays = new java.util.LinkedHashMap<>();
        records.addRequest("cn=planted," + requests, signingTemplate, aliceDn, request(ec()));
        strays.put("cn=planted," + requests, "it is not the signing request the current claim on " + aliceDn);
        String leftBehind = enrollment.requestDn(aliceDn, "a dead attempt #7", "signing");
        records.addRequest(leftBehind, signingTemplate, aliceDn, request(ec()));
        strays.put(leftBehind, "it is not the signing request the current claim on " + aliceDn);
        String otherTemplate = enrollment.requestDn(aliceDn, claim, "ldap-server");
        records.addRequest(otherTemplate, "cn=ldap-server," + directory.layout().certificateTemplates(), aliceDn,
                request(ec()));
        strays.put(otherTemplate, "an enrollment requests certificates of the templates smime-signature and"
                + " smime-encryption (or legacy-v1 for both) only, not 'ldap-server'");
        // A template installed on no CA: no CA takes the request, which waits until its deadline.
        String notInstalled = enrollment.requestDn(aliceDn, claim, "code-signing");
        records.addRequest(notInstalled, "cn=code-signing," + directory.layout().certificateTemplates(), aliceDn,
                request(ec()));
        records.addRequest("cn=bob," + requests, signingTemplate, bobDn, request(ec()));
        strays.put("cn=bob," + requests, "the enrollment of " + bobDn + " is not in progress (kmsEnrollmentState:"
                + " requested)");
        records.addRequest("cn=carol," + requests, signingTemplate, carolDn, request(ec()));
        strays.put("cn=carol," + requests, carolDn + " is not a KMS user (no objectClass kmsUser)");

        QueueServer.Round round = directory.kms().serveQueue(connection,
                directory.kms().queueServer(ca, KmsContext.QUEUE_LEASE));
        assertEquals(1, round.issued());
        assertEquals(1 + strays.size(), round.refused());
        assertTrue(LdapTools.against(directory).asAdmin().searchRaw("-LLL", "-s", "base", "-b", notInstalled,
                "(objectClass=*)", "kmsRequestState").assertSuccess().stdout().contains("kmsRequestState: pending"),
                "a request for a template the CA lacks is left waiting");

        LdapTools admin = LdapTools.against(directory).asAdmin();
        LdapTools.Result issuedEntry = admin.searchRaw("-LLL", "-o", "ldif-wrap=no", "-s", "base", "-b", good,
                "(objectClass=*)", "kmsRequestState", "userCertificate;binary").assertSuccess();
        assertTrue(issuedEntry.stdout().contains("kmsRequestState: issued"), issuedEntry.stdout());
        X509Certificate issued = certificate(firstBinary(issuedEntry.stdout(), "userCertificate;binary"));
        assertEquals("UID=alice,OU=People,DC=example,DC=com", issued.getSubjectX500Principal().getName());
        assertEquals(List.of(List.of(1, "alice@example.com")), issued.getSubjectAlternativeNames().stream()
                .map(List::copyOf).toList());

        LdapTools.Result refused = admin.searchRaw("-LLL", "-o", "ldif-wrap=no", "-s", "base", "-b", weak,
                "(objectClass=*)", "kmsRequestState", "kmsLastError", "userCertificate").assertSuccess();
        assertTrue(refused.stdout().contains("kmsRequestState: failed"), refused.stdout());
        assertTrue(refused.stdout().contains("kmsLastError: the RSA key of the request has 1024 bits; template"
                + " smime-encryption requires at least 2048"), refused.stdout());
        assertTrue(!refused.stdout().toLowerCase().contains("usercertificate"), "nothing issued: " + refused.stdout());
        for (Map.Entry<String, String> stray : strays.entrySet()) {
            LdapTools.Result entry = admin.searchRaw("-LLL", "-o", "ldif-wrap=no", "-s", "base", "-b", stray.getKey(),
                    "(objectClass=*)", "kmsRequestState", "kmsLastError", "userCertificate").assertSuccess();
            assertTrue(entry.stdout().contains("kmsRequestState: failed"), entry.stdout());
            assertTrue(entry.stdout().contains("kmsLastError: the request " + stray.getKey()
                    + " does not belong to an enrollment in progress: " + stray.getValue()), entry.stdout());
            assertTrue(entry.stdout().contains("nothing was issued"), entry.stdout());
            assertTrue(!entry.stdout().toLowerCase().contains("usercertificate"), "nothing issued: " + entry.stdout());
        }
        // The refusal of the live enrollment's request is on Alice's entry; no stray's reason is.
        LdapTools.Result user = admin.searchRaw("-LLL", "-o", "ldif-wrap=no", "-s", "base", "-b", aliceDn,
                "(objectClass=*)", "kmsLastError").assertSuccess();
        assertTrue(user.stdout().contains("kmsLastError: the RSA key of the request has 1024 bits"), user.stdout());
        LdapTools.Result bob = admin.searchRaw("-LLL", "-o", "ldif-wrap=no", "-s", "base", "-b", bobDn,
                "(objectClass=*)", "kmsLastError", "kmsEnrollmentState").assertSuccess();
        assertTrue(!bob.stdout().contains("kmsLastError"), "a stray request leaves the user alone: " + bob.stdout());

        // Revoke, then judge with the CRL exactly as a client gets it: ldapsearch on the CA entry.
        service.revoke(ca, issued.getSerialNumber(), RevocationReason.KEY_COMPROMISE);
        LdapTools.Result crlSearch = LdapTools.against(directory).anonymous().searchRaw("-LLL", "-o", "ldif-wrap=no",
                "-s", "base", "-b", ca.dn(), "(objectClass=*)", "certificateRevocationList;binary").assertSuccess();
        byte[] crl = firstBinary(crlSearch.stdout(), "certificateRevocationList;binary");
        Path crlDer = Files.write(work.resolve("crl.der"), crl);
        run("openssl", "crl", "-inform", "DER", "-in", crlDer.toString(), "-out", work.resolve("crl.pem").toString());
        Path rootPem = pem(work.resolve("root.pem"), ca.certificate());
        Path leafPem = pem(work.resolve("leaf.pem"), issued);
        LdapTools.Result verify = LdapTools.run(List.of("openssl", "verify", "-x509_strict", "-crl_check", "-CRLfile",
                work.resolve("crl.pem").toString(), "-CAfile", rootPem.toString(), leafPem.toString()), Map.of(), null);
        assertNotEquals(0, verify.exitCode(), verify.stdout());
        assertTrue((verify.stdout() + verify.stderr()).contains("certificate revoked"), verify.stdout() + verify.stderr());
        gpgsmFetchesTheCrlFromTheDirectoryAndSeesTheRevocation(rootPem, leafPem, issued);
    }

    /**
     * gpgsm with CRL checks on asks dirmngr, which knows no LDAP server: it follows the
     * certificate's LDAP distribution point (this directory's host and port, the CA entry, the
     * base scope) to the CA entry, as a mail client would. The CA of this class is RSA-3072
     * because dirmngr 2.2.40 fails to verify a CRL signed with ECDSA P-384 ("CRL signature
     * verification failed: Provided object is too short").
     */
    private static void gpgsmFetchesTheCrlFromTheDirectoryAndSeesTheRevocation(Path rootPem, Path leafPem,
            X509Certificate issued) throws Exception {
        try (Gpgsm gpgsm = Gpgsm.trusting(work.resolve("gnupg"), ca.certificate())) {
            gpgsm.importCertificates(rootPem, leafPem);
            LdapTools.Result listing = gpgsm.run("--with-validation", "--with-colons", "--list-keys",
                    "0x" + Gpgsm.fingerprint(issued).replace(":", ""));
            String record = listing.stdout().lines().filter(line -> line.startsWith("crt:")).findFirst()
                    .orElseThrow(() -> new AssertionError(listing.describe("a crt record")));
            assertEquals("r", record.split(":", -1)[1], listing.describe("validity r (revoked)"));
        }
    }

    private static void run(String... command) {
        LdapTools.run(List.of(command), Map.of(), null).assertSuccess();
    }

    /** The first value of {@code attribute} (asked for with ;binary; servers may return it with or without the option). */
    private static byte[] firstBinary(String ldif, String attribute) {
        String base = attribute.replace(";binary", "");
        String line = ldif.lines().filter(l -> l.startsWith(base + ":: ") || l.startsWith(base + ";binary:: "))
                .findFirst().orElseThrow(() -> new AssertionError("no " + attribute + " in:\n" + ldif));
        return Base64.getDecoder().decode(line.substring(line.indexOf(":: ") + 3));
    }

    private static X509Certificate certificate(byte[] der) throws Exception {
        return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(der));
    }

    private static Path pem(Path file, Object object) throws Exception {
        try (JcaPEMWriter writer = new JcaPEMWriter(Files.newBufferedWriter(file))) {
            writer.writeObject(object);
        }
        return file;
    }

    private static KeyPair ec() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC", BC);
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        return generator.generateKeyPair();
    }

    private static KeyPair rsa1024() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(1024);
        return generator.generateKeyPair();
    }

    private static byte[] request(KeyPair keys) throws Exception {
        String algorithm = keys.getPublic().getAlgorithm().equals("RSA") ? "SHA256withRSA" : "SHA256withECDSA";
        return new JcaPKCS10CertificationRequestBuilder(new X500Name(""), keys.getPublic())
                .build(new JcaContentSignerBuilder(algorithm).setProvider(BC).build(keys.getPrivate())).getEncoded();
    }
}
