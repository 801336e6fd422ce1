package org.dirkms.it.fuzz;

import java.io.ByteArrayInputStream;
import java.security.cert.CertificateFactory;

import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.ASN1Sequence;
import org.bouncycastle.asn1.ASN1TaggedObject;
import org.bouncycastle.asn1.BERTags;
import org.bouncycastle.asn1.cms.CMSObjectIdentifiers;
import org.bouncycastle.asn1.cms.ContentInfo;
import org.bouncycastle.asn1.cms.EnvelopedData;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;

/**
 * Decides, independently of the server, whether a DER value is what its attribute documents:
 * exactly one ASN.1 object, a SEQUENCE, that the reader of the attribute parses — the JDK's
 * X.509 factory for certificates and CRLs (the agent reads them with it), Bouncy Castle for a
 * PKCS#10 request whose self-signature verifies, a CMS ContentInfo (of EnvelopedData for a custody
 * share given back), and RFC 4523's CertificatePair
 * of certificates. The server must never store a value this calls invalid.
 */
final class DerOracle {
    private static final java.security.Provider BOUNCY_CASTLE = new org.bouncycastle.jce.provider.BouncyCastleProvider();

    /** The kinds of DER value an attribute holds. */
    enum Kind {
        CERTIFICATE, CRL, PKCS10, CONTENT_INFO, ENVELOPED_DATA, CERTIFICATE_PAIR, OPAQUE
    }

    private DerOracle() {
    }

    /** Whether {@code value} is a {@code kind}. */
    static Validity judge(Kind kind, byte[] value) {
        if (kind == Kind.OPAQUE) {
            return Validity.VALID;
        }
        ASN1Primitive object;
        try {
            object = ASN1Primitive.fromByteArray(value);
        } catch (Exception e) {
            return Validity.INVALID;
        } catch (StackOverflowError e) {
            return Validity.UNKNOWN; // too deep for this thread's stack: let the server say
        }
        if (!(object instanceof ASN1Sequence sequence)) {
            return Validity.INVALID;
        }
        try {
            return switch (kind) {
                case CERTIFICATE -> certificate(value);
                case CRL -> {
                    CertificateFactory.getInstance("X.509").generateCRL(new ByteArrayInputStream(value));
                    yield Validity.VALID;
                }
                case PKCS10 -> {
                    PKCS10CertificationRequest request = new PKCS10CertificationRequest(value);
                    yield request.isSignatureValid(new JcaContentVerifierProviderBuilder().setProvider(BOUNCY_CASTLE)
                            .build(request.getSubjectPublicKeyInfo())) ? Validity.VALID : Validity.INVALID;
                }
                case CONTENT_INFO -> {
                    ContentInfo.getInstance(sequence);
                    yield Validity.VALID;
                }
                case ENVELOPED_DATA -> {
                    // RFC 5652 sections 3 and 6.1: a ContentInfo whose content is EnvelopedData.
                    ContentInfo info = ContentInfo.getInstance(sequence);
                    if (info.getContent() == null || !CMSObjectIdentifiers.envelopedData.equals(info.getContentType())) {
                        yield Validity.INVALID;
                    }
                    EnvelopedData.getInstance(info.getContent());
                    yield Validity.VALID;
                }
                case CERTIFICATE_PAIR -> pair(sequence);
                case OPAQUE -> Validity.VALID;
            };
        } catch (Exception e) {
            return Validity.INVALID;
        } catch (StackOverflowError e) {
            return Validity.UNKNOWN;
        }
    }

    private static Validity certificate(byte[] value) throws Exception {
        CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(value));
        return Validity.VALID;
    }

    /** RFC 4523 section 2.3: SEQUENCE { forward [0] Certificate OPTIONAL, reverse [1] Certificate OPTIONAL }, one at least. */
    private static Validity pair(ASN1Sequence sequence) throws Exception {
        if (sequence.size() < 1 || sequence.size() > 2) {
            return Validity.INVALID;
        }
        int last = -1;
        for (ASN1Encodable element : sequence) {
            if (!(element instanceof ASN1TaggedObject tagged) || tagged.getTagClass() != BERTags.CONTEXT_SPECIFIC
                    || tagged.getTagNo() > 1 || tagged.getTagNo() <= last || !tagged.isExplicit()) {
                return Validity.INVALID;
            }
            last = tagged.getTagNo();
            if (certificate(tagged.getBaseObject().toASN1Primitive().getEncoded()) != Validity.VALID) {
                return Validity.INVALID;
            }
            try {
                org.bouncycastle.asn1.x509.Certificate.getInstance(tagged.getBaseObject());
            } catch (RuntimeException e) {
                // The JDK reads it, Bouncy Castle (which the server parses pairs with) does not:
                // refusing it is as right as storing it.
                return Validity.UNKNOWN;
            }
        }
        return Validity.VALID;
    }
}
