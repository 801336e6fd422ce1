package org.dirkms.schema;

/**
 * The name of every attribute type that dirkms defines or uses. Standard attributes are
 * listed too, so that code never spells an LDAP name as a bare string.
 */
public final class AttributeNames {
    private AttributeNames() {
    }

    // --- user enrollment (kmsUser) -------------------------------------------------------
    /** Enrollment state of a user; values in {@link EnrollmentState}. */
    public static final String ENROLLMENT_STATE = "kmsEnrollmentState";
    /** DN of the administrative group a user belongs to. */
    public static final String ADMINISTRATIVE_GROUP = "kmsAdministrativeGroup";
    /** PKCS#10 request made by the user's own client for the signing key (DER). */
    public static final String SIGNING_REQUEST = "kmsSigningRequest";
    /** Secret: PKCS#12 of the user's new private keys. */
    public static final String KEY_PACKAGE = "kmsKeyPackage";
    /** When an unfetched key package expires. */
    public static final String KEY_PACKAGE_EXPIRES = "kmsKeyPackageExpires";
    /** Secret: the one-time token that protects the key package. */
    public static final String ENROLLMENT_TOKEN = "kmsEnrollmentToken";
    /** Plain-language reason of the last failure. */
    public static final String LAST_ERROR = "kmsLastError";
    /** Reason of a requested revocation; values in {@link RevocationReason}. */
    public static final String REVOCATION_REASON = "kmsRevocationReason";
    /** Identity of the process that holds the lease on a piece of work. */
    public static final String CLAIMED_BY = "kmsClaimedBy";
    /** When the lease on a piece of work expires. */
    public static final String LEASE_EXPIRES = "kmsLeaseExpires";
    /** Purpose of a published certificate entry; values in {@link CertificatePurpose}. */
    public static final String CERTIFICATE_PURPOSE = "kmsCertificatePurpose";
    /**
     * PKCS#10 request made by the user's own client for a delivery key (DER): the key package
     * is then sealed (CMS EnvelopedData) to that key and no token is made.
     */
    public static final String DELIVERY_KEY = "kmsDeliveryKey";
    /** DN of an archive record of one of the user's encryption keys, written by the KMS. */
    public static final String ARCHIVE_RECORD = "kmsArchiveRecord";
    /**
     * Part of a claim: a certificate (DER) the claimed work supersedes, to be revoked once the
     * work is published; it stays on the entry, with the claim, until it is on the CRL.
     */
    public static final String SUPERSEDED_CERTIFICATE = "kmsSupersededCertificate";
    /**
     * Part of a claim: the identity of an attempt at the same work that died and was taken over,
     * whose leftovers the holder of the claim cleans up.
     */
    public static final String REPLACED_ATTEMPT = "kmsReplacedAttempt";

    // --- administrative groups and KMS servers --------------------------------------------
    /** DN of the one KMS server that serves an administrative group. */
    public static final String ASSIGNED_SERVER = "kmsAssignedServer";
    /** Key algorithm of an administrative group; values in {@link KeyAlgorithm}. */
    public static final String KEY_ALGORITHM = "kmsKeyAlgorithm";
    /** Content-encryption algorithm; values in {@link ContentEncryptionAlgorithm}. */
    public static final String CONTENT_ENCRYPTION_ALGORITHM = "kmsContentEncryptionAlgorithm";
    /** Message format; values in {@link MessageFormat}. */
    public static final String MESSAGE_FORMAT = "kmsMessageFormat";
    /** Key package format; values in {@link PackageFormat}. */
    public static final String PACKAGE_FORMAT = "kmsPackageFormat";
    /** X.509 version of the certificates of a group's users; values in {@link CertificateFormat}. */
    public static final String CERTIFICATE_FORMAT = "kmsCertificateFormat";
    /** TRUE on the administrative group that users without one belong to. */
    public static final String DEFAULT_GROUP = "kmsDefaultGroup";
    /** Transport certificate of a KMS server (DER). */
    public static final String TRANSPORT_CERTIFICATE = "kmsTransportCertificate";
    /** Last sign of life of a KMS server or a CA. */
    public static final String HEARTBEAT = "kmsHeartbeat";
    /** DN of the identity a KMS server's agent binds as. */
    public static final String AGENT_IDENTITY = "kmsAgentIdentity";
    /** The agent's saved syncrepl cookie. */
    public static final String SYNC_COOKIE = "kmsSyncCookie";

    // --- certification authorities and templates -----------------------------------------
    /** Priority of a CA: lower is tried first. */
    public static final String PRIORITY = "kmsPriority";
    /** State of a CA; values in {@link CaState}. */
    public static final String CA_STATE = "kmsCAState";
    /** DN of a certificate template installed on a CA. */
    public static final String INSTALLED_TEMPLATE = "kmsInstalledTemplate";
    /** Certificates a CA may sign a minute. */
    public static final String CAPACITY = "kmsCapacity";
    /**
     * A URL of a CA's CRL, as every certificate the CA issues names it in its CRL distribution
     * point ({@link CrlDistributionPoints}).
     */
    public static final String CRL_DISTRIBUTION_POINT = "kmsCrlDistributionPoint";
    /**
     * An {@code http://} URL of a CA's OCSP responder, named by every certificate the CA issues
     * in its authority information access (RFC 5280 section 4.2.2.1, id-ad-ocsp).
     */
    public static final String OCSP_URL = "kmsOcspUrl";
    /**
     * An {@code http://} URL of a CA's certificate, named by every certificate the CA issues in
     * its authority information access (RFC 5280 section 4.2.2.1, id-ad-caIssuers) after the
     * LDAP one.
     */
    public static final String CA_ISSUERS_URL = "kmsCaIssuersUrl";
    /** Key usage bit named by a template (RFC 5280 section 4.2.1.3 names). */
    public static final String KEY_USAGE = "kmsKeyUsage";
    /** Extended key usage OID named by a template. */
    public static final String EXTENDED_KEY_USAGE = "kmsExtendedKeyUsage";
    /** Validity of certificates issued from a template, in days. */
    public static final String VALIDITY_DAYS = "kmsValidityDays";
    /** Key algorithm a template accepts; values in {@link KeyAlgorithm}. */
    public static final String ALLOWED_KEY_ALGORITHM = "kmsAllowedKeyAlgorithm";
    /** Smallest RSA modulus a template accepts, in bits. */
    public static final String MINIMUM_RSA_KEY_SIZE = "kmsMinimumRsaKeySize";
    /** X.509 version of certificates issued from a template (1 or 3). */
    public static final String CERTIFICATE_VERSION = "kmsCertificateVersion";

    // --- certificate request queue --------------------------------------------------------
    /** State of a queued certificate request; values in {@link RequestState}. */
    public static final String REQUEST_STATE = "kmsRequestState";
    /** DN of the template a queued request asks for. */
    public static final String REQUEST_TEMPLATE = "kmsRequestTemplate";
    /** PKCS#10 of a queued request (DER). */
    public static final String PKCS10_REQUEST = "kmsPkcs10Request";
    /** DN of the entry a queued request is for. */
    public static final String REQUEST_SUBJECT = "kmsRequestSubject";
    /** When a request was queued. */
    public static final String REQUESTED_TIME = "kmsRequestedTime";
    /** When a queued request expires unserved. */
    public static final String EXPIRES_TIME = "kmsExpiresTime";
    /** Hours a queued certificate request waits for a CA before it expires (on {@code ou=Requests}). */
    public static final String REQUEST_LIFETIME = "kmsRequestLifetime";

    // --- key archive ----------------------------------------------------------------------
    /** DN of the user an archived key belongs to. */
    public static final String KEY_OWNER = "kmsKeyOwner";
    /** Secret: the private key as CMS EnvelopedData to the key recovery certificate (DER). */
    public static final String WRAPPED_KEY = "kmsWrappedKey";
    /** Wrapping algorithm of an archived key, e.g. {@code RSAES-OAEP/AES-256-WRAP}. */
    public static final String WRAPPING_ALGORITHM = "kmsWrappingAlgorithm";
    /** Which recovery key wrapped an archived key (issuer and serial, or key identifier). */
    public static final String WRAPPING_KEY_ID = "kmsWrappingKeyId";
    /** Whether an archive record holds a key that was certified; values in {@link ArchiveState}. */
    public static final String ARCHIVE_STATE = "kmsArchiveState";

    // --- key recovery ---------------------------------------------------------------------
    /** DN of the user whose keys a recovery request recovers. */
    public static final String RECOVERY_TARGET = "kmsRecoveryTarget";
    /** DN of the identity that asked for a recovery. */
    public static final String RECOVERY_REQUESTER = "kmsRecoveryRequester";
    /** DN of a recovery agent who approved a recovery. */
    public static final String RECOVERY_APPROVAL = "kmsRecoveryApproval";
    /** Number of distinct approvals a recovery needs. */
    public static final String REQUIRED_APPROVALS = "kmsRequiredApprovals";
    /** State of a recovery request; values in {@link RecoveryState}. */
    public static final String RECOVERY_STATE = "kmsRecoveryState";
    /** Secret: PKCS#12 of the recovered keys. */
    public static final String RECOVERY_PACKAGE = "kmsRecoveryPackage";
    /** Secret: the one-time token that protects the recovery package. */
    public static final String RECOVERY_TOKEN = "kmsRecoveryToken";
    /**
     * The one certificate (DER) whose key a recovery request asks for; without it, the request
     * recovers every encryption key the user ever had.
     */
    public static final String RECOVERY_CERTIFICATE = "kmsRecoveryCertificate";
    /**
     * The request key of a recovery request or custody session (DER certificate, self-signed):
     * what approving recovery agents seal their custody shares to (docs/custody.md).
     */
    public static final String REQUEST_KEY = "kmsRequestKey";
    /** A recovery agent's custody share, sealed to the request key (CMS EnvelopedData, DER). */
    public static final String RECOVERY_SHARE = "kmsRecoveryShare";

    // --- threshold custody (docs/custody.md) ---------------------------------------------
    /** The identifier of the current split of the recovery keys. */
    public static final String CUSTODY_ID = "kmsCustodyId";
    /** How many recovery agents' shares rebuild the recovery keys (M of N). */
    public static final String CUSTODY_THRESHOLD = "kmsCustodyThreshold";
    /** Secret: every recovery key, sealed under the custody secret (CMS EnvelopedData, KEKRecipientInfo). */
    public static final String SEALED_RECOVERY_KEYS = "kmsSealedRecoveryKeys";
    /** DN of the recovery agent who holds a custody share. */
    public static final String SHARE_HOLDER = "kmsShareHolder";
    /** The index (x coordinate, 1..N) of a custody share. */
    public static final String SHARE_INDEX = "kmsShareIndex";
    /** A custody share sealed to its holder's encryption certificate (CMS EnvelopedData, DER). */
    public static final String SEALED_SHARE = "kmsSealedShare";
    /** SHA-256 of a custody share's content: what a share given back must match. */
    public static final String SHARE_DIGEST = "kmsShareDigest";

    // --- trust ----------------------------------------------------------------------------
    /** Mail domain a trusted partner speaks for. */
    public static final String PARTNER_DOMAIN = "kmsPartnerDomain";
    /** A signed trust list (CMS SignedData, DER). */
    public static final String SIGNED_TRUST_LIST = "kmsSignedTrustList";
    /** Sequence number of a trust list. */
    public static final String TRUST_LIST_SEQUENCE = "kmsTrustListSequence";
    /** When the published trust list stops being current: the KMS publishes its successor before. */
    public static final String TRUST_LIST_NEXT_UPDATE = "kmsTrustListNextUpdate";
    /** The subject DN (RFC 4514) of a trusted partner's root certificate, as the KMS read it. */
    public static final String PARTNER_SUBJECT = "kmsPartnerSubject";

    // --- audit ----------------------------------------------------------------------------
    /** Sequence number of an audit record. */
    public static final String AUDIT_SEQUENCE = "kmsAuditSequence";
    /** Hash of an audit record (hex SHA-256). */
    public static final String AUDIT_HASH = "kmsAuditHash";
    /** Hash of the audit record before this one (hex SHA-256). */
    public static final String AUDIT_PREVIOUS_HASH = "kmsAuditPreviousHash";
    /** DN of who did the audited action. */
    public static final String AUDIT_ACTOR = "kmsAuditActor";
    /** What the audited action was. */
    public static final String AUDIT_OPERATION = "kmsAuditOperation";
    /** DN the audited action applied to. */
    public static final String AUDIT_TARGET = "kmsAuditTarget";
    /** When the audited action happened. */
    public static final String AUDIT_TIME = "kmsAuditTime";

    // --- standard attributes dirkms uses --------------------------------------------------
    /** RFC 4512. */
    public static final String OBJECT_CLASS = "objectClass";
    /** RFC 4519. */
    public static final String CN = "cn";
    /** RFC 4519. */
    public static final String SN = "sn";
    /** RFC 4519. */
    public static final String UID = "uid";
    /** RFC 4519. */
    public static final String OU = "ou";
    /** RFC 4519. */
    public static final String DC = "dc";
    /** RFC 4519. */
    public static final String DESCRIPTION = "description";
    /** RFC 4519. */
    public static final String MEMBER = "member";
    /** RFC 4519. */
    public static final String USER_PASSWORD = "userPassword";
    /** RFC 4524. */
    public static final String MAIL = "mail";
    /** RFC 4523. */
    public static final String USER_CERTIFICATE = "userCertificate";
    /** RFC 2798. */
    public static final String USER_SMIME_CERTIFICATE = "userSMIMECertificate";
    /** RFC 4523. */
    public static final String CA_CERTIFICATE = "cACertificate";
    /** RFC 4523. */
    public static final String CERTIFICATE_REVOCATION_LIST = "certificateRevocationList";
    /** RFC 4523. */
    public static final String AUTHORITY_REVOCATION_LIST = "authorityRevocationList";
    /** RFC 4523. */
    public static final String DELTA_REVOCATION_LIST = "deltaRevocationList";
    /** RFC 4523. */
    public static final String CROSS_CERTIFICATE_PAIR = "crossCertificatePair";
}
