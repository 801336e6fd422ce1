package org.dirkms.agent.trust;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.Objects;
import java.util.Optional;

import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.ASN1Sequence;
import org.bouncycastle.asn1.ASN1TaggedObject;
import org.bouncycastle.asn1.DERSequence;
import org.bouncycastle.asn1.DERTaggedObject;
import org.bouncycastle.asn1.x509.Certificate;
import org.dirkms.agent.ca.CaService;
import org.dirkms.agent.ca.CertificationAuthority;
import org.dirkms.agent.ca.CrossCertificatePolicy;
import org.dirkms.agent.ca.IssuanceRefusedException;
import org.dirkms.agent.trust.TrustRecords.PartnerEntry;
import org.dirkms.schema.AttributeNames;
import org.dirkms.schema.RevocationReason;

/**
 * Cross-certification of a trusted partner's root by the enterprise CA (RFC 5280 section 3.2):
 * {@link #certify} issues the cross-certificate ({@link CertificationAuthority#crossCertify}) and
 * publishes it on the partner's entry as the {@code issuedToThisCA} element of its
 * {@code crossCertificatePair} (RFC 4523 section 2.3; X.509 section 11.2.3: the certificate
 * issued to the CA the entry stands for); {@link #revoke} revokes it through the CA's revocation
 * ({@link CaService#revokeIssued}), so it lands on the CRL published on the CA entry. The CA
 * finds the certificate among what it knows it issued because {@code crossCertificatePair} is
 * one of the attributes it looks in (docs/directory-layout.md, "What the CA knows it issued").
 */
public final class CrossCertification {
    private final TrustRecords records;
    private final CaService caService;
    private final CertificationAuthority ca;
    private final Clock clock;

    /** Cross-certification by {@code ca}, revoking through {@code caService}, over {@code records}. */
    public CrossCertification(TrustRecords records, CaService caService, CertificationAuthority ca, Clock clock) {
        this.records = Objects.requireNonNull(records, "records");
        this.caService = Objects.requireNonNull(caService, "caService");
        this.ca = Objects.requireNonNull(ca, "ca");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /**
     * Issues a cross-certificate for the root of the partner called {@code name} and publishes it
     * on the partner's entry.
     *
     * @throws PartnerRefusedException if there is no such partner, its root is not one the KMS
     *         trusts, or it holds a cross-certificate of this CA that is not revoked
     * @throws IssuanceRefusedException if the CA refuses (nothing was issued then)
     */
    public X509Certificate certify(String name, CrossCertificatePolicy policy)
            throws PartnerRefusedException, IssuanceRefusedException {
        PartnerEntry partner = partner(name);
        if (partner.caCertificates().size() != 1) {
            throw new PartnerRefusedException("partner '" + name + "' has " + partner.caCertificates().size() + " "
                    + AttributeNames.CA_CERTIFICATE + " values, not its one root certificate");
        }
        PartnerRoot root = PartnerRoot.check(partner.caCertificates().get(0), clock.instant());
        Optional<X509Certificate> existing = crossCertificate(partner);
        if (existing.isPresent() && existing.get().getIssuerX500Principal()
                .equals(ca.certificate().getSubjectX500Principal())) {
            X509CRL crl = caService.currentCrl(ca);
            if (crl == null || !crl.isRevoked(existing.get())) {
                throw new PartnerRefusedException("partner '" + name + "' is cross-certified already (serial "
                        + existing.get().getSerialNumber().toString(16) + ", valid until "
                        + existing.get().getNotAfter().toInstant() + "): revoke it first with 'dirkms trust"
                        + " revoke-cross " + name + "'");
            }
        }
        X509Certificate issued = ca.crossCertify(root.certificate(), policy);
        records.publishCrossCertificatePair(partner.dn(), pair(issued));
        return issued;
    }

    /**
     * Revokes the cross-certificate published on the partner called {@code name} with
     * {@code reason} and publishes the CA's CRL with it.
     *
     * @throws PartnerRefusedException if there is no such partner or it holds no cross-certificate
     * @throws org.dirkms.agent.ca.RevocationRefusedException if the CA did not issue it or revoked it already
     */
    public CaService.Revoked revoke(String name, RevocationReason reason) throws PartnerRefusedException {
        PartnerEntry partner = partner(name);
        X509Certificate certificate = crossCertificate(partner).orElseThrow(() -> new PartnerRefusedException(
                "partner '" + name + "' holds no cross-certificate: there is nothing to revoke"));
        return caService.revokeIssued(ca, certificate.getSerialNumber(), reason);
    }

    private PartnerEntry partner(String name) throws PartnerRefusedException {
        return records.partner(name).orElseThrow(() -> new PartnerRefusedException("there is no partner named '" + name
                + "': 'dirkms trust list' shows the partners"));
    }

    /**
     * The {@code issuedToThisCA} certificate of the partner's {@code crossCertificatePair}, if it
     * holds one that parses.
     */
    public static Optional<X509Certificate> crossCertificate(PartnerEntry partner) {
        for (byte[] pair : partner.crossCertificatePairs()) {
            try {
                ASN1Sequence sequence = ASN1Sequence.getInstance(ASN1Primitive.fromByteArray(pair));
                for (var element : sequence) {
                    ASN1TaggedObject tagged = ASN1TaggedObject.getInstance(element);
                    if (tagged.getTagNo() == 0) {
                        byte[] der = tagged.getExplicitBaseObject().toASN1Primitive().getEncoded(ASN1Encoding.DER);
                        return Optional.of((X509Certificate) CertificateFactory.getInstance("X.509")
                                .generateCertificate(new ByteArrayInputStream(der)));
                    }
                }
            } catch (IOException | CertificateException | IllegalArgumentException | IllegalStateException e) {
                continue; // the guard admits only well-formed pairs; an unreadable one holds nothing usable
            }
        }
        return Optional.empty();
    }

    /** The CertificatePair with {@code issuedToThisCA} alone (RFC 4523 section 2.3), DER. */
    static byte[] pair(X509Certificate issuedToThisCA) {
        try {
            return new DERSequence(new DERTaggedObject(true, 0, Certificate.getInstance(issuedToThisCA.getEncoded())))
                    .getEncoded(ASN1Encoding.DER);
        } catch (IOException | CertificateException e) {
            throw new IllegalStateException("cannot encode the certificate pair", e);
        }
    }
}
