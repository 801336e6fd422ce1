package org.dirkms.agent.enroll;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.bouncycastle.cert.jcajce.JcaX509CertificateHolder;
import org.bouncycastle.cms.CMSSignedData;
import org.bouncycastle.cms.SignerInformation;
import org.bouncycastle.cms.jcajce.JcaSimpleSignerInfoVerifierBuilder;
import org.dirkms.agent.archive.KeyRecoverer;
import org.dirkms.agent.ca.CaSetup;
import org.dirkms.agent.ca.CertificationAuthority;
import org.dirkms.agent.ca.IssuanceRequest;
import org.dirkms.agent.ca.SoftwareSigner;
import org.dirkms.agent.ca.StandardTemplates;
import org.dirkms.agent.keys.KeyPairFactory;
import org.dirkms.agent.keys.RecoveryKey;
import org.dirkms.schema.ContentEncryptionAlgorithm;
import org.dirkms.schema.KeyAlgorithm;
import org.dirkms.schema.MessageFormat;
import org.dirkms.schema.PackageFormat;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The cryptography seam of enrollment with the real key, archive and S/MIME code and a real CA:
 * agent-made keys are certified through their PKCS#10, an archived key unwraps to the key of its
 * certificate, the package opens with the token, and the S/MIME bundle is signed by the signing
 * key when the agent holds it and certificates-only when the user's client does.
 */
class KeysCryptographyTest {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String USER = "uid=jdoe,ou=People,dc=example,dc=com";
    private static CertificationAuthority ca;
    private static RecoveryKey recovery;
    private static KeysCryptography crypto;

    @BeforeAll
    static void makeCa() throws Exception {
        SoftwareSigner signer = SoftwareSigner.generate(KeyAlgorithm.EC_P384, RANDOM);
        X509Certificate root = CaSetup.selfSignedRoot(signer, "cn=Unit CA,ou=Certification Authorities,ou=KMS,"
                + "dc=example,dc=com", Duration.ofDays(30), Clock.systemUTC(), RANDOM);
        ca = new CertificationAuthority(signer, List.of(root), StandardTemplates.all(), Clock.systemUTC(), RANDOM,
                CertificationAuthority.Publication.at("ldap://kms.example.com:389"));
        KeyPair recoveryPair = new KeyPairFactory(RANDOM).generate(KeyAlgorithm.EC_P256);
        X509Certificate recoveryCertificate = ca.issue(IssuanceRequest.forPerson(StandardTemplates.KEY_RECOVERY_AGENT,
                KeyPairFactory.certificationRequest(recoveryPair), "cn=Key Recovery Agent,ou=KMS,dc=example,dc=com",
                List.of()));
        recovery = new RecoveryKey(recoveryCertificate, recoveryPair.getPrivate());
        crypto = new KeysCryptography(recoveryCertificate, RANDOM);
    }

    private static X509Certificate issue(String template, KeyPair pair) throws Exception {
        return ca.issue(IssuanceRequest.forPerson(template, crypto.certificationRequest(pair), USER,
                List.of("jane.doe@example.com")));
    }

    @Test
    void archivedKeyUnwrapsToTheKeyOfItsCertificate() throws Exception {
        KeyPair encryption = crypto.newKeyPair(KeyAlgorithm.EC_P256);
        X509Certificate certificate = issue(StandardTemplates.SMIME_ENCRYPTION, encryption);
        EnrollmentCryptography.Wrapped wrapped = crypto.wrap(encryption.getPrivate(), certificate);
        assertEquals(recovery.keyId(), wrapped.keyId());
        PrivateKey unwrapped = new KeyRecoverer(List.of(recovery)).unwrap(wrapped.envelopedData());
        assertTrue(KeyPairFactory.matches(unwrapped, certificate.getPublicKey()));
    }

    @Test
    void packageOpensWithItsTokenOnly() throws Exception {
        KeyPair encryption = crypto.newKeyPair(KeyAlgorithm.EC_P256);
        X509Certificate certificate = issue(StandardTemplates.SMIME_ENCRYPTION, encryption);
        char[] token = crypto.newToken();
        List<byte[]> values = crypto.keyPackage(List.of(new EnrollmentCryptography.PackageItem(encryption.getPrivate(),
                List.of(certificate, ca.certificate()), "jane encryption")), token, PackageFormat.PBES2_AES_256);
        assertEquals(1, values.size());
        byte[] p12 = values.get(0);
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(new ByteArrayInputStream(p12), token);
        String alias = store.aliases().nextElement();
        assertTrue(KeyPairFactory.matches((PrivateKey) store.getKey(alias, token), certificate.getPublicKey()));
        char[] other = crypto.newToken();
        assertNotEquals(new String(token), new String(other), "every token is new");
        KeyStore wrong = KeyStore.getInstance("PKCS12");
        org.junit.jupiter.api.Assertions.assertThrows(java.io.IOException.class,
                () -> wrong.load(new ByteArrayInputStream(p12), other));
    }

    @Test
    void theLegacyPackageHoldsOneKeyPerValueForGpgsm22() throws Exception {
        KeyPair encryption = crypto.newKeyPair(KeyAlgorithm.RSA_2048);
        KeyPair signing = crypto.newKeyPair(KeyAlgorithm.RSA_2048);
        X509Certificate encryptionCertificate = issue(StandardTemplates.SMIME_ENCRYPTION, encryption);
        X509Certificate signingCertificate = issue(StandardTemplates.SMIME_SIGNATURE, signing);
        List<EnrollmentCryptography.PackageItem> items = List.of(
                new EnrollmentCryptography.PackageItem(encryption.getPrivate(), List.of(encryptionCertificate,
                        ca.certificate()), "jane encryption"),
                new EnrollmentCryptography.PackageItem(signing.getPrivate(), List.of(signingCertificate,
                        ca.certificate()), "jane signing"));
        char[] token = crypto.newToken();

        assertEquals(1, crypto.keyPackage(items, token, PackageFormat.PBES2_AES_256).size(), "one PKCS#12 of both");
        List<byte[]> values = crypto.keyPackage(items, token, PackageFormat.LEGACY_PBE_SHA1_3DES);
        assertEquals(2, values.size(), "one PKCS#12 per key");
        List<X509Certificate> order = List.of(encryptionCertificate, signingCertificate);
        for (int i = 0; i < 2; i++) {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(new ByteArrayInputStream(values.get(i)), token);
            List<String> keys = java.util.Collections.list(store.aliases()).stream().filter(alias -> {
                try {
                    return store.isKeyEntry(alias);
                } catch (java.security.KeyStoreException e) {
                    throw new IllegalStateException(e);
                }
            }).toList();
            assertEquals(1, keys.size(), "value " + i + " holds one key");
            assertEquals(order.get(i), store.getCertificate(keys.get(0)), "the encryption key first");
        }
    }

    @Test
    void bundleIsSignedWhenTheAgentHoldsTheSigningKeyAndCertificatesOnlyOtherwise() throws Exception {
        KeyPair signing = crypto.newKeyPair(KeyAlgorithm.EC_P256);
        KeyPair encryption = crypto.newKeyPair(KeyAlgorithm.EC_P256);
        X509Certificate signingCertificate = issue(StandardTemplates.SMIME_SIGNATURE, signing);
        X509Certificate encryptionCertificate = issue(StandardTemplates.SMIME_ENCRYPTION, encryption);

        CMSSignedData signed = new CMSSignedData(crypto.smimeBundle(signingCertificate, signing.getPrivate(),
                encryptionCertificate, List.of(ca.certificate()), ContentEncryptionAlgorithm.AES_256_GCM,
                MessageFormat.SMIME_4_0));
        assertEquals(1, signed.getSignerInfos().size());
        SignerInformation signer = signed.getSignerInfos().getSigners().iterator().next();
        assertTrue(signer.verify(new JcaSimpleSignerInfoVerifierBuilder().build(signingCertificate)));
        assertEquals(3, signed.getCertificates().getMatches(null).size());

        CMSSignedData certificatesOnly = new CMSSignedData(crypto.smimeBundle(signingCertificate, null,
                encryptionCertificate, List.of(ca.certificate()), ContentEncryptionAlgorithm.AES_256_CBC,
                MessageFormat.SMIME_3_2));
        assertEquals(0, certificatesOnly.getSignerInfos().size(), "nobody here holds the client's signing key");
        assertTrue(certificatesOnly.getCertificates().getMatches(null)
                .contains(new JcaX509CertificateHolder(encryptionCertificate)));
    }
}
