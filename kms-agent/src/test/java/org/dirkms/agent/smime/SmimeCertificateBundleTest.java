package org.dirkms.agent.smime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bouncycastle.asn1.ASN1Sequence;
import org.bouncycastle.asn1.ASN1TaggedObject;
import org.bouncycastle.asn1.cms.Attribute;
import org.bouncycastle.asn1.cms.AttributeTable;
import org.bouncycastle.asn1.cms.IssuerAndSerialNumber;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.smime.SMIMEAttributes;
import org.bouncycastle.asn1.smime.SMIMECapability;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cms.CMSProcessableByteArray;
import org.bouncycastle.cms.CMSSignedData;
import org.bouncycastle.cms.SignerInformation;
import org.bouncycastle.cms.jcajce.JcaSimpleSignerInfoVerifierBuilder;
import org.dirkms.agent.ca.StandardTemplates;
import org.dirkms.agent.keys.ExternalTools;
import org.dirkms.agent.keys.JcaProviders;
import org.dirkms.agent.keys.TestPki;
import org.dirkms.agent.keys.TestPki.Credential;
import org.dirkms.schema.ContentEncryptionAlgorithm;
import org.dirkms.schema.KeyAlgorithm;
import org.dirkms.schema.MessageFormat;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code userSMIMECertificate} bundle judged by OpenSSL and Bouncy Castle: it carries both
 * certificates and the CA ({@code openssl pkcs7 -print_certs}), its signature over no content
 * verifies ({@code openssl cms -verify}, also against the CA), SMIMECapabilities lists the
 * group's algorithms in the group's order ({@code openssl asn1parse}), and
 * SMIMEEncryptionKeyPreference names the encryption certificate.
 */
class SmimeCertificateBundleTest {
    private static TestPki pki;
    private static Credential signing;
    private static Credential encryption;

    @TempDir
    Path work;

    @BeforeAll
    static void issue() {
        ExternalTools.require("openssl", "openssl");
        pki = TestPki.create();
        signing = pki.issue(StandardTemplates.SMIME_SIGNATURE, KeyAlgorithm.EC_P256);
        encryption = pki.issue(StandardTemplates.SMIME_ENCRYPTION, KeyAlgorithm.EC_P256);
    }

    private byte[] bundle(ContentEncryptionAlgorithm algorithm, MessageFormat format) {
        return SmimeCertificateBundle.build(signing.certificate(), signing.keys().getPrivate(), encryption.certificate(),
                List.of(pki.ca().certificate()), algorithm, format);
    }

    @Test
    void opensslShowsBothCertificatesAndVerifiesTheSignature() {
        Path der = TestPki.write(work.resolve("bundle.der"), bundle(ContentEncryptionAlgorithm.AES_256_GCM, MessageFormat.SMIME_4_0));
        String certificates = ExternalTools.openssl(work, "pkcs7", "-inform", "DER", "-in", der.toString(), "-print_certs");
        assertEquals(3, count(certificates, "-----BEGIN CERTIFICATE-----"), certificates);
        assertTrue(certificates.contains(TestPki.pem(signing.certificate()).strip()), "the signing certificate");
        assertTrue(certificates.contains(TestPki.pem(encryption.certificate()).strip()), "the encryption certificate");

        String verified = ExternalTools.openssl(work, "cms", "-verify", "-inform", "DER", "-in", der.toString(), "-noverify",
                "-content", "/dev/null", "-out", "/dev/null");
        assertTrue(verified.contains("Verification successful"), verified);
        // And with the signer's certificate path checked against the CA, for S/MIME signing.
        Path ca = TestPki.writePem(work.resolve("ca.pem"), pki.ca().certificate());
        String trusted = ExternalTools.openssl(work, "cms", "-verify", "-inform", "DER", "-in", der.toString(), "-CAfile",
                ca.toString(), "-purpose", "smimesign", "-content", "/dev/null", "-out", "/dev/null");
        assertTrue(trusted.contains("Verification successful"), trusted);

        String printed = ExternalTools.openssl(work, "cms", "-cmsout", "-print", "-inform", "DER", "-in", der.toString());
        assertTrue(printed.contains("S/MIME Capabilities"), printed);
        assertTrue(printed.contains("id-smime-aa-encrypKeyPref"), printed);
        assertTrue(printed.contains("eContent: <ABSENT>"), printed);
    }

    @Test
    void capabilitiesFollowTheGroupsAlgorithmThenItsMessageFormat() {
        assertCapabilities(ContentEncryptionAlgorithm.AES_256_GCM, MessageFormat.SMIME_4_0,
                List.of("aes-256-gcm", "aes-128-gcm", "aes-256-cbc", "aes-128-cbc"));
        assertCapabilities(ContentEncryptionAlgorithm.AES_128_CBC, MessageFormat.SMIME_4_0,
                List.of("aes-128-cbc", "aes-256-gcm", "aes-128-gcm", "aes-256-cbc"));
        assertCapabilities(ContentEncryptionAlgorithm.AES_256_CBC, MessageFormat.SMIME_3_2,
                List.of("aes-256-cbc", "aes-128-cbc", "des-ede3-cbc"));
        assertCapabilities(ContentEncryptionAlgorithm.DES_EDE3_CBC, MessageFormat.SMIME_3_2,
                List.of("des-ede3-cbc", "aes-256-cbc", "aes-128-cbc"));
    }

    @Test
    void theEncryptionKeyPreferenceNamesTheEncryptionCertificateAndBouncyCastleVerifies() throws Exception {
        CMSSignedData signed = new CMSSignedData(new CMSProcessableByteArray(new byte[0]),
                bundle(ContentEncryptionAlgorithm.AES_256_CBC, MessageFormat.SMIME_3_2));
        SignerInformation signer = signed.getSignerInfos().getSigners().iterator().next();
        assertTrue(signer.verify(new JcaSimpleSignerInfoVerifierBuilder().setProvider(JcaProviders.bouncyCastle())
                .build(signing.certificate())));
        assertTrue(signer.getSID().match(new X509CertificateHolder(signing.certificate().getEncoded())));
        AttributeTable attributes = signer.getSignedAttributes();
        Attribute preference = attributes.get(SMIMEAttributes.encrypKeyPref);
        // RFC 8551 section 2.5.3: issuerAndSerialNumber [0], implicitly tagged.
        ASN1TaggedObject choice = ASN1TaggedObject.getInstance(preference.getAttrValues().getObjectAt(0));
        assertEquals(0, choice.getTagNo());
        IssuerAndSerialNumber named = IssuerAndSerialNumber.getInstance(ASN1Sequence.getInstance(choice, false));
        assertEquals(encryption.certificate().getSerialNumber(), named.getSerialNumber().getValue());
        assertEquals(new X509CertificateHolder(encryption.certificate().getEncoded()).getIssuer(), named.getName());
        assertTrue(attributes.get(PKCSObjectIdentifiers.pkcs_9_at_signingTime) == null, "no signing time");
        ASN1Sequence capabilities = ASN1Sequence.getInstance(attributes.get(SMIMEAttributes.smimeCapabilities)
                .getAttrValues().getObjectAt(0));
        List<String> oids = new ArrayList<>();
        for (int i = 0; i < capabilities.size(); i++) {
            SMIMECapability capability = SMIMECapability.getInstance(capabilities.getObjectAt(i));
            oids.add(capability.getCapabilityID().getId());
            assertTrue(capability.getParameters() == null, "parameters absent (RFC 3565 section 2.3)");
        }
        assertEquals(SmimeCertificateBundle.capabilities(ContentEncryptionAlgorithm.AES_256_CBC, MessageFormat.SMIME_3_2)
                .stream().map(SmimeCertificateBundle::capabilityOid).toList(), oids);
    }

    @Test
    void anRsaSigningKeySignsTheBundleToo() {
        Credential rsa = pki.issue(StandardTemplates.SMIME_SIGNATURE, KeyAlgorithm.RSA_2048);
        Path der = TestPki.write(work.resolve("rsa.der"), SmimeCertificateBundle.build(rsa.certificate(),
                rsa.keys().getPrivate(), encryption.certificate(), List.of(pki.ca().certificate()),
                ContentEncryptionAlgorithm.AES_128_GCM, MessageFormat.SMIME_4_0));
        String verified = ExternalTools.openssl(work, "cms", "-verify", "-inform", "DER", "-in", der.toString(), "-noverify",
                "-content", "/dev/null", "-out", "/dev/null");
        assertTrue(verified.contains("Verification successful"), verified);
    }

    @Test
    void aSigningKeyThatIsNotTheCertificatesIsRefused() {
        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class, () -> SmimeCertificateBundle.build(
                signing.certificate(), encryption.keys().getPrivate(), encryption.certificate(), List.of(),
                ContentEncryptionAlgorithm.AES_256_CBC, MessageFormat.SMIME_4_0));
        assertTrue(refused.getMessage().contains("signing key is not the key"), refused.getMessage());
    }

    /** The capability OIDs, as openssl names them, in the order asn1parse shows inside the SMIMECapabilities attribute. */
    private void assertCapabilities(ContentEncryptionAlgorithm algorithm, MessageFormat format, List<String> expected) {
        Path der = TestPki.write(work.resolve(algorithm.ldapValue() + "-" + format.name() + ".der"), bundle(algorithm, format));
        String parsed = ExternalTools.openssl(work, "asn1parse", "-inform", "DER", "-in", der.toString());
        int start = parsed.indexOf(":S/MIME Capabilities");
        assertTrue(start >= 0, parsed);
        String after = parsed.substring(start);
        int end = after.indexOf(":id-smime-aa-encrypKeyPref");
        String section = end > 0 ? after.substring(0, end) : after;
        List<String> found = new ArrayList<>();
        Matcher matcher = Pattern.compile("OBJECT\\s+:([\\w-]+)").matcher(section);
        while (matcher.find()) {
            found.add(matcher.group(1));
        }
        assertEquals(expected, found, section);
    }

    private static int count(String text, String needle) {
        Matcher matcher = Pattern.compile(Pattern.quote(needle)).matcher(text);
        int count = 0;
        while (matcher.find()) {
            count++;
        }
        return count;
    }
}
