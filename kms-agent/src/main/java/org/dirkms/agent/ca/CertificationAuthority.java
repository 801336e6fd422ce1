package org.dirkms.agent.ca;

import java.io.IOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.security.cert.CRLException;
import java.security.cert.CertificateException;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.security.SecureRandom;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.AccessDescription;
import org.bouncycastle.asn1.x509.AuthorityInformationAccess;
import org.bouncycastle.asn1.x509.AuthorityKeyIdentifier;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.CRLDistPoint;
import org.bouncycastle.asn1.x509.CRLNumber;
import org.bouncycastle.asn1.x509.CRLReason;
import org.bouncycastle.asn1.x509.DistributionPoint;
import org.bouncycastle.asn1.x509.DistributionPointName;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.GeneralSubtree;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.NameConstraintValidatorException;
import org.bouncycastle.asn1.x509.NameConstraints;
import org.bouncycastle.asn1.x509.PKIXNameConstraintValidator;
import org.bouncycastle.asn1.x509.SubjectKeyIdentifier;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509CRLHolder;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.X509v1CertificateBuilder;
import org.bouncycastle.cert.X509v2CRLBuilder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CRLConverter;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.cert.CertException;
import org.dirkms.agent.ca.IssuanceRefusedException.Kind;
import org.dirkms.schema.AttributeNames;
import org.dirkms.schema.CrlDistributionPoints;
import org.dirkms.schema.RevocationReason;

/**
 * An active certification authority: its key (behind a {@link CaSigner}), its certificate
 * chain, and the templates installed on it. It issues end-entity certificates through a
 * pipeline — validate the request, apply the template, enforce policy, sign — and signs CRLs.
 *
 * <p>Instances are immutable and safe for concurrent use. They hold no revocation state: the
 * CRL is the record of revocations, so {@link #revoke} takes the current CRL and returns the
 * next one, which the caller publishes on the CA entry.
 */
public final class CertificationAuthority {

    /**
     * Where relying parties find this CA's CRL and certificate, and how long a CRL is valid.
     *
     * <p>The CRL distribution points are the URLs the CA entry records
     * ({@code kmsCrlDistributionPoint}, docs/directory-layout.md), so that every process issuing
     * for the CA names the same ones; a CA whose entry records none yet names
     * {@code <ldapServer>/<CA DN>?certificateRevocationList;binary?base}
     * ({@link CrlDistributionPoints#ldap}). The caIssuers access location is the CA entry's
     * {@code cACertificate;binary} in the directory of the first LDAP distribution point.
     *
     * @param ldapServer {@code ldap://host:port} clients reach the CA's directory at, or null
     *        when {@code crlDistributionPoints} name it
     * @param crlDistributionPoints the URLs of the CRL as the CA entry records them, LDAP first;
     *        empty to derive the LDAP one from {@code ldapServer}
     * @param httpCrlUrl an HTTP URL of the CRL, named after the LDAP one when the distribution
     *        points are derived, or null
     * @param httpCaIssuersUrl an HTTP URL of the CA certificate, or null for the LDAP URL only
     * @param ocspUrl the HTTP URL of the CA's OCSP responder (RFC 6960), or null for none
     * @param crlValidity the time from a CRL's thisUpdate to its nextUpdate
     */
    public record Publication(String ldapServer, List<String> crlDistributionPoints, String httpCrlUrl,
            String httpCaIssuersUrl, String ocspUrl, Duration crlValidity) {
        /**
         * Validates the URLs and the CRL validity.
         *
         * @throws IllegalArgumentException if a URL fails {@link CrlDistributionPoints}, neither
         *         a server nor a distribution point is given, or the validity is not positive
         */
        public Publication {
            if (crlValidity.isNegative() || crlValidity.isZero()) {
                throw new IllegalArgumentException("the CRL validity must be positive");
            }
            crlDistributionPoints = List.copyOf(crlDistributionPoints);
            for (String url : crlDistributionPoints) {
                CrlDistributionPoints.check(url);
            }
            for (String url : java.util.Arrays.asList(httpCrlUrl, httpCaIssuersUrl, ocspUrl)) {
                if (url != null) {
                    CrlDistributionPoints.checkHttp(url);
                }
            }
            if (ldapServer != null) {
                ldapServer = CrlDistributionPoints.server(ldapServer);
            } else if (crlDistributionPoints.isEmpty()) {
                throw new IllegalArgumentException("a CA needs the ldap://host:port clients reach its directory at,"
                        + " or the URLs of its CRL");
            }
        }

        /** The CA entry in the directory at {@code ldapServer} ({@code ldap://host:port}), CRLs valid for 7 days. */
        public static Publication at(String ldapServer) {
            return new Publication(ldapServer, List.of(), null, null, null, Duration.ofDays(7));
        }

        /**
         * The same, also offering the CA over HTTP: its CRL at {@code crlUrl} (a second name of
         * the distribution point), its certificate at {@code caCertificateUrl} and its OCSP
         * responder at {@code ocspUrl} (authority information access, RFC 5280 section 4.2.2.1).
         * A CA entry records them once ({@code CaService}); afterwards the entry's URLs win.
         */
        public Publication withHttp(String crlUrl, String caCertificateUrl, String ocspUrl) {
            return new Publication(ldapServer, crlDistributionPoints, crlUrl, caCertificateUrl, ocspUrl, crlValidity);
        }

        /** The same, naming {@code urls}, the distribution points the CA entry records (empty: derive them). */
        public Publication recorded(List<String> urls) {
            return new Publication(ldapServer, urls, httpCrlUrl, httpCaIssuersUrl, ocspUrl, crlValidity);
        }

        /**
         * The same, naming what the CA entry records: its distribution points {@code urls}, and
         * the first of its {@code ocspUrls} and {@code caIssuersUrls} (none when it records none).
         */
        public Publication recorded(List<String> urls, List<String> ocspUrls, List<String> caIssuersUrls) {
            return new Publication(ldapServer, urls, httpCrlUrl, caIssuersUrls.isEmpty() ? null : caIssuersUrls.get(0),
                    ocspUrls.isEmpty() ? null : ocspUrls.get(0), crlValidity);
        }

        /**
         * The distribution points of the CA whose entry is {@code caDn}: those given, else the
         * derived LDAP one followed by the HTTP one when offered.
         */
        public List<String> crlDistributionPointsOf(String caDn) {
            if (!crlDistributionPoints.isEmpty()) {
                return crlDistributionPoints;
            }
            String ldap = CrlDistributionPoints.ldap(ldapServer, caDn);
            return httpCrlUrl == null ? List.of(ldap) : List.of(ldap, httpCrlUrl);
        }
    }

    private final CaSigner signer;
    private final List<X509Certificate> chain;
    private final X509CertificateHolder caCertificate;
    private final byte[] caKeyIdentifier;
    private final Map<String, CertificateTemplate> templates;
    private final Clock clock;
    private final SecureRandom random;
    private final Publication publication;
    private final String dn;
    private final List<NameConstraints> nameConstraints;
    private final List<String> crlDistributionPointUrls;
    /** Built once: the same in every certificate this CA issues. */
    private final CRLDistPoint crlDistributionPoints;
    private final AuthorityInformationAccess authorityInformationAccess;

    /**
     * A CA over {@code signer} with {@code chain} (this CA's certificate first, its root last).
     *
     * @throws IllegalArgumentException if the first certificate is not for the signer's key,
     *         a certificate of the chain is not a CA certificate allowed to sign certificates,
     *         or a path length constraint forbids this CA to issue
     */
    public CertificationAuthority(CaSigner signer, List<X509Certificate> chain, Collection<CertificateTemplate> templates,
            Clock clock, SecureRandom random, Publication publication) {
        if (chain.isEmpty()) {
            throw new IllegalArgumentException("a CA needs its certificate chain");
        }
        if (!chain.get(0).getPublicKey().equals(signer.publicKey())) {
            throw new IllegalArgumentException("the CA certificate is not for the CA key");
        }
        this.signer = signer;
        this.chain = List.copyOf(chain);
        this.clock = clock;
        this.random = random;
        this.publication = publication;
        Map<String, CertificateTemplate> byName = new LinkedHashMap<>();
        for (CertificateTemplate template : templates) {
            byName.put(template.name(), template);
        }
        this.templates = Map.copyOf(byName);
        try {
            this.caCertificate = new X509CertificateHolder(chain.get(0).getEncoded());
        } catch (CertificateException | IOException e) {
            throw new IllegalArgumentException("the CA certificate cannot be encoded", e);
        }
        this.dn = CaNames.dn(caCertificate.getSubject());
        checkChainMayIssue(this.chain);
        SubjectKeyIdentifier ski = SubjectKeyIdentifier.fromExtensions(caCertificate.getExtensions());
        this.caKeyIdentifier = ski != null ? ski.getKeyIdentifier()
                : extensionUtils().createSubjectKeyIdentifier(caCertificate.getSubjectPublicKeyInfo()).getKeyIdentifier();
        List<NameConstraints> constraints = new ArrayList<>();
        for (int i = chain.size() - 1; i >= 0; i--) {
            X509CertificateHolder holder = holder(chain.get(i));
            if (holder.getExtensions() != null) {
                Extension extension = holder.getExtension(Extension.nameConstraints);
                if (extension != null) {
                    constraints.add(NameConstraints.getInstance(extension.getParsedValue()));
                }
            }
        }
        this.nameConstraints = List.copyOf(constraints);
        this.crlDistributionPointUrls = publication.crlDistributionPointsOf(dn);
        this.crlDistributionPoints = crlDistPoint();
        this.authorityInformationAccess = authorityInformationAccess();
    }

    /** The CA's subject DN (RFC 4514), which is also the DN of its directory entry. */
    public String dn() {
        return dn;
    }

    /**
     * The URLs of the CRL that every certificate this CA issues names (RFC 5280 section
     * 4.2.1.13), as the CA entry records them in {@code kmsCrlDistributionPoint}.
     */
    public List<String> crlDistributionPoints() {
        return crlDistributionPointUrls;
    }

    /**
     * This CA with {@code other} publication: the same key, chain, templates, clock and
     * randomness, naming the distribution points {@code other} gives.
     */
    public CertificationAuthority withPublication(Publication other) {
        return new CertificationAuthority(signer, chain, templates.values(), clock, random, other);
    }

    /** Where relying parties find this CA's CRL, certificate and OCSP responder. */
    public Publication publication() {
        return publication;
    }

    /** The CA's own certificate. */
    public X509Certificate certificate() {
        return chain.get(0);
    }

    /**
     * Whether {@code der} is a certificate this CA issued with {@code serial}: the serial, the
     * issuer name equal to this CA's subject (RFC 5280 section 4.1.2.2: the pair names one
     * certificate) and the signature verified with this CA's key, so that a certificate someone
     * else made in this CA's name is not taken for one of its own. Anything that does not parse
     * is not.
     */
    public boolean issued(byte[] der, BigInteger serial) {
        X509Certificate candidate;
        try {
            candidate = (X509Certificate) java.security.cert.CertificateFactory.getInstance("X.509")
                    .generateCertificate(new java.io.ByteArrayInputStream(der));
        } catch (java.security.cert.CertificateException | RuntimeException e) {
            return false;
        }
        if (!candidate.getSerialNumber().equals(serial)
                || !candidate.getIssuerX500Principal().equals(certificate().getSubjectX500Principal())) {
            return false;
        }
        try {
            candidate.verify(certificate().getPublicKey());
            return true;
        } catch (java.security.GeneralSecurityException | RuntimeException e) {
            return false;
        }
    }

    /** The chain from this CA's certificate to its root, inclusive. */
    public List<X509Certificate> chain() {
        return chain;
    }

    /**
     * This CA issuing with {@code installed} instead of its templates: the same key, chain,
     * clock and publication. What a CA serving the queue uses when templates are installed on
     * it or removed while it runs.
     */
    public CertificationAuthority withTemplates(Collection<CertificateTemplate> installed) {
        return new CertificationAuthority(signer, chain, installed, clock, random, publication);
    }

    /** The templates installed on this CA, by name. */
    public Map<String, CertificateTemplate> templates() {
        return templates;
    }

    /**
     * Issues a key recovery agent certificate ({@link StandardTemplates#KEY_RECOVERY_AGENT}) with
     * the subject {@code subjectDn} for the key that signed {@code pkcs10}, and returns it followed
     * by this CA's chain: what the recovery key store keeps (as its
     * {@code org.dirkms.agent.keys.RecoveryCertifier}).
     *
     * @throws IssuanceRefusedException as {@link #issue}
     */
    public List<X509Certificate> certifyRecoveryAgent(String subjectDn, byte[] pkcs10) throws IssuanceRefusedException {
        List<X509Certificate> issued = new java.util.ArrayList<>();
        issued.add(issue(IssuanceRequest.forPerson(StandardTemplates.KEY_RECOVERY_AGENT, pkcs10, subjectDn, List.of())));
        issued.addAll(chain);
        return List.copyOf(issued);
    }

    /**
     * Issues a certificate: validates the request (template installed, PKCS#10 signature, key
     * policy, requested names matching the entry), applies the template, enforces the CA's
     * policy (validity inside the CA's, name constraints of the chain) and signs.
     *
     * @throws IssuanceRefusedException with a plain-language reason; nothing was issued
     */
    public X509Certificate issue(IssuanceRequest request) throws IssuanceRefusedException {
        return issue(request, 0);
    }

    /**
     * Issues a certificate as {@link #issue(IssuanceRequest)}, valid for {@code validityDays}
     * days instead of the template's: at most the template's (its validity is the policy's
     * longest), and never past the CA's own certificate; 0 takes the template's.
     *
     * @throws IssuanceRefusedException with a plain-language reason; nothing was issued
     */
    public X509Certificate issue(IssuanceRequest request, int validityDays) throws IssuanceRefusedException {
        // 1. validate the request
        CertificateTemplate template = templates.get(request.templateName());
        if (template == null) {
            throw new IssuanceRefusedException(Kind.UNKNOWN_TEMPLATE, "template '" + request.templateName()
                    + "' is not installed on CA " + dn + " (installed: " + String.join(", ", templates.keySet().stream().sorted().toList()) + ")");
        }
        if (validityDays < 0 || validityDays > template.validityDays()) {
            throw new IssuanceRefusedException(Kind.CA_POLICY, "a certificate of template " + template.name()
                    + " is valid for 1 to " + template.validityDays() + " days, not " + validityDays);
        }
        if (template.certifiesCas() && certificate().getBasicConstraints() == 0) {
            // RFC 5280 section 4.2.1.9: pathLenConstraint 0 lets this CA issue end-entity certificates only.
            throw new IssuanceRefusedException(Kind.CA_POLICY, "CA " + dn + " has a path length constraint of 0:"
                    + " it may not certify another CA");
        }
        Pkcs10Request csr = Pkcs10Request.parseAndVerify(request.pkcs10());
        csr.checkKeyPolicy(template);
        X500Name subject;
        try {
            subject = CaNames.x500Name(request.subjectDn());
        } catch (IllegalArgumentException e) {
            throw new IssuanceRefusedException(Kind.NAME_MISMATCH, "the subject '" + request.subjectDn()
                    + "' of the directory entry is not a distinguished name");
        }
        checkRequestedNames(csr, subject, request);

        // 2. apply the template
        Instant now = clock.instant().truncatedTo(ChronoUnit.SECONDS);
        Instant notAfter = now.plus(Duration.ofDays(validityDays == 0 ? template.validityDays() : validityDays));
        Instant caNotAfter = certificate().getNotAfter().toInstant();
        GeneralNames alternativeNames = alternativeNames(template, request);

        // 3. enforce the CA's policy
        if (now.isBefore(certificate().getNotBefore().toInstant()) || !now.isBefore(caNotAfter)) {
            throw new IssuanceRefusedException(Kind.CA_POLICY, "the certificate of CA " + dn + " is not valid now (valid "
                    + certificate().getNotBefore().toInstant() + " to " + caNotAfter + ")");
        }
        // RFC 5280 section 6.1.3: a certificate must lie inside its issuer's validity to be useful; cut it there.
        if (notAfter.isAfter(caNotAfter)) {
            notAfter = caNotAfter;
        }
        checkNameConstraints(subject, alternativeNames);

        // 4. sign
        SubjectPublicKeyInfo key = csr.subjectPublicKeyInfo();
        X509CertificateHolder issued = template.version() == 1
                ? new X509v1CertificateBuilder(caCertificate.getSubject(), newSerial(), Date.from(now), Date.from(notAfter),
                        subject, key).build(signer.contentSigner())
                : v3(template, csr, subject, key, alternativeNames, now, notAfter);
        return certificate(issued);
    }

    private X509CertificateHolder v3(CertificateTemplate template, Pkcs10Request csr, X500Name subject,
            SubjectPublicKeyInfo key, GeneralNames alternativeNames, Instant notBefore, Instant notAfter)
            throws IssuanceRefusedException {
        int usageMask = 0;
        for (KeyUsageName usage : template.keyUsages()) {
            if (usage.fits(csr.hasRsaKey())) {
                usageMask |= usage.mask();
            }
        }
        if (usageMask == 0) {
            throw new IssuanceRefusedException(Kind.KEY_POLICY, "template " + template.name()
                    + " gives no key usage that a " + (csr.hasRsaKey() ? "RSA" : "EC") + " key can perform");
        }
        X509v3CertificateBuilder builder = new X509v3CertificateBuilder(caCertificate.getSubject(), newSerial(),
                Date.from(notBefore), Date.from(notAfter), subject, key);
        try {
            // RFC 5280 section 4.2.1.9: a subordinate CA of a CA template may issue end-entity
            // certificates only (pathLenConstraint 0); the extension is critical in both cases.
            builder.addExtension(Extension.basicConstraints, true,
                    template.certifiesCas() ? new BasicConstraints(0) : new BasicConstraints(false));
            // RFC 5280 section 4.2.1.3: conforming CAs SHOULD mark keyUsage critical.
            builder.addExtension(Extension.keyUsage, true, new KeyUsage(usageMask));
            if (!template.extendedKeyUsages().isEmpty()) {
                // Not critical: gpgsm enforces extended key usage only when it is critical, and
                // a critical EKU would make single-key and legacy clients reject the certificate.
                builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(template.extendedKeyUsages()
                        .stream().map(oid -> KeyPurposeId.getInstance(new ASN1ObjectIdentifier(oid)))
                        .toArray(KeyPurposeId[]::new)));
            }
            builder.addExtension(Extension.subjectKeyIdentifier, false, extensionUtils().createSubjectKeyIdentifier(key));
            builder.addExtension(Extension.authorityKeyIdentifier, false, new AuthorityKeyIdentifier(caKeyIdentifier));
            if (alternativeNames != null) {
                builder.addExtension(Extension.subjectAlternativeName, false, alternativeNames);
            }
            builder.addExtension(Extension.cRLDistributionPoints, false, crlDistributionPoints);
            if (authorityInformationAccess != null) {
                builder.addExtension(Extension.authorityInfoAccess, false, authorityInformationAccess);
            }
        } catch (CertIOException e) {
            throw new IllegalStateException("cannot encode a certificate extension", e);
        }
        return builder.build(signer.contentSigner());
    }

    /**
     * Issues the certificate of this CA's delegated OCSP responder (RFC 6960 section 4.2.2.2)
     * for {@code key}: subject {@code cn=OCSP Responder,<CA DN>}, valid from now for
     * {@code validity} (never past the CA's own certificate), keyUsage digitalSignature only and
     * extendedKeyUsage id-kp-OCSPSigning only, so that the key serves OCSP responses and nothing
     * else, and id-pkix-ocsp-nocheck (RFC 6960 section 4.2.2.2.1): relying parties do not ask
     * for the responder's own status, which is why its validity is kept short and it is renewed
     * before it ends. It names no CRL distribution point nor authority information access.
     *
     * @throws IllegalStateException if this CA's certificate is not valid now
     */
    public X509Certificate certifyOcspResponder(java.security.PublicKey key, Duration validity) {
        return certifyDelegate(key, validity, "OCSP Responder", KeyPurposeId.id_kp_OCSPSigning, true);
    }

    /**
     * The extended key usage of a trust-list signer: Microsoft's szOID_KP_CTL_USAGE_SIGNING
     * (1.3.6.1.4.1.311.10.3.1), the purpose that certificate trust lists are signed under.
     */
    public static final String TRUST_LIST_SIGNING = "1.3.6.1.4.1.311.10.3.1";

    /**
     * Issues the certificate of the KMS's trust-list-signing key for {@code key}: subject
     * {@code cn=Trust List Signer,<CA DN>}, valid from now for {@code validity} (never past the
     * CA's own certificate), keyUsage digitalSignature only and extendedKeyUsage
     * {@link #TRUST_LIST_SIGNING} only, so that the key signs trust lists (RFC 5914 in CMS, RFC
     * 5652) and nothing a mail client or a TLS peer would accept. It names the CA's CRL
     * distribution points and authority information access like every end-entity certificate.
     *
     * @throws IllegalStateException if this CA's certificate is not valid now
     */
    public X509Certificate certifyTrustListSigner(java.security.PublicKey key, Duration validity) {
        return certifyDelegate(key, validity, "Trust List Signer",
                KeyPurposeId.getInstance(new ASN1ObjectIdentifier(TRUST_LIST_SIGNING)), false);
    }

    /** A key this CA certifies for one purpose of its own (OCSP responses, trust lists). */
    private X509Certificate certifyDelegate(java.security.PublicKey key, Duration validity, String commonName,
            KeyPurposeId purpose, boolean ocspResponder) {
        Instant now = clock.instant().truncatedTo(ChronoUnit.SECONDS);
        Instant caNotAfter = certificate().getNotAfter().toInstant();
        if (now.isBefore(certificate().getNotBefore().toInstant()) || !now.isBefore(caNotAfter)) {
            throw new IllegalStateException("the certificate of CA " + dn + " is not valid now: it cannot certify"
                    + " the " + commonName);
        }
        Instant notAfter = now.plus(validity).isAfter(caNotAfter) ? caNotAfter : now.plus(validity);
        SubjectPublicKeyInfo info = SubjectPublicKeyInfo.getInstance(key.getEncoded());
        X500Name subject = CaNames.x500Name("cn=" + commonName + "," + dn);
        X509v3CertificateBuilder builder = new X509v3CertificateBuilder(caCertificate.getSubject(), newSerial(),
                Date.from(now), Date.from(notAfter), subject, info);
        try {
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
            builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(purpose));
            if (ocspResponder) {
                builder.addExtension(org.bouncycastle.asn1.ocsp.OCSPObjectIdentifiers.id_pkix_ocsp_nocheck, false,
                        org.bouncycastle.asn1.DERNull.INSTANCE);
            }
            builder.addExtension(Extension.subjectKeyIdentifier, false, extensionUtils().createSubjectKeyIdentifier(info));
            builder.addExtension(Extension.authorityKeyIdentifier, false, new AuthorityKeyIdentifier(caKeyIdentifier));
            if (!ocspResponder) {
                builder.addExtension(Extension.cRLDistributionPoints, false, crlDistributionPoints);
                if (authorityInformationAccess != null) {
                    builder.addExtension(Extension.authorityInfoAccess, false, authorityInformationAccess);
                }
            }
        } catch (CertIOException e) {
            throw new IllegalStateException("cannot encode a certificate extension", e);
        }
        return certificate(builder.build(signer.contentSigner()));
    }

    /**
     * Issues a cross-certificate for a partner organisation's root (RFC 5280 section 3.2): the
     * partner root's subject and public key, certified by this CA, so that a relying party that
     * trusts this CA's root reaches the partner's certificates through it. The certificate is a
     * CA certificate (basicConstraints critical, cA TRUE, pathLenConstraint
     * {@link CrossCertificatePolicy#pathLength}; keyUsage keyCertSign and cRLSign, critical),
     * carries the partner root's own subject key identifier (so that the partner's
     * certificates, whose authority key identifier names it, chain to it; RFC 5280 section
     * 4.2.1.2), this CA's authority key identifier, CRL distribution points and authority
     * information access like every certificate this CA issues, and, when the policy asks,
     * critical name constraints (RFC 5280 section 4.2.1.10) with the permitted dNSName and
     * rfc822Name subtrees. It ends at the earliest of the policy's validity, the partner root's
     * end and this CA's.
     *
     * @throws IssuanceRefusedException with a plain-language reason; nothing was issued
     */
    public X509Certificate crossCertify(X509Certificate partnerRoot, CrossCertificatePolicy policy)
            throws IssuanceRefusedException {
        Instant now = clock.instant().truncatedTo(ChronoUnit.SECONDS);
        Instant caNotAfter = certificate().getNotAfter().toInstant();
        if (now.isBefore(certificate().getNotBefore().toInstant()) || !now.isBefore(caNotAfter)) {
            throw new IssuanceRefusedException(Kind.CA_POLICY, "the certificate of CA " + dn + " is not valid now (valid "
                    + certificate().getNotBefore().toInstant() + " to " + caNotAfter + ")");
        }
        // RFC 5280 section 4.2.1.9: this CA's pathLenConstraint counts the cross-certificate and
        // every CA certificate the partner may put below it.
        int ours = certificate().getBasicConstraints();
        if (ours != Integer.MAX_VALUE && ours < 1 + policy.pathLength()) {
            throw new IssuanceRefusedException(Kind.CA_POLICY, "CA " + dn + " has a path length constraint of " + ours
                    + ": it may not certify a partner root with a path length of " + policy.pathLength());
        }
        X509CertificateHolder partner = holder(partnerRoot);
        checkNameConstraints(partner.getSubject(), null);
        Instant notAfter = now.plus(policy.validity());
        for (Instant end : List.of(partnerRoot.getNotAfter().toInstant(), caNotAfter)) {
            if (end.isBefore(notAfter)) {
                notAfter = end;
            }
        }
        if (!now.isBefore(notAfter)) {
            throw new IssuanceRefusedException(Kind.CA_POLICY, "the partner root '" + CaNames.dn(partner.getSubject())
                    + "' expired on " + partnerRoot.getNotAfter().toInstant() + ": there is nothing to cross-certify");
        }
        SubjectPublicKeyInfo key = partner.getSubjectPublicKeyInfo();
        X509v3CertificateBuilder builder = new X509v3CertificateBuilder(caCertificate.getSubject(), newSerial(),
                Date.from(now), Date.from(notAfter), partner.getSubject(), key);
        try {
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(policy.pathLength()));
            builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
            SubjectKeyIdentifier partnerKeyId = partner.getExtensions() == null ? null
                    : SubjectKeyIdentifier.fromExtensions(partner.getExtensions());
            builder.addExtension(Extension.subjectKeyIdentifier, false,
                    partnerKeyId != null ? partnerKeyId : extensionUtils().createSubjectKeyIdentifier(key));
            builder.addExtension(Extension.authorityKeyIdentifier, false, new AuthorityKeyIdentifier(caKeyIdentifier));
            if (policy.constrainsNames()) {
                List<GeneralSubtree> permitted = new ArrayList<>();
                for (String domain : policy.permittedDnsDomains()) {
                    permitted.add(new GeneralSubtree(new GeneralName(GeneralName.dNSName, domain)));
                }
                for (String domain : policy.permittedEmailDomains()) {
                    permitted.add(new GeneralSubtree(new GeneralName(GeneralName.rfc822Name, domain)));
                }
                // RFC 5280 section 4.2.1.10: conforming CAs MUST mark this extension critical.
                builder.addExtension(Extension.nameConstraints, true,
                        new NameConstraints(permitted.toArray(new GeneralSubtree[0]), null));
            }
            builder.addExtension(Extension.cRLDistributionPoints, false, crlDistributionPoints);
            if (authorityInformationAccess != null) {
                builder.addExtension(Extension.authorityInfoAccess, false, authorityInformationAccess);
            }
        } catch (CertIOException e) {
            throw new IllegalStateException("cannot encode a certificate extension", e);
        }
        return certificate(builder.build(signer.contentSigner()));
    }

    /**
     * Issues a certificate of this KMS server's transfer identity (docs/transfer.md) for
     * {@code key}, with the subject {@code subjectDn}, valid from now for {@code validity} (never
     * past the CA's own certificate): for the transport key ({@code forEncryption}) keyUsage
     * keyEncipherment for an RSA key or keyAgreement for an EC key (RFC 5280 section 4.2.1.3,
     * RFC 5480 section 3), so that it receives CMS EnvelopedData and signs nothing; for the
     * signing key digitalSignature only, so that it signs transfer files and decrypts nothing.
     * Like every certificate of this CA it names the CA's CRL distribution points and authority
     * information access, so that a relying party checks it as any other.
     *
     * @throws IllegalStateException if this CA's certificate is not valid now
     */
    public X509Certificate certifyTransferKey(java.security.PublicKey key, String subjectDn, boolean forEncryption,
            Duration validity) {
        Instant now = clock.instant().truncatedTo(ChronoUnit.SECONDS);
        Instant caNotAfter = certificate().getNotAfter().toInstant();
        if (now.isBefore(certificate().getNotBefore().toInstant()) || !now.isBefore(caNotAfter)) {
            throw new IllegalStateException("the certificate of CA " + dn + " is not valid now: it cannot certify"
                    + " the transfer identity");
        }
        Instant notAfter = now.plus(validity).isAfter(caNotAfter) ? caNotAfter : now.plus(validity);
        SubjectPublicKeyInfo info = SubjectPublicKeyInfo.getInstance(key.getEncoded());
        int usage = !forEncryption ? KeyUsage.digitalSignature
                : key instanceof java.security.interfaces.RSAPublicKey ? KeyUsage.keyEncipherment : KeyUsage.keyAgreement;
        X509v3CertificateBuilder builder = new X509v3CertificateBuilder(caCertificate.getSubject(), newSerial(),
                Date.from(now), Date.from(notAfter), CaNames.x500Name(subjectDn), info);
        try {
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            builder.addExtension(Extension.keyUsage, true, new KeyUsage(usage));
            builder.addExtension(Extension.subjectKeyIdentifier, false, extensionUtils().createSubjectKeyIdentifier(info));
            builder.addExtension(Extension.authorityKeyIdentifier, false, new AuthorityKeyIdentifier(caKeyIdentifier));
            builder.addExtension(Extension.cRLDistributionPoints, false, crlDistributionPoints);
            if (authorityInformationAccess != null) {
                builder.addExtension(Extension.authorityInfoAccess, false, authorityInformationAccess);
            }
        } catch (CertIOException e) {
            throw new IllegalStateException("cannot encode a certificate extension", e);
        }
        return certificate(builder.build(signer.contentSigner()));
    }

    /**
     * Revokes the certificate with {@code serial} and returns the next CRL: every entry of
     * {@code currentCrl} (null when none was published yet), this one, a CRL number one
     * higher. Revoking a serial already on the CRL keeps its first entry.
     *
     * @throws IllegalArgumentException if {@code currentCrl} was not signed by this CA
     */
    public X509CRL revoke(BigInteger serial, RevocationReason reason, X509CRL currentCrl) {
        if (serial.signum() <= 0) {
            throw new IllegalArgumentException("a certificate serial number is a positive integer (RFC 5280 section 4.1.2.2)");
        }
        return nextCrl(currentCrl, serial, reason);
    }

    /**
     * Re-signs the CRL with the same entries, a fresh thisUpdate and nextUpdate and a CRL number
     * one higher: what a schedule publishes before nextUpdate passes.
     *
     * @throws IllegalArgumentException if {@code currentCrl} was not signed by this CA
     */
    public X509CRL renewCrl(X509CRL currentCrl) {
        return nextCrl(currentCrl, null, null);
    }

    private X509CRL nextCrl(X509CRL currentCrl, BigInteger serial, RevocationReason reason) {
        Instant now = clock.instant().truncatedTo(ChronoUnit.SECONDS);
        X509v2CRLBuilder builder = new X509v2CRLBuilder(caCertificate.getSubject(), Date.from(now));
        builder.setNextUpdate(Date.from(now.plus(publication.crlValidity())));
        BigInteger number = BigInteger.ONE;
        boolean alreadyListed = false;
        if (currentCrl != null) {
            X509CRLHolder current = verifiedCrl(currentCrl);
            builder.addCRL(current);
            CRLNumber previous = CRLNumber.getInstance(current.getExtension(Extension.cRLNumber).getParsedValue());
            number = previous.getCRLNumber().add(BigInteger.ONE);
            alreadyListed = serial != null && current.getRevokedCertificate(serial) != null;
        }
        if (serial != null && !alreadyListed) {
            if (reason == null || reason == RevocationReason.UNSPECIFIED) {
                // RFC 5280 section 5.3.1: the reason code SHOULD be absent instead of unspecified.
                builder.addCRLEntry(serial, Date.from(now), null);
            } else {
                builder.addCRLEntry(serial, Date.from(now), reasonCode(reason));
            }
        }
        try {
            builder.addExtension(Extension.authorityKeyIdentifier, false, new AuthorityKeyIdentifier(caKeyIdentifier));
            builder.addExtension(Extension.cRLNumber, false, new CRLNumber(number));
            return new JcaX509CRLConverter().getCRL(builder.build(signer.contentSigner()));
        } catch (CertIOException | CRLException e) {
            throw new IllegalStateException("cannot build the CRL", e);
        }
    }

    private X509CRLHolder verifiedCrl(X509CRL crl) {
        try {
            X509CRLHolder holder = new X509CRLHolder(crl.getEncoded());
            if (!holder.getIssuer().equals(caCertificate.getSubject())
                    || !holder.isSignatureValid(new JcaContentVerifierProviderBuilder().setProvider(CaKeyAlgorithms.BC)
                            .build(signer.publicKey()))
                    || holder.getExtension(Extension.cRLNumber) == null) {
                throw new IllegalArgumentException("the current CRL was not issued by CA " + dn);
            }
            return holder;
        } catch (CRLException | IOException | CertException | OperatorCreationException e) {
            throw new IllegalArgumentException("the current CRL of CA " + dn + " cannot be read", e);
        } catch (IllegalStateException e) {
            // Bouncy Castle parses a CRL's parts when first used and throws ASN1ParsingException
            // (an IllegalStateException) for a malformed one the JDK's factory let through.
            throw new IllegalArgumentException("the current CRL of CA " + dn + " cannot be read: it is malformed", e);
        }
    }

    static int reasonCode(RevocationReason reason) {
        return switch (reason) {
            case UNSPECIFIED -> CRLReason.unspecified;
            case KEY_COMPROMISE -> CRLReason.keyCompromise;
            case AFFILIATION_CHANGED -> CRLReason.affiliationChanged;
            case SUPERSEDED -> CRLReason.superseded;
            case CESSATION_OF_OPERATION -> CRLReason.cessationOfOperation;
            case CERTIFICATE_HOLD -> CRLReason.certificateHold;
            case PRIVILEGE_WITHDRAWN -> CRLReason.privilegeWithdrawn;
        };
    }

    /** The names the request asks for must be the entry's: the CA certifies the directory, not the requester. */
    private static void checkRequestedNames(Pkcs10Request csr, X500Name subject, IssuanceRequest request)
            throws IssuanceRefusedException {
        for (String address : csr.requestedEmailAddresses()) {
            boolean known = request.emailAddresses().stream().anyMatch(mail -> mail.equalsIgnoreCase(address));
            if (!known) {
                throw new IssuanceRefusedException(Kind.NAME_MISMATCH, "the certificate request names e-mail address '"
                        + address + "', which is not a mail value of the directory entry " + request.subjectDn());
            }
        }
        X500Name requested = csr.requestedSubject();
        if (requested.getRDNs().length > 0 && !requested.equals(subject)) {
            throw new IssuanceRefusedException(Kind.NAME_MISMATCH, "the certificate request asks for subject '"
                    + CaNames.dn(requested) + "', but the directory entry is '" + request.subjectDn() + "'");
        }
    }

    private static GeneralNames alternativeNames(CertificateTemplate template, IssuanceRequest request)
            throws IssuanceRefusedException {
        if (template.protectsEmail() && request.emailAddresses().isEmpty()) {
            throw new IssuanceRefusedException(Kind.MISSING_NAME, "template " + template.name()
                    + " protects e-mail, but the directory entry " + request.subjectDn() + " has no mail address");
        }
        if (template.authenticatesServers() && request.dnsNames().isEmpty() && request.ipAddresses().isEmpty()) {
            throw new IssuanceRefusedException(Kind.MISSING_NAME, "template " + template.name()
                    + " is for servers, but the request names no host name or IP address");
        }
        if (template.version() == 1) {
            return null;
        }
        List<GeneralName> names = new ArrayList<>();
        for (String mail : request.emailAddresses()) {
            names.add(new GeneralName(GeneralName.rfc822Name, mail));
        }
        for (String host : request.dnsNames()) {
            names.add(new GeneralName(GeneralName.dNSName, host));
        }
        for (String ip : request.ipAddresses()) {
            // Only literal addresses: InetAddress would otherwise resolve a host name.
            if (!ip.matches("[0-9.]+|[0-9a-fA-F:.]+")) {
                throw new IssuanceRefusedException(Kind.MISSING_NAME, "'" + ip + "' is not an IP address");
            }
            try {
                InetAddress.getByName(ip);
            } catch (UnknownHostException e) {
                throw new IssuanceRefusedException(Kind.MISSING_NAME, "'" + ip + "' is not an IP address");
            }
            names.add(new GeneralName(GeneralName.iPAddress, ip));
        }
        return names.isEmpty() ? null : new GeneralNames(names.toArray(new GeneralName[0]));
    }

    private void checkNameConstraints(X500Name subject, GeneralNames alternativeNames) throws IssuanceRefusedException {
        if (nameConstraints.isEmpty()) {
            return;
        }
        // RFC 5280 section 4.2.1.10 and 6.1.4 (g): the permitted subtrees of every CA in the
        // path intersect, the excluded subtrees add up, and both apply to the subject and
        // every alternative name of the certificates below.
        PKIXNameConstraintValidator validator = new PKIXNameConstraintValidator();
        for (NameConstraints constraints : nameConstraints) {
            if (constraints.getPermittedSubtrees() != null) {
                validator.intersectPermittedSubtree(constraints.getPermittedSubtrees());
            }
            if (constraints.getExcludedSubtrees() != null) {
                for (GeneralSubtree subtree : constraints.getExcludedSubtrees()) {
                    validator.addExcludedSubtree(subtree);
                }
            }
        }
        List<GeneralName> names = new ArrayList<>();
        names.add(new GeneralName(subject));
        if (alternativeNames != null) {
            names.addAll(List.of(alternativeNames.getNames()));
        }
        for (GeneralName name : names) {
            try {
                validator.checkPermitted(name);
                validator.checkExcluded(name);
            } catch (NameConstraintValidatorException e) {
                throw new IssuanceRefusedException(Kind.CA_POLICY, "the name " + describe(name)
                        + " is outside the name constraints of CA " + dn);
            }
        }
    }

    private static String describe(GeneralName name) {
        return switch (name.getTagNo()) {
            case GeneralName.directoryName -> "'" + CaNames.dn(X500Name.getInstance(name.getName())) + "'";
            case GeneralName.rfc822Name -> "e-mail '" + name.getName() + "'";
            case GeneralName.dNSName -> "host '" + name.getName() + "'";
            default -> name.toString();
        };
    }

    /** RFC 5280 section 4.2.1.9: a CA certificate at depth k below which k CAs sit needs pathLenConstraint >= k. */
    private static void checkChainMayIssue(List<X509Certificate> chain) {
        for (int depth = 0; depth < chain.size(); depth++) {
            X509Certificate certificate = chain.get(depth);
            int pathLength = certificate.getBasicConstraints();
            String name = certificate.getSubjectX500Principal().getName();
            if (pathLength < 0) {
                throw new IllegalArgumentException("certificate '" + name + "' in the CA chain is not a CA certificate");
            }
            boolean[] usage = certificate.getKeyUsage();
            if (usage != null && !usage[5]) {
                throw new IllegalArgumentException("certificate '" + name + "' in the CA chain may not sign certificates (no keyCertSign)");
            }
            if (pathLength < depth) {
                throw new IllegalArgumentException("the path length constraint " + pathLength + " of '" + name
                        + "' forbids " + depth + " CA certificates below it");
            }
        }
    }

    /** RFC 5280 section 4.1.2.2: positive, at most 20 octets; 159 random bits leave a sign bit of 0. */
    private BigInteger newSerial() {
        BigInteger serial;
        do {
            serial = new BigInteger(159, random);
        } while (serial.bitLength() < 64);
        return serial;
    }

    private CRLDistPoint crlDistPoint() {
        List<GeneralName> locations = new ArrayList<>();
        for (String url : crlDistributionPointUrls) {
            locations.add(new GeneralName(GeneralName.uniformResourceIdentifier, url));
        }
        // One distribution point with every location: RFC 5280 section 4.2.1.13, the names of
        // one point are ways to reach the same CRL.
        DistributionPointName name = new DistributionPointName(new GeneralNames(locations.toArray(new GeneralName[0])));
        return new CRLDistPoint(new DistributionPoint[] {new DistributionPoint(name, null, null)});
    }

    /**
     * The OCSP responder when the CA offers one (id-ad-ocsp), the CA entry's
     * {@code cACertificate;binary} in the directory of the first LDAP distribution point (base
     * scope, as the CRL), then any HTTP URL of the certificate (RFC 5280 section 4.2.2.1).
     */
    private AuthorityInformationAccess authorityInformationAccess() {
        List<AccessDescription> descriptions = new ArrayList<>();
        if (publication.ocspUrl() != null) {
            descriptions.add(new AccessDescription(AccessDescription.id_ad_ocsp,
                    new GeneralName(GeneralName.uniformResourceIdentifier, publication.ocspUrl())));
        }
        String server = crlDistributionPointUrls.stream().map(CrlDistributionPoints::serverOf)
                .filter(java.util.Objects::nonNull).findFirst().orElse(publication.ldapServer());
        if (server != null) {
            descriptions.add(new AccessDescription(AccessDescription.id_ad_caIssuers, new GeneralName(
                    GeneralName.uniformResourceIdentifier,
                    CrlDistributionPoints.ldapEntry(server, dn, AttributeNames.CA_CERTIFICATE + ";binary"))));
        }
        if (publication.httpCaIssuersUrl() != null) {
            descriptions.add(new AccessDescription(AccessDescription.id_ad_caIssuers,
                    new GeneralName(GeneralName.uniformResourceIdentifier, publication.httpCaIssuersUrl())));
        }
        return descriptions.isEmpty() ? null
                : new AuthorityInformationAccess(descriptions.toArray(new AccessDescription[0]));
    }

    static JcaX509ExtensionUtils extensionUtils() {
        try {
            return new JcaX509ExtensionUtils();
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-1 is missing from the JDK", e);
        }
    }

    static X509CertificateHolder holder(X509Certificate certificate) {
        try {
            return new X509CertificateHolder(certificate.getEncoded());
        } catch (CertificateException | IOException e) {
            throw new IllegalArgumentException("a certificate cannot be encoded", e);
        }
    }

    static X509Certificate certificate(X509CertificateHolder holder) {
        try {
            return new JcaX509CertificateConverter().getCertificate(holder);
        } catch (CertificateException e) {
            throw new IllegalStateException("the issued certificate cannot be decoded", e);
        }
    }
}
