package org.dirkms.agent.trust;

import java.io.IOException;
import java.math.BigInteger;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Date;
import java.util.List;
import java.util.Objects;

import org.bouncycastle.asn1.ASN1EncodableVector;
import org.bouncycastle.asn1.ASN1GeneralizedTime;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.DERSet;
import org.bouncycastle.asn1.cms.Attribute;
import org.bouncycastle.asn1.cms.AttributeTable;
import org.bouncycastle.asn1.cms.CMSAttributes;
import org.bouncycastle.asn1.cms.Time;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaCertStore;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cms.CMSException;
import org.bouncycastle.cms.CMSProcessableByteArray;
import org.bouncycastle.cms.CMSSignedData;
import org.bouncycastle.cms.CMSSignedDataGenerator;
import org.bouncycastle.cms.DefaultSignedAttributeTableGenerator;
import org.bouncycastle.cms.SignerInformation;
import org.bouncycastle.cms.jcajce.JcaSignerInfoGeneratorBuilder;
import org.bouncycastle.cms.jcajce.JcaSimpleSignerInfoVerifierBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;
import org.bouncycastle.util.Selector;
import org.dirkms.agent.ca.SoftwareSigner;
import org.dirkms.agent.keys.JcaProviders;
import org.dirkms.schema.KmsSchema;

/**
 * A trust list as the KMS publishes it in {@code kmsSignedTrustList}: CMS SignedData (RFC 5652
 * section 5) whose encapsulated content is an RFC 5914 TrustAnchorList
 * ({@link TrustAnchorList#CONTENT_TYPE}), signed by the trust-list-signing key with its
 * certificate and the enterprise CA's chain in {@code certificates}, and three signed attributes
 * besides contentType and messageDigest: signingTime (RFC 5652 section 11.3, when the list was
 * made), {@link #SEQUENCE_ATTRIBUTE} (its sequence number, strictly increasing from one list to
 * the next) and {@link #NEXT_UPDATE_ATTRIBUTE} (when it stops being current). The signature
 * covers all three, so a replayed older list shows its lower sequence and its past next update.
 *
 * @param sequence the list's sequence number, 1 or more
 * @param thisUpdate when it was made
 * @param nextUpdate when it stops being current
 * @param anchors the partner roots it lists
 * @param signer the certificate that signed it
 * @param der the SignedData's ContentInfo, DER
 */
public record SignedTrustList(long sequence, Instant thisUpdate, Instant nextUpdate, List<X509Certificate> anchors,
        X509Certificate signer, byte[] der) {

    /** The signed attribute carrying the list's sequence number (INTEGER), under the project's arc. */
    public static final ASN1ObjectIdentifier SEQUENCE_ATTRIBUTE = new ASN1ObjectIdentifier(KmsSchema.OID_ARC + ".3.1");
    /** The signed attribute carrying the list's next update (GeneralizedTime), under the project's arc. */
    public static final ASN1ObjectIdentifier NEXT_UPDATE_ATTRIBUTE = new ASN1ObjectIdentifier(KmsSchema.OID_ARC + ".3.2");

    /** Copies the list. */
    public SignedTrustList {
        anchors = List.copyOf(anchors);
        Objects.requireNonNull(der, "der");
    }

    /**
     * Signs the list of {@code anchors} with {@code signer} (its stored chain: the signing
     * certificate, then the CA's).
     *
     * @throws IllegalArgumentException if {@code anchors} is empty or {@code sequence} is below 1
     */
    public static SignedTrustList sign(long sequence, Instant thisUpdate, Instant nextUpdate,
            List<X509Certificate> anchors, SoftwareSigner signer) {
        if (sequence < 1) {
            throw new IllegalArgumentException("a trust list's sequence number is 1 or more");
        }
        byte[] content = TrustAnchorList.encode(anchors);
        X509Certificate certificate = signer.storedChain().get(0);
        ASN1EncodableVector attributes = new ASN1EncodableVector();
        attributes.add(new Attribute(CMSAttributes.signingTime, new DERSet(new Time(Date.from(thisUpdate)))));
        attributes.add(new Attribute(SEQUENCE_ATTRIBUTE, new DERSet(new ASN1Integer(sequence))));
        attributes.add(new Attribute(NEXT_UPDATE_ATTRIBUTE, new DERSet(new ASN1GeneralizedTime(Date.from(nextUpdate)))));
        try {
            CMSSignedDataGenerator generator = new CMSSignedDataGenerator();
            generator.addSignerInfoGenerator(new JcaSignerInfoGeneratorBuilder(new JcaDigestCalculatorProviderBuilder()
                    .setProvider(JcaProviders.bouncyCastle()).build())
                    .setSignedAttributeGenerator(new DefaultSignedAttributeTableGenerator(new AttributeTable(attributes)))
                    .build(signer.contentSigner(), certificate));
            generator.addCertificates(new JcaCertStore(signer.storedChain()));
            CMSSignedData signed = generator.generate(new CMSProcessableByteArray(TrustAnchorList.CONTENT_TYPE, content),
                    true);
            return new SignedTrustList(sequence, thisUpdate, nextUpdate, anchors, certificate, signed.getEncoded());
        } catch (OperatorCreationException | CertificateException | CMSException | IOException e) {
            throw new IllegalStateException("cannot sign the trust list", e);
        }
    }

    /**
     * Reads a published list: its content type, its one signer's signature (with the signer's
     * certificate from the SignedData), its sequence, times and anchors. It does not say
     * whether the signer is trusted: a relying party checks the signer's chain to the
     * enterprise root (README, "Trusting a partner organisation").
     *
     * @throws IllegalArgumentException if it is not a trust list this KMS could have written, or
     *         its signature does not verify
     */
    public static SignedTrustList parse(byte[] der) {
        try {
            CMSSignedData signed = new CMSSignedData(der);
            if (!TrustAnchorList.CONTENT_TYPE.getId().equals(signed.getSignedContentTypeOID())) {
                throw new IllegalArgumentException("its content type is " + signed.getSignedContentTypeOID()
                        + ", not id-ct-trustAnchorList");
            }
            Collection<SignerInformation> signers = signed.getSignerInfos().getSigners();
            if (signers.size() != 1) {
                throw new IllegalArgumentException("it has " + signers.size() + " signers, not one");
            }
            SignerInformation info = signers.iterator().next();
            @SuppressWarnings("unchecked")
            Collection<X509CertificateHolder> matches = signed.getCertificates()
                    .getMatches((Selector<X509CertificateHolder>) (Selector<?>) info.getSID());
            if (matches.isEmpty()) {
                throw new IllegalArgumentException("it does not carry its signer's certificate");
            }
            X509Certificate signer = new JcaX509CertificateConverter().getCertificate(matches.iterator().next());
            if (!info.verify(new JcaSimpleSignerInfoVerifierBuilder().setProvider(JcaProviders.bouncyCastle())
                    .build(signer))) {
                throw new IllegalArgumentException("its signature does not verify");
            }
            AttributeTable attributes = info.getSignedAttributes();
            Attribute sequence = attributes.get(SEQUENCE_ATTRIBUTE);
            Attribute nextUpdate = attributes.get(NEXT_UPDATE_ATTRIBUTE);
            Attribute signingTime = attributes.get(CMSAttributes.signingTime);
            if (sequence == null || nextUpdate == null || signingTime == null) {
                throw new IllegalArgumentException("it lacks its sequence, next update or signing time");
            }
            BigInteger number = ASN1Integer.getInstance(sequence.getAttrValues().getObjectAt(0)).getValue();
            Instant next = ASN1GeneralizedTime.getInstance(nextUpdate.getAttrValues().getObjectAt(0)).getDate()
                    .toInstant();
            Instant made = Time.getInstance(signingTime.getAttrValues().getObjectAt(0)).getDate().toInstant();
            byte[] content = (byte[]) signed.getSignedContent().getContent();
            return new SignedTrustList(number.longValueExact(), made, next, TrustAnchorList.decode(content), signer, der);
        } catch (CMSException | OperatorCreationException | CertificateException | java.text.ParseException
                | ArithmeticException | IllegalStateException | ClassCastException e) {
            throw new IllegalArgumentException("not a signed trust list: " + e.getMessage(), e);
        }
    }

    /** The SHA-256 fingerprints ({@link PartnerRoot#fingerprint(byte[])}) of the anchors, in order. */
    public List<String> fingerprints() {
        List<String> fingerprints = new ArrayList<>();
        for (X509Certificate anchor : anchors) {
            try {
                fingerprints.add(PartnerRoot.fingerprint(anchor.getEncoded()));
            } catch (CertificateException e) {
                throw new IllegalStateException("a trust anchor cannot be encoded", e);
            }
        }
        return fingerprints;
    }
}
