package org.dirkms.schema;

/** The name of every object class that dirkms defines or uses. */
public final class ObjectClassNames {
    private ObjectClassNames() {
    }

    /** Auxiliary class that makes a person a KMS user. */
    public static final String KMS_USER = "kmsUser";
    /** One published certificate of a user, as a child entry without mail (docs/directory-layout.md). */
    public static final String PUBLISHED_CERTIFICATE = "kmsPublishedCertificate";
    /** An administrative group with its encryption configuration and its KMS server. */
    public static final String ADMIN_GROUP = "kmsAdminGroup";
    /** A KMS server (one agent's home). */
    public static final String SERVER = "kmsServer";
    /** A certification authority; combined with the RFC 4523 auxiliary {@code pkiCA}. */
    public static final String CERTIFICATION_AUTHORITY = "kmsCertificationAuthority";
    /** A certificate template. */
    public static final String CERTIFICATE_TEMPLATE = "kmsCertificateTemplate";
    /** A certificate request waiting in the queue. */
    public static final String CERTIFICATE_REQUEST = "kmsCertificateRequest";
    /** An archived (wrapped) private encryption key. */
    public static final String ARCHIVED_KEY = "kmsArchivedKey";
    /** A key recovery request. */
    public static final String RECOVERY_REQUEST = "kmsRecoveryRequest";
    /** A trusted partner organisation's root. */
    public static final String TRUSTED_PARTNER = "kmsTrustedPartner";
    /** A signed trust list. */
    public static final String TRUST_LIST = "kmsTrustList";
    /** An audit record or the anchor of the audit chain's head. */
    public static final String AUDIT_RECORD = "kmsAuditRecord";
    /** Auxiliary class of {@code ou=Requests}: the queue's configuration. */
    public static final String REQUEST_QUEUE = "kmsRequestQueue";
    /** Auxiliary class of the key recovery agent's entry: its keys are under threshold custody. */
    public static final String RECOVERY_CUSTODY = "kmsRecoveryCustody";
    /** One recovery agent's custody share, below the key recovery agent's entry. */
    public static final String CUSTODY_SHARE = "kmsCustodyShare";
    /** A use of the recovery keys by a dirkms command under custody, waiting for shares. */
    public static final String CUSTODY_SESSION = "kmsCustodySession";

    /** RFC 4512. */
    public static final String TOP = "top";
    /** RFC 4519. */
    public static final String ORGANIZATIONAL_UNIT = "organizationalUnit";
    /** RFC 2798. */
    public static final String INET_ORG_PERSON = "inetOrgPerson";
    /** RFC 4519. */
    public static final String GROUP_OF_NAMES = "groupOfNames";
    /** RFC 4523. */
    public static final String PKI_CA = "pkiCA";
    /** RFC 4523. */
    public static final String PKI_USER = "pkiUser";
    /** RFC 4519 section 3.2: an application, here the key recovery agent, named by its {@code cn}. */
    public static final String APPLICATION_PROCESS = "applicationProcess";
}
