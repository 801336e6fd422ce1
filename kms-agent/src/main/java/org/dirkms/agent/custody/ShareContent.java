package org.dirkms.agent.custody;

import java.io.IOException;
import java.math.BigInteger;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import org.bouncycastle.asn1.ASN1EncodableVector;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.ASN1Sequence;
import org.bouncycastle.asn1.ASN1UTF8String;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.DERSequence;
import org.bouncycastle.asn1.DERUTF8String;

/**
 * What one recovery agent holds of a custody: the custody's id, the holder's DN, the share's index
 * and the share itself, as DER:
 * <pre>
 * ShareContent ::= SEQUENCE {
 *     custodyId  UTF8String,
 *     holder     UTF8String,   -- RFC 4514 DN of the recovery agent
 *     index      INTEGER (1..255),
 *     share      OCTET STRING }
 * </pre>
 * These bytes are sealed to the holder's encryption certificate when the custody is made, and the
 * holder re-seals the very same bytes to a request key when they approve (so that {@code openssl
 * cms -decrypt} and {@code -encrypt} do it too). The KMS publishes their {@link #digest()} on the
 * holder's share entry and accepts a share given back only when its digest matches.
 * {@link #toString()} never shows the share.
 *
 * @param custodyId the custody the share belongs to
 * @param holder the DN of the recovery agent holding it
 * @param share the index and the value
 */
public record ShareContent(String custodyId, String holder, ShamirShares.Share share) {

    /** The DER encoding; the caller clears it. */
    public byte[] encoded() {
        ASN1EncodableVector fields = new ASN1EncodableVector();
        fields.add(new DERUTF8String(custodyId));
        fields.add(new DERUTF8String(holder));
        fields.add(new ASN1Integer(share.index()));
        byte[] value = share.value();
        // DEROctetString keeps the array it is given: it is cleared only once encoded.
        fields.add(new DEROctetString(value));
        try {
            return new DERSequence(fields).getEncoded(ASN1Encoding.DER);
        } catch (IOException e) {
            throw new IllegalStateException("a share cannot be encoded", e);
        } finally {
            Arrays.fill(value, (byte) 0);
        }
    }

    /** SHA-256 of {@link #encoded()}: what the KMS publishes to check a share given back. */
    public byte[] digest() {
        byte[] encoded = encoded();
        try {
            return sha256(encoded);
        } finally {
            Arrays.fill(encoded, (byte) 0);
        }
    }

    /** SHA-256 of {@code bytes}: of a share content's DER, what the custody publishes for it. */
    public static byte[] sha256(byte[] bytes) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from the JDK", e);
        }
    }

    /**
     * Reads {@code der}.
     *
     * @throws IllegalArgumentException if it is not a ShareContent (the message shows no byte of it)
     */
    public static ShareContent decode(byte[] der) {
        try {
            ASN1Sequence fields = ASN1Sequence.getInstance(der);
            if (fields.size() != 4) {
                throw new IllegalArgumentException("a custody share has 4 fields, this has " + fields.size());
            }
            String custodyId = ASN1UTF8String.getInstance(fields.getObjectAt(0)).getString();
            String holder = ASN1UTF8String.getInstance(fields.getObjectAt(1)).getString();
            BigInteger index = ASN1Integer.getInstance(fields.getObjectAt(2)).getValue();
            if (index.signum() <= 0 || index.bitLength() > 8) {
                throw new IllegalArgumentException("a custody share's index is 1 to 255");
            }
            byte[] value = ASN1OctetString.getInstance(fields.getObjectAt(3)).getOctets();
            ShareContent content = new ShareContent(custodyId, holder, new ShamirShares.Share(index.intValue(), value));
            Arrays.fill(value, (byte) 0);
            return content;
        } catch (IllegalArgumentException | IllegalStateException | ClassCastException e) {
            throw new IllegalArgumentException("not a dirkms custody share (" + e.getClass().getSimpleName() + ")");
        }
    }

    /** Overwrites the share value held. */
    public void clear() {
        share.clear();
    }

    @Override
    public String toString() {
        return "ShareContent[" + custodyId + " #" + share.index() + " of " + holder + "]";
    }
}
