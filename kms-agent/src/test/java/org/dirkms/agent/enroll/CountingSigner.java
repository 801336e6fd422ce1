package org.dirkms.agent.enroll;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.List;

import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.ASN1Sequence;
import org.bouncycastle.asn1.ASN1TaggedObject;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.TBSCertificate;
import org.bouncycastle.operator.ContentSigner;
import org.dirkms.agent.ca.CaSigner;

/**
 * A CA key that remembers every certificate it signs: the serial and the certified public key
 * of each TBSCertificate (RFC 5280 section 4.1) passed through it, told apart from the CRLs it
 * signs (a TBSCertList has no explicit {@code [0]} version first). A test counts issuances with
 * it, so that a certificate issued twice for one key (one attempt's request served twice) shows.
 */
final class CountingSigner implements CaSigner {

    /** One certificate the CA signed. */
    record Issued(BigInteger serial, ByteBuffer subjectPublicKeyInfo) {
    }

    private final CaSigner signer;
    private final List<Issued> issued = new ArrayList<>();

    CountingSigner(CaSigner signer) {
        this.signer = signer;
    }

    /** Another count over the same key, starting from what this one counted. */
    synchronized CountingSigner copy() {
        CountingSigner copy = new CountingSigner(signer);
        copy.issued.addAll(issued);
        return copy;
    }

    /** Every certificate signed so far, in order. */
    synchronized List<Issued> issued() {
        return List.copyOf(issued);
    }

    @Override
    public PublicKey publicKey() {
        return signer.publicKey();
    }

    @Override
    public AlgorithmIdentifier signatureAlgorithm() {
        return signer.signatureAlgorithm();
    }

    @Override
    public ContentSigner contentSigner() {
        ContentSigner real = signer.contentSigner();
        ByteArrayOutputStream signed = new ByteArrayOutputStream();
        return new ContentSigner() {
            @Override
            public AlgorithmIdentifier getAlgorithmIdentifier() {
                return real.getAlgorithmIdentifier();
            }

            @Override
            public OutputStream getOutputStream() {
                OutputStream out = real.getOutputStream();
                return new OutputStream() {
                    @Override
                    public void write(int b) throws IOException {
                        out.write(b);
                        signed.write(b);
                    }

                    @Override
                    public void write(byte[] bytes, int offset, int length) throws IOException {
                        out.write(bytes, offset, length);
                        signed.write(bytes, offset, length);
                    }

                    @Override
                    public void close() throws IOException {
                        out.close();
                    }
                };
            }

            @Override
            public byte[] getSignature() {
                record(signed.toByteArray());
                return real.getSignature();
            }
        };
    }

    private synchronized void record(byte[] toBeSigned) {
        try {
            ASN1Sequence sequence = ASN1Sequence.getInstance(ASN1Primitive.fromByteArray(toBeSigned));
            if (!(sequence.getObjectAt(0) instanceof ASN1TaggedObject)) {
                return; // a CRL (or a v1 certificate, which no enrollment template makes)
            }
            TBSCertificate certificate = TBSCertificate.getInstance(sequence);
            issued.add(new Issued(certificate.getSerialNumber().getValue(),
                    ByteBuffer.wrap(certificate.getSubjectPublicKeyInfo().getEncoded())));
        } catch (IOException | IllegalArgumentException e) {
            throw new IllegalStateException("the CA signed something that is neither a certificate nor a CRL", e);
        }
    }
}
