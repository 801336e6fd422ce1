package org.dirkms.agent.directory;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;

import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.DERSequence;
import org.bouncycastle.asn1.DERTaggedObject;
import org.bouncycastle.asn1.ASN1EncodableVector;
import org.junit.jupiter.api.Test;

/**
 * The CertificatePair reader the CA's "what it issued" search uses on {@code crossCertificatePair}
 * (RFC 4523 section 2.3), without a cryptographic library: both elements, either alone, long
 * lengths, and anything else read as holding no certificate.
 */
class LdapTrustRecordsTest {

    @Test
    void readsTheCertificatesOfAPairAndNothingFromAnythingElse() throws Exception {
        // Stand-ins for certificates: any DER element is carried as it is.
        byte[] forward = new DERSequence(new DEROctetString(new byte[300])).getEncoded(ASN1Encoding.DER);
        byte[] reverse = new DERSequence(new DEROctetString(new byte[] {1, 2, 3})).getEncoded(ASN1Encoding.DER);
        ASN1EncodableVector both = new ASN1EncodableVector();
        both.add(new DERTaggedObject(true, 0, DERSequence.getInstance(forward)));
        both.add(new DERTaggedObject(true, 1, DERSequence.getInstance(reverse)));
        List<byte[]> read = LdapTrustRecords.certificatesOfPair(new DERSequence(both).getEncoded(ASN1Encoding.DER));
        assertEquals(2, read.size());
        assertArrayEquals(forward, read.get(0));
        assertArrayEquals(reverse, read.get(1));

        byte[] reverseOnly = new DERSequence(new DERTaggedObject(true, 1, DERSequence.getInstance(reverse)))
                .getEncoded(ASN1Encoding.DER);
        assertArrayEquals(reverse, LdapTrustRecords.certificatesOfPair(reverseOnly).get(0));

        assertEquals(0, LdapTrustRecords.certificatesOfPair(forward).size(), "a SEQUENCE of no tagged elements");
        assertEquals(0, LdapTrustRecords.certificatesOfPair(new byte[] {0x30, 0x05, (byte) 0xa0}).size(), "truncated");
        assertEquals(0, LdapTrustRecords.certificatesOfPair("garbage".getBytes()).size());
        assertEquals(0, LdapTrustRecords.certificatesOfPair(new byte[0]).size());
    }
}
