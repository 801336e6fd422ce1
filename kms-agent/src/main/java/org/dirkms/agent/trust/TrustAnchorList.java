package org.dirkms.agent.trust;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;

import org.bouncycastle.asn1.ASN1EncodableVector;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.ASN1Sequence;
import org.bouncycastle.asn1.ASN1TaggedObject;
import org.bouncycastle.asn1.DERSequence;
import org.bouncycastle.asn1.x509.Certificate;

/**
 * An RFC 5914 TrustAnchorList (section 4): {@code SEQUENCE SIZE (1..MAX) OF TrustAnchorChoice},
 * each partner root given as the {@code certificate} choice (section 2: the certificate itself,
 * untagged), carried in CMS under the content type {@link #CONTENT_TYPE}.
 */
public final class TrustAnchorList {

    /** id-ct-trustAnchorList (RFC 5914 section 4): 1.2.840.113549.1.9.16.1.34. */
    public static final ASN1ObjectIdentifier CONTENT_TYPE = new ASN1ObjectIdentifier("1.2.840.113549.1.9.16.1.34");

    private TrustAnchorList() {
    }

    /**
     * The DER of the list of {@code anchors}, in the order given.
     *
     * @throws IllegalArgumentException if {@code anchors} is empty (RFC 5914: SIZE (1..MAX))
     */
    public static byte[] encode(List<X509Certificate> anchors) {
        if (anchors.isEmpty()) {
            throw new IllegalArgumentException("a TrustAnchorList holds at least one trust anchor (RFC 5914 section 4)");
        }
        ASN1EncodableVector choices = new ASN1EncodableVector();
        for (X509Certificate anchor : anchors) {
            try {
                choices.add(Certificate.getInstance(anchor.getEncoded()));
            } catch (CertificateException e) {
                throw new IllegalArgumentException("a trust anchor cannot be encoded", e);
            }
        }
        try {
            return new DERSequence(choices).getEncoded(ASN1Encoding.DER);
        } catch (IOException e) {
            throw new IllegalStateException("cannot encode the trust anchor list", e);
        }
    }

    /**
     * The certificates of a TrustAnchorList's DER.
     *
     * @throws IllegalArgumentException if it is not a TrustAnchorList of certificates (a
     *         {@code tbsCert} or {@code taInfo} choice is not one this KMS writes)
     */
    public static List<X509Certificate> decode(byte[] der) {
        List<X509Certificate> anchors = new ArrayList<>();
        try {
            ASN1Sequence sequence = ASN1Sequence.getInstance(ASN1Primitive.fromByteArray(der));
            CertificateFactory factory = CertificateFactory.getInstance("X.509");
            for (var element : sequence) {
                if (element instanceof ASN1TaggedObject) {
                    throw new IllegalArgumentException("the trust anchor list holds a tbsCert or taInfo choice; this"
                            + " KMS writes certificates only");
                }
                anchors.add((X509Certificate) factory.generateCertificate(new ByteArrayInputStream(
                        element.toASN1Primitive().getEncoded(ASN1Encoding.DER))));
            }
        } catch (IOException | CertificateException | IllegalStateException e) {
            throw new IllegalArgumentException("not an RFC 5914 TrustAnchorList: " + e.getMessage(), e);
        }
        return anchors;
    }
}
