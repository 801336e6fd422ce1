package org.dirkms.schema;

/**
 * The directory tree of dirkms below a suffix (docs/directory-layout.md). Every
 * component that names a KMS entry takes its DN from here, so that the tree is described once.
 *
 * <p>DNs are returned as RFC 4514 strings; callers parse them with their own LDAP library.
 *
 * @param suffix the naming context, e.g. {@code dc=example,dc=com}
 */
public record DirectoryLayout(String suffix) {

    /** The default suffix of the embedded server. */
    public static final String DEFAULT_SUFFIX = "dc=example,dc=com";
    /** The ApacheDS administrator (the directory's superuser). */
    public static final String ADMIN_DN = "uid=admin,ou=system";

    /** Validates that a suffix is given. */
    public DirectoryLayout {
        if (suffix == null || suffix.isBlank()) {
            throw new IllegalArgumentException("a suffix is required, e.g. " + DEFAULT_SUFFIX);
        }
    }

    /** {@code ou=People}: users. */
    public String people() {
        return "ou=People," + suffix;
    }

    /** {@code ou=Groups}: groups of identities, including the three KMS role groups. */
    public String groups() {
        return "ou=Groups," + suffix;
    }

    /** Members may administer the KMS: request enrollment, revocation, recovery. */
    public String kmsAdministratorsGroup() {
        return "cn=KMS Administrators," + groups();
    }

    /** Members may approve key recovery requests. */
    public String recoveryAgentsGroup() {
        return "cn=Recovery Agents," + groups();
    }

    /** Members are KMS agents: the only identities that may complete KMS work and read every secret. */
    public String kmsAgentsGroup() {
        return "cn=KMS Agents," + groups();
    }

    /** {@code ou=Administrative Groups}. */
    public String administrativeGroups() {
        return "ou=Administrative Groups," + suffix;
    }

    /** The administrative group created out of the box. */
    public String defaultAdministrativeGroup() {
        return "cn=Default," + administrativeGroups();
    }

    /** {@code ou=KMS}: the KMS subtree. */
    public String kms() {
        return "ou=KMS," + suffix;
    }

    /** The identity of the agent that runs inside the embedded server. */
    public String kmsAgentIdentity() {
        return "uid=kms-agent," + kms();
    }

    /** {@code ou=Servers}: KMS server entries. */
    public String servers() {
        return "ou=Servers," + kms();
    }

    /** {@code ou=Certification Authorities}: CA entries, each at its CA's subject DN. */
    public String certificationAuthorities() {
        return "ou=Certification Authorities," + kms();
    }

    /** {@code ou=Certificate Templates}. */
    public String certificateTemplates() {
        return "ou=Certificate Templates," + kms();
    }

    /** {@code ou=Requests}: the certificate request queue. */
    public String requests() {
        return "ou=Requests," + kms();
    }

    /**
     * {@code cn=Key Recovery Agent,ou=KMS}: the entry named as the key recovery certificates'
     * subject, whose {@code userCertificate} is the current one, the certificate every KMS agent
     * wraps new archives to (docs/directory-layout.md).
     */
    public String keyRecoveryAgent() {
        return "cn=Key Recovery Agent," + kms();
    }

    /** {@code ou=Key Archive}: wrapped private encryption keys. */
    public String keyArchive() {
        return "ou=Key Archive," + kms();
    }

    /** {@code ou=Recovery Requests}. */
    public String recoveryRequests() {
        return "ou=Recovery Requests," + kms();
    }

    /** {@code ou=Trust}: partner roots, cross-certificates, trust lists. */
    public String trust() {
        return "ou=Trust," + kms();
    }

    /** {@code cn=Trust List,ou=Trust}: the signed trust list the KMS publishes. */
    public String trustList() {
        return "cn=Trust List," + trust();
    }

    /** {@code ou=Audit}: the anchor of the audit chain. */
    public String audit() {
        return "ou=Audit," + kms();
    }

    /** The entry holding the audit chain's head hash. */
    public String auditHead() {
        return "cn=head," + audit();
    }
}
