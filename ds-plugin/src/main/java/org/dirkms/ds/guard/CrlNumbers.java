package org.dirkms.ds.guard;

import java.io.IOException;
import java.math.BigInteger;
import java.util.List;

import org.apache.directory.api.ldap.model.exception.LdapException;
import org.apache.directory.api.ldap.model.exception.LdapInvalidAttributeValueException;
import org.apache.directory.api.ldap.model.message.ResultCodeEnum;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.cert.X509CRLHolder;

/**
 * A published CRL is only ever followed by a newer one of the same issuer. RFC 5280 section
 * 5.2.3 makes the CRL number a monotonically increasing sequence per issuer: a CRL whose number
 * is not above the one published would put back an older list and silently take revocations
 * off it (a rollback), so the directory refuses it whoever writes it.
 */
final class CrlNumbers {

    private CrlNumbers() {
    }

    /**
     * Refuses a new CRL value that is not newer than a published CRL of the same issuer.
     * Values the {@link WriteValidator} already found well-formed are compared; a CRL without
     * a number (version 1) is compared by nothing and passes.
     *
     * @param attribute the attribute's display name, for messages
     * @param added     the CRLs the write adds or puts in place
     * @param published the CRLs the entry holds now
     * @throws LdapInvalidAttributeValueException constraintViolation naming both numbers
     */
    static void requireNewer(String attribute, List<byte[]> added, List<byte[]> published) throws LdapException {
        for (byte[] candidate : added) {
            Numbered next = numbered(candidate);
            if (next == null || next.number() == null) {
                continue;
            }
            for (byte[] current : published) {
                Numbered now = numbered(current);
                if (now == null || now.number() == null || !now.issuer().equals(next.issuer())) {
                    continue;
                }
                if (next.number().compareTo(now.number()) <= 0) {
                    throw new LdapInvalidAttributeValueException(ResultCodeEnum.CONSTRAINT_VIOLATION, attribute
                            + " has CRL number " + now.number() + " published; a CRL of the same issuer numbered "
                            + next.number() + " is not newer (RFC 5280 section 5.2.3) and would undo revocations");
                }
            }
        }
    }

    private record Numbered(X500Name issuer, BigInteger number) {
    }

    private static Numbered numbered(byte[] der) {
        try {
            X509CRLHolder crl = new X509CRLHolder(der);
            Extension extension = crl.getExtension(Extension.cRLNumber);
            BigInteger number = extension == null ? null
                    : ASN1Integer.getInstance(extension.getParsedValue()).getPositiveValue();
            return new Numbered(crl.getIssuer(), number);
        } catch (IOException | RuntimeException e) {
            return null; // not a CRL: the syntax check reports it
        }
    }
}
