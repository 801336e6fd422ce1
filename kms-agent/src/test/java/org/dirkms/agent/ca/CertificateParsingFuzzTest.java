package org.dirkms.agent.ca;

import java.io.ByteArrayInputStream;
import java.math.BigInteger;
import java.security.cert.CRLException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.security.auth.x500.X500Principal;
import org.dirkms.agent.fuzz.DerMutator;
import org.dirkms.agent.fuzz.DerSeeds;
import org.dirkms.agent.fuzz.FuzzSettings;
import org.dirkms.agent.fuzz.FuzzTally;
import org.dirkms.agent.fuzz.ParserFuzz;
import org.dirkms.agent.keys.RecoveryKey;
import org.dirkms.agent.keys.TestPki;
import org.dirkms.schema.RevocationReason;
import org.junit.jupiter.api.Test;

/**
 * Fuzzes how the agent reads certificates and CRLs from the directory. The agent parses both
 * with the JDK's X.509 factory and catches its checked exceptions ({@code EnrollmentService},
 * {@code ArchiveAudit}, {@code CaService.currentCrl}), so the factory must throw nothing else;
 * a certificate it parses must answer what the agent asks of it; and the CA must take a CRL
 * back ({@link CertificationAuthority#renewCrl}) or refuse it with IllegalArgumentException.
 */
class CertificateParsingFuzzTest {

    @Test
    void mutatedCertificatesParseOrFailWithACertificateException() {
        DerSeeds seeds = DerSeeds.get();
        FuzzTally tally = ParserFuzz.run("agent-certificate", FuzzSettings.cases(2000),
                List.of(seeds.userCertificate, seeds.rsaCertificate, seeds.caCertificate, seeds.v1Certificate),
                new DerMutator(seeds.all()), der -> {
                    X509Certificate certificate = (X509Certificate) CertificateFactory.getInstance("X.509")
                            .generateCertificate(new ByteArrayInputStream(der));
                    // What the agent asks of a certificate it read (ArchiveAudit, CaSetup, RecoveryKey).
                    certificate.getKeyUsage();
                    certificate.getBasicConstraints();
                    certificate.getSerialNumber().toString(16);
                    certificate.getIssuerX500Principal().getName(X500Principal.RFC2253);
                    certificate.getSubjectX500Principal().getName();
                    certificate.getPublicKey();
                    certificate.getNotAfter();
                    RecoveryKey.keyIdOf(certificate);
                    try {
                        // Bouncy Castle is stricter than the JDK: CaSetup and the CA refuse such a
                        // certificate with the IllegalArgumentException they document.
                        CertificationAuthority.holder(certificate).getSubject();
                    } catch (IllegalArgumentException e) {
                        return "parsed, refused by Bouncy Castle";
                    }
                    return "parsed";
                }, CertificateException.class);
        System.out.println(tally.line());
        tally.assertClean();
    }

    @Test
    void mutatedCrlsParseOrFailWithACrlExceptionAndTheCaRenewsOnlyItsOwn() {
        TestPki pki = TestPki.create();
        CertificationAuthority ca = pki.ca();
        X509CRL first = ca.renewCrl(null);
        X509CRL revoked = ca.revoke(BigInteger.valueOf(77), RevocationReason.KEY_COMPROMISE,
                ca.revoke(BigInteger.TEN, RevocationReason.SUPERSEDED, first));
        DerSeeds seeds = DerSeeds.get();
        List<byte[]> crls;
        try {
            crls = List.of(first.getEncoded(), revoked.getEncoded(), seeds.crl, seeds.emptyCrl);
        } catch (CRLException e) {
            throw new AssertionError(e);
        }
        FuzzTally tally = ParserFuzz.run("agent-crl", FuzzSettings.cases(2000), crls, new DerMutator(seeds.all()), der -> {
            X509CRL crl = (X509CRL) CertificateFactory.getInstance("X.509").generateCRL(new ByteArrayInputStream(der));
            crl.getNextUpdate();
            crl.getRevokedCertificates();
            try {
                ca.renewCrl(crl);
                return "renewed";
            } catch (IllegalArgumentException e) {
                return "parsed, not this CA's";
            }
        }, CRLException.class);
        System.out.println(tally.line());
        tally.assertClean();
    }
}
