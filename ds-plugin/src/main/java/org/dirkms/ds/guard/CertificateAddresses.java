package org.dirkms.ds.guard;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import org.apache.directory.api.ldap.model.exception.LdapException;
import org.apache.directory.api.ldap.model.exception.LdapInvalidAttributeValueException;
import org.apache.directory.api.ldap.model.message.ResultCodeEnum;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.ASN1Sequence;
import org.bouncycastle.asn1.ASN1Set;
import org.bouncycastle.asn1.ASN1String;
import org.bouncycastle.asn1.cms.ContentInfo;
import org.bouncycastle.asn1.cms.SignedData;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.AttributeTypeAndValue;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x509.Certificate;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;

/**
 * A certificate published on an entry by anyone but the KMS must be the entry's own: mail
 * clients look certificates up by address (DESIGN, interoperability facts), so a certificate
 * that names someone else's address on one's own entry would make mail for that address go to
 * a key one holds. The addresses of a certificate are its rfc822Name subject alternative names
 * (RFC 5280 section 4.2.1.6) and the emailAddress attributes of its subject (RFC 5750 section
 * 3); a PKCS#7 bundle ({@code userSMIMECertificate}) is judged by its certificates that name
 * any address (its CA certificates name none).
 */
final class CertificateAddresses {

    private CertificateAddresses() {
    }

    /**
     * Refuses values whose certificates name no address of the entry, or any address the entry
     * does not have.
     *
     * @param attribute the attribute's display name, for messages
     * @param values    certificates (DER) or PKCS#7 bundles, already found well-formed
     * @param entryAddresses the entry's {@code mail} values after the write, lower-case
     * @throws LdapInvalidAttributeValueException constraintViolation naming the address at fault
     */
    static void requireEntryAddresses(String attribute, List<byte[]> values, List<String> entryAddresses)
            throws LdapException {
        for (byte[] value : values) {
            List<String> named = new ArrayList<>();
            for (Certificate certificate : certificates(value)) {
                named.addAll(addresses(certificate));
            }
            if (named.isEmpty()) {
                throw refuse(attribute + " names no e-mail address: a certificate published here must name this "
                        + "entry's mail address" + (entryAddresses.isEmpty() ? " (the entry has none)" : ""));
            }
            for (String address : named) {
                if (!entryAddresses.contains(address.toLowerCase(Locale.ROOT))) {
                    throw refuse(attribute + " certifies '" + address + "', which is not a mail address of this "
                            + "entry: publish a certificate only on the entry of the address it certifies");
                }
            }
        }
    }

    private static List<Certificate> certificates(byte[] value) {
        List<Certificate> certificates = new ArrayList<>();
        try {
            ASN1Primitive primitive = ASN1Primitive.fromByteArray(value);
            ASN1Sequence sequence = ASN1Sequence.getInstance(primitive);
            if (sequence.size() == 2 && PKCSObjectIdentifiers.signedData.equals(sequence.getObjectAt(0))) {
                SignedData signed = SignedData.getInstance(ContentInfo.getInstance(sequence).getContent());
                ASN1Set set = signed.getCertificates();
                if (set != null) {
                    for (ASN1Encodable element : set) {
                        if (element.toASN1Primitive() instanceof ASN1Sequence) {
                            certificates.add(Certificate.getInstance(element));
                        }
                    }
                }
            } else {
                certificates.add(Certificate.getInstance(sequence));
            }
        } catch (IOException | RuntimeException e) {
            // Not parseable as either: the syntax check reports it; no address is found here.
        }
        return certificates;
    }

    private static List<String> addresses(Certificate certificate) {
        List<String> addresses = new ArrayList<>();
        for (RDN rdn : certificate.getSubject().getRDNs()) {
            for (AttributeTypeAndValue value : rdn.getTypesAndValues()) {
                if (PKCSObjectIdentifiers.pkcs_9_at_emailAddress.equals(value.getType())
                        && value.getValue() instanceof ASN1String text) {
                    addresses.add(text.getString());
                }
            }
        }
        if (certificate.getTBSCertificate().getExtensions() != null) {
            Extension extension = certificate.getTBSCertificate().getExtensions()
                    .getExtension(Extension.subjectAlternativeName);
            if (extension != null) {
                for (GeneralName name : GeneralNames.getInstance(extension.getParsedValue()).getNames()) {
                    if (name.getTagNo() == GeneralName.rfc822Name) {
                        addresses.add(ASN1String.class.cast(name.getName()).getString());
                    }
                }
            }
        }
        return addresses;
    }

    private static LdapInvalidAttributeValueException refuse(String message) {
        return new LdapInvalidAttributeValueException(ResultCodeEnum.CONSTRAINT_VIOLATION, message);
    }
}
