package org.dirkms.agent.smime;

import java.security.GeneralSecurityException;
import java.security.InvalidAlgorithmParameterException;
import java.security.cert.CertPathBuilder;
import java.security.cert.CertPathBuilderException;
import java.security.cert.CertStore;
import java.security.cert.CollectionCertStoreParameters;
import java.security.cert.PKIXBuilderParameters;
import java.security.cert.PKIXCertPathBuilderResult;
import java.security.cert.TrustAnchor;
import java.security.cert.X509CRL;
import java.security.cert.X509CRLEntry;
import java.security.cert.X509CertSelector;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Date;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * Decides whether a mail certificate may be relied on now: a path to one of the trust anchors
 * (RFC 5280 section 6, the JDK's PKIX builder, without its own revocation checking), then each
 * certificate of the path looked up in its issuer's CRL (RFC 5280 section 6.3), a CRL accepted
 * only when its issuer's key signed it. The CRLs are the ones the directory publishes on the CA
 * entries; there is no network fetch.
 */
public final class CertificateCheck {

    /** What a check found, from the best to the worst case a person acts on. */
    public enum Verdict {
        /** A path to a trust anchor, no certificate of it revoked. */
        GOOD("good"),
        /** A certificate of the path is on its issuer's CRL. */
        REVOKED("revoked"),
        /** No path to a trust anchor. */
        UNTRUSTED("untrusted"),
        /** Outside its validity period. */
        EXPIRED("expired"),
        /** A path, but no current CRL of an issuer that the directory's CAs include. */
        REVOCATION_UNKNOWN("revocation-unknown");

        private final String word;

        Verdict(String word) {
            this.word = word;
        }

        /** The word shown to a person: good, revoked, untrusted, expired, revocation-unknown. */
        public String word() {
            return word;
        }
    }

    /**
     * The outcome for one certificate.
     *
     * @param verdict what was found
     * @param detail a plain-language line: the revocation time and reason, the issuer no anchor
     *        vouches for, or the note that no CRL was checked for a certificate outside the directory
     */
    public record Status(Verdict verdict, String detail) {
        /** True when the certificate may be relied on. */
        public boolean good() {
            return verdict == Verdict.GOOD;
        }
    }

    private final List<TrustAnchor> anchors;
    private final List<X509Certificate> authorities;
    private final List<X509CRL> crls;
    private final Clock clock;

    /**
     * @param anchors the certificates trusted as roots: the directory's CA certificates and the
     *        ones a person named
     * @param authorities CA certificates the directory publishes (intermediate CAs among them)
     * @param crls the CRLs the directory publishes
     * @param clock the time the check is made at
     */
    public CertificateCheck(Collection<X509Certificate> anchors, Collection<X509Certificate> authorities,
            Collection<X509CRL> crls, Clock clock) {
        this.anchors = anchors.stream().map(anchor -> new TrustAnchor(anchor, null)).toList();
        this.authorities = List.copyOf(authorities);
        this.crls = List.copyOf(crls);
        this.clock = clock;
    }

    /**
     * Checks {@code certificate}, building its path with {@code others} (the certificates a
     * message carried) and the directory's CA certificates.
     */
    public Status check(X509Certificate certificate, Collection<X509Certificate> others) {
        Instant now = clock.instant();
        if (now.isAfter(certificate.getNotAfter().toInstant()) || now.isBefore(certificate.getNotBefore().toInstant())) {
            return new Status(Verdict.EXPIRED, "valid from " + certificate.getNotBefore().toInstant() + " to "
                    + certificate.getNotAfter().toInstant());
        }
        List<X509Certificate> path;
        try {
            path = path(certificate, others, now);
        } catch (CertPathBuilderException e) {
            return new Status(Verdict.UNTRUSTED, "no trust anchor for issuer "
                    + certificate.getIssuerX500Principal().getName() + ": give its CA certificate with --trust");
        }
        String unchecked = null;
        for (int i = 0; i < path.size(); i++) {
            X509Certificate subject = path.get(i);
            X509Certificate issuer = i + 1 < path.size() ? path.get(i + 1) : anchorOf(path.get(path.size() - 1));
            Optional<X509CRL> crl = crlOf(issuer, now);
            if (crl.isEmpty()) {
                if (isDirectoryCa(issuer)) {
                    return new Status(Verdict.REVOCATION_UNKNOWN, "the directory has no current CRL of "
                            + issuer.getSubjectX500Principal().getName());
                }
                unchecked = subject.getIssuerX500Principal().getName();
                continue;
            }
            X509CRLEntry entry = crl.get().getRevokedCertificate(subject);
            if (entry != null) {
                String reason = entry.getRevocationReason() == null ? "unspecified"
                        : camel(entry.getRevocationReason().name());
                return new Status(Verdict.REVOKED, "revoked " + entry.getRevocationDate().toInstant() + ", reason "
                        + reason + (i == 0 ? "" : " (CA " + subject.getSubjectX500Principal().getName() + ")"));
            }
        }
        return new Status(Verdict.GOOD, unchecked == null ? ""
                : "revocation not checked: the directory has no CRL of " + unchecked);
    }

    /** The certificates from {@code certificate} up to (not including) the trust anchor. */
    private List<X509Certificate> path(X509Certificate certificate, Collection<X509Certificate> others, Instant now)
            throws CertPathBuilderException {
        if (anchors.isEmpty()) {
            throw new CertPathBuilderException("no trust anchor");
        }
        try {
            X509CertSelector target = new X509CertSelector();
            target.setCertificate(certificate);
            PKIXBuilderParameters parameters = new PKIXBuilderParameters(Set.copyOf(anchors), target);
            parameters.setRevocationEnabled(false);
            parameters.setDate(Date.from(now));
            Set<X509Certificate> store = new HashSet<>(others);
            store.addAll(authorities);
            store.add(certificate);
            parameters.addCertStore(CertStore.getInstance("Collection", new CollectionCertStoreParameters(store)));
            PKIXCertPathBuilderResult result = (PKIXCertPathBuilderResult) CertPathBuilder.getInstance("PKIX")
                    .build(parameters);
            List<X509Certificate> path = new ArrayList<>();
            result.getCertPath().getCertificates().forEach(c -> path.add((X509Certificate) c));
            if (path.isEmpty()) {
                // the certificate is an anchor itself
                path.add(certificate);
            }
            return path;
        } catch (InvalidAlgorithmParameterException e) {
            throw new CertPathBuilderException(e.getMessage());
        } catch (GeneralSecurityException e) {
            throw new CertPathBuilderException(e.getMessage());
        }
    }

    /** The anchor certificate that issued {@code certificate}, or null. */
    private X509Certificate anchorOf(X509Certificate certificate) {
        for (TrustAnchor anchor : anchors) {
            X509Certificate candidate = anchor.getTrustedCert();
            if (candidate.getSubjectX500Principal().equals(certificate.getIssuerX500Principal())
                    && signedBy(certificate, candidate)) {
                return candidate;
            }
        }
        return null;
    }

    private boolean isDirectoryCa(X509Certificate ca) {
        return ca != null && authorities.contains(ca);
    }

    /** The CRL issued by {@code issuer}, signed by its key, current at {@code now}; the latest when several. */
    private Optional<X509CRL> crlOf(X509Certificate issuer, Instant now) {
        if (issuer == null) {
            return Optional.empty();
        }
        return crls.stream().filter(crl -> crl.getIssuerX500Principal().equals(issuer.getSubjectX500Principal()))
                .filter(crl -> {
                    try {
                        crl.verify(issuer.getPublicKey());
                        return true;
                    } catch (GeneralSecurityException e) {
                        return false;
                    }
                })
                .filter(crl -> crl.getNextUpdate() == null || !now.isAfter(crl.getNextUpdate().toInstant()))
                .max((a, b) -> a.getThisUpdate().compareTo(b.getThisUpdate()));
    }

    private static boolean signedBy(X509Certificate certificate, X509Certificate issuer) {
        try {
            certificate.verify(issuer.getPublicKey());
            return true;
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    /** KEY_COMPROMISE → keyCompromise, the spelling of RFC 5280 section 5.3.1. */
    private static String camel(String name) {
        String[] words = name.toLowerCase(Locale.ROOT).split("_");
        StringBuilder result = new StringBuilder(words[0]);
        for (int i = 1; i < words.length; i++) {
            result.append(Character.toUpperCase(words[i].charAt(0))).append(words[i].substring(1));
        }
        return result.toString();
    }
}
