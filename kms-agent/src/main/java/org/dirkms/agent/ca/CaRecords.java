package org.dirkms.agent.ca;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;
import org.dirkms.schema.CaState;
import org.dirkms.schema.RequestState;

/**
 * The records a certification authority keeps in the directory: its CA entry (at its subject
 * DN under {@code ou=Certification Authorities}), the certificate templates under
 * {@code ou=Certificate Templates}, and the certificate request queue under {@code ou=Requests}.
 * Certificates and CRLs are DER bytes.
 */
public interface CaRecords {

    /**
     * A CA entry.
     *
     * @param dn the entry's DN, equal to the CA's subject DN
     * @param certificates {@code cACertificate;binary}: the CA's certificate first, then its issuers' (empty while
     *        a subordinate awaits its certificate)
     * @param crl {@code certificateRevocationList;binary}, or null before the first CRL
     * @param state {@code kmsCAState}
     * @param priority {@code kmsPriority}: lower is tried first
     * @param installedTemplates {@code kmsInstalledTemplate}: DNs of the templates this CA issues
     * @param crlDistributionPoints {@code kmsCrlDistributionPoint}: the URLs of the CRL every
     *        certificate of the CA names (empty on an entry made before the CA recorded them)
     * @param ocspUrls {@code kmsOcspUrl}: the HTTP URLs of the CA's OCSP responder every
     *        certificate of the CA names (empty when the CA offers none)
     * @param caIssuersUrls {@code kmsCaIssuersUrl}: the HTTP URLs of the CA certificate every
     *        certificate of the CA names after the LDAP one (empty when the CA offers none)
     */
    record CaEntry(String dn, List<byte[]> certificates, byte[] crl, CaState state, int priority,
            List<String> installedTemplates, List<String> crlDistributionPoints, List<String> ocspUrls,
            List<String> caIssuersUrls) {
        /** Copies the lists. */
        public CaEntry {
            certificates = List.copyOf(certificates);
            installedTemplates = List.copyOf(installedTemplates);
            crlDistributionPoints = List.copyOf(crlDistributionPoints);
            ocspUrls = List.copyOf(ocspUrls);
            caIssuersUrls = List.copyOf(caIssuersUrls);
        }

        /** An entry that names no HTTP access of the CA (no OCSP responder, no HTTP certificate URL). */
        public CaEntry(String dn, List<byte[]> certificates, byte[] crl, CaState state, int priority,
                List<String> installedTemplates, List<String> crlDistributionPoints) {
            this(dn, certificates, crl, state, priority, installedTemplates, crlDistributionPoints, List.of(),
                    List.of());
        }
    }

    /**
     * A template entry, its attributes as strings (names as the server returns them).
     *
     * @param dn the template entry's DN
     * @param attributes every attribute but objectClass
     */
    record TemplateEntry(String dn, Map<String, List<String>> attributes) {
    }

    /**
     * A queued certificate request, as the CA serving the queue reads it.
     *
     * @param dn the request entry's DN
     * @param templateDn {@code kmsRequestTemplate}
     * @param subjectDn {@code kmsRequestSubject}: the entry the certificate is for
     * @param pkcs10 {@code kmsPkcs10Request} (DER)
     * @param state {@code kmsRequestState}: pending or claimed (the open states), or null when unknown
     * @param claimedBy {@code kmsClaimedBy}: the CA attempt holding a claimed request, or null
     * @param leaseExpires {@code kmsLeaseExpires}: until when that attempt holds it, or null
     * @param expires {@code kmsExpiresTime}: when the request expires unserved, or null (never)
     */
    record RequestEntry(String dn, String templateDn, String subjectDn, byte[] pkcs10, RequestState state,
            String claimedBy, Instant leaseExpires, Instant expires) {
        /** A pending request with no deadline. */
        public RequestEntry(String dn, String templateDn, String subjectDn, byte[] pkcs10) {
            this(dn, templateDn, subjectDn, pkcs10, RequestState.PENDING, null, null, null);
        }
    }

    /**
     * What a CA serving the queue reads of its own entry each round.
     *
     * @param state {@code kmsCAState}
     * @param installedTemplates {@code kmsInstalledTemplate}: DNs of the templates it may issue
     * @param capacity {@code kmsCapacity}: requests it may hold claimed at once, or 0 when the entry says none
     */
    record ServingState(CaState state, List<String> installedTemplates, int capacity) {
        /** Copies the list. */
        public ServingState {
            installedTemplates = List.copyOf(installedTemplates);
        }
    }

    /**
     * What the CA reads of the entry a queued request names ({@code kmsRequestSubject}): what it
     * certifies (the DN and addresses) and whether the request belongs to the enrollment the
     * entry is in.
     *
     * @param dn the entry's DN
     * @param kmsUser whether the entry has the auxiliary class {@code kmsUser}
     * @param mail the {@code mail} values
     * @param enrollmentState {@code kmsEnrollmentState} as stored, or null
     * @param claimedBy {@code kmsClaimedBy}: the claim of the enrollment under way, or null
     */
    record SubjectEntry(String dn, boolean kmsUser, List<String> mail, String enrollmentState, String claimedBy) {
        /** Copies the list. */
        public SubjectEntry {
            mail = List.copyOf(mail);
        }
    }

    /**
     * The DN of an entry below the suffix holding a certificate that {@code wanted} accepts,
     * among every certificate the KMS keeps in the directory: the {@code userCertificate;binary}
     * of users, of their published-certificate children, of archive records, of the key
     * recovery agent and of the request queue, {@code kmsSupersededCertificate}, and the
     * certificates of {@code crossCertificatePair} (the cross-certificates of partner roots under
     * {@code ou=Trust}). Empty when
     * no entry holds one. What the CA issued is known by these records (docs/directory-layout.md,
     * "What the CA knows it issued").
     *
     * @param wanted tested with each certificate's DER
     */
    Optional<String> findKeptCertificate(Predicate<byte[]> wanted);

    /** Adds a CA entry (objectClass kmsCertificationAuthority and pkiCA). Fails if it exists. */
    void addCa(CaEntry entry);

    /** Reads the CA entry at {@code dn}, if any. */
    Optional<CaEntry> readCa(String dn);

    /** Every CA entry, by ascending {@code kmsPriority}. */
    List<CaEntry> listCas();

    /**
     * Records {@code urls} as the CA's {@code kmsCrlDistributionPoint} values, replacing any:
     * what a CA entry made before the CA recorded its distribution points gets once.
     */
    void recordCrlDistributionPoints(String dn, List<String> urls);

    /**
     * Records where relying parties reach the CA over HTTP, replacing the values of
     * {@code kmsCrlDistributionPoint} with {@code crlDistributionPoints}, of {@code kmsOcspUrl}
     * with {@code ocspUrls} and of {@code kmsCaIssuersUrl} with {@code caIssuersUrls}, in one
     * modify: what a CA entry gets once, when a server first offers the CA over HTTP.
     */
    void recordHttpAccess(String dn, List<String> crlDistributionPoints, List<String> ocspUrls,
            List<String> caIssuersUrls);

    /**
     * A value that changes whenever the CA entry at {@code dn} changes (its {@code entryCSN},
     * RFC 4533 section 2.1), read without the CA's certificates and CRL: what lets a reader keep
     * the parsed CRL until it changes. Empty when the entry is missing or the directory returns
     * no such value; the reader then reads the CRL every time.
     */
    Optional<String> changeSequence(String dn);

    /** Replaces the CA's certificates and state (installing a subordinate's certificate). */
    void activateCa(String dn, List<byte[]> certificates, CaState state);

    /**
     * Publishes {@code crl} on the CA entry only if the entry's CRL is still exactly
     * {@code expected} (null: the entry has none), atomically in the directory: the compare-and-swap
     * that keeps two processes from each publishing their own successor of the same CRL. It is
     * the only way a CRL is written after the CA entry was added.
     *
     * @return true if {@code crl} was published; false if the entry's CRL is not
     *         {@code expected} any more (another process published meanwhile), nothing changed then
     * @throws RuntimeException (the implementation's unchecked failure) if the modify fails for another reason
     */
    boolean replaceCrl(String dn, byte[] expected, byte[] crl);

    /** Adds a template entry if none exists at its DN; returns true if it was added. */
    boolean addTemplateIfAbsent(String dn, Map<String, List<String>> attributes);

    /** Every template entry under {@code ou=Certificate Templates}. */
    List<TemplateEntry> listTemplates();

    /** Queues a request entry in state pending. */
    void addRequest(String dn, String templateDn, String subjectDn, byte[] pkcs10);

    /**
     * Records a certificate the CA issued for a request from outside the directory
     * ({@code dirkms ca sign}) as a request entry already in state issued, with the request, the
     * template and the certificate's subject (which names no entry here), so that the CA knows it
     * issued it (revocation, OCSP: {@link #findKeptCertificate}) and the audit log has the write.
     */
    void recordIssued(String dn, String templateDn, String subjectDn, byte[] pkcs10, byte[] certificate);

    /**
     * The requests waiting for a CA or held by one (the states pending and claimed); the LDAP
     * implementation reads a bounded number a call (a CA acts on part of a large queue per round).
     */
    List<RequestEntry> openRequests();

    /**
     * What the CA entry at {@code dn} says of serving the queue (state, templates, capacity),
     * read without its certificates and CRL; empty when there is no such entry.
     */
    Optional<ServingState> readServingState(String dn);

    /** Writes {@code time} as the CA's {@code kmsHeartbeat}: the CA serving the queue is alive. */
    void heartbeat(String caDn, Instant time);

    /**
     * Claims a pending request for the CA attempt {@code attempt} until {@code leaseExpires},
     * with the test-and-set of docs/reliability.md: one modify that deletes the value pending
     * (and adds the single-valued claim), which fails when another CA got there first.
     *
     * @return false if the request was not pending any more; nothing changed then
     */
    boolean claimRequest(String dn, String attempt, Instant leaseExpires);

    /**
     * Takes over a claimed request whose lease ran out: one modify that deletes exactly the
     * stored lease {@code expiredLease}, so that of two CAs only one takes it.
     *
     * @return false if the request changed meanwhile (issued, taken over, its lease renewed)
     */
    boolean takeOverRequest(String dn, Instant expiredLease, String attempt, Instant leaseExpires);

    /**
     * Ends a request the attempt {@code attempt} holds as issued, with the certificate in its
     * {@code userCertificate;binary}: one modify that deletes that attempt's claim, so that a
     * CA whose claim was taken over never records a certificate (never two for one request).
     *
     * @return false if {@code attempt} no longer holds the request; nothing changed then
     */
    boolean completeRequest(String dn, String attempt, byte[] certificate);

    /**
     * Ends a request the attempt {@code attempt} holds as failed, with {@code reason} in
     * {@code kmsLastError} of the request and, when {@code subjectDn} is not null and is a KMS
     * user, of {@code subjectDn}.
     *
     * @return false if {@code attempt} no longer holds the request; nothing changed then
     */
    boolean failRequest(String dn, String attempt, String subjectDn, String reason);

    /** How long a queued request waits for a CA before it expires ({@code kmsRequestLifetime} of {@code ou=Requests}, 24 hours by default). */
    java.time.Duration requestLifetime();

    /** Sets how long queued requests wait for a CA, in whole hours (positive); requests already queued keep their deadline. */
    void setRequestLifetime(long hours);

    /** The entry a request names, if it exists. */
    Optional<SubjectEntry> readSubject(String dn);

    /**
     * Whether {@code requestDn} is the request for a {@code purpose} certificate
     * ({@code signing}, {@code encryption}) that the enrollment attempt {@code attempt} (the
     * subject's {@code kmsClaimedBy}) on {@code subjectDn} queues: the records derive a request's
     * name from the user and the attempt (docs/directory-layout.md), so that the CA serves only
     * the requests of the live attempt on a user.
     */
    boolean isRequestOfClaim(String requestDn, String subjectDn, String attempt, String purpose);
}
