package org.dirkms.agent.enroll;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayInputStream;
import java.nio.ByteBuffer;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import org.dirkms.agent.escrow.ArchiveAudit;
import org.dirkms.agent.archive.ArchiveChecker;
import org.dirkms.agent.archive.KeyRecoverer;
import org.dirkms.agent.names.DistinguishedNames;
import org.dirkms.agent.directory.EnrollmentRecords.ArchivedKeyEntry;
import org.dirkms.agent.directory.EnrollmentRecords.UserEntry;
import org.dirkms.agent.keys.KeyPairFactory;
import org.dirkms.schema.AttributeNames;
import org.dirkms.schema.EnrollmentState;
import org.dirkms.schema.ObjectClassNames;
import org.dirkms.schema.RequestState;

/**
 * What must hold of the directory once the agents have settled (docs/reliability.md): the
 * state machine's invariants checked on the whole in-memory directory, with the recovery key,
 * the CA's CRL and the count of certificates the CA signed.
 */
final class EnrollmentInvariants {
    private final EnrollmentFixture fixture;
    private final InMemoryEnrollmentRecords records;
    /** Normalised DNs of archive records and requests that no process can know of any more. */
    private final Set<String> unknowable;

    EnrollmentInvariants(EnrollmentFixture fixture) {
        this(fixture, Set.of());
    }

    /**
     * The invariants, excusing the archive records and requests {@code unknowable}: those of an
     * attempt whose claim was removed below the guard and whose process died before it noticed.
     * Nothing in the directory names such an attempt any more, so nobody can clean up after it.
     */
    EnrollmentInvariants(EnrollmentFixture fixture, Set<String> unknowable) {
        this.fixture = fixture;
        this.records = fixture.observer();
        this.unknowable = unknowable.stream().map(DistinguishedNames::normal).collect(Collectors.toSet());
    }

    private boolean known(String dn) {
        return !unknowable.contains(DistinguishedNames.normal(dn));
    }

    /** Every invariant, once an agent with the CA has swept after the last lease ran out. */
    void assertSettled() {
        assertNoWorkLeft();
        assertNoClaimLeft();
        assertEveryPublishedKeyArchived(true);
        assertChildrenShowTheEntrysCertificates();
        assertNoArchiveOrphan();
        assertNoRequestLeft();
        assertNothingIssuedTwice();
        assertEveryReplacedCertificateRevoked();
        assertArchiveAuditClean();
    }

    /**
     * The invariants after an agent without the CA swept: the same, except that a claim may stay
     * on an enrolled or failed user if it names certificates still to revoke, and those are not
     * on the CRL yet.
     */
    void assertSettledWithoutCa() {
        assertNoWorkLeftForAQueueAgent();
        for (UserEntry user : records.usersInState(EnrollmentState.values())) {
            if (user.claim() != null) {
                assertTrue(user.state() == EnrollmentState.ENROLLED || user.state() == EnrollmentState.FAILED,
                        user.dn() + ": a claim left only on an enrolled or failed user, not " + user.rawState());
                assertFalse(user.claim().superseded().isEmpty(),
                        user.dn() + ": a claim left without a CA names certificates to revoke");
                assertTrue(user.claim().replaced().isEmpty(), user.dn() + ": the dead attempts were cleaned up");
            }
        }
        assertEveryPublishedKeyArchived(false);
        assertChildrenShowTheEntrysCertificates();
        assertNoArchiveOrphan();
        assertNothingIssuedTwice();
    }

    /** No user waits: nothing requested, in progress or to revoke. */
    void assertNoWorkLeft() {
        List<UserEntry> waiting = records.usersInState(EnrollmentState.REQUESTED, EnrollmentState.IN_PROGRESS,
                EnrollmentState.REVOKE_REQUESTED);
        assertTrue(waiting.isEmpty(), () -> "never stuck once the leases ran out and a sweep ran: " + describe(waiting));
    }

    private void assertNoWorkLeftForAQueueAgent() {
        List<UserEntry> waiting = records.usersInState(EnrollmentState.REQUESTED, EnrollmentState.IN_PROGRESS);
        assertTrue(waiting.isEmpty(), () -> "never stuck once the leases ran out and a sweep ran: " + describe(waiting));
    }

    /** No claim is left on any user: every piece of work ended. */
    void assertNoClaimLeft() {
        for (InMemoryDirectory.Entry user : fixture.directory.session("check")
                .search(EnrollmentFixture.LAYOUT.people(), e -> e.is(ObjectClassNames.KMS_USER))) {
            for (String attribute : List.of(AttributeNames.CLAIMED_BY, AttributeNames.LEASE_EXPIRES,
                    AttributeNames.SUPERSEDED_CERTIFICATE, AttributeNames.REPLACED_ATTEMPT)) {
                assertFalse(user.has(attribute), user.dn() + " (" + user.string(AttributeNames.ENROLLMENT_STATE)
                        + ") still holds " + attribute + ": " + user.strings(AttributeNames.CLAIMED_BY));
            }
        }
    }

    /**
     * Never a published encryption certificate without its key archived: each has exactly one
     * live archive record holding that certificate, listed in the user's kmsArchiveRecord, whose
     * key unwraps with the recovery key to the certificate's private key (unless {@code unwrap}
     * is false: a check on the way, the final one unwraps).
     */
    void assertEveryPublishedKeyArchived(boolean unwrap) {
        ArchiveChecker checker = new ArchiveChecker(new KeyRecoverer(fixture.pki.recovery().keys()));
        for (UserEntry user : records.usersInState(EnrollmentState.values())) {
            List<X509Certificate> shown = new ArrayList<>();
            user.certificates().forEach(der -> shown.add(certificate(der)));
            records.publishedCertificates(user.dn()).forEach(der -> shown.add(certificate(der)));
            for (X509Certificate encryption : shown.stream().filter(EnrollmentInvariants::forEncryption).toList()) {
                List<ArchivedKeyEntry> holding = records.archivedKeys(user.dn()).stream()
                        .filter(r -> r.certificate() != null && Arrays.equals(r.certificate(), der(encryption))).toList();
                assertEquals(1, holding.size(), user.dn() + ": one archive record holds the published encryption"
                        + " certificate " + encryption.getSerialNumber().toString(16));
                ArchivedKeyEntry record = holding.get(0);
                if (user.certificates().stream().anyMatch(c -> Arrays.equals(c, der(encryption)))) {
                    assertFalse(record.abandoned(), user.dn() + ": the record of the published key is not abandoned");
                    assertTrue(user.archiveRecords().stream().anyMatch(dn -> DistinguishedNames.same(dn, record.dn())),
                            user.dn() + ": kmsArchiveRecord lists " + record.dn());
                }
                if (unwrap) {
                    ArchiveChecker.Verdict verdict = checker.check(record.wrappedKey(), encryption);
                    assertTrue(verdict.matches(), verdict.message());
                }
            }
        }
    }

    /** The kmsPublishedCertificate children show exactly the certificates of the entry. */
    void assertChildrenShowTheEntrysCertificates() {
        for (UserEntry user : records.usersInState(EnrollmentState.values())) {
            assertEquals(keys(user.certificates()), keys(records.publishedCertificates(user.dn())),
                    user.dn() + " (" + user.rawState() + "): the children carry the entry's certificates, no leftovers");
        }
    }

    /** Every archive record is the key of a publication (listed on its owner) or marked abandoned. */
    void assertNoArchiveOrphan() {
        for (ArchivedKeyEntry record : records.allArchivedKeys()) {
            if (record.abandoned() || !known(record.dn())) {
                continue;
            }
            UserEntry owner = records.readUser(record.owner()).orElseThrow(
                    () -> new AssertionError(record.dn() + ": its owner " + record.owner() + " is gone"));
            assertTrue(owner.archiveRecords().stream().anyMatch(dn -> DistinguishedNames.same(dn, record.dn())),
                    record.dn() + " is neither listed in kmsArchiveRecord of " + owner.dn() + " (" + owner.rawState()
                            + ") nor abandoned: an orphan");
            assertNotNull(record.certificate(), record.dn() + ": a listed record holds its certificate");
        }
        for (UserEntry user : records.usersInState(EnrollmentState.values())) {
            for (String listed : user.archiveRecords()) {
                assertTrue(records.allArchivedKeys().stream().anyMatch(r -> DistinguishedNames.same(r.dn(), listed)),
                        user.dn() + ": its kmsArchiveRecord " + listed + " exists");
            }
        }
    }

    /**
     * No request waits for the CA (a key nobody holds must not be certified); an issued
     * certificate that never reached its user is on the CRL; and no request was left for the CA
     * to refuse as not belonging to an enrollment in progress: a request of an attempt that died
     * or was reset is withdrawn by whoever cleans up after that attempt, before the CA sees it.
     * What stays is the CA's record of what it did for attempts that ended: issued requests, and
     * the refusal that failed an enrollment.
     */
    void assertNoRequestLeft() {
        Set<ByteBuffer> everOnUsers = keys(fixture.directory.certificatesEverShownIn(ObjectClassNames.KMS_USER));
        X509CRL crl = fixture.crl();
        for (InMemoryDirectory.Entry request : fixture.requests()) {
            if (!known(request.dn())) {
                continue;
            }
            String state = request.string(AttributeNames.REQUEST_STATE);
            assertFalse(RequestState.PENDING.ldapValue().equals(state) || RequestState.CLAIMED.ldapValue().equals(state),
                    request.dn() + " still waits for the CA (" + state + ")");
            List<byte[]> issued = request.bytes(AttributeNames.USER_CERTIFICATE);
            if (!issued.isEmpty() && !everOnUsers.contains(ByteBuffer.wrap(issued.get(0)))) {
                assertNotNull(crl.getRevokedCertificate(certificate(issued.get(0))), request.dn()
                        + ": its certificate never reached the user and is not revoked");
            }
            String error = request.string(AttributeNames.LAST_ERROR);
            assertFalse(error != null && error.contains("does not belong to an enrollment in progress"),
                    request.dn() + " was left behind by its attempt: " + error);
        }
    }

    /** No key was certified twice: no request of an attempt was served twice, no attempt issued twice. */
    void assertNothingIssuedTwice() {
        Map<ByteBuffer, Integer> certified = new HashMap<>();
        for (CountingSigner.Issued issued : fixture.caKey.issued()) {
            certified.merge(issued.subjectPublicKeyInfo(), 1, Integer::sum);
        }
        Set<ByteBuffer> clientKeys = clientKeys();
        certified.forEach((key, times) -> {
            if (!clientKeys.contains(key)) {
                assertEquals(1, times, "a key the KMS made was certified " + times + " times");
            }
        });
    }

    /** The keys of the users' own signing requests: every attempt certifies them anew, on purpose. */
    private Set<ByteBuffer> clientKeys() {
        Set<ByteBuffer> keys = new LinkedHashSet<>();
        for (UserEntry user : records.usersInState(EnrollmentState.values())) {
            if (user.signingRequest() != null) {
                try {
                    keys.add(ByteBuffer.wrap(org.bouncycastle.asn1.pkcs.CertificationRequest.getInstance(
                            user.signingRequest()).getCertificationRequestInfo().getSubjectPublicKeyInfo().getEncoded()));
                } catch (java.io.IOException e) {
                    throw new AssertionError(e);
                }
            }
        }
        return keys;
    }

    /**
     * Every certificate that was ever published on a user and is not on it any more (superseded
     * by a re-enrollment, or revoked) is on the CRL, as is every certificate issued through the
     * queue (visible in its request entry) that never reached its user.
     */
    void assertEveryReplacedCertificateRevoked() {
        Set<ByteBuffer> current = new LinkedHashSet<>();
        for (UserEntry user : records.usersInState(EnrollmentState.values())) {
            current.addAll(keys(user.certificates()));
        }
        X509CRL crl = fixture.crl();
        List<byte[]> everOnUsers = fixture.directory.certificatesEverShownIn(ObjectClassNames.KMS_USER);
        for (byte[] der : everOnUsers) {
            if (!current.contains(ByteBuffer.wrap(der))) {
                X509Certificate replaced = certificate(der);
                assertNotNull(crl.getRevokedCertificate(replaced), "the replaced certificate "
                        + replaced.getSerialNumber().toString(16) + " of " + replaced.getSubjectX500Principal()
                        + " is on the CRL");
            }
        }
        Set<ByteBuffer> published = keys(everOnUsers);
        for (byte[] der : fixture.directory.certificatesEverShownIn(ObjectClassNames.CERTIFICATE_REQUEST)) {
            if (!published.contains(ByteBuffer.wrap(der))) {
                X509Certificate unused = certificate(der);
                assertNotNull(crl.getRevokedCertificate(unused), "the certificate "
                        + unused.getSerialNumber().toString(16) + " the CA issued through the queue to an attempt"
                        + " that never published it is on the CRL");
            }
        }
    }

    /** The archive checker ({@code dirkms archive check}) finds nothing wrong. */
    void assertArchiveAuditClean() {
        ArchiveAudit.Report report = new ArchiveAudit(records, fixture.caObserver(),
                new KeyRecoverer(fixture.pki.recovery().keys())).run();
        List<ArchiveAudit.Finding> findings = report.findings().stream()
                .filter(finding -> finding.dns().stream().allMatch(this::known)).toList();
        assertTrue(findings.isEmpty(), () -> report.summary() + ":\n" + findings.stream().map(Object::toString)
                .collect(Collectors.joining("\n")));
    }

    // ---- the end state of one user ----------------------------------------------------------

    /**
     * {@code dn} is enrolled with two certificates and no error, its package (unless it was
     * removed) opens with its token and holds the key of the encryption certificate.
     */
    void assertEnrolled(String dn, boolean packageExpected) {
        UserEntry user = records.readUser(dn).orElseThrow();
        assertEquals(EnrollmentState.ENROLLED, user.state(), dn + ": " + fixture.entry(dn).string(AttributeNames.LAST_ERROR));
        assertEquals(2, user.certificates().size(), dn + ": the signing and the encryption certificate");
        assertNull(fixture.entry(dn).string(AttributeNames.LAST_ERROR), dn + ": no error left");
        assertEquals(packageExpected, user.hasKeyPackage(), dn + ": the key package");
        if (packageExpected) {
            X509Certificate encryption = user.certificates().stream().map(EnrollmentInvariants::certificate)
                    .filter(EnrollmentInvariants::forEncryption).findFirst().orElseThrow();
            char[] token = records.readEnrollmentToken(dn);
            assertNotNull(token, dn + ": the token of the package");
            PrivateKey key = packageKey(fixture.entry(dn).bytes(AttributeNames.KEY_PACKAGE), token, encryption);
            assertTrue(KeyPairFactory.matches(key, encryption.getPublicKey()),
                    dn + ": the package holds the key of the published encryption certificate");
        }
    }

    /** {@code dn} ended failed, its kmsLastError saying {@code reason}, nothing new published. */
    void assertFailed(String dn, String reason) {
        UserEntry user = records.readUser(dn).orElseThrow();
        assertEquals(EnrollmentState.FAILED, user.state(), dn);
        String error = fixture.entry(dn).string(AttributeNames.LAST_ERROR);
        assertNotNull(error, dn + ": a reason");
        assertTrue(error.contains(reason), dn + ": " + error);
    }

    /** {@code dn} is revoked: no certificate, package or token left, its old certificates on the CRL. */
    void assertRevoked(String dn) {
        UserEntry user = records.readUser(dn).orElseThrow();
        assertEquals(EnrollmentState.REVOKED, user.state(), dn);
        assertTrue(user.certificates().isEmpty(), dn + ": no certificate left");
        assertFalse(user.hasKeyPackage(), dn + ": no package left");
        assertNull(records.readEnrollmentToken(dn), dn + ": no token left");
        assertTrue(records.publishedCertificates(dn).isEmpty(), dn + ": no child left");
    }

    /** {@code certificates} (DER) are on the CRL with {@code reason} (RFC 5280 section 5.3.1). */
    void assertOnCrl(List<byte[]> certificates, java.security.cert.CRLReason reason) {
        X509CRL crl = fixture.crl();
        for (byte[] der : certificates) {
            X509Certificate certificate = certificate(der);
            java.security.cert.X509CRLEntry entry = crl.getRevokedCertificate(certificate);
            assertNotNull(entry, certificate.getSerialNumber().toString(16) + " is on the CRL");
            assertEquals(reason, entry.getRevocationReason(), certificate.getSerialNumber().toString(16));
        }
    }

    /** None of {@code certificates} is on the CRL. */
    void assertNotOnCrl(List<byte[]> certificates) {
        X509CRL crl = fixture.crl();
        for (byte[] der : certificates) {
            assertNull(crl.getRevokedCertificate(certificate(der)), "not revoked: " + certificate(der).getSerialNumber());
        }
    }

    // ---- parsing ------------------------------------------------------------------------------

    static X509Certificate certificate(byte[] der) {
        try {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(der));
        } catch (CertificateException e) {
            throw new AssertionError("not a certificate", e);
        }
    }

    static byte[] der(X509Certificate certificate) {
        return Enrollment.der(certificate);
    }

    /** An encryption certificate: its key usage allows keyEncipherment or keyAgreement. */
    static boolean forEncryption(X509Certificate certificate) {
        boolean[] usage = certificate.getKeyUsage();
        return usage != null && (usage[2] || usage[4]);
    }

    static Set<ByteBuffer> keys(List<byte[]> values) {
        Set<ByteBuffer> keys = new LinkedHashSet<>();
        values.forEach(v -> keys.add(ByteBuffer.wrap(v)));
        return keys;
    }

    /** The private key the package {@code pkcs12} holds with {@code certificate}, opened with {@code token}. */
    /** The key of {@code certificate} in whichever value of a package holds it. */
    static PrivateKey packageKey(List<byte[]> values, char[] token, X509Certificate certificate) {
        for (byte[] value : values) {
            PrivateKey key = keyIn(value, token, certificate);
            if (key != null) {
                return key;
            }
        }
        return fail("no value of the package holds a key with the certificate " + certificate.getSerialNumber().toString(16));
    }

    static PrivateKey packageKey(byte[] pkcs12, char[] token, X509Certificate certificate) {
        PrivateKey key = keyIn(pkcs12, token, certificate);
        return key != null ? key
                : fail("the package holds no key with the certificate " + certificate.getSerialNumber().toString(16));
    }

    private static PrivateKey keyIn(byte[] pkcs12, char[] token, X509Certificate certificate) {
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(new ByteArrayInputStream(pkcs12), token);
            for (String alias : Collections.list(store.aliases())) {
                if (store.isKeyEntry(alias) && certificate.equals(store.getCertificate(alias))) {
                    return (PrivateKey) store.getKey(alias, token);
                }
            }
            return null;
        } catch (java.io.IOException | java.security.GeneralSecurityException e) {
            return fail("the package does not open with its token: " + e);
        }
    }

    private String describe(List<UserEntry> users) {
        return users.stream().map(u -> u.dn() + " " + u.rawState() + " claim " + u.claim() + " error "
                + fixture.entry(u.dn()).string(AttributeNames.LAST_ERROR)).collect(Collectors.joining("; "));
    }
}
