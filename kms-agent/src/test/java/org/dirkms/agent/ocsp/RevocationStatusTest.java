package org.dirkms.agent.ocsp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Proxy;
import java.math.BigInteger;
import java.security.SecureRandom;
import java.security.cert.CRLReason;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.function.Predicate;
import org.dirkms.agent.ca.CaRecords;
import org.dirkms.agent.ca.CaSetup;
import org.dirkms.agent.ca.CertificationAuthority;
import org.dirkms.agent.ca.SoftwareSigner;
import org.dirkms.agent.ca.StandardTemplates;
import org.dirkms.agent.enroll.TestClock;
import org.dirkms.schema.CaState;
import org.dirkms.schema.KeyAlgorithm;
import org.dirkms.schema.RevocationReason;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The revocation state read from the CA's records in memory: a revocation shows at the next
 * call, the CRL is parsed again only when the entry changed, a serial is good only once a
 * certificate with it is kept, and concurrent callers never see a state older than their call.
 */
class RevocationStatusTest {
    private static final String CA_DN = "cn=Test CA,ou=Certification Authorities,ou=KMS,dc=example,dc=com";

    private final SecureRandom random = new SecureRandom();
    private final TestClock clock = new TestClock(Instant.parse("2030-01-01T00:00:00Z"));
    private final AtomicReference<X509CRL> crl = new AtomicReference<>();
    private final AtomicLong sequence = new AtomicLong();
    private final List<byte[]> kept = new CopyOnWriteArrayList<>();
    private final AtomicInteger crlReads = new AtomicInteger();
    private CertificationAuthority ca;
    private RevocationStatus status;

    @BeforeEach
    void makeCa() throws Exception {
        SoftwareSigner signer = SoftwareSigner.generate(KeyAlgorithm.EC_P256, random);
        X509Certificate root = CaSetup.selfSignedRoot(signer, CA_DN, Duration.ofDays(365), clock, random);
        ca = new CertificationAuthority(signer, List.of(root), StandardTemplates.all(), clock, random,
                CertificationAuthority.Publication.at("ldap://localhost:389"));
        crl.set(ca.renewCrl(null));
        CaRecords records = (CaRecords) Proxy.newProxyInstance(CaRecords.class.getClassLoader(),
                new Class<?>[] {CaRecords.class}, (proxy, method, arguments) -> switch (method.getName()) {
                    case "readCa" -> {
                        crlReads.incrementAndGet();
                        yield Optional.of(new CaRecords.CaEntry(CA_DN, List.of(), crl.get().getEncoded(), CaState.ACTIVE,
                                1, List.of(), List.of()));
                    }
                    case "changeSequence" -> Optional.of(Long.toString(sequence.get()));
                    case "findKeptCertificate" -> {
                        @SuppressWarnings("unchecked")
                        Predicate<byte[]> wanted = (Predicate<byte[]>) arguments[0];
                        yield kept.stream().filter(wanted).findFirst().map(der -> "uid=holder");
                    }
                    default -> throw new UnsupportedOperationException(method.getName());
                });
        status = new RevocationStatus(ca, new CaRecordsAccess() {
            @Override
            public <T> T read(Function<CaRecords, T> work) {
                return work.apply(records);
            }
        });
    }

    /** Revokes {@code serial} as CaService does: the next CRL, published, the entry changed. */
    private void revoke(BigInteger serial) {
        crl.set(ca.revoke(serial, RevocationReason.KEY_COMPROMISE, crl.get()));
        sequence.incrementAndGet();
    }

    @Test
    void goodOnceKeptRevokedAtOnceAndTheCrlParsedOnlyWhenItChanged() throws Exception {
        BigInteger serial = BigInteger.valueOf(4242);
        assertEquals(new CertificateStatus.Unknown(), status.status(serial), "nothing kept with this serial");
        X509Certificate certificate = CaSetup.selfSignedRoot(SoftwareSigner.generate(KeyAlgorithm.EC_P256, random),
                CA_DN, Duration.ofDays(1), clock, random);
        kept.add(certificate.getEncoded());
        assertEquals(new CertificateStatus.Unknown(), status.status(certificate.getSerialNumber()),
                "another key signed it: not this CA's");

        // Keep a certificate the CA issued (its signature, its name, the serial).
        X509Certificate issued = ca.certifyOcspResponder(SoftwareSigner.generate(KeyAlgorithm.EC_P256, random)
                .publicKey(), Duration.ofDays(1));
        BigInteger serialIssued = issued.getSerialNumber();
        assertEquals(new CertificateStatus.Unknown(), status.status(serialIssued), "issued but not kept");
        kept.add(issued.getEncoded());
        assertEquals(new CertificateStatus.Good(), status.status(serialIssued), "kept: good");
        int reads = crlReads.get();
        for (int i = 0; i < 10; i++) {
            assertEquals(new CertificateStatus.Good(), status.status(serialIssued));
        }
        assertEquals(reads, crlReads.get(), "the entry did not change: the CRL is not read again");

        clock.advance(Duration.ofMinutes(5));
        revoke(serialIssued);
        CertificateStatus revoked = status.status(serialIssued);
        assertEquals(new CertificateStatus.Revoked(clock.instant(), CRLReason.KEY_COMPROMISE), revoked);
        assertArrayEquals(crl.get().getEncoded(), status.currentCrlDer(), "the CRL served is the entry's");
    }

    @Test
    void concurrentCallersNeverSeeAStateOlderThanTheirCall() throws Exception {
        X509Certificate issued = ca.certifyOcspResponder(SoftwareSigner.generate(KeyAlgorithm.EC_P256, random)
                .publicKey(), Duration.ofDays(1));
        kept.add(issued.getEncoded());
        BigInteger serial = issued.getSerialNumber();
        assertEquals(new CertificateStatus.Good(), status.status(serial));
        AtomicBoolean published = new AtomicBoolean();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<Integer>> readers = new java.util.ArrayList<>();
            for (int t = 0; t < 8; t++) {
                readers.add(pool.submit(() -> {
                    int stale = 0;
                    for (int i = 0; i < 300; i++) {
                        boolean before = published.get();
                        boolean revoked = status.status(serial) instanceof CertificateStatus.Revoked;
                        if (before && !revoked) {
                            stale++;
                        }
                    }
                    return stale;
                }));
            }
            revoke(serial);
            published.set(true);
            int stale = 0;
            for (Future<Integer> reader : readers) {
                stale += reader.get();
            }
            assertEquals(0, stale, "a call that began after the revocation was published saw it");
            assertTrue(status.status(serial) instanceof CertificateStatus.Revoked);
        } finally {
            pool.shutdownNow();
        }
    }
}
