package org.dirkms.agent.ca;

import java.io.IOException;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Set;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.ExtensionsGenerator;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequestBuilder;

/**
 * Setting up a CA: a self-signed root, or a subordinate's key and PKCS#10 request for an
 * outside root and the installation of the certificate that root returns.
 *
 * <p>The CA's subject DN is the DN of its directory entry under
 * {@code ou=Certification Authorities}, so that clients find an issuer by reading the entry
 * named like it.
 */
public final class CaSetup {
    private CaSetup() {
    }

    /**
     * A self-signed root certificate for {@code signer}'s key: critical basicConstraints
     * cA=TRUE without a path length limit, critical keyUsage keyCertSign and cRLSign, and a
     * subject key identifier (RFC 5280 sections 4.2.1.9, 4.2.1.3, 4.2.1.2). Valid from now for
     * {@code validity}.
     *
     * @throws IllegalArgumentException if {@code subjectDn} is not a DN
     */
    public static X509Certificate selfSignedRoot(CaSigner signer, String subjectDn, Duration validity, Clock clock,
            SecureRandom random) {
        X500Name name = CaNames.x500Name(subjectDn);
        SubjectPublicKeyInfo key = SubjectPublicKeyInfo.getInstance(signer.publicKey().getEncoded());
        Instant now = clock.instant().truncatedTo(ChronoUnit.SECONDS);
        X509v3CertificateBuilder builder = new X509v3CertificateBuilder(name, new BigInteger(159, random).setBit(96),
                Date.from(now), Date.from(now.plus(validity)), name, key);
        try {
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
            builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
            builder.addExtension(Extension.subjectKeyIdentifier, false,
                    CertificationAuthority.extensionUtils().createSubjectKeyIdentifier(key));
        } catch (CertIOException e) {
            throw new IllegalStateException("cannot encode a CA certificate extension", e);
        }
        return CertificationAuthority.certificate(builder.build(signer.contentSigner()));
    }

    /**
     * The DER of a PKCS#10 request (RFC 2986) for a subordinate CA with {@code signer}'s key and
     * {@code subjectDn}, asking (RFC 2985 extensionRequest) for critical basicConstraints
     * cA=TRUE and keyUsage keyCertSign and cRLSign. The outside root decides what it signs.
     */
    public static byte[] subordinateRequest(CaSigner signer, String subjectDn) {
        X500Name name = CaNames.x500Name(subjectDn);
        ExtensionsGenerator extensions = new ExtensionsGenerator();
        try {
            extensions.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
            extensions.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
            return new PKCS10CertificationRequestBuilder(name, SubjectPublicKeyInfo.getInstance(signer.publicKey().getEncoded()))
                    .addAttribute(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest, extensions.generate())
                    .build(signer.contentSigner()).getEncoded();
        } catch (IOException e) {
            throw new IllegalStateException("cannot encode the subordinate CA request", e);
        }
    }

    /**
     * A short-lived self-signed placeholder (not a CA certificate) to keep a subordinate's key
     * in its PKCS#12 key store, which needs a certificate beside every key, until the parent's
     * certificate is installed.
     */
    public static X509Certificate placeholder(CaSigner signer, String subjectDn, Clock clock, SecureRandom random) {
        X500Name name = CaNames.x500Name(subjectDn);
        Instant now = clock.instant().truncatedTo(ChronoUnit.SECONDS);
        X509v3CertificateBuilder builder = new X509v3CertificateBuilder(name, new BigInteger(159, random).setBit(96),
                Date.from(now), Date.from(now.plus(Duration.ofDays(1))), name,
                SubjectPublicKeyInfo.getInstance(signer.publicKey().getEncoded()));
        try {
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
        } catch (CertIOException e) {
            throw new IllegalStateException("cannot encode the placeholder certificate", e);
        }
        return CertificationAuthority.certificate(builder.build(signer.contentSigner()));
    }

    /**
     * Checks the certificate an outside root issued for a subordinate and returns the chain
     * to install ({@code issued}, the intermediates, the root). The certificate must be for
     * {@code signer}'s key, carry {@code subjectDn}, be a CA certificate that may sign
     * certificates, and validate (RFC 5280 section 6, revocation not checked) against the last
     * certificate of {@code chain}, a self-signed root, at the clock's time.
     *
     * @param chain the issuer's chain, from the issuing CA up to and including the root
     * @throws IllegalArgumentException saying which check failed
     */
    public static List<X509Certificate> installSubordinate(CaSigner signer, String subjectDn, X509Certificate issued,
            List<X509Certificate> chain, Clock clock) {
        if (!issued.getPublicKey().equals(signer.publicKey())) {
            throw new IllegalArgumentException("the certificate is not for this CA's key: it certifies another key");
        }
        if (!CertificationAuthority.holder(issued).getSubject().equals(CaNames.x500Name(subjectDn))) {
            throw new IllegalArgumentException("the certificate names subject '" + issued.getSubjectX500Principal().getName()
                    + "', not the CA's '" + subjectDn + "'");
        }
        if (issued.getBasicConstraints() < 0) {
            throw new IllegalArgumentException("the certificate is not a CA certificate (basicConstraints cA is not TRUE)");
        }
        boolean[] usage = issued.getKeyUsage();
        if (usage != null && !usage[5]) {
            throw new IllegalArgumentException("the certificate does not allow signing certificates (keyUsage lacks keyCertSign)");
        }
        if (chain.isEmpty()) {
            throw new IllegalArgumentException("the chain must contain at least the root certificate");
        }
        X509Certificate root = chain.get(chain.size() - 1);
        if (!root.getSubjectX500Principal().equals(root.getIssuerX500Principal())) {
            throw new IllegalArgumentException("the last certificate of the chain is not a self-signed root");
        }
        List<X509Certificate> path = new ArrayList<>();
        path.add(issued);
        path.addAll(chain.subList(0, chain.size() - 1));
        try {
            CertificateFactory factory = CertificateFactory.getInstance("X.509");
            PKIXParameters parameters = new PKIXParameters(Set.of(new TrustAnchor(root, null)));
            parameters.setRevocationEnabled(false);
            parameters.setDate(Date.from(clock.instant()));
            CertPathValidator.getInstance("PKIX").validate(factory.generateCertPath(path), parameters);
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("the certificate does not chain to the root '"
                    + root.getSubjectX500Principal().getName() + "': " + e.getMessage(), e);
        }
        List<X509Certificate> installed = new ArrayList<>(path);
        installed.add(root);
        return installed;
    }
}
