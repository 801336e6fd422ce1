package org.dirkms.agent.ocsp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.security.cert.CRLReason;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.ocsp.OCSPObjectIdentifiers;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.ocsp.BasicOCSPResp;
import org.bouncycastle.cert.ocsp.CertificateID;
import org.bouncycastle.cert.ocsp.OCSPReqBuilder;
import org.bouncycastle.cert.ocsp.OCSPResp;
import org.bouncycastle.cert.ocsp.OCSPRespBuilder;
import org.bouncycastle.cert.ocsp.RevokedStatus;
import org.bouncycastle.cert.ocsp.SingleResp;
import org.bouncycastle.cert.ocsp.UnknownStatus;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;
import org.dirkms.agent.ca.CaSetup;
import org.dirkms.agent.ca.CertificationAuthority;
import org.dirkms.agent.ca.SoftwareSigner;
import org.dirkms.agent.ca.StandardTemplates;
import org.dirkms.agent.enroll.TestClock;
import org.dirkms.schema.KeyAlgorithm;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The responder's answers (RFC 6960, RFC 8954) from statuses held in memory, and the delegated
 * signing key's life: made, kept, renewed before it ends.
 */
class OcspResponderTest {
    private static final String CA_DN = "cn=Test CA,ou=Certification Authorities,ou=KMS,dc=example,dc=com";

    @TempDir
    Path folder;

    private final SecureRandom random = new SecureRandom();
    private final TestClock clock = new TestClock(Instant.parse("2030-01-01T00:00:00Z"));
    private final Map<BigInteger, CertificateStatus> statuses = new HashMap<>();
    private CertificationAuthority ca;
    private org.dirkms.agent.ca.DelegatedKeyStore keys;
    private OcspResponder responder;

    @BeforeEach
    void makeCa() {
        SoftwareSigner signer = SoftwareSigner.generate(KeyAlgorithm.EC_P256, random);
        X509Certificate root = CaSetup.selfSignedRoot(signer, CA_DN, Duration.ofDays(365), clock, random);
        ca = new CertificationAuthority(signer, List.of(root), StandardTemplates.all(), clock, random,
                CertificationAuthority.Publication.at("ldap://localhost:389"));
        keys = OcspSigningKeyStore.openOrCreate(folder.resolve("ocsp/test.p12"), folder.resolve("ocsp/test.pass"), ca,
                clock, random);
        responder = new OcspResponder(ca.certificate(), keys::current,
                serial -> statuses.getOrDefault(serial, new CertificateStatus.Unknown()), clock);
    }

    @Test
    void answersGoodRevokedAndUnknownSignedByTheDelegatedResponder() throws Exception {
        statuses.put(BigInteger.valueOf(1001), new CertificateStatus.Good());
        Instant revokedAt = Instant.parse("2029-12-31T12:00:00Z");
        statuses.put(BigInteger.valueOf(1002), new CertificateStatus.Revoked(revokedAt, CRLReason.KEY_COMPROMISE));
        statuses.put(BigInteger.valueOf(1003), new CertificateStatus.Revoked(revokedAt, null));
        OCSPReqBuilder request = new OCSPReqBuilder();
        for (long serial : new long[] {1001, 1002, 1003, 1004}) {
            request.addRequest(id(ca.certificate(), BigInteger.valueOf(serial)));
        }
        BasicOCSPResp basic = successful(responder.respond(request.build().getEncoded()));
        SingleResp[] answers = basic.getResponses();
        assertEquals(4, answers.length);
        assertNull(answers[0].getCertStatus(), "good");
        RevokedStatus revoked = (RevokedStatus) answers[1].getCertStatus();
        assertEquals(revokedAt, revoked.getRevocationTime().toInstant());
        assertEquals(org.bouncycastle.asn1.x509.CRLReason.keyCompromise, revoked.getRevocationReason());
        assertFalse(((RevokedStatus) answers[2].getCertStatus()).hasRevocationReason());
        assertTrue(answers[3].getCertStatus() instanceof UnknownStatus);
        assertNull(answers[0].getNextUpdate(), "read live: newer information is always available");

        // Signed by the delegated responder, whose certificate the CA issued for OCSP signing only.
        X509CertificateHolder responderCertificate = basic.getCerts()[0];
        assertTrue(basic.isSignatureValid(new JcaContentVerifierProviderBuilder().build(responderCertificate)));
        assertTrue(responderCertificate.isSignatureValid(new JcaContentVerifierProviderBuilder()
                .build(ca.certificate().getPublicKey())));
        assertEquals(List.of(KeyPurposeId.id_kp_OCSPSigning), List.of(org.bouncycastle.asn1.x509.ExtendedKeyUsage
                .fromExtensions(responderCertificate.getExtensions()).getUsages()));
        assertTrue(responderCertificate.hasExtensions()
                && responderCertificate.getExtension(OCSPObjectIdentifiers.id_pkix_ocsp_nocheck) != null);
        assertEquals(org.bouncycastle.asn1.x509.KeyUsage.digitalSignature, org.bouncycastle.asn1.x509.KeyUsage
                .fromExtensions(responderCertificate.getExtensions()).getBytes()[0] & 0xff);
        assertNotEquals(ca.certificate().getPublicKey(), keys.certificate().getPublicKey(), "never the CA key");
    }

    @Test
    void echoesTheNonceAndRefusesOneOutsideOneToThirtyTwoOctets() throws Exception {
        statuses.put(BigInteger.TEN, new CertificateStatus.Good());
        byte[] nonce = new byte[32];
        random.nextBytes(nonce);
        BasicOCSPResp basic = successful(responder.respond(withNonce(nonce)));
        assertArrayEquals(new DEROctetString(nonce).getEncoded(),
                basic.getExtension(OCSPObjectIdentifiers.id_pkix_ocsp_nonce).getExtnValue().getOctets());
        assertEquals(OCSPRespBuilder.MALFORMED_REQUEST, new OCSPResp(responder.respond(withNonce(new byte[33]))).getStatus());
        assertEquals(OCSPRespBuilder.MALFORMED_REQUEST, new OCSPResp(responder.respond(withNonce(new byte[0]))).getStatus());
        // Without a nonce, no nonce in the answer.
        BasicOCSPResp plain = successful(responder.respond(new OCSPReqBuilder()
                .addRequest(id(ca.certificate(), BigInteger.TEN)).build().getEncoded()));
        assertNull(plain.getExtension(OCSPObjectIdentifiers.id_pkix_ocsp_nonce));
    }

    @Test
    void malformedRequestsAndOtherIssuersAreRefusedAsRfc6960Says() throws Exception {
        assertEquals(OCSPRespBuilder.MALFORMED_REQUEST, new OCSPResp(responder.respond(new byte[0])).getStatus());
        assertEquals(OCSPRespBuilder.MALFORMED_REQUEST,
                new OCSPResp(responder.respond("not DER".getBytes(java.nio.charset.StandardCharsets.US_ASCII))).getStatus());
        assertEquals(OCSPRespBuilder.MALFORMED_REQUEST, new OCSPResp(responder.respond(new byte[] {0x30, 0x03, 0x30,
                0x01, 0x00})).getStatus());
        OCSPReqBuilder tooMany = new OCSPReqBuilder();
        for (int i = 0; i <= OcspResponder.MAX_SINGLE_REQUESTS; i++) {
            tooMany.addRequest(id(ca.certificate(), BigInteger.valueOf(i + 1)));
        }
        assertEquals(OCSPRespBuilder.MALFORMED_REQUEST, new OCSPResp(responder.respond(tooMany.build().getEncoded()))
                .getStatus());

        // A CA of the same name with another key: not this responder's.
        SoftwareSigner otherKey = SoftwareSigner.generate(KeyAlgorithm.EC_P256, random);
        X509Certificate other = CaSetup.selfSignedRoot(otherKey, CA_DN, Duration.ofDays(365), clock, random);
        statuses.put(BigInteger.TWO, new CertificateStatus.Good());
        assertEquals(OCSPRespBuilder.UNAUTHORIZED, new OCSPResp(responder.respond(new OCSPReqBuilder()
                .addRequest(id(other, BigInteger.TWO)).build().getEncoded())).getStatus());
        // Beside one of ours, it is unknown (RFC 6960 section 2.2).
        BasicOCSPResp mixed = successful(responder.respond(new OCSPReqBuilder().addRequest(id(other, BigInteger.TWO))
                .addRequest(id(ca.certificate(), BigInteger.TWO)).build().getEncoded()));
        assertTrue(mixed.getResponses()[0].getCertStatus() instanceof UnknownStatus);
        assertNull(mixed.getResponses()[1].getCertStatus());
    }

    @Test
    void aStatusThatCannotBeReadIsTryLater() throws Exception {
        OcspResponder unreachable = new OcspResponder(ca.certificate(), keys::current, serial -> {
            throw new IllegalStateException("cannot reach the directory");
        }, clock);
        assertEquals(OCSPRespBuilder.TRY_LATER, new OCSPResp(unreachable.respond(new OCSPReqBuilder()
                .addRequest(id(ca.certificate(), BigInteger.ONE)).build().getEncoded())).getStatus());
    }

    @Test
    void theSigningKeyIsKeptOwnerOnlyAndRenewedBeforeItsCertificateEnds() throws Exception {
        Path keyStore = folder.resolve("ocsp/test.p12");
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(keyStore)));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(
                folder.resolve("ocsp/test.pass"))));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(folder.resolve("ocsp"))));
        X509Certificate first = keys.certificate();
        assertEquals(OcspSigningKeyStore.VALIDITY, Duration.between(first.getNotBefore().toInstant(),
                first.getNotAfter().toInstant()));
        // A restart reads the same key.
        org.dirkms.agent.ca.DelegatedKeyStore reopened = OcspSigningKeyStore.openOrCreate(keyStore, folder.resolve("ocsp/test.pass"), ca,
                clock, random);
        assertEquals(first, reopened.certificate());
        assertFalse(keys.renewIfDue());
        clock.advance(OcspSigningKeyStore.VALIDITY.minus(OcspSigningKeyStore.RENEW_BEFORE).minusSeconds(60));
        assertFalse(keys.renewIfDue(), "not due yet");
        clock.advance(Duration.ofSeconds(120));
        assertTrue(keys.renewIfDue(), "due");
        assertNotEquals(first.getPublicKey(), keys.certificate().getPublicKey(), "a new key");
        assertEquals(keys.certificate(), OcspSigningKeyStore.openOrCreate(keyStore, folder.resolve("ocsp/test.pass"),
                ca, clock, random).certificate());
        // Responses are signed with the new key from then on.
        statuses.put(BigInteger.ONE, new CertificateStatus.Good());
        BasicOCSPResp basic = successful(responder.respond(new OCSPReqBuilder()
                .addRequest(id(ca.certificate(), BigInteger.ONE)).build().getEncoded()));
        assertEquals(new X509CertificateHolder(keys.certificate().getEncoded()), basic.getCerts()[0]);
    }

    private byte[] withNonce(byte[] nonce) throws Exception {
        return new OCSPReqBuilder().addRequest(id(ca.certificate(), BigInteger.TEN))
                .setRequestExtensions(new Extensions(new Extension(OCSPObjectIdentifiers.id_pkix_ocsp_nonce, false,
                        new DEROctetString(nonce).getEncoded())))
                .build().getEncoded();
    }

    private static BasicOCSPResp successful(byte[] der) throws Exception {
        OCSPResp response = new OCSPResp(der);
        assertEquals(OCSPRespBuilder.SUCCESSFUL, response.getStatus());
        return (BasicOCSPResp) response.getResponseObject();
    }

    private static CertificateID id(X509Certificate issuer, BigInteger serial) throws Exception {
        return new CertificateID(new JcaDigestCalculatorProviderBuilder().build().get(CertificateID.HASH_SHA1),
                new X509CertificateHolder(issuer.getEncoded()), serial);
    }
}
