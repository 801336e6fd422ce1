package org.dirkms.agent.directory;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.dirkms.schema.CertificateFormat;
import org.dirkms.schema.ContentEncryptionAlgorithm;
import org.dirkms.schema.EnrollmentState;
import org.dirkms.schema.KeyAlgorithm;
import org.dirkms.schema.MessageFormat;
import org.dirkms.schema.PackageFormat;
import org.dirkms.schema.RequestState;
import org.dirkms.schema.RevocationReason;

/**
 * The records the enrollment agent keeps in the directory: users ({@code kmsUser}) and the
 * certificates published for them ({@code kmsPublishedCertificate} children), administrative
 * groups ({@code kmsAdminGroup}), KMS servers ({@code kmsServer}) and the key archive
 * ({@code kmsArchivedKey} under {@code ou=Key Archive}). Certificates, bundles, packages and
 * wrapped keys cross this interface as DER bytes.
 */
public interface EnrollmentRecords {

    /**
     * What the agent reads of a user.
     *
     * @param dn the user entry's DN
     * @param state {@code kmsEnrollmentState}, or null when absent
     * @param rawState the value as stored (for messages when it is not a known state), or null
     * @param groupDn {@code kmsAdministrativeGroup}, or null
     * @param signingRequest {@code kmsSigningRequest} (DER PKCS#10), or null
     * @param mail the {@code mail} values
     * @param claim the claim on the user's enrollment ({@code kmsClaimedBy}, {@code kmsLeaseExpires},
     *        {@code kmsSupersededCertificate}, {@code kmsReplacedAttempt}), or null when none
     * @param packageExpires {@code kmsKeyPackageExpires}, or null
     * @param hasKeyPackage whether {@code kmsKeyPackage} is present
     * @param certificates the {@code userCertificate} values (DER)
     * @param revocationReason {@code kmsRevocationReason}, or null
     * @param kmsUser whether the entry has the auxiliary class {@code kmsUser}
     * @param archiveRecords {@code kmsArchiveRecord}: the DNs of the archive records of every
     *        encryption key an enrollment of the user published, the oldest first
     * @param deliveryKey {@code kmsDeliveryKey} (DER PKCS#10 of a key the user's client made; the
     *        package is then sealed to it), or null
     */
    record UserEntry(String dn, EnrollmentState state, String rawState, String groupDn, byte[] signingRequest,
            List<String> mail, Claim claim, Instant packageExpires,
            boolean hasKeyPackage, List<byte[]> certificates, RevocationReason revocationReason, boolean kmsUser,
            List<String> archiveRecords, byte[] deliveryKey) {
        /** Copies the lists. */
        public UserEntry {
            mail = List.copyOf(mail);
            certificates = List.copyOf(certificates);
            archiveRecords = List.copyOf(archiveRecords);
        }
    }

    /**
     * An administrative group's encryption configuration, validated.
     *
     * @param dn the group entry's DN
     * @param assignedServer {@code kmsAssignedServer}, or null
     * @param keyAlgorithm {@code kmsKeyAlgorithm}
     * @param contentEncryption {@code kmsContentEncryptionAlgorithm}
     * @param messageFormat {@code kmsMessageFormat}
     * @param packageFormat {@code kmsPackageFormat}
     * @param defaultGroup {@code kmsDefaultGroup}
     * @param certificateFormat {@code kmsCertificateFormat}: X.509 version 3 certificates, or
     *        version 1 ones from the template {@code legacy-v1} for old clients
     */
    record GroupEntry(String dn, String assignedServer, KeyAlgorithm keyAlgorithm,
            ContentEncryptionAlgorithm contentEncryption, MessageFormat messageFormat, PackageFormat packageFormat,
            boolean defaultGroup, CertificateFormat certificateFormat) {
        /** A group whose users get X.509 version 3 certificates, the default. */
        public GroupEntry(String dn, String assignedServer, KeyAlgorithm keyAlgorithm,
                ContentEncryptionAlgorithm contentEncryption, MessageFormat messageFormat, PackageFormat packageFormat,
                boolean defaultGroup) {
            this(dn, assignedServer, keyAlgorithm, contentEncryption, messageFormat, packageFormat, defaultGroup,
                    CertificateFormat.X509_V3);
        }
    }

    /**
     * A KMS server entry.
     *
     * @param dn the entry's DN
     * @param agentIdentity {@code kmsAgentIdentity}, or null
     * @param syncCookie {@code kmsSyncCookie} as an earlier version saved it, or null: no agent resumes from it (KmsAgent)
     */
    record ServerEntry(String dn, String agentIdentity, byte[] syncCookie) {
    }

    /**
     * An archived key record.
     *
     * @param dn the entry's DN
     * @param owner {@code kmsKeyOwner}
     * @param wrappedKey {@code kmsWrappedKey}: CMS EnvelopedData (DER)
     * @param certificate {@code userCertificate}: the encryption certificate of the key (DER), or null
     * @param wrappingAlgorithm {@code kmsWrappingAlgorithm}
     * @param wrappingKeyId {@code kmsWrappingKeyId}
     * @param abandoned whether {@code kmsArchiveState} is {@code abandoned}: the enrollment that
     *        archived the key ended without publishing it, so no certificate for it was ever used
     */
    record ArchivedKeyEntry(String dn, String owner, byte[] wrappedKey, byte[] certificate, String wrappingAlgorithm,
            String wrappingKeyId, boolean abandoned) {
        /** A record as first written: not abandoned. */
        public ArchivedKeyEntry(String dn, String owner, byte[] wrappedKey, byte[] certificate,
                String wrappingAlgorithm, String wrappingKeyId) {
            this(dn, owner, wrappedKey, certificate, wrappingAlgorithm, wrappingKeyId, false);
        }
    }

    /**
     * Everything an enrollment publishes on the user entry, written in one modify.
     *
     * @param certificates the encryption and the signing certificate (DER), for {@code userCertificate;binary}
     *        in this order: the directory answers values in the order written, and clients that
     *        keep one value per entry keep the first (docs/interoperability.md)
     * @param smimeBundle the {@code userSMIMECertificate} value
     * @param keyPackage the {@code kmsKeyPackage} values: a PKCS#12 (one per key in the legacy
     *        format, for gpgsm 2.2), or CMS EnvelopedData of each when sealed to the user's delivery key
     * @param token the {@code kmsEnrollmentToken}, or null for a sealed package (no token is
     *        written, and one left from an earlier package is removed)
     * @param packageExpires when the package expires
     * @param stillToRevoke the certificates (DER) the publication supersedes and that are not yet
     *        revoked: when there are any, the claim stays on the entry naming them, with its
     *        lease, until {@link #endClaim} removes it after their revocation; when none, the
     *        publication ends the claim
     * @param archiveRecord the DN of the archive record of the published encryption key, added to
     *        the user's {@code kmsArchiveRecord} by the same modify, so that the history of the
     *        user's keys can be checked against the archive
     */
    record Publication(List<byte[]> certificates, byte[] smimeBundle, List<byte[]> keyPackage, char[] token,
            Instant packageExpires, List<byte[]> stillToRevoke, String archiveRecord) {
        /** Copies the lists and requires the archive record and a package. */
        public Publication {
            certificates = List.copyOf(certificates);
            keyPackage = List.copyOf(keyPackage);
            if (keyPackage.isEmpty()) {
                throw new IllegalArgumentException("a publication delivers a key package");
            }
            stillToRevoke = List.copyOf(stillToRevoke);
            java.util.Objects.requireNonNull(archiveRecord, "archiveRecord");
        }

        /** A publication that ends the claim. */
        public Publication(List<byte[]> certificates, byte[] smimeBundle, List<byte[]> keyPackage, char[] token,
                Instant packageExpires, String archiveRecord) {
            this(certificates, smimeBundle, keyPackage, token, packageExpires, List.of(), archiveRecord);
        }

        /** Never shows the package or the token. */
        @Override
        public String toString() {
            return "Publication[" + certificates.size() + " certificates, package expires " + packageExpires + "]";
        }
    }

    /** Reads the user at {@code dn} (secrets excepted: only whether a package is present), if it exists. */
    Optional<UserEntry> readUser(String dn);

    /** Every {@code kmsUser} below the suffix whose {@code kmsEnrollmentState} is one of {@code states}. */
    List<UserEntry> usersInState(EnrollmentState... states);

    /**
     * Every {@code kmsUser} in one of {@code states} that holds a {@code kmsClaimedBy}: for
     * {@code enrolled} and {@code failed}, certificates the claim names are still to be revoked.
     */
    List<UserEntry> claimedUsersIn(EnrollmentState... states);

    /** Every {@code kmsUser} that holds a {@code kmsKeyPackageExpires} (an unfetched or unconfirmed package). */
    List<UserEntry> usersWithPackage();

    /** DNs of the entries below {@code baseDn} matching the LDAP {@code filter} (RFC 4515). */
    List<String> findDns(String baseDn, String filter);

    /**
     * An entry that holds some of a set of addresses in its {@code mail}.
     *
     * @param dn the entry's DN
     * @param holderDn whose address it is: the entry itself, or for a {@code kmsPublishedCertificate}
     *        child the user it was published for (its parent)
     * @param mail the entry's {@code mail} values that are among the addresses asked for
     */
    record AddressHolder(String dn, String holderDn, List<String> mail) {
        /** Copies the list. */
        public AddressHolder {
            mail = List.copyOf(mail);
        }
    }

    /**
     * Every entry below the suffix whose {@code mail} holds one of {@code addresses} (compared
     * as {@code mail} compares, without regard to case), found with one equality search on
     * {@code mail}, which the directory indexes.
     */
    List<AddressHolder> entriesWithMail(List<String> addresses);

    /**
     * The atomic test-and-set of the design (docs/reliability.md): one modify that deletes
     * {@code kmsEnrollmentState=from} and adds {@code in-progress} with the whole {@code claim};
     * it fails with noSuchAttribute when another process changed the state first.
     *
     * @return true if this caller now holds the claim
     */
    boolean claim(String dn, EnrollmentState from, Claim claim);

    /**
     * Claims a user for an enrollment started by the KMS itself (bulk enrollment), in one
     * test-and-set from the state the entry has: {@code from} is deleted (or, when null, the
     * single-valued {@code kmsEnrollmentState} is added, which fails if another process set it
     * meanwhile), {@code in-progress} with the claim is added, and {@code objectClass: kmsUser}
     * too when {@code addKmsUserClass}.
     *
     * @return true if this caller now holds the claim
     */
    boolean claimFrom(String dn, EnrollmentState from, boolean addKmsUserClass, Claim claim);

    /** The {@code kmsEnrollmentToken} of the user, or null; the caller clears it after use. */
    char[] readEnrollmentToken(String dn);

    /**
     * Takes over work on the user whose lease expired: deletes exactly {@code expired}'s stored
     * lease and writes {@code successor}, so that of two processes taking over, one wins.
     *
     * @return true if this caller now holds the claim
     */
    boolean takeOver(String dn, Claim expired, Claim successor);

    /**
     * Marks the user for enrollment (adds {@code objectClass: kmsUser} when missing and sets
     * {@code kmsEnrollmentState: requested}), as an administrator's LDIF would.
     */
    void requestEnrollment(String dn);

    /**
     * Publishes the enrollment on the user in one modify, only while {@code held} is the claim
     * (the modify deletes its attempt): certificates, bundle, package, token, expiry, the archive
     * record in {@code kmsArchiveRecord}, state enrolled, last error removed; the claim ends, or
     * stays naming {@link Publication#stillToRevoke} when there is any.
     *
     * @return false if the claim was lost (another process took over), in which case nothing changed
     */
    boolean publish(String dn, Claim held, Publication publication);

    /**
     * Renews the lease of {@code held} (an enrollment waiting for the CA): one modify that deletes
     * and adds back its attempt and deletes its stored lease; it fails, changing nothing, when
     * another process took the work over or renewed it.
     *
     * @return true if {@code held} is still the claim, now until {@code newLease}
     */
    boolean renewLease(String dn, Claim held, Instant newLease);

    /**
     * Keeps {@code held} on the user, now naming {@code superseded} as the certificates it must
     * revoke, and still naming the attempts it replaced: a take-over records the certificates the
     * CA issued to a dead attempt before it deletes that attempt's requests and marks its archive
     * record abandoned, so a process killed in between must leave the dead attempt named for the
     * next take-over (the publication or the failure ends the list). One modify that deletes and
     * adds back its attempt, so that it fails, changing nothing, when another process took over.
     *
     * @return true if the claim now names {@code superseded}
     */
    boolean amendClaim(String dn, Claim held, List<byte[]> superseded);

    /**
     * Ends {@code held} whatever the state: deletes its attempt (the test: it fails if another
     * process took over) and the rest of the claim.
     *
     * @return false if {@code held} was no longer the claim, in which case nothing changed
     */
    boolean endClaim(String dn, Claim held);

    /**
     * Adds or replaces the {@code kmsPublishedCertificate} child {@code cn=<purpose>} of the user,
     * carrying the certificate. The child carries no {@code mail}: a look-up by mail finds the
     * user's entry only. The signing child is named after the user's addresses ({@code mail}) as
     * well, for clients that search names too (docs/directory-layout.md).
     */
    void putPublishedCertificate(String userDn, String purpose, List<String> mail, byte[] certificate);

    /** The certificates (DER) of the user's {@code kmsPublishedCertificate} children. */
    List<byte[]> publishedCertificates(String userDn);

    /**
     * A {@code kmsPublishedCertificate} child written before children lost their {@code mail}
     * (docs/directory-layout.md).
     *
     * @param dn the child's DN
     * @param userDn its user's DN (its parent)
     * @param purpose its {@code kmsCertificatePurpose}
     * @param mail the {@code mail} it carries
     */
    record MailCarryingChild(String dn, String userDn, String purpose, List<String> mail) {
        /** Copies the list. */
        public MailCarryingChild {
            mail = List.copyOf(mail);
        }
    }

    /** Every {@code kmsPublishedCertificate} child below the suffix that carries {@code mail}. */
    List<MailCarryingChild> publishedCertificatesWithMail();

    /**
     * Removes the {@code mail} of {@code child} and names it as {@link #putPublishedCertificate}
     * does, in one modify that deletes exactly the addresses it carried, so that a child written
     * again meanwhile is left alone; its certificate is not touched.
     *
     * @return false if the child no longer carried that {@code mail}, in which case nothing changed
     */
    boolean removeMailOfPublishedCertificate(MailCarryingChild child);

    /**
     * Writes the user's {@code userCertificate} again as {@code encryption} then {@code signing},
     * in one modify that deletes both values and adds them in that order (docs/interoperability.md:
     * clients keep the first value).
     *
     * @return false if the entry no longer held both values, in which case nothing changed
     */
    boolean putEncryptionCertificateFirst(String userDn, byte[] encryption, byte[] signing);

    /** Deletes the user's {@code kmsPublishedCertificate} children; returns how many. */
    int removePublishedCertificates(String userDn);

    /** Ends the work as failed with {@code reason} in {@code kmsLastError}; the claim is removed. */
    void fail(String dn, String reason);

    /**
     * Ends the work as failed with {@code reason}, but with work left: {@code held} stays, with its
     * lease, naming {@code stillToRevoke} as the certificates an agent with the CA must revoke,
     * until {@link #endClaim} removes it.
     */
    void failKeepingClaim(String dn, String reason, Claim held, List<byte[]> stillToRevoke);

    /**
     * Ends a revocation: removes {@code userCertificate} and {@code userSMIMECertificate}, any
     * package and token, the lease; state revoked.
     */
    void markRevoked(String dn);

    /** Removes the key package, its token and its expiry (an expired or confirmed package). */
    void removeKeyPackage(String dn);

    /** The administrative group at {@code dn}, if it exists; a bad value names the entry and attribute. */
    Optional<GroupEntry> readGroup(String dn);

    /** Every administrative group. */
    List<GroupEntry> groups();

    /** Every KMS server entry. */
    List<ServerEntry> servers();

    /** Replaces {@code kmsHeartbeat} on the server entry. */
    void heartbeat(String serverDn, Instant now);

    /**
     * Adds an archived key record. Fails with a {@link DirectoryAccessException} if it cannot be
     * written: the caller must then publish nothing.
     */
    void addArchivedKey(ArchivedKeyEntry entry);

    /** The archived keys of {@code ownerDn}. */
    List<ArchivedKeyEntry> archivedKeys(String ownerDn);

    /** Every archived key record under {@code ou=Key Archive}, whatever its owner (for the archive checker). */
    List<ArchivedKeyEntry> allArchivedKeys();

    /**
     * Marks an archive record {@code kmsArchiveState: abandoned}: the enrollment that archived
     * it died or failed before publishing a certificate for its key. The archive is append-only
     * (docs/security.md): no record is ever deleted, so this is how an attempt's leftover is
     * told apart from a key that was used. Marking twice is harmless.
     */
    void abandonArchivedKey(String dn);

    /**
     * The DN of the archive record an enrollment attempt writes: derived from the user and the
     * attempt's identity (unique per attempt), so that a process taking over an expired claim
     * finds the record of the dead attempt from the user entry alone. Not from the lease: a
     * waiting attempt renews its lease.
     */
    String archivedKeyDn(String userDn, String attempt);

    /**
     * A certificate request this agent queued under {@code ou=Requests}, as the CA left it.
     *
     * @param dn the request entry's DN
     * @param state {@code kmsRequestState}, or null when the value is not a known state
     * @param certificate the issued certificate ({@code userCertificate;binary}, DER), or null
     * @param lastError {@code kmsLastError}: the CA's reason for a failed request, or null
     * @param requested {@code kmsRequestedTime}, or null
     * @param expires {@code kmsExpiresTime}: when it expires unserved, or null (never)
     * @param leaseExpires {@code kmsLeaseExpires}: until when a CA holds it claimed, or null
     */
    record QueuedRequest(String dn, RequestState state, byte[] certificate, String lastError, java.time.Instant requested,
            java.time.Instant expires, java.time.Instant leaseExpires) {
        /** A request with no times. */
        public QueuedRequest(String dn, RequestState state, byte[] certificate, String lastError) {
            this(dn, state, certificate, lastError, null, null, null);
        }

        /**
         * Whether no CA can serve it any more at {@code now}: past its deadline while pending, or
         * while claimed by a CA whose lease ran out.
         */
        public boolean expiredAt(java.time.Instant now) {
            if (expires == null || now.isBefore(expires)) {
                return false;
            }
            return state == RequestState.PENDING
                    || (state == RequestState.CLAIMED && leaseExpires != null && !now.isBefore(leaseExpires));
        }
    }

    /**
     * The DN of the request entry an enrollment attempt queues for the certificate of
     * {@code purpose}: derived from the user and the attempt's identity, so that a retry or a
     * process taking over the claim finds it from the user entry alone.
     */
    String requestDn(String userDn, String attempt, String purpose);

    /**
     * Queues a {@code kmsCertificateRequest} in state pending at {@code dn}: the template named
     * {@code templateName} (its entry under {@code ou=Certificate Templates}), the subject entry
     * {@code subjectDn} and the DER PKCS#10 {@code pkcs10}.
     */
    void queueRequest(String dn, String templateName, String subjectDn, byte[] pkcs10);

    /** The request entry at {@code dn}, if it exists. */
    Optional<QueuedRequest> readRequest(String dn);

    /**
     * Ends a request no CA served by its deadline as expired ({@link QueuedRequest#expiredAt}), with a
     * test-and-set on the state it was read in (and, if claimed, the exact expired lease), so that
     * a CA that claims it at the same moment and the expiry never both win.
     *
     * @return false if the request changed meanwhile: a CA claimed or served it, nothing changed then
     */
    boolean expireRequest(QueuedRequest request);

    /** Deletes the request entry at {@code dn}; one already gone counts as deleted. */
    void deleteRequest(String dn);

    /**
     * Adds the encryption certificate to the archive record at {@code archiveDn}, once the CA
     * issued it for the key that record holds (the record was written before the request was
     * queued, so no certificate of it can ever be published without the archived key).
     */
    void attachArchivedCertificate(String archiveDn, byte[] certificate);

    /**
     * The {@code cACertificate;binary} values (DER, the CA's own first) of the CA entry at
     * {@code caDn}, which sits at its CA's subject DN; empty if there is no such entry.
     */
    List<byte[]> caCertificates(String caDn);
}
