package org.dirkms.agent.trust;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * The records of partner trust in the directory, under {@code ou=Trust} (docs/directory-layout.md):
 * one {@code kmsTrustedPartner} entry per partner, {@code cn=<name>}, and the one
 * {@code kmsTrustList} entry {@code cn=Trust List}. Certificates and lists are DER bytes.
 */
public interface TrustRecords {

    /**
     * A partner entry.
     *
     * @param dn the entry's DN
     * @param name its {@code cn}
     * @param caCertificates {@code cACertificate;binary}: the partner's root (one value when
     *        well formed)
     * @param domains {@code kmsPartnerDomain}: the mail domains the partner speaks for
     * @param crossCertificatePairs {@code crossCertificatePair;binary}: the CertificatePair the
     *        enterprise CA's cross-certificate is published in (RFC 4523 section 2.3), if any
     * @param subject {@code kmsPartnerSubject}, or null before the KMS checked the entry
     * @param lastError {@code kmsLastError}: why the KMS refuses the entry, or null
     */
    record PartnerEntry(String dn, String name, List<byte[]> caCertificates, List<String> domains,
            List<byte[]> crossCertificatePairs, String subject, String lastError) {
        /** Copies the lists. */
        public PartnerEntry {
            caCertificates = List.copyOf(caCertificates);
            domains = List.copyOf(domains);
            crossCertificatePairs = List.copyOf(crossCertificatePairs);
        }
    }

    /**
     * The trust list entry.
     *
     * @param dn its DN
     * @param sequence {@code kmsTrustListSequence}
     * @param signedList {@code kmsSignedTrustList}, or null while no partner is trusted
     * @param nextUpdate {@code kmsTrustListNextUpdate}, or null with no list
     */
    record TrustListEntry(String dn, long sequence, byte[] signedList, Instant nextUpdate) {
    }

    /** Every partner entry under {@code ou=Trust}, by DN. */
    List<PartnerEntry> partners();

    /** The partner entry called {@code name}, if any. */
    Optional<PartnerEntry> partner(String name);

    /** The trust list entry, if it exists. */
    Optional<TrustListEntry> trustList();

    /**
     * Publishes a trust list only if the stored sequence is still {@code expectedSequence}
     * (null: the entry does not exist yet, and is added), atomically in the directory: the
     * test-and-set that keeps two processes from each publishing their own successor of the
     * same list (a modify that deletes the old sequence value fails when it is gone, RFC 4511
     * section 4.6).
     *
     * @param signedList the list, or null to publish none (no partner is trusted)
     * @param nextUpdate its next update, or null with no list
     * @return false if another process published meanwhile (nothing changed then)
     */
    boolean publishTrustList(Long expectedSequence, long sequence, byte[] signedList, Instant nextUpdate);

    /**
     * Records what the KMS found when it checked a partner entry: the root's subject (null to
     * leave it) and why it refuses the entry (null: it is trusted, any earlier error goes).
     */
    void recordPartnerCheck(String dn, String subject, String lastError);

    /** Adds a partner entry {@code cn=<name>} with its root, domains and subject; fails if it exists. */
    void addPartner(String name, byte[] certificate, List<String> domains, String subject);

    /** Deletes the partner entry at {@code dn}. */
    void deletePartner(String dn);

    /** Replaces the partner's {@code crossCertificatePair} with {@code pair} (a CertificatePair, DER). */
    void publishCrossCertificatePair(String dn, byte[] pair);
}
