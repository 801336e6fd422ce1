package org.dirkms.it.enroll;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.Key;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import org.apache.directory.api.ldap.model.entry.Attribute;
import org.apache.directory.api.ldap.model.entry.Entry;
import org.apache.directory.api.ldap.model.entry.Value;
import org.apache.directory.ldap.client.api.LdapNetworkConnection;
import org.dirkms.agent.enroll.TestClock;
import org.dirkms.agent.archive.ArchiveChecker;
import org.dirkms.agent.archive.KeyRecoverer;
import org.dirkms.agent.ca.CaService;
import org.dirkms.agent.ca.CertificationAuthority;
import org.dirkms.agent.directory.Claim;
import org.dirkms.agent.directory.EnrollmentRecords.ArchivedKeyEntry;
import org.dirkms.agent.directory.LdapEnrollmentRecords;
import org.dirkms.agent.enroll.EnrollmentResult;
import org.dirkms.agent.enroll.EnrollmentService;
import org.dirkms.agent.keys.KeyPairFactory;
import org.dirkms.agent.keys.RecoveryKeyStore;
import org.dirkms.it.support.LdapTools;
import org.dirkms.it.support.ProjectFiles;
import org.dirkms.it.support.TestDirectory;
import org.dirkms.schema.KeyAlgorithm;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The enrollment state machine against the real embedded directory, driven the way an
 * administrator drives it (the sample LDIF through ldapmodify), with the agent's steps run by
 * {@link EnrollmentService#handle}: the published result read back with ldapsearch and in Java,
 * the archived key unwrapped with the recovery key, the package opened with its token, the
 * order and number of directory writes, the plain-language failures, revocation with the CRL,
 * a take-over after a crash before archiving, and package expiry and confirmation.
 */
class EnrollmentIT {
    @RegisterExtension
    static final TestDirectory directory = new TestDirectory();

    @TempDir
    static Path work;

    private static final SecureRandom RANDOM = new SecureRandom();
    private static LdapNetworkConnection connection;
    private static CaService caService;
    private static CertificationAuthority ca;
    private static RecoveryKeyStore recovery;
    private static TestClock clock;
    private static RecordingRecords records;
    private static EnrollmentService service;

    @BeforeAll
    static void setUp() throws Exception {
        LdapTools.requireTool("openssl", "openssl");
        TestCertificationAuthority setUp = TestCertificationAuthority.create(directory, work, "Enrollment Test CA",
                KeyAlgorithm.EC_P256, RANDOM);
        connection = setUp.connection();
        caService = setUp.caService();
        ca = setUp.ca();
        recovery = setUp.recovery();
        clock = new TestClock(Instant.now().truncatedTo(ChronoUnit.SECONDS));
        records = new RecordingRecords(new LdapEnrollmentRecords(connection, directory.layout()));
        service = newService(EnrollmentService.Settings.defaults(directory.agentDn(), RANDOM));
        admin().modifyFile(ProjectFiles.file("ldif/samples/10-create-administrative-group.ldif")).assertSuccess();
    }

    @AfterAll
    static void close() {
        if (connection != null) {
            connection.close();
        }
    }

    private static EnrollmentService newService(EnrollmentService.Settings settings) {
        return EnrollmentService.issuing(records, caService, ca, recovery.current().certificate(), settings, clock, RANDOM);
    }

    /** A KMS administrator: enrolls, revokes, creates administrative groups. */
    private static LdapTools admin() {
        return LdapTools.against(directory).asKmsAdministrator();
    }

    /** The directory superuser: adds people and sets their addresses. */
    private static LdapTools superuser() {
        return LdapTools.against(directory).asAdmin();
    }

    /**
     * The enrollment of a user whose client made the signing key (the sample 30-enroll-user.ldif):
     * a KMS administrator makes the person a KMS user, the user's client writes its request
     * bound as the user, and the administrator asks for the enrollment.
     */
    private static void clientMadeSigningKey(String uid, String dn, byte[] csr) {
        admin().modify("dn: " + dn + "\nchangetype: modify\nadd: objectClass\nobjectClass: kmsUser\n-\n").assertSuccess();
        self(uid).modify("dn: " + dn + "\nchangetype: modify\n"
                + "add: kmsSigningRequest\nkmsSigningRequest:: " + Base64.getEncoder().encodeToString(csr) + "\n-\n")
                .assertSuccess();
        admin().modify("dn: " + dn + "\nchangetype: modify\nadd: kmsEnrollmentState\nkmsEnrollmentState: requested\n-\n")
                .assertSuccess();
    }

    /** The user {@code uid} (added by {@link #addUser}), bound as themselves, as their own client is. */
    private static LdapTools self(String uid) {
        return LdapTools.against(directory).as("uid=" + uid + "," + directory.layout().people(), "pw-" + uid);
    }

    @Test
    void sampleEnrollmentPublishesBothCertificatesAfterArchivingAndDeliversThePackage() throws Exception {
        superuser().modifyFile(ProjectFiles.file("ldif/samples/20-add-user.ldif")).assertSuccess();
        admin().modifyFile(ProjectFiles.file("ldif/samples/30-enroll-user.ldif")).assertSuccess();
        String dn = "uid=jdoe," + directory.layout().people();

        records.writes.clear();
        EnrollmentResult result = service.handle(dn);
        assertEquals(EnrollmentResult.Outcome.ENROLLED, result.outcome(), result.toString());
        List<String> writes = List.copyOf(records.writes);
        assertEquals(List.of("claim", "addArchivedKey", "publishedCertificate:signing", "publishedCertificate:encryption",
                "publish"), writes, "the encryption key is archived before any certificate is published");
        assertTrue(writes.size() <= 6, "at most 6 directory writes per enrolled user, was " + writes.size());

        Entry user = connection.lookup(dn, "*");
        assertEquals("enrolled", user.get("kmsEnrollmentState").getString());
        List<X509Certificate> certificates = certificates(user, "userCertificate");
        assertEquals(2, certificates.size(), "both certificates in userCertificate");
        X509Certificate encryption = certificates.get(0);
        X509Certificate signing = certificates.get(1);
        assertEquals(signing.getSubjectX500Principal(), encryption.getSubjectX500Principal(), "same subject");
        assertFalse(encryption.getKeyUsage()[0], "the first is the encryption certificate (what first-value clients"
                + " keep)");
        assertTrue(encryption.getKeyUsage()[4], "keyAgreement: EC");
        assertTrue(signing.getKeyUsage()[0], "the second is the signing certificate (digitalSignature)");
        assertEquals("EC", encryption.getPublicKey().getAlgorithm(), "the Sales group asks for EC-P256");
        assertNotNull(user.get("userSMIMECertificate"), "the S/MIME bundle");
        assertEquals(clock.instant().plus(EnrollmentService.DEFAULT_PACKAGE_LIFETIME),
                org.apache.directory.api.util.GeneralizedTime.getDate(user.get("kmsKeyPackageExpires").getString())
                        .toInstant(), "the package expires after 7 days by the injected clock");
        assertNull(user.get("kmsClaimedBy"), "the claim ends with the publication");
        assertNull(user.get("kmsLeaseExpires"));

        // ldapsearch by mail, anonymously as a mail client: the user's entry with both certificates;
        // the kmsPublishedCertificate children carry no mail (docs/directory-layout.md).
        String byMail = LdapTools.against(directory).anonymous().search(directory.layout().suffix(),
                "(mail=jane.doe@example.com)", "userCertificate;binary").assertSuccess().stdout();
        // (ApacheDS names the attribute of the user entry without ';binary' in its answer.)
        assertEquals(2, lines(byMail, "userCertificate"), byMail);
        assertEquals(1, count(byMail, "dn: "), "the user entry alone: " + byMail);
        assertEquals(2, records.publishedCertificates(dn).size(), "one kmsPublishedCertificate child per certificate");

        // The archive: one record, wrapped to the recovery key, unwrapping to the key of the published certificate.
        List<ArchivedKeyEntry> archived = records.archivedKeys(dn);
        assertEquals(1, archived.size());
        assertArrayEquals(encryption.getEncoded(), archived.get(0).certificate());
        assertEquals(recovery.current().keyId(), archived.get(0).wrappingKeyId());
        assertEquals(List.of(archived.get(0).dn().toLowerCase()), List.of(user.get("kmsArchiveRecord").getString()
                .toLowerCase()), "the publication lists the record of the published key in the user's history");
        ArchiveChecker.Verdict verdict = new ArchiveChecker(new KeyRecoverer(recovery.keys()))
                .check(archived.get(0).wrappedKey(), encryption);
        assertTrue(verdict.matches(), verdict.message());

        // The package opens with the token and holds both new private keys, matching the certificates.
        char[] token = result.token();
        KeyStore p12 = KeyStore.getInstance("PKCS12");
        p12.load(new ByteArrayInputStream(user.get("kmsKeyPackage").getBytes()), token);
        List<PrivateKey> keys = new ArrayList<>();
        for (String alias : Collections.list(p12.aliases())) {
            Key key = p12.getKey(alias, token);
            if (key instanceof PrivateKey privateKey) {
                keys.add(privateKey);
            }
        }
        assertEquals(2, keys.size(), "signing and encryption keys");
        assertTrue(keys.stream().anyMatch(k -> KeyPairFactory.matches(k, encryption.getPublicKey())));
        assertTrue(keys.stream().anyMatch(k -> KeyPairFactory.matches(k, signing.getPublicKey())));
        assertEquals(new String(token), new String(user.get("kmsEnrollmentToken").getBytes(), StandardCharsets.UTF_8),
                "the token the administrator hands out is the one that opens the package");

        // A second 'requested' while the KMS works is refused by the directory; after enrollment
        // handling the user again does nothing.
        assertEquals(EnrollmentResult.Outcome.NOTHING, service.handle(dn).outcome());
    }

    @Test
    void aClientSigningRequestKeepsTheSigningKeyOnTheClient() throws Exception {
        String dn = addUser("csr", "csr@example.com");
        KeyPair clientKey = new KeyPairFactory(RANDOM).generate(KeyAlgorithm.EC_P256);
        byte[] csr = KeyPairFactory.certificationRequest(clientKey);
        clientMadeSigningKey("csr", dn, csr);

        EnrollmentResult result = service.handle(dn);
        assertEquals(EnrollmentResult.Outcome.ENROLLED, result.outcome(), result.toString());
        Entry user = connection.lookup(dn, "*");
        List<X509Certificate> certificates = certificates(user, "userCertificate");
        assertEquals(clientKey.getPublic(), certificates.get(1).getPublicKey(), "the client's key is certified");
        KeyStore p12 = KeyStore.getInstance("PKCS12");
        p12.load(new ByteArrayInputStream(user.get("kmsKeyPackage").getBytes()), result.token());
        int keys = 0;
        for (String alias : Collections.list(p12.aliases())) {
            if (p12.isKeyEntry(alias)) {
                keys++;
                assertTrue(KeyPairFactory.matches((PrivateKey) p12.getKey(alias, result.token()),
                        certificates.get(0).getPublicKey()), "only the encryption key is delivered");
            }
        }
        assertEquals(1, keys, "the signing key never left the client");
    }

    @Test
    void badInputEndsFailedWithAPlainReasonAndNothingHalfDone() throws Exception {
        String noMail = addUser("nomail", null);
        request(noMail, null);
        assertFailed(noMail, "no mail address");

        String unknownGroup = addUser("nogroup", "nogroup@example.com");
        request(unknownGroup, "cn=Nowhere,ou=Administrative Groups," + directory.layout().suffix());
        assertFailed(unknownGroup, "is not an administrative group");

        String badCsr = addUser("badcsr", "badcsr@example.com");
        // A request whose signature does not verify: a valid request with its last byte changed.
        byte[] csr = KeyPairFactory.certificationRequest(new KeyPairFactory(RANDOM).generate(KeyAlgorithm.EC_P256));
        KeyPair other = new KeyPairFactory(RANDOM).generate(KeyAlgorithm.EC_P256);
        byte[] foreign = KeyPairFactory.certificationRequest(other);
        // Same structure, other key's signature: splice the signature of 'foreign' onto 'csr' is
        // not needed; a request with a subject other than the entry's is refused by the CA.
        byte[] wrongSubject = new org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder(
                new org.bouncycastle.asn1.x500.X500Name("CN=Somebody Else"), other.getPublic())
                .build(KeyPairFactory.contentSigner(other.getPrivate(), other.getPublic())).getEncoded();
        assertTrue(csr.length > 0 && foreign.length > 0);
        clientMadeSigningKey("badcsr", badCsr, wrongSubject);
        assertFailed(badCsr, "kmsSigningRequest cannot be certified");

        // A new 'requested' retries: with mail added the first user enrolls.
        superuser().modify("dn: " + noMail + "\nchangetype: modify\nadd: mail\nmail: nomail@example.com\n-\n")
                .assertSuccess();
        admin().modify("dn: " + noMail + "\nchangetype: modify\n"
                + "replace: kmsEnrollmentState\nkmsEnrollmentState: requested\n-\n").assertSuccess();
        assertEquals(EnrollmentResult.Outcome.ENROLLED, service.handle(noMail).outcome());
        assertNull(connection.lookup(noMail, "kmsLastError").get("kmsLastError"), "the old error is gone");
    }

    @Test
    void anAddressAnotherEntryHoldsIsNotCertifiedForASecondPerson() throws Exception {
        String first = addUser("owner", "owner@example.com");
        request(first, null);
        assertEquals(EnrollmentResult.Outcome.ENROLLED, service.handle(first).outcome());
        String second = addUser("taker", "taker@example.com");
        // An ordinary user cannot take somebody's address: the guard refuses a change of their own mail.
        LdapTools.Result own = self("taker").modify("dn: " + second + "\nchangetype: modify\nreplace: mail\n"
                + "mail: owner@example.com\n-\n");
        assertEquals(50, own.exitCode(), "insufficientAccessRights: " + own.stderr());
        // The directory superuser can give two people one address (it sets mail); the KMS then
        // refuses to certify it for the second, naming the address and the entry that has it.
        superuser().modify("dn: " + second + "\nchangetype: modify\nadd: mail\nmail: Owner@Example.com\n-\n")
                .assertSuccess();
        request(second, null);
        records.writes.clear();
        assertFailed(second, "the address owner@example.com is also the mail of " + first
                + ": an address is certified for one person only, so nothing was issued");
        assertEquals(List.of("claim", "fail"), List.copyOf(records.writes), "nothing archived, nothing published");
        assertNull(connection.lookup(second, "kmsEnrollmentToken").get("kmsEnrollmentToken"));
        String byMail = LdapTools.against(directory).anonymous().search(directory.layout().suffix(),
                "(mail=owner@example.com)", "userCertificate;binary").assertSuccess().stdout();
        assertEquals(2, count(byMail, "dn: "), "both people (the published certificates carry no mail): " + byMail);
        assertEquals(2, lines(byMail, "userCertificate"), "only the first person's certificates: " + byMail);

        // While two entries hold it, nobody is certified for it, the first person included.
        admin().modify("dn: " + first + "\nchangetype: modify\nreplace: kmsEnrollmentState\n"
                + "kmsEnrollmentState: requested\n-\n").assertSuccess();
        EnrollmentResult again = service.handle(first);
        assertEquals(EnrollmentResult.Outcome.FAILED, again.outcome(), again.toString());
        assertTrue(again.detail().contains("the address owner@example.com is also the mail of " + second), again.detail());
        // Once the superuser takes it back, the first person's own entries (the certificates
        // published for them) are no clash, and the second person enrolls with their own address.
        superuser().modify("dn: " + second + "\nchangetype: modify\ndelete: mail\nmail: Owner@Example.com\n-\n")
                .assertSuccess();
        for (String dn : List.of(first, second)) {
            admin().modify("dn: " + dn + "\nchangetype: modify\nreplace: kmsEnrollmentState\n"
                    + "kmsEnrollmentState: requested\n-\n").assertSuccess();
            EnrollmentResult enrolled = service.handle(dn);
            assertEquals(EnrollmentResult.Outcome.ENROLLED, enrolled.outcome(), enrolled.toString());
        }
    }

    @Test
    void aSecondRequestWhileInProgressIsRefusedByTheDirectory() throws Exception {
        String dn = addUser("busy", "busy@example.com");
        request(dn, null);
        Instant lease = clock.instant().plus(Duration.ofMinutes(5)).truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
        assertTrue(records.claim(dn, org.dirkms.schema.EnrollmentState.REQUESTED, Claim.of("another agent #1", lease)),
                "the test-and-set claims a requested user");
        assertFalse(records.claim(dn, org.dirkms.schema.EnrollmentState.REQUESTED, Claim.of("a third agent #1", lease)),
                "a second claim loses the test-and-set");
        LdapTools.Result again = admin().modify("dn: " + dn + "\nchangetype: modify\nreplace: kmsEnrollmentState\n"
                + "kmsEnrollmentState: requested\n-\n");
        assertEquals(53, again.exitCode(), "unwillingToPerform: " + again.stderr());
        assertTrue(again.stderr().contains("in-progress"), again.stderr());
        assertEquals(EnrollmentResult.Outcome.NOTHING, service.handle(dn).outcome(), "the lease is valid");
    }

    @Test
    void anAttemptCutOffBeforeArchivingPublishesNothingAndIsTakenOverAfterTheLease() throws Exception {
        String dn = addUser("crash", "crash@example.com");
        request(dn, null);
        records.failArchiveOnce = true;
        try {
            service.handle(dn);
        } catch (org.dirkms.agent.directory.DirectoryAccessException expected) {
            // the agent leaves the work to the lease
        }
        Entry user = connection.lookup(dn, "*");
        assertEquals("in-progress", user.get("kmsEnrollmentState").getString());
        assertNull(user.get("userCertificate"), "no certificate published without its archived key");
        assertTrue(records.publishedCertificates(dn).isEmpty());
        assertTrue(records.archivedKeys(dn).isEmpty());

        EnrollmentService other = newService(EnrollmentService.Settings.defaults(directory.agentDn(), RANDOM));
        assertEquals(EnrollmentResult.Outcome.NOTHING, other.handle(dn).outcome(), "the lease still holds");
        clock.advance(EnrollmentService.DEFAULT_LEASE.plusSeconds(1));
        EnrollmentResult taken = other.handle(dn);
        assertEquals(EnrollmentResult.Outcome.ENROLLED, taken.outcome(), taken.toString());
        assertEquals(1, RecordingRecords.live(records.archivedKeys(dn)).size(), "exactly one archived key, no orphan");
    }

    @Test
    void anAttemptCutOffAfterArchivingLeavesNoOrphanOnceTakenOver() throws Exception {
        String dn = addUser("crash2", "crash2@example.com");
        request(dn, null);
        records.failEncryptionChildOnce = true;
        try {
            service.handle(dn);
        } catch (org.dirkms.agent.directory.DirectoryAccessException expected) {
            // the agent leaves the work to the lease
        }
        assertEquals(1, records.archivedKeys(dn).size(), "archived before anything was published");
        assertEquals("in-progress", connection.lookup(dn, "kmsEnrollmentState").get("kmsEnrollmentState").getString());

        clock.advance(EnrollmentService.DEFAULT_LEASE.plusSeconds(1));
        EnrollmentService other = newService(EnrollmentService.Settings.defaults(directory.agentDn(), RANDOM));
        EnrollmentResult taken = other.handle(dn);
        assertEquals(EnrollmentResult.Outcome.ENROLLED, taken.outcome(), taken.toString());
        List<ArchivedKeyEntry> archived = RecordingRecords.live(records.archivedKeys(dn));
        assertEquals(1, archived.size(), "the new attempt's record is the live one");
        assertEquals(1, RecordingRecords.abandoned(records.archivedKeys(dn)).size(),
                "the dead attempt's record stays, marked abandoned (the archive is append-only)");
        List<X509Certificate> published = certificates(connection.lookup(dn, "userCertificate"), "userCertificate");
        assertArrayEquals(published.get(0).getEncoded(), archived.get(0).certificate(),
                "the archived key is the one of the published encryption certificate");
        assertEquals(2, records.publishedCertificates(dn).size(), "one child per certificate, no leftovers");
    }

    @Test
    void aNewRequestForAnEnrolledUserReplacesThePublishedCertificatesAndKeepsTheOldKeyArchived() throws Exception {
        String dn = addUser("again", "again@example.com");
        request(dn, null);
        assertEquals(EnrollmentResult.Outcome.ENROLLED, service.handle(dn).outcome());
        List<X509Certificate> first = certificates(connection.lookup(dn, "userCertificate"), "userCertificate");
        admin().modify("dn: " + dn + "\nchangetype: modify\nreplace: kmsEnrollmentState\n"
                + "kmsEnrollmentState: requested\n-\n").assertSuccess();
        assertEquals(EnrollmentResult.Outcome.ENROLLED, service.handle(dn).outcome());
        List<X509Certificate> second = certificates(connection.lookup(dn, "userCertificate"), "userCertificate");
        assertEquals(2, second.size(), "the new certificates replace the old ones");
        assertTrue(second.stream().noneMatch(first::contains));
        assertEquals(2, records.publishedCertificates(dn).size(), "the children carry the new certificates");
        assertEquals(2, records.archivedKeys(dn).size(), "both encryption keys stay archived (history)");
        // The superseded certificates are revoked once the new ones are published (RFC 5280 5.3.1).
        X509CRL crl = caService.currentCrl(ca);
        crl.verify(ca.certificate().getPublicKey());
        for (X509Certificate old : first) {
            java.security.cert.X509CRLEntry entry = crl.getRevokedCertificate(old.getSerialNumber());
            assertNotNull(entry, "the superseded certificate " + old.getSerialNumber().toString(16) + " is on the CRL");
            assertEquals(java.security.cert.CRLReason.SUPERSEDED, entry.getRevocationReason());
        }
        for (X509Certificate current : second) {
            assertNull(crl.getRevokedCertificate(current.getSerialNumber()), "the new certificates are not revoked");
        }
        assertSupersededForOpenssl(crl, first, "superseded.crl");
        Entry user = connection.lookup(dn, "kmsClaimedBy", "kmsLeaseExpires");
        assertNull(user.get("kmsClaimedBy"), "the claim ends once the superseded certificates are revoked");
        assertNull(user.get("kmsLeaseExpires"));
    }

    @Test
    void aReEnrollmentCutOffRightAfterPublishingHasItsSupersededCertificatesRevokedOnceTakenOver() throws Exception {
        String dn = addUser("resume", "resume@example.com");
        request(dn, null);
        assertEquals(EnrollmentResult.Outcome.ENROLLED, service.handle(dn).outcome());
        List<X509Certificate> first = certificates(connection.lookup(dn, "userCertificate"), "userCertificate");
        admin().modify("dn: " + dn + "\nchangetype: modify\nreplace: kmsEnrollmentState\n"
                + "kmsEnrollmentState: requested\n-\n").assertSuccess();
        records.writes.clear();
        records.crashAfterPublishOnce = true;
        try {
            service.handle(dn);
            org.junit.jupiter.api.Assertions.fail("the test cuts the agent off right after the publication");
        } catch (org.dirkms.agent.directory.DirectoryAccessException expected) {
            // the process is gone: nothing after the publication ran
        }
        assertEquals(List.of("claim", "addArchivedKey", "publishedCertificate:signing",
                "publishedCertificate:encryption", "publish"), List.copyOf(records.writes));
        Entry published = connection.lookup(dn, "*");
        assertEquals("enrolled", published.get("kmsEnrollmentState").getString());
        List<X509Certificate> second = certificates(published, "userCertificate");
        assertEquals(2, second.size());
        assertTrue(second.stream().noneMatch(first::contains), "the new certificates are published");
        X509CRL before = caService.currentCrl(ca);
        for (X509Certificate old : first) {
            assertNull(before.getRevokedCertificate(old.getSerialNumber()), "the agent died before revoking");
        }
        assertNotNull(published.get("kmsClaimedBy"), "the claim stays while its work is left");
        java.util.Set<java.math.BigInteger> left = supersededSerials(published);
        for (X509Certificate old : first) {
            assertTrue(left.contains(old.getSerialNumber()), "the entry still names what is left to revoke: " + left);
        }
        assertEquals(first.size(), left.size(), "and nothing else: " + left);
        assertTrue(records.claimedUsersIn(org.dirkms.schema.EnrollmentState.ENROLLED).stream()
                .anyMatch(u -> u.dn().equalsIgnoreCase(dn)), "the agent's reconcile and sweep find the user");

        // The restarted agent (a new process) leaves it while the lease holds, then finishes it.
        EnrollmentService restarted = newService(EnrollmentService.Settings.defaults(directory.agentDn(), RANDOM));
        assertEquals(EnrollmentResult.Outcome.NOTHING, restarted.handle(dn).outcome(), "the lease still holds");
        clock.advance(EnrollmentService.DEFAULT_LEASE.plusSeconds(1));
        records.writes.clear();
        EnrollmentResult finished = restarted.handle(dn);
        assertEquals(EnrollmentResult.Outcome.REVOKED, finished.outcome(), finished.toString());
        assertEquals(List.of("takeOver", "endClaim"), List.copyOf(records.writes));
        X509CRL crl = caService.currentCrl(ca);
        crl.verify(ca.certificate().getPublicKey());
        for (X509Certificate old : first) {
            java.security.cert.X509CRLEntry entry = crl.getRevokedCertificate(old.getSerialNumber());
            assertNotNull(entry, "the superseded certificate " + old.getSerialNumber().toString(16) + " is on the CRL");
            assertEquals(java.security.cert.CRLReason.SUPERSEDED, entry.getRevocationReason());
        }
        for (X509Certificate current : second) {
            assertNull(crl.getRevokedCertificate(current.getSerialNumber()), "the new certificates are not revoked");
        }
        assertSupersededForOpenssl(crl, first, "superseded-after-crash.crl");
        Entry after = connection.lookup(dn, "*");
        assertEquals("enrolled", after.get("kmsEnrollmentState").getString());
        assertEquals(second, certificates(after, "userCertificate"), "the publication is untouched");
        assertNull(after.get("kmsClaimedBy"), "the claim ends with the revocation");
        assertNull(after.get("kmsLeaseExpires"));
        assertNotNull(after.get("kmsKeyPackage"), "the package waits for the user");
        assertEquals(2, records.archivedKeys(dn).size(), "both encryption keys stay archived");
        assertEquals(EnrollmentResult.Outcome.NOTHING, restarted.handle(dn).outcome(), "nothing left to do");
    }

    /** openssl reads the CRL published on the CA entry: every one of {@code superseded} on it, reason Superseded. */
    private static void assertSupersededForOpenssl(X509CRL crl, List<X509Certificate> superseded, String file)
            throws Exception {
        java.nio.file.Path crlFile = work.resolve(file);
        java.nio.file.Files.write(crlFile, crl.getEncoded());
        LdapTools.Result text = LdapTools.run(List.of("openssl", "crl", "-inform", "DER", "-noout", "-text", "-in",
                crlFile.toString()), java.util.Map.of(), null).assertSuccess();
        for (X509Certificate old : superseded) {
            String serial = old.getSerialNumber().toString(16).toUpperCase();
            serial = serial.length() % 2 == 0 ? serial : "0" + serial; // openssl prints whole bytes
            int at = text.stdout().toUpperCase().indexOf("SERIAL NUMBER: " + serial);
            assertTrue(at >= 0, serial + " not in:\n" + text.stdout());
            String block = text.stdout().substring(at, Math.min(text.stdout().length(), at + 200));
            assertTrue(block.contains("Superseded"), block);
        }
    }

    @Test
    void revocationRevokesBothOnTheCrlUnpublishesThemAndKeepsTheArchive() throws Exception {
        String dn = addUser("leaver", "leaver@example.com");
        request(dn, null);
        assertEquals(EnrollmentResult.Outcome.ENROLLED, service.handle(dn).outcome());
        List<X509Certificate> published = certificates(connection.lookup(dn, "userCertificate"), "userCertificate");

        admin().modify(ProjectFilesSample.revoke(dn)).assertSuccess();
        EnrollmentResult result = service.handle(dn);
        assertEquals(EnrollmentResult.Outcome.REVOKED, result.outcome(), result.toString());
        Entry user = connection.lookup(dn, "*");
        assertEquals("revoked", user.get("kmsEnrollmentState").getString());
        assertNull(user.get("userCertificate"));
        assertNull(user.get("userSMIMECertificate"));
        assertNull(user.get("kmsKeyPackage"));
        assertTrue(records.publishedCertificates(dn).isEmpty(), "the children are gone");
        assertEquals(1, records.archivedKeys(dn).size(), "history kept: the archive stays");
        X509CRL crl = caService.currentCrl(ca);
        for (X509Certificate certificate : published) {
            assertNotNull(crl.getRevokedCertificate(certificate.getSerialNumber()), "on the CRL");
        }
        String byMail = LdapTools.against(directory).anonymous().search(directory.layout().suffix(),
                "(mail=leaver@example.com)", "userCertificate;binary").assertSuccess().stdout();
        assertEquals(0, lines(byMail, "userCertificate"), byMail);
    }

    @Test
    void anUnfetchedPackageExpiresAndAConfirmedOneTakesItsTokenAlong() throws Exception {
        String late = addUser("late", "late@example.com");
        request(late, null);
        assertEquals(EnrollmentResult.Outcome.ENROLLED, service.handle(late).outcome());
        String prompt = addUser("prompt", "prompt@example.com");
        request(prompt, null);
        assertEquals(EnrollmentResult.Outcome.ENROLLED, service.handle(prompt).outcome());

        // The user binds as self over StartTLS, fetches the package and deletes it to confirm.
        LdapTools self = LdapTools.against(directory).as(prompt, "pw-prompt").withArguments("-ZZ");
        String fetched = self.search(prompt, "(objectClass=*)", "kmsKeyPackage").assertSuccess().stdout();
        assertTrue(fetched.contains("kmsKeyPackage::"), fetched);
        self.modify("dn: " + prompt + "\nchangetype: modify\ndelete: kmsKeyPackage\n-\n").assertSuccess();
        assertEquals(EnrollmentResult.Outcome.PACKAGE_REMOVED, service.handle(prompt).outcome());
        Entry confirmed = connection.lookup(prompt, "*");
        assertNull(confirmed.get("kmsEnrollmentToken"), "the token goes with the confirmed package");
        assertNull(confirmed.get("kmsKeyPackageExpires"));

        assertEquals(EnrollmentResult.Outcome.NOTHING, service.handle(late).outcome(), "not expired yet");
        clock.advance(EnrollmentService.DEFAULT_PACKAGE_LIFETIME.plusSeconds(1));
        assertEquals(EnrollmentResult.Outcome.PACKAGE_REMOVED, service.handle(late).outcome());
        Entry expired = connection.lookup(late, "*");
        assertNull(expired.get("kmsKeyPackage"));
        assertNull(expired.get("kmsEnrollmentToken"));
        assertEquals("enrolled", expired.get("kmsEnrollmentState").getString(), "the certificates stay published");
    }

    private static String addUser(String uid, String mail) {
        String dn = "uid=" + uid + "," + directory.layout().people();
        superuser().add("dn: " + dn + "\nobjectClass: inetOrgPerson\nuid: " + uid + "\ncn: User " + uid + "\nsn: " + uid
                + "\nuserPassword: pw-" + uid + "\n" + (mail == null ? "" : "mail: " + mail + "\n")).assertSuccess();
        return dn;
    }

    private static void request(String dn, String group) {
        admin().modify("dn: " + dn + "\nchangetype: modify\nadd: objectClass\nobjectClass: kmsUser\n-\n"
                + (group == null ? "" : "add: kmsAdministrativeGroup\nkmsAdministrativeGroup: " + group + "\n-\n")
                + "replace: kmsEnrollmentState\nkmsEnrollmentState: requested\n-\n").assertSuccess();
    }

    private static void assertFailed(String dn, String reason) throws Exception {
        EnrollmentResult result = service.handle(dn);
        assertEquals(EnrollmentResult.Outcome.FAILED, result.outcome(), result.toString());
        Entry user = connection.lookup(dn, "*");
        assertEquals("failed", user.get("kmsEnrollmentState").getString());
        String error = user.get("kmsLastError").getString();
        assertTrue(error.contains(reason), error);
        assertNull(user.get("userCertificate"), "nothing published");
        assertNull(user.get("kmsKeyPackage"));
        assertTrue(records.archivedKeys(dn).isEmpty(), "nothing archived");
        assertTrue(records.publishedCertificates(dn).isEmpty());
    }

    static List<X509Certificate> certificates(Entry entry, String attribute) throws Exception {
        List<X509Certificate> certificates = new ArrayList<>();
        for (Attribute candidate : entry.getAttributes()) {
            if (candidate.getUpId().toLowerCase().startsWith(attribute.toLowerCase())) {
                for (Value value : candidate) {
                    certificates.add((X509Certificate) CertificateFactory.getInstance("X.509")
                            .generateCertificate(new ByteArrayInputStream(value.getBytes())));
                }
            }
        }
        return certificates;
    }

    /** How many lines of LDIF start with the attribute {@code name} (with or without options). */
    static int lines(String ldif, String name) {
        return (int) ldif.lines().filter(line -> line.toLowerCase().startsWith(name.toLowerCase() + ":")
                || line.toLowerCase().startsWith(name.toLowerCase() + ";")).count();
    }

    static int count(String text, String what) {
        int count = 0;
        for (int at = text.indexOf(what); at >= 0; at = text.indexOf(what, at + 1)) {
            count++;
        }
        return count;
    }

    /** The revocation sample (ldif/samples/40-revoke-user.ldif) with the DN of another user. */
    static final class ProjectFilesSample {
        static String revoke(String dn) throws Exception {
            String sample = java.nio.file.Files.readString(ProjectFiles.file("ldif/samples/40-revoke-user.ldif"));
            return sample.replace("uid=jdoe,ou=People,dc=example,dc=com", dn);
        }
    }

    /**
     * The serials of the certificates the claim on {@code user} still names
     * ({@code kmsSupersededCertificate}, DER): what is left to revoke.
     */
    static java.util.Set<java.math.BigInteger> supersededSerials(Entry user) throws Exception {
        java.util.Set<java.math.BigInteger> serials = new java.util.LinkedHashSet<>();
        org.apache.directory.api.ldap.model.entry.Attribute values = user.get("kmsSupersededCertificate");
        if (values != null) {
            for (org.apache.directory.api.ldap.model.entry.Value value : values) {
                serials.add(((X509Certificate) CertificateFactory.getInstance("X.509")
                        .generateCertificate(new java.io.ByteArrayInputStream(value.getBytes()))).getSerialNumber());
            }
        }
        return serials;
    }
}
