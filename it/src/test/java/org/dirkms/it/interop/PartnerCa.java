package org.dirkms.it.interop;

import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Map;

import org.dirkms.it.support.LdapTools;

/**
 * A certification authority that is not dirkms' (a partner's, a public one), run with
 * {@code openssl} as its operator would, issuing single-key S/MIME certificates: one
 * certificate a user signs and encrypts with (RFC 8550 section 4.4.2: digitalSignature with
 * keyEncipherment for RSA, with keyAgreement for EC), the address in the subjectAltName
 * rfc822Name (RFC 5280 section 4.2.1.6). Its certificates name no CRL distribution point.
 */
final class PartnerCa {
    private final Path folder;
    private final Path key;
    private final Path certificate;

    private PartnerCa(Path folder) {
        this.folder = folder;
        this.key = folder.resolve("partner-ca.key");
        this.certificate = folder.resolve("partner-ca.pem");
    }

    /** A new RSA-2048 root in {@code folder} (made). */
    static PartnerCa create(Path folder) throws Exception {
        LdapTools.requireTool("openssl", "openssl");
        Files.createDirectories(folder);
        PartnerCa ca = new PartnerCa(folder);
        openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", ca.key.toString(), "-out",
                ca.certificate.toString(), "-days", "30", "-subj", "/O=Partner Example/CN=Partner Example Root CA",
                "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
                "-addext", "subjectKeyIdentifier=hash");
        return ca;
    }

    /** The root certificate (PEM). */
    Path certificateFile() {
        return certificate;
    }

    /** The root certificate. */
    X509Certificate certificate() throws Exception {
        return read(certificate);
    }

    /**
     * A single-key user: a key ({@code rsa} RSA-2048, else EC P-256) and its certificate for
     * {@code address}, files {@code <name>.key} (PKCS#8 PEM), {@code <name>.pem} and
     * {@code <name>.der}.
     */
    SingleKeyUser issue(String name, String commonName, String address, boolean rsa) throws Exception {
        Path userKey = folder.resolve(name + ".key");
        Path request = folder.resolve(name + ".csr");
        Path pem = folder.resolve(name + ".pem");
        Path der = folder.resolve(name + ".der");
        Path extensions = Files.writeString(folder.resolve(name + ".ext"), "basicConstraints=CA:FALSE\n"
                + "keyUsage=critical,digitalSignature," + (rsa ? "keyEncipherment" : "keyAgreement") + "\n"
                + "extendedKeyUsage=emailProtection\nsubjectAltName=email:" + address + "\n"
                + "subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n");
        if (rsa) {
            openssl("req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", userKey.toString(), "-subj",
                    "/O=Partner Example/CN=" + commonName, "-out", request.toString());
        } else {
            openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
                    userKey.toString(), "-subj", "/O=Partner Example/CN=" + commonName, "-out", request.toString());
        }
        openssl("x509", "-req", "-in", request.toString(), "-CA", certificate.toString(), "-CAkey", key.toString(),
                "-CAcreateserial", "-days", "30", "-extfile", extensions.toString(), "-out", pem.toString());
        openssl("x509", "-in", pem.toString(), "-outform", "DER", "-out", der.toString());
        return new SingleKeyUser(address, userKey, pem, der, read(pem));
    }

    /**
     * A user with one certificate of this CA.
     *
     * @param address     the address it certifies
     * @param key         its private key (PEM)
     * @param pem         its certificate (PEM)
     * @param der         its certificate (DER), as LDIF's {@code :<} takes it
     * @param certificate its certificate
     */
    record SingleKeyUser(String address, Path key, Path pem, Path der, X509Certificate certificate) {
    }

    private static X509Certificate read(Path pem) throws Exception {
        return (X509Certificate) CertificateFactory.getInstance("X.509")
                .generateCertificate(new ByteArrayInputStream(Files.readAllBytes(pem)));
    }

    private static void openssl(String... arguments) {
        List<String> command = new java.util.ArrayList<>();
        command.add("openssl");
        command.addAll(List.of(arguments));
        LdapTools.run(command, Map.of(), null).assertSuccess();
    }
}
