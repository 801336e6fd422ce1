package org.dirkms.agent.ca;

import java.util.List;

/**
 * What a caller asks the CA to certify. The subject DN and the names come from the directory
 * entry the certificate is for, never from the PKCS#10 request: the request only proves
 * possession of the key.
 *
 * @param templateName the {@code cn} of the certificate template
 * @param pkcs10 the DER of the PKCS#10 certification request (RFC 2986)
 * @param subjectDn the DN of the directory entry (RFC 4514), which becomes the subject
 * @param emailAddresses the entry's {@code mail} values, which become rfc822Name alternative names
 * @param dnsNames host names, for server certificates
 * @param ipAddresses IP addresses (textual), for server certificates
 */
public record IssuanceRequest(String templateName, byte[] pkcs10, String subjectDn, List<String> emailAddresses,
        List<String> dnsNames, List<String> ipAddresses) {

    /** Copies the lists and the request bytes. */
    public IssuanceRequest {
        pkcs10 = pkcs10 == null ? new byte[0] : pkcs10.clone();
        emailAddresses = List.copyOf(emailAddresses);
        dnsNames = List.copyOf(dnsNames);
        ipAddresses = List.copyOf(ipAddresses);
    }

    /** A request for a person's certificate: names are the e-mail addresses of the entry. */
    public static IssuanceRequest forPerson(String templateName, byte[] pkcs10, String subjectDn,
            List<String> emailAddresses) {
        return new IssuanceRequest(templateName, pkcs10, subjectDn, emailAddresses, List.of(), List.of());
    }

    /** A request for a server's certificate: names are its host names and addresses. */
    public static IssuanceRequest forServer(String templateName, byte[] pkcs10, String subjectDn,
            List<String> dnsNames, List<String> ipAddresses) {
        return new IssuanceRequest(templateName, pkcs10, subjectDn, List.of(), dnsNames, ipAddresses);
    }

    /** A copy of the request bytes. */
    @Override
    public byte[] pkcs10() {
        return pkcs10.clone();
    }
}
