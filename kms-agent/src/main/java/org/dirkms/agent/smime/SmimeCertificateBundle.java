package org.dirkms.agent.smime;

import java.io.IOException;
import java.security.PrivateKey;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1EncodableVector;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.DERSet;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.cms.Attribute;
import org.bouncycastle.asn1.cms.AttributeTable;
import org.bouncycastle.asn1.cms.CMSAttributes;
import org.bouncycastle.asn1.cms.IssuerAndSerialNumber;
import org.bouncycastle.asn1.nist.NISTObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.smime.SMIMECapabilitiesAttribute;
import org.bouncycastle.asn1.smime.SMIMECapabilityVector;
import org.bouncycastle.asn1.smime.SMIMEEncryptionKeyPreferenceAttribute;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.jcajce.JcaCertStore;
import org.bouncycastle.cms.CMSAbsentContent;
import org.bouncycastle.cms.CMSAttributeTableGenerator;
import org.bouncycastle.cms.CMSException;
import org.bouncycastle.cms.CMSSignedDataGenerator;
import org.bouncycastle.cms.jcajce.JcaSignerInfoGeneratorBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;
import org.dirkms.agent.keys.JcaProviders;
import org.dirkms.agent.keys.KeyPairFactory;
import org.dirkms.schema.ContentEncryptionAlgorithm;
import org.dirkms.schema.MessageFormat;

/**
 * Builds the {@code userSMIMECertificate} value (RFC 2798 section 2.8): a CMS SignedData
 * (RFC 5652 section 5) over no content, signed with the user's signing key, carrying the
 * signing and the encryption certificate and the CA chain, with two signed attributes that tell
 * a sender how to encrypt to the user:
 * <ul>
 * <li>SMIMECapabilities (RFC 8551 section 2.5.2): the content-encryption algorithms the user's
 * client accepts, most preferred first — the administrative group's algorithm, then the others
 * its message format defines, strongest first;</li>
 * <li>SMIMEEncryptionKeyPreference (RFC 8551 section 2.5.3): the encryption certificate, by
 * issuer and serial number, so that a sender encrypts to it and not to the signing certificate.</li>
 * </ul>
 * This is the signed "certificate bundle" Outlook publishes: its signature shows the key holder
 * (the signing key) vouches for the preferences.
 *
 * <p>No signingTime attribute: the bundle is not a message, and leaving the time out keeps the
 * value a function of its inputs (RFC 8551 section 2.5.1 asks for it in messages only).
 */
public final class SmimeCertificateBundle {
    /** S/MIME 4.0 (RFC 8551 section 2.7): AES-GCM in AuthEnvelopedData preferred, AES-CBC still accepted. */
    private static final List<ContentEncryptionAlgorithm> SMIME_4_0 = List.of(ContentEncryptionAlgorithm.AES_256_GCM,
            ContentEncryptionAlgorithm.AES_128_GCM, ContentEncryptionAlgorithm.AES_256_CBC,
            ContentEncryptionAlgorithm.AES_128_CBC);
    /** S/MIME 3.2 (RFC 5751 section 2.7): AES-CBC, and Triple DES for old senders. */
    private static final List<ContentEncryptionAlgorithm> SMIME_3_2 = List.of(ContentEncryptionAlgorithm.AES_256_CBC,
            ContentEncryptionAlgorithm.AES_128_CBC, ContentEncryptionAlgorithm.DES_EDE3_CBC);
    /** The capability identifiers; parameters absent as RFC 3565 section 2.3 and RFC 5084 section 5 say. */
    private static final Map<ContentEncryptionAlgorithm, ASN1ObjectIdentifier> OIDS = Map.of(
            ContentEncryptionAlgorithm.AES_256_CBC, NISTObjectIdentifiers.id_aes256_CBC,
            ContentEncryptionAlgorithm.AES_128_CBC, NISTObjectIdentifiers.id_aes128_CBC,
            ContentEncryptionAlgorithm.AES_256_GCM, NISTObjectIdentifiers.id_aes256_GCM,
            ContentEncryptionAlgorithm.AES_128_GCM, NISTObjectIdentifiers.id_aes128_GCM,
            ContentEncryptionAlgorithm.DES_EDE3_CBC, PKCSObjectIdentifiers.des_EDE3_CBC);

    private SmimeCertificateBundle() {
    }

    /**
     * The content-encryption algorithms announced for a group, most preferred first:
     * {@code preferred}, then the algorithms of {@code format} in its order, each once.
     */
    public static List<ContentEncryptionAlgorithm> capabilities(ContentEncryptionAlgorithm preferred, MessageFormat format) {
        Set<ContentEncryptionAlgorithm> ordered = new LinkedHashSet<>();
        ordered.add(preferred);
        ordered.addAll(format == MessageFormat.SMIME_4_0 ? SMIME_4_0 : SMIME_3_2);
        return List.copyOf(ordered);
    }

    /** The OID of {@code algorithm} as it appears in SMIMECapabilities. */
    public static String capabilityOid(ContentEncryptionAlgorithm algorithm) {
        return OIDS.get(algorithm).getId();
    }

    /**
     * A certs-only bundle (RFC 8551 section 3.8: SignedData with no signer and no content) of
     * the user's certificates and the CA chain, for a user whose signing key stays on their own
     * client: with no key to sign, it carries no SMIMECapabilities nor encryption-key
     * preference, and clients fall back to the key usages of the certificates.
     */
    public static byte[] certificatesOnly(X509Certificate signingCertificate, X509Certificate encryptionCertificate,
            List<X509Certificate> chain) {
        List<X509Certificate> certificates = new ArrayList<>();
        certificates.add(signingCertificate);
        certificates.add(encryptionCertificate);
        certificates.addAll(chain);
        try {
            CMSSignedDataGenerator generator = new CMSSignedDataGenerator();
            generator.addCertificates(new JcaCertStore(certificates));
            return generator.generate(new CMSAbsentContent(), false).toASN1Structure().getEncoded(ASN1Encoding.DER);
        } catch (CertificateEncodingException | CMSException | IOException e) {
            throw new IllegalStateException("cannot build the certs-only S/MIME bundle: " + e.getClass().getSimpleName(), e);
        }
    }

    /**
     * The DER of the bundle (a CMS ContentInfo of SignedData).
     *
     * @param signingCertificate the user's signing certificate, whose key signs the bundle
     * @param signingKey the private key of {@code signingCertificate}
     * @param encryptionCertificate the user's encryption certificate, named in SMIMEEncryptionKeyPreference
     * @param chain the CA chain (issuing CA first), added so that clients can build the path
     * @param contentEncryption the administrative group's content-encryption algorithm
     * @param messageFormat the administrative group's message format
     * @throws IllegalArgumentException if {@code signingKey} is not the key of {@code signingCertificate}
     */
    public static byte[] build(X509Certificate signingCertificate, PrivateKey signingKey, X509Certificate encryptionCertificate,
            List<X509Certificate> chain, ContentEncryptionAlgorithm contentEncryption, MessageFormat messageFormat) {
        if (!KeyPairFactory.matches(signingKey, signingCertificate.getPublicKey())) {
            throw new IllegalArgumentException("the signing key is not the key of signing certificate "
                    + signingCertificate.getSubjectX500Principal().getName());
        }
        SMIMECapabilityVector capabilities = new SMIMECapabilityVector();
        for (ContentEncryptionAlgorithm algorithm : capabilities(contentEncryption, messageFormat)) {
            capabilities.addCapability(OIDS.get(algorithm));
        }
        try {
            X500Name issuer = X500Name.getInstance(encryptionCertificate.getIssuerX500Principal().getEncoded());
            Attribute preference = new SMIMEEncryptionKeyPreferenceAttribute(
                    new IssuerAndSerialNumber(issuer, encryptionCertificate.getSerialNumber()));
            Attribute announced = new SMIMECapabilitiesAttribute(capabilities);
            CMSAttributeTableGenerator signedAttributes = parameters -> {
                // RFC 5652 section 5.3: contentType and messageDigest are required whenever
                // signed attributes are present; the S/MIME attributes follow.
                ASN1EncodableVector attributes = new ASN1EncodableVector();
                attributes.add(new Attribute(CMSAttributes.contentType,
                        new DERSet((ASN1Encodable) parameters.get(CMSAttributeTableGenerator.CONTENT_TYPE))));
                attributes.add(new Attribute(CMSAttributes.messageDigest,
                        new DERSet(new DEROctetString((byte[]) parameters.get(CMSAttributeTableGenerator.DIGEST)))));
                attributes.add(announced);
                attributes.add(preference);
                return new AttributeTable(attributes);
            };
            CMSSignedDataGenerator generator = new CMSSignedDataGenerator();
            generator.addSignerInfoGenerator(new JcaSignerInfoGeneratorBuilder(
                    new JcaDigestCalculatorProviderBuilder().setProvider(JcaProviders.bouncyCastle()).build())
                    .setSignedAttributeGenerator(signedAttributes)
                    .build(KeyPairFactory.contentSigner(signingKey, signingCertificate.getPublicKey()), signingCertificate));
            List<X509Certificate> certificates = new ArrayList<>();
            certificates.add(signingCertificate);
            certificates.add(encryptionCertificate);
            certificates.addAll(chain);
            generator.addCertificates(new JcaCertStore(certificates));
            // Detached: the signature covers the empty content, which no eContent carries.
            return generator.generate(new CMSAbsentContent(), false).toASN1Structure().getEncoded(ASN1Encoding.DER);
        } catch (CertificateEncodingException | OperatorCreationException | CMSException | IOException e) {
            throw new IllegalStateException("cannot build the S/MIME certificate bundle: " + e.getClass().getSimpleName(), e);
        }
    }
}
