package org.dirkms.agent.ca;

import java.io.ByteArrayInputStream;
import java.math.BigInteger;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.security.cert.CRLException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.UnaryOperator;
import org.apache.directory.api.ldap.model.name.Rdn;
import org.dirkms.agent.names.DistinguishedNames;
import org.dirkms.agent.ca.CaRecords.CaEntry;
import org.dirkms.agent.ca.CaRecords.RequestEntry;
import org.dirkms.agent.ca.CaRecords.SubjectEntry;
import org.dirkms.agent.ca.CaRecords.TemplateEntry;
import org.dirkms.schema.AttributeNames;
import org.dirkms.schema.CaState;
import org.dirkms.schema.CertificatePurpose;
import org.dirkms.schema.DirectoryLayout;
import org.dirkms.schema.EnrollmentState;
import org.dirkms.schema.KeyAlgorithm;
import org.dirkms.schema.ObjectClassNames;
import org.dirkms.schema.RevocationReason;

/**
 * The CA as it lives in the directory: set-up of root and subordinate CAs with their entries
 * and the standard templates, loading a CA from its entry and key store, revocation with the
 * CRL republished on the CA entry at once, and processing of the request queue.
 *
 * <p>Every step writes the key store before the directory, so a CA entry never exists
 * without its key; a step that fails leaves a state the same command can finish.
 */
public final class CaService {
    /** The validity of a root made by {@link #initRoot}, unless the caller gives another. */
    public static final Duration DEFAULT_ROOT_VALIDITY = Duration.ofDays(3650);

    /**
     * How many times one CRL update reads, rebuilds and tries to swap the CRL before giving up.
     * Within a process updates take turns, so a swap fails only when another process published
     * between this read and this write. Two processes that both publish without pause win
     * about every other round (measured by CrlConcurrencyIT), so 32 rounds fail together about
     * once in 4 billion updates, and with four such processes once in ten thousand; each round
     * costs a read, a signature and a modify, a few milliseconds.
     */
    static final int CRL_UPDATE_ATTEMPTS = 32;

    private final CaRecords records;
    private final DirectoryLayout layout;
    private final Clock clock;
    private final SecureRandom random;
    private final CrlUpdateLocks crlLocks;

    /**
     * A service over {@code records} below {@code layout}, with injected time and randomness,
     * whose CRL updates take turns with those of every other service of this JVM.
     */
    public CaService(CaRecords records, DirectoryLayout layout, Clock clock, SecureRandom random) {
        this(records, layout, clock, random, CrlUpdateLocks.jvmWide());
    }

    /**
     * A service whose CRL updates take turns with those of the services given the same
     * {@code crlLocks} (a set of its own stands for another process).
     */
    public CaService(CaRecords records, DirectoryLayout layout, Clock clock, SecureRandom random,
            CrlUpdateLocks crlLocks) {
        this.records = records;
        this.layout = layout;
        this.clock = clock;
        this.random = random;
        this.crlLocks = crlLocks;
    }

    /** The DN of the CA entry (and CA subject) for the CA named {@code commonName}. */
    public String caDn(String commonName) {
        return "cn=" + Rdn.escapeValue(commonName) + "," + layout.certificationAuthorities();
    }

    /** The DN of the entry of the template named {@code templateName}. */
    public String templateDn(String templateName) {
        return "cn=" + Rdn.escapeValue(templateName) + "," + layout.certificateTemplates();
    }

    /**
     * Makes an enterprise root CA named {@code commonName}: its key in a new key store file,
     * the standard templates (those absent), and its entry (active, every standard template
     * installed, an empty first CRL, the distribution points {@code publication} names, which
     * every certificate of the CA names from then on).
     *
     * @throws IllegalStateException if the key store file exists already
     */
    public CertificationAuthority initRoot(String commonName, KeyAlgorithm algorithm, Duration validity, int priority,
            Path keyStore, KeyStorePassphrase passphrase, CertificationAuthority.Publication publication) {
        checkCaAlgorithm(algorithm);
        String dn = caDn(commonName);
        SoftwareSigner generated = SoftwareSigner.generate(algorithm, random);
        X509Certificate certificate = CaSetup.selfSignedRoot(generated, dn, validity, clock, random);
        SoftwareSigner signer = generated.save(keyStore, passphrase, List.of(certificate), false);
        List<String> installed = installStandardTemplates();
        CertificationAuthority ca = new CertificationAuthority(signer, List.of(certificate), StandardTemplates.all(), clock,
                random, publication);
        X509CRL crl = ca.renewCrl(null);
        records.addCa(new CaEntry(dn, List.of(der(certificate)), der(crl), CaState.ACTIVE, priority, installed,
                ca.crlDistributionPoints(), urls(publication.ocspUrl()), urls(publication.httpCaIssuersUrl())));
        return ca;
    }

    /**
     * Publishes a root CA made before the directory could be written (the embedded server's
     * first start makes its CA while obtaining its TLS certificate): the standard templates
     * that are absent, and the CA entry with an empty first CRL and the distribution points
     * {@code publication} names, unless it exists already.
     *
     * @return {@code ca} naming the distribution points its entry records: those of
     *         {@code publication} when the entry is added (or recorded none yet), else the
     *         entry's, so that it issues as every other process issuing for the CA
     */
    public CertificationAuthority adoptRoot(CertificationAuthority ca, int priority,
            CertificationAuthority.Publication publication) {
        List<String> installed = installStandardTemplates();
        Optional<CaEntry> existing = records.readCa(ca.dn());
        if (existing.isPresent()) {
            return ca.withPublication(recordedPublication(existing.get(), publication));
        }
        CertificationAuthority published = ca.withPublication(publication);
        records.addCa(new CaEntry(ca.dn(), List.of(der(ca.certificate())), der(ca.renewCrl(null)), CaState.ACTIVE,
                priority, installed, published.crlDistributionPoints(), urls(publication.ocspUrl()),
                urls(publication.httpCaIssuersUrl())));
        return published;
    }

    /**
     * Makes a subordinate CA's key (saved with a placeholder certificate) and its entry in state
     * awaiting-certificate with the distribution points {@code publication} names, and returns
     * the DER of the PKCS#10 request for the outside root.
     */
    public byte[] initSubordinate(String commonName, KeyAlgorithm algorithm, int priority, Path keyStore,
            KeyStorePassphrase passphrase, CertificationAuthority.Publication publication) {
        checkCaAlgorithm(algorithm);
        String dn = caDn(commonName);
        SoftwareSigner generated = SoftwareSigner.generate(algorithm, random);
        SoftwareSigner signer = generated.save(keyStore, passphrase,
                List.of(CaSetup.placeholder(generated, dn, clock, random)), false);
        List<String> installed = installStandardTemplates();
        records.addCa(new CaEntry(dn, List.of(), null, CaState.AWAITING_CERTIFICATE, priority, installed,
                publication.crlDistributionPointsOf(dn)));
        return CaSetup.subordinateRequest(signer, dn);
    }

    /**
     * Installs the certificate an outside root issued to the subordinate at {@code caDn}
     * (see {@link CaSetup#installSubordinate} for the checks), stores the chain in the key
     * store, publishes it on the CA entry, activates the CA and publishes its CRL: the first, or
     * when the CA has one already (installed before), its successor with every revocation kept.
     *
     * @throws IllegalArgumentException if a check fails; nothing is changed then
     */
    public CertificationAuthority install(String caDn, Path keyStore, KeyStorePassphrase passphrase,
            X509Certificate issued, List<X509Certificate> chain, CertificationAuthority.Publication publication) {
        CaEntry entry = records.readCa(caDn).orElseThrow(() -> new IllegalArgumentException("there is no CA entry " + caDn
                + "; run 'dirkms ca init --subordinate' first"));
        SoftwareSigner signer = SoftwareSigner.open(keyStore, passphrase);
        List<X509Certificate> installed = CaSetup.installSubordinate(signer, entry.dn(), issued, chain, clock);
        signer = signer.save(keyStore, passphrase, installed, true);
        CertificationAuthority ca = new CertificationAuthority(signer, installed, templatesOf(entry), clock, random,
                recordedPublication(entry, publication));
        List<byte[]> published = new ArrayList<>();
        for (X509Certificate certificate : installed) {
            published.add(der(certificate));
        }
        records.activateCa(entry.dn(), published, CaState.ACTIVE);
        // Not a fresh empty CRL: installing again (a renewed certificate for the same key, or a
        // re-run) must keep the revocations the CA published since its first install.
        publishCrl(ca);
        return ca;
    }

    /**
     * Loads the active CA at {@code caDn}: its key from {@code keyStore}, its chain from the key
     * store, its templates from the template entries it lists, its distribution points from the
     * entry ({@code publication}'s are recorded there first when it has none).
     *
     * @throws IllegalArgumentException if the entry is missing or not active, or a template is invalid
     */
    public CertificationAuthority open(String caDn, Path keyStore, KeyStorePassphrase passphrase,
            CertificationAuthority.Publication publication) {
        CaEntry entry = records.readCa(caDn).orElseThrow(() -> new IllegalArgumentException("there is no CA entry " + caDn));
        if (entry.state() != CaState.ACTIVE) {
            throw new IllegalArgumentException("CA " + caDn + " is " + entry.state().ldapValue() + ", not active");
        }
        SoftwareSigner signer = SoftwareSigner.open(keyStore, passphrase);
        return new CertificationAuthority(signer, signer.storedChain(), templatesOf(entry), clock, random,
                recordedPublication(entry, publication));
    }

    /**
     * {@code publication} naming the distribution points, OCSP responder and HTTP certificate
     * URL {@code entry} records. An entry made before CAs recorded distribution points gets
     * those {@code publication} derives, once; an entry that records no OCSP responder yet gets
     * the HTTP access {@code publication} offers ({@link CertificationAuthority.Publication#withHttp}),
     * once, the HTTP CRL added after its distribution points: every process issuing for the CA
     * names the same URLs from then on.
     */
    private CertificationAuthority.Publication recordedPublication(CaEntry entry,
            CertificationAuthority.Publication publication) {
        List<String> urls = entry.crlDistributionPoints();
        List<String> ocsp = entry.ocspUrls();
        List<String> caIssuers = entry.caIssuersUrls();
        boolean derived = urls.isEmpty();
        if (derived) {
            urls = publication.crlDistributionPointsOf(entry.dn());
        }
        if (ocsp.isEmpty() && publication.ocspUrl() != null) {
            List<String> withHttp = new ArrayList<>(urls);
            if (publication.httpCrlUrl() != null && !withHttp.contains(publication.httpCrlUrl())) {
                withHttp.add(publication.httpCrlUrl());
            }
            urls = List.copyOf(withHttp);
            ocsp = List.of(publication.ocspUrl());
            caIssuers = publication.httpCaIssuersUrl() == null ? List.of() : List.of(publication.httpCaIssuersUrl());
            records.recordHttpAccess(entry.dn(), urls, ocsp, caIssuers);
        } else if (derived) {
            records.recordCrlDistributionPoints(entry.dn(), urls);
        }
        return publication.recorded(urls, ocsp, caIssuers);
    }

    /**
     * Revokes the certificate with {@code serial} and publishes the new CRL on the CA entry
     * before returning it. The CRL it builds on is the one published at the moment of the
     * swap, so a revocation published meanwhile by another thread or process is kept.
     *
     * @throws CrlContentionException if the CRL could not be swapped
     *         in {@value #CRL_UPDATE_ATTEMPTS} attempts; the certificate is not on a published CRL then
     */
    public X509CRL revoke(CertificationAuthority ca, BigInteger serial, RevocationReason reason) {
        return updateCrl(ca, current -> ca.revoke(serial, reason, current)).orElseThrow();
    }

    /**
     * The administrator's revocation by serial ({@code dirkms ca revoke}): as {@link #revoke},
     * but only a serial the CA issued and has not revoked yet. What the CA issued is what the
     * directory keeps ({@link CaRecords#findKeptCertificate}, docs/directory-layout.md, "What the
     * CA knows it issued"): a serial mistyped or copied from another CA's certificate would
     * otherwise go onto the CRL unnoticed, and the certificate meant stay valid.
     *
     * @return the CRL published with the serial on it, and the DN of the entry holding the certificate
     * @throws RevocationRefusedException with one line a person can act on; the CRL is unchanged
     * @throws CrlContentionException as {@link #revoke}
     */
    public Revoked revokeIssued(CertificationAuthority ca, BigInteger serial, RevocationReason reason) {
        String hex = serial.toString(16);
        byte[] published = records.readCa(ca.dn()).map(CaEntry::crl).orElse(null);
        if (published != null) {
            java.security.cert.X509CRLEntry listed = parseCrl(ca, published).getRevokedCertificate(serial);
            if (listed != null) {
                throw new RevocationRefusedException("serial " + hex + " is already on the CRL of " + ca.dn()
                        + ", revoked " + listed.getRevocationDate().toInstant()
                        + (listed.getRevocationReason() == null ? "" : " (" + reasonName(listed.getRevocationReason()) + ")")
                        + ": nothing changed");
            }
        }
        String holder = records.findKeptCertificate(der -> ca.issued(der, serial)).orElseThrow(
                () -> new RevocationRefusedException(ca.dn() + " never issued serial " + hex + ": no certificate"
                        + " with that serial and issuer is kept in the directory; nothing changed, check the"
                        + " serial ('openssl x509 -noout -serial -in CERT' prints it) and --name"));
        return new Revoked(revoke(ca, serial, reason), holder);
    }

    /**
     * Signs a PKCS#10 request from outside the directory ({@code dirkms ca sign}), such as a
     * subordinate CA of ours running elsewhere, through the CA's issuance pipeline: the request's
     * signature and key are checked, the template {@code templateName} must be installed on the
     * CA, the CA's policy applies (validity inside the CA's, name and path length constraints),
     * and the certificate's subject is the one the request asks for (there is no directory entry
     * to take it from: the administrator who runs the command vouches for it). The certificate is
     * then recorded under {@code ou=Requests} ({@link CaRecords#recordIssued}) before it is
     * returned, so that the CA can revoke it and its OCSP responder knows it.
     *
     * @param validityDays the certificate's validity in days, at most the template's; 0 for the template's
     * @throws IssuanceRefusedException with one line a person can act on; nothing was issued
     */
    public Signed signRequest(CertificationAuthority ca, String templateName, byte[] pkcs10, int validityDays)
            throws IssuanceRefusedException {
        Pkcs10Request csr = Pkcs10Request.parseAndVerify(pkcs10);
        if (csr.requestedSubject().getRDNs().length == 0) {
            throw new IssuanceRefusedException(IssuanceRefusedException.Kind.NAME_MISMATCH, "the certificate request"
                    + " names no subject; a request from outside the directory must name the subject to certify");
        }
        String subject = CaNames.dn(csr.requestedSubject());
        X509Certificate certificate = ca.issue(new IssuanceRequest(templateName, pkcs10, subject,
                csr.requestedEmailAddresses(), List.of(), List.of()), validityDays);
        String dn = "cn=signed-" + certificate.getSerialNumber().toString(16) + "," + layout.requests();
        records.recordIssued(dn, templateDn(templateName), subject, pkcs10, der(certificate));
        return new Signed(certificate, dn);
    }

    /**
     * What {@link #signRequest} issued.
     *
     * @param certificate the certificate
     * @param recordDn the DN of the request entry that records it
     */
    public record Signed(X509Certificate certificate, String recordDn) {
    }

    /** The names ({@code cn}) of every template entry under {@code ou=Certificate Templates}, sorted. */
    public List<String> templateNames() {
        List<String> names = new ArrayList<>();
        for (TemplateEntry entry : records.listTemplates()) {
            String name = DistinguishedNames.leafValue(entry.dn(), "cn");
            if (name != null) {
                names.add(name);
            }
        }
        names.sort(String.CASE_INSENSITIVE_ORDER);
        return names;
    }

    /**
     * What the directory says of one CA ({@code dirkms ca list}), read without its key.
     *
     * @param dn the CA entry's DN, its subject
     * @param name the {@code cn} of the entry: the name the {@code dirkms ca} commands take
     * @param state {@code kmsCAState}
     * @param priority {@code kmsPriority}
     * @param certificate the CA's certificate, or null while a subordinate awaits it
     * @param templates the names of the templates installed on the CA ({@code kmsInstalledTemplate})
     * @param crl the CRL published on the entry, or null before the first one
     */
    public record CaSummary(String dn, String name, CaState state, int priority, X509Certificate certificate,
            List<String> templates, X509CRL crl) {
        /** Copies the list. */
        public CaSummary {
            templates = List.copyOf(templates);
        }
    }

    /**
     * Every CA entry under {@code ou=Certification Authorities}, by ascending priority, as the
     * directory records it.
     *
     * @throws IllegalStateException if a CA entry's certificate or CRL cannot be parsed
     */
    public List<CaSummary> listCas() {
        List<CaSummary> summaries = new ArrayList<>();
        for (CaEntry entry : records.listCas()) {
            X509Certificate certificate = null;
            X509CRL crl = null;
            try {
                CertificateFactory factory = CertificateFactory.getInstance("X.509");
                if (!entry.certificates().isEmpty()) {
                    certificate = (X509Certificate) factory.generateCertificate(
                            new ByteArrayInputStream(entry.certificates().get(0)));
                }
                if (entry.crl() != null) {
                    crl = (X509CRL) factory.generateCRL(new ByteArrayInputStream(entry.crl()));
                }
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("the certificate or CRL on CA entry " + entry.dn()
                        + " cannot be parsed: " + e.getMessage(), e);
            }
            List<String> templates = new ArrayList<>();
            for (String installed : entry.installedTemplates()) {
                String name = DistinguishedNames.leafValue(installed, "cn");
                templates.add(name != null ? name : installed);
            }
            String name = DistinguishedNames.leafValue(entry.dn(), "cn");
            summaries.add(new CaSummary(entry.dn(), name != null ? name : entry.dn(), entry.state(), entry.priority(),
                    certificate, templates, crl));
        }
        return summaries;
    }

    /** The RFC 5280 section 5.3.1 name of {@code reason}, as {@code --reason} takes it. */
    private static String reasonName(java.security.cert.CRLReason reason) {
        for (RevocationReason known : RevocationReason.values()) {
            if (known.name().equals(reason.name())) {
                return known.ldapValue();
            }
        }
        return reason.name();
    }

    /**
     * What {@link #revokeIssued} did.
     *
     * @param crl the CRL published with the serial on it
     * @param holder the DN of the entry that holds the revoked certificate
     */
    public record Revoked(X509CRL crl, String holder) {
    }

    /**
     * Re-signs the CA's CRL with a fresh next update and publishes it: the scheduled publication.
     *
     * @throws CrlContentionException as {@link #revoke}
     */
    public X509CRL publishCrl(CertificationAuthority ca) {
        return updateCrl(ca, ca::renewCrl).orElseThrow();
    }

    /**
     * The scheduled publication: republishes the CA's CRL when none is published or its next
     * update is less than {@code margin} away at this service's clock, so relying parties never
     * hold an expired CRL. Returns the new CRL, or empty when the published one is still fresh.
     *
     * @throws CrlContentionException as {@link #revoke}
     */
    public Optional<X509CRL> renewCrlIfDue(CertificationAuthority ca, Duration margin) {
        return updateCrl(ca, current -> {
            if (current != null && current.getNextUpdate() != null
                    && current.getNextUpdate().toInstant().minus(margin).isAfter(clock.instant())) {
                return null;
            }
            return ca.renewCrl(current);
        });
    }

    /**
     * Every CRL update: read the published CRL, build its successor with {@code next} (null: no
     * update needed), swap it in only if the published CRL is still the one read (a
     * compare-and-swap in the directory, against other processes), else start again from the
     * newer CRL. The JVM-wide lock per CA makes this process's updates take turns, so they never
     * make each other retry and each successful swap raises the CRL number by exactly one.
     */
    private Optional<X509CRL> updateCrl(CertificationAuthority ca, UnaryOperator<X509CRL> next) {
        ReentrantLock lock = crlLocks.forCa(ca.dn());
        lock.lock();
        try {
            for (int attempt = 1; attempt <= CRL_UPDATE_ATTEMPTS; attempt++) {
                byte[] published = records.readCa(ca.dn()).map(CaEntry::crl).orElse(null);
                X509CRL crl = next.apply(published == null ? null : parseCrl(ca, published));
                if (crl == null) {
                    return Optional.empty();
                }
                if (records.replaceCrl(ca.dn(), published, der(crl))) {
                    return Optional.of(crl);
                }
            }
            throw new CrlContentionException("cannot publish the CRL of CA " + ca.dn()
                    + ": another process republished it each of " + CRL_UPDATE_ATTEMPTS
                    + " times this one tried; nothing was published, run the step again");
        } finally {
            lock.unlock();
        }
    }

    /**
     * What the CA makes of one queued request it holds ({@link #issueQueued}): the certificate,
     * or the plain-language reason it refused.
     *
     * @param certificate the certificate issued, or null when refused
     * @param refusal why nothing was issued, or null
     * @param forTheUser whether the refusal also goes on the user's entry: it does when the
     *        request belongs to the user's live enrollment (a refusal of that enrollment), not
     *        when it belongs to none (the user's entry is not what it was queued for)
     */
    public record QueuedIssue(X509Certificate certificate, String refusal, boolean forTheUser) {
    }

    /**
     * Issues the queued {@code request} with {@code ca}, with the subject and mail of the entry
     * it names, only if it belongs to an enrollment in progress ({@link #strayReason}); otherwise,
     * or when the CA refuses it, says why. Writes nothing: the caller holds the request's claim
     * and records the outcome with it (docs/state-machines.md, "The certificate request queue").
     *
     * <p>Only KMS agents may write the queue (docs/security.md), so a request that belongs to no
     * live enrollment comes from a KMS agent identity used in error, or was left behind by an
     * enrollment that ended: it is refused before anything is issued.
     */
    public QueuedIssue issueQueued(CertificationAuthority ca, RequestEntry request) {
        Optional<SubjectEntry> subject = request.subjectDn() == null ? Optional.empty()
                : records.readSubject(request.subjectDn());
        String stray = strayReason(request, subject);
        if (stray != null) {
            return new QueuedIssue(null, "the request " + request.dn()
                    + " does not belong to an enrollment in progress: " + stray + "; nothing was issued (to"
                    + " certify a user, a KMS administrator sets " + AttributeNames.ENROLLMENT_STATE
                    + ": requested, and the KMS queues that enrollment's requests itself)", false);
        }
        try {
            return new QueuedIssue(ca.issue(IssuanceRequest.forPerson(templateName(request.templateDn()),
                    request.pkcs10(), request.subjectDn(), subject.get().mail())), null, true);
        } catch (IssuanceRefusedException e) {
            return new QueuedIssue(null, e.getMessage(), true);
        }
    }

    /**
     * The definitions of the templates {@code installed} names (DNs of template entries), read
     * from {@code ou=Certificate Templates}: what a CA issues with once they are installed on it.
     *
     * @throws IllegalArgumentException if one names no template entry, or an invalid one
     */
    public List<CertificateTemplate> templates(String caDn, List<String> installed) {
        List<CertificateTemplate> templates = new ArrayList<>();
        List<TemplateEntry> all = records.listTemplates();
        for (String dn : installed) {
            TemplateEntry found = all.stream().filter(t -> DistinguishedNames.same(t.dn(), dn)).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("CA entry " + caDn + ": "
                            + AttributeNames.INSTALLED_TEMPLATE + " names " + dn + ", which does not exist"));
            templates.add(CertificateTemplate.fromEntry(found.dn(), found.attributes()));
        }
        return templates;
    }

    /**
     * Why {@code request} does not belong to a live enrollment, or null when it does: its subject
     * is a {@code kmsUser} in {@code kmsEnrollmentState: in-progress}, its template is one an
     * enrollment requests (the signing or the encryption certificate), and its DN is the one the
     * subject's current claim ({@code kmsClaimedBy}) derives for that template's purpose
     * ({@link CaRecords#isRequestOfClaim}), so that a request of an attempt that died or of an
     * enrollment that ended is never served.
     */
    private String strayReason(RequestEntry request, Optional<SubjectEntry> found) {
        if (request.subjectDn() == null) {
            return "it names no subject entry (" + AttributeNames.REQUEST_SUBJECT + ")";
        }
        if (found.isEmpty()) {
            return "there is no entry " + request.subjectDn();
        }
        SubjectEntry subject = found.get();
        if (!subject.kmsUser()) {
            return request.subjectDn() + " is not a KMS user (no objectClass " + ObjectClassNames.KMS_USER + ")";
        }
        if (!EnrollmentState.IN_PROGRESS.ldapValue().equalsIgnoreCase(subject.enrollmentState())
                || subject.claimedBy() == null) {
            return "the enrollment of " + request.subjectDn() + " is not in progress ("
                    + (subject.enrollmentState() == null ? "no " + AttributeNames.ENROLLMENT_STATE
                            : AttributeNames.ENROLLMENT_STATE + ": " + subject.enrollmentState()) + ")";
        }
        List<CertificatePurpose> purposes;
        String template;
        try {
            template = templateName(request.templateDn());
        } catch (IssuanceRefusedException e) {
            return e.getMessage();
        }
        if (template.equalsIgnoreCase(StandardTemplates.SMIME_SIGNATURE)) {
            purposes = List.of(CertificatePurpose.SIGNING);
        } else if (template.equalsIgnoreCase(StandardTemplates.SMIME_ENCRYPTION)) {
            purposes = List.of(CertificatePurpose.ENCRYPTION);
        } else if (template.equalsIgnoreCase(StandardTemplates.LEGACY_V1)) {
            // A group with kmsCertificateFormat x509v1 asks for both of its certificates with
            // this one template: the request's DN tells which of the two it is.
            purposes = List.of(CertificatePurpose.SIGNING, CertificatePurpose.ENCRYPTION);
        } else {
            return "an enrollment requests certificates of the templates " + StandardTemplates.SMIME_SIGNATURE
                    + " and " + StandardTemplates.SMIME_ENCRYPTION + " (or " + StandardTemplates.LEGACY_V1
                    + " for both) only, not '" + template + "'";
        }
        for (CertificatePurpose purpose : purposes) {
            if (records.isRequestOfClaim(request.dn(), request.subjectDn(), subject.claimedBy(), purpose.ldapValue())) {
                return null;
            }
        }
        return "it is not the " + purposes.stream().map(CertificatePurpose::ldapValue)
                .collect(java.util.stream.Collectors.joining(" or ")) + " request the current claim on "
                + request.subjectDn() + " (" + AttributeNames.CLAIMED_BY + ") names for template " + template;
    }

    /** Reads the CA's published CRL, or null if none. */
    public X509CRL currentCrl(CertificationAuthority ca) {
        byte[] der = records.readCa(ca.dn()).map(CaEntry::crl).orElse(null);
        return der == null ? null : parseCrl(ca, der);
    }

    private static X509CRL parseCrl(CertificationAuthority ca, byte[] der) {
        try {
            return (X509CRL) CertificateFactory.getInstance("X.509").generateCRL(new ByteArrayInputStream(der));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the CRL on CA entry " + ca.dn() + " cannot be parsed", e);
        }
    }

    /** A request names its template by the DN of the template's entry under {@code ou=Certificate Templates}. */
    private String templateName(String templateDn) throws IssuanceRefusedException {
        String name = templateDn == null ? null : DistinguishedNames.leafValue(templateDn, "cn");
        if (name == null || !DistinguishedNames.same(DistinguishedNames.parent(templateDn), layout.certificateTemplates())) {
            throw new IssuanceRefusedException(IssuanceRefusedException.Kind.UNKNOWN_TEMPLATE,
                    "the request names no certificate template (" + AttributeNames.REQUEST_TEMPLATE + ")");
        }
        return name;
    }

    private static List<String> urls(String url) {
        return url == null ? List.of() : List.of(url);
    }

    private List<String> installStandardTemplates() {
        List<String> dns = new ArrayList<>();
        for (CertificateTemplate template : StandardTemplates.all()) {
            String dn = templateDn(template.name());
            records.addTemplateIfAbsent(dn, template.toAttributes());
            dns.add(dn);
        }
        return dns;
    }

    private List<CertificateTemplate> templatesOf(CaEntry entry) {
        return templates(entry.dn(), entry.installedTemplates());
    }

    private static void checkCaAlgorithm(KeyAlgorithm algorithm) {
        if (algorithm != KeyAlgorithm.RSA_3072 && algorithm != KeyAlgorithm.EC_P384) {
            throw new IllegalArgumentException("a CA key is RSA-3072 or EC-P384, not " + algorithm.ldapValue());
        }
    }

    static byte[] der(X509Certificate certificate) {
        try {
            return certificate.getEncoded();
        } catch (CertificateEncodingException e) {
            throw new IllegalStateException("a certificate cannot be encoded", e);
        }
    }

    static byte[] der(X509CRL crl) {
        try {
            return crl.getEncoded();
        } catch (CRLException e) {
            throw new IllegalStateException("a CRL cannot be encoded", e);
        }
    }
}
