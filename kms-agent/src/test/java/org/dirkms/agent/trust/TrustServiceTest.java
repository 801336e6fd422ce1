package org.dirkms.agent.trust;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.NameConstraints;
import org.bouncycastle.asn1.x509.SubjectKeyIdentifier;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.dirkms.agent.ca.CaSetup;
import org.dirkms.agent.enroll.TestClock;
import org.dirkms.agent.ca.CertificationAuthority;
import org.dirkms.agent.ca.CrossCertificatePolicy;
import org.dirkms.agent.ca.IssuanceRefusedException;
import org.dirkms.agent.ca.SoftwareSigner;
import org.dirkms.agent.ca.StandardTemplates;
import org.dirkms.schema.DirectoryLayout;
import org.dirkms.schema.KeyAlgorithm;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The trust list's rules on in-memory records with the directory's test-and-set: what is listed
 * and refused, when a new list is published and when not, two processes republishing at once,
 * the signed content, and the cross-certificate the CA issues.
 */
class TrustServiceTest {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Instant NOW = Instant.parse("2026-12-01T08:00:00Z");
    private static final DirectoryLayout LAYOUT = new DirectoryLayout("dc=example,dc=com");

    @TempDir
    static Path folder;

    private static CertificationAuthority ca;
    private static org.dirkms.agent.ca.DelegatedKeyStore signingKey;

    @BeforeAll
    static void enterpriseCa() {
        Clock clock = Clock.fixed(NOW, ZoneOffset.UTC);
        SoftwareSigner key = SoftwareSigner.generate(KeyAlgorithm.EC_P256, RANDOM);
        X509Certificate root = CaSetup.selfSignedRoot(key,
                "cn=Test Root CA,ou=Certification Authorities,ou=KMS,dc=example,dc=com", Duration.ofDays(3650), clock,
                RANDOM);
        ca = new CertificationAuthority(key, List.of(root), StandardTemplates.all(), clock, RANDOM,
                CertificationAuthority.Publication.at("ldap://kms.example.com:389"));
        signingKey = TrustListSigningKeyStore.openOrCreate(folder.resolve("trust/trust-list-signer.p12"),
                folder.resolve("trust/trust-list-signer.pass"), ca, clock, RANDOM);
    }

    @Test
    void theSignerIsCertifiedForTrustListsOnly() throws Exception {
        X509Certificate certificate = signingKey.certificate();
        assertEquals(List.of(CertificationAuthority.TRUST_LIST_SIGNING), certificate.getExtendedKeyUsage());
        assertTrue(certificate.getKeyUsage()[0] && !certificate.getKeyUsage()[5], "digitalSignature only");
        assertEquals(-1, certificate.getBasicConstraints());
        certificate.verify(ca.certificate().getPublicKey());
    }

    @Test
    void aChangeOfThePartnersPublishesTheNextListAndNothingElseDoes() throws Exception {
        MemoryRecords records = new MemoryRecords();
        TestClock clock = new TestClock(NOW);
        TrustService service = service(records, clock);
        assertNull(service.republish().list(), "no partner: no list");
        assertNull(records.sequence, "and no entry: the first partner makes it");

        X509Certificate alpha = root("Alpha", NOW.minus(Duration.ofDays(1)), Duration.ofDays(90), true);
        X509Certificate beta = root("Beta", NOW.minus(Duration.ofDays(1)), Duration.ofDays(90), true);
        records.add("alpha", alpha);
        records.add("beta", beta);
        TrustService.Outcome two = service.republish();
        assertTrue(two.changed());
        assertEquals(1, two.sequence());
        SignedTrustList parsed = SignedTrustList.parse(records.list);
        assertEquals(1, parsed.sequence());
        assertEquals(List.of(PartnerRoot.fingerprint(alpha.getEncoded()), PartnerRoot.fingerprint(beta.getEncoded())),
                parsed.fingerprints());
        assertEquals(NOW.plus(TrustService.LIST_VALIDITY), parsed.nextUpdate());
        assertEquals(parsed.nextUpdate(), records.nextUpdate);
        assertFalse(service.republish().changed(), "nothing changed: nothing written");

        records.partners.remove(records.dn("beta"));
        TrustService.Outcome one = service.republish();
        assertEquals(2, one.sequence());
        assertEquals(List.of(PartnerRoot.fingerprint(alpha.getEncoded())), SignedTrustList.parse(records.list)
                .fingerprints());

        // Due by time: two days before its next update the same roots are re-signed.
        clock.advance(TrustService.LIST_VALIDITY.minus(TrustService.RENEW_BEFORE).minusSeconds(60));
        assertFalse(service.republish().changed());
        clock.advance(Duration.ofSeconds(60));
        TrustService.Outcome renewed = service.republish();
        assertTrue(renewed.changed());
        assertEquals(3, renewed.sequence());

        records.partners.clear();
        assertNull(service.republish().list());
        assertEquals(4, records.sequence);
        assertNull(records.list, "no partner left: no list, the sequence counts on");
        assertFalse(service.republish().changed());
    }

    @Test
    void badEntriesStayOffTheListAndSayWhy() throws Exception {
        MemoryRecords records = new MemoryRecords();
        TrustService service = service(records, new TestClock(NOW));
        X509Certificate good = root("Good", NOW.minus(Duration.ofDays(1)), Duration.ofDays(90), true);
        records.add("a-good", good);
        records.add("b-copy", good);
        records.add("c-user", root("User", NOW.minus(Duration.ofDays(1)), Duration.ofDays(90), false));
        records.add("d-expired", root("Expired", NOW.minus(Duration.ofDays(30)), Duration.ofDays(10), true));
        records.add("e-future", root("Future", NOW.plus(Duration.ofDays(3)), Duration.ofDays(10), true));
        byte[] tampered = root("Tampered", NOW.minus(Duration.ofDays(1)), Duration.ofDays(90), true).getEncoded();
        tampered[tampered.length - 1] ^= 1;
        records.addBytes("f-tampered", List.of(tampered));
        records.addBytes("g-garbage", List.of("garbage".getBytes()));
        records.addBytes("h-none", List.of());

        TrustService.Outcome outcome = service.republish();
        assertEquals(List.of(PartnerRoot.fingerprint(good.getEncoded())), outcome.list().fingerprints());
        assertTrue(records.error("b-copy").contains("trusted already as partner 'a-good'"), records.error("b-copy"));
        assertTrue(records.error("c-user").contains("is not a CA certificate"), records.error("c-user"));
        assertTrue(records.error("d-expired").contains("expired on"), records.error("d-expired"));
        assertTrue(records.error("e-future").contains("is not valid before"), records.error("e-future"));
        assertTrue(records.error("f-tampered").contains("does not verify"), records.error("f-tampered"));
        assertTrue(records.error("g-garbage").contains("not an X.509 certificate"), records.error("g-garbage"));
        assertTrue(records.error("h-none").contains("has no cACertificate"), records.error("h-none"));
        assertNull(records.error("a-good"));
        assertTrue(records.subject("a-good").contains("cn=Good Root CA"), records.subject("a-good"));

        // Fixed: the error goes, the root is listed.
        records.partners.remove(records.dn("b-copy"));
        records.partners.remove(records.dn("d-expired"));
        X509Certificate renewed = root("Expired", NOW.minus(Duration.ofDays(1)), Duration.ofDays(90), true);
        records.add("d-expired", renewed);
        service.republish();
        assertNull(records.error("d-expired"));
        assertEquals(2, SignedTrustList.parse(records.list).anchors().size());
    }

    @Test
    void ofTwoProcessesRepublishingAtOnceOnePublishesAndTheOtherFindsNothingToDo() throws Exception {
        MemoryRecords records = new MemoryRecords();
        TestClock clock = new TestClock(NOW);
        records.add("alpha", root("Alpha", NOW.minus(Duration.ofDays(1)), Duration.ofDays(90), true));
        service(records, clock).republish();
        records.add("beta", root("Beta", NOW.minus(Duration.ofDays(1)), Duration.ofDays(90), true));
        TrustService other = service(records, clock);
        // This process reads the list, then the other publishes before this one's test-and-set.
        records.beforeNextPublish = () -> assertTrue(other.republish().changed());
        TrustService.Outcome outcome = service(records, clock).republish();
        assertFalse(outcome.changed(), "lost the test-and-set, read again, nothing left to do");
        assertEquals(2, records.sequence);
        assertEquals(2, records.publications, "one entry, then one list: never two lists of the same sequence");
        assertEquals(1, records.refusedPublications);
    }

    @Test
    void aSignedListIsReadBackAndATamperedOneIsNot() throws Exception {
        X509Certificate alpha = root("Alpha", NOW.minus(Duration.ofDays(1)), Duration.ofDays(90), true);
        SignedTrustList list = SignedTrustList.sign(7, NOW, NOW.plus(Duration.ofDays(7)), List.of(alpha),
                signingKey.current());
        SignedTrustList read = SignedTrustList.parse(list.der());
        assertEquals(7, read.sequence());
        assertEquals(NOW, read.thisUpdate());
        assertEquals(NOW.plus(Duration.ofDays(7)), read.nextUpdate());
        assertArrayEquals(alpha.getEncoded(), read.anchors().get(0).getEncoded());
        assertEquals(signingKey.certificate(), read.signer());
        byte[] tampered = list.der().clone();
        int index = indexOf(tampered, alpha.getSignature());
        tampered[index + 3] ^= 1;
        assertThrows(IllegalArgumentException.class, () -> SignedTrustList.parse(tampered));
        assertThrows(IllegalArgumentException.class, () -> TrustAnchorList.encode(List.of()));
    }

    @Test
    void theCrossCertificateHasThePartnersNameKeyAndKeyIdentifierAndTheAskedConstraints() throws Exception {
        X509Certificate partner = root("Alpha", NOW.minus(Duration.ofDays(1)), Duration.ofDays(90), true);
        X509Certificate cross = ca.crossCertify(partner, new CrossCertificatePolicy(1, List.of("alpha.example"),
                List.of("alpha.example"), Duration.ofDays(365)));
        cross.verify(ca.certificate().getPublicKey());
        assertEquals(partner.getSubjectX500Principal(), cross.getSubjectX500Principal());
        assertEquals(partner.getPublicKey(), cross.getPublicKey());
        assertEquals(ca.certificate().getSubjectX500Principal(), cross.getIssuerX500Principal());
        assertEquals(1, cross.getBasicConstraints());
        assertEquals(partner.getNotAfter(), cross.getNotAfter(), "never past the partner root");
        X509CertificateHolder holder = new X509CertificateHolder(cross.getEncoded());
        assertArrayEquals(SubjectKeyIdentifier.fromExtensions(new X509CertificateHolder(partner.getEncoded())
                .getExtensions()).getKeyIdentifier(), SubjectKeyIdentifier.fromExtensions(holder.getExtensions())
                .getKeyIdentifier());
        assertTrue(holder.getExtension(Extension.nameConstraints).isCritical());
        NameConstraints constraints = NameConstraints.getInstance(holder.getExtension(Extension.nameConstraints)
                .getParsedValue());
        assertEquals(2, constraints.getPermittedSubtrees().length);
        assertTrue(holder.getExtension(Extension.cRLDistributionPoints) != null);
        assertThrows(IllegalArgumentException.class, () -> new CrossCertificatePolicy(0, List.of(".alpha.example"),
                List.of(), Duration.ofDays(1)));
        X509Certificate expired = root("Gone", NOW.minus(Duration.ofDays(30)), Duration.ofDays(10), true);
        assertThrows(IssuanceRefusedException.class, () -> ca.crossCertify(expired,
                new CrossCertificatePolicy(0, List.of(), List.of(), Duration.ofDays(1))));
    }

    // ------------------------------------------------------------------ helpers

    private static TrustService service(MemoryRecords records, Clock clock) {
        return new TrustService(records, signingKey::current, LAYOUT, clock);
    }

    /** A self-signed EC P-256 certificate {@code cn=<name> Root CA}; a CA's or an end entity's. */
    static X509Certificate root(String name, Instant notBefore, Duration validity, boolean ca) throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
        KeyPair key = generator.generateKeyPair();
        X500Name subject = new X500Name("O=" + name + ",CN=" + name + " Root CA");
        JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(subject,
                new BigInteger(64, RANDOM).add(BigInteger.ONE), Date.from(notBefore), Date.from(notBefore.plus(validity)),
                subject, key.getPublic());
        builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
        builder.addExtension(Extension.keyUsage, true, new KeyUsage(ca ? KeyUsage.keyCertSign | KeyUsage.cRLSign
                : KeyUsage.digitalSignature));
        builder.addExtension(Extension.subjectKeyIdentifier, false,
                new JcaX509ExtensionUtils().createSubjectKeyIdentifier(key.getPublic()));
        return new JcaX509CertificateConverter().getCertificate(
                builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(key.getPrivate())));
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new AssertionError("not found");
    }

    /** The records in memory, with the directory's test-and-set on the sequence. */
    static final class MemoryRecords implements TrustRecords {
        final Map<String, PartnerEntry> partners = new LinkedHashMap<>();
        Long sequence;
        byte[] list;
        Instant nextUpdate;
        int publications;
        int refusedPublications;
        Runnable beforeNextPublish;

        String dn(String name) {
            return "cn=" + name + "," + LAYOUT.trust();
        }

        void add(String name, X509Certificate certificate) throws Exception {
            addBytes(name, List.of(certificate.getEncoded()));
        }

        void addBytes(String name, List<byte[]> certificates) {
            partners.put(dn(name), new PartnerEntry(dn(name), name, certificates, List.of(), List.of(), null, null));
        }

        String error(String name) {
            return partners.get(dn(name)).lastError();
        }

        String subject(String name) {
            return partners.get(dn(name)).subject();
        }

        @Override
        public List<PartnerEntry> partners() {
            return new ArrayList<>(partners.values());
        }

        @Override
        public Optional<PartnerEntry> partner(String name) {
            return Optional.ofNullable(partners.get(dn(name)));
        }

        @Override
        public Optional<TrustListEntry> trustList() {
            return sequence == null ? Optional.empty()
                    : Optional.of(new TrustListEntry(LAYOUT.trustList(), sequence, list, nextUpdate));
        }

        @Override
        public synchronized boolean publishTrustList(Long expectedSequence, long next, byte[] signedList,
                Instant update) {
            Runnable interleaved = beforeNextPublish;
            beforeNextPublish = null;
            if (interleaved != null) {
                interleaved.run();
            }
            if (!java.util.Objects.equals(expectedSequence, sequence)) {
                refusedPublications++;
                return false;
            }
            sequence = next;
            list = signedList;
            nextUpdate = update;
            publications++;
            return true;
        }

        @Override
        public void recordPartnerCheck(String dn, String subject, String lastError) {
            PartnerEntry entry = partners.get(dn);
            partners.put(dn, new PartnerEntry(dn, entry.name(), entry.caCertificates(), entry.domains(),
                    entry.crossCertificatePairs(), subject != null ? subject : entry.subject(), lastError));
        }

        @Override
        public void addPartner(String name, byte[] certificate, List<String> domains, String subject) {
            addBytes(name, List.of(certificate));
        }

        @Override
        public void deletePartner(String dn) {
            partners.remove(dn);
        }

        @Override
        public void publishCrossCertificatePair(String dn, byte[] pair) {
            throw new UnsupportedOperationException();
        }
    }
}
