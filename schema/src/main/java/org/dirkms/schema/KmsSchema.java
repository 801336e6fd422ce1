package org.dirkms.schema;

import static org.dirkms.schema.AttributeNames.*;
import static org.dirkms.schema.ObjectClassNames.*;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * The KMS schema: the single source of truth from which every server form is rendered
 * ({@link SchemaForms}). Attribute types live under {@code OID_ARC.1}, object classes under
 * {@code OID_ARC.2}; an OID, once published, is never reused for another meaning.
 *
 * <p>Standard attributes are reused rather than twinned: certificates go in RFC 4523
 * {@code userCertificate}, {@code cACertificate}, {@code certificateRevocationList} and
 * {@code crossCertificatePair}, S/MIME bundles in RFC 2798 {@code userSMIMECertificate}, and
 * addresses in RFC 4524 {@code mail}.
 */
public final class KmsSchema {

    /** The project's OID arc: an X.667 UUID OID, which needs no registration and cannot clash. */
    public static final String OID_ARC = "2.25.268010694880826052437632457492141761400";
    /** Name of the schema in ApacheDS ({@code cn=dirkms,ou=schema}) and OpenLDAP. */
    public static final String SCHEMA_NAME = "dirkms";
    /** Schemas the KMS schema builds on (ApacheDS names; OpenLDAP has the same ones). */
    public static final List<String> DEPENDENCIES = List.of("core", "cosine", "inetorgperson");

    private static final String AT = OID_ARC + ".1.";
    private static final String OC = OID_ARC + ".2.";

    private static final List<AttributeTypeDefinition> ATTRIBUTE_TYPES = List.of(
            // user enrollment
            enumerated(1, ENROLLMENT_STATE, "enrollment state of a user", EnrollmentState.class),
            single(2, ADMINISTRATIVE_GROUP, "DN of the administrative group a user belongs to", Syntax.DN),
            single(3, SIGNING_REQUEST, "PKCS#10 signing request made by the client of the user (DER)", Syntax.OCTET_STRING),
            secretValues(4, KEY_PACKAGE, "PKCS#12 of the new private keys of a user (one per key in the legacy"
                    + " format), protected by a one-time token or sealed to the delivery key of the user"),
            single(5, KEY_PACKAGE_EXPIRES, "when an unfetched key package expires", Syntax.GENERALIZED_TIME),
            secret(6, ENROLLMENT_TOKEN, "one-time token protecting the key package"),
            single(7, LAST_ERROR, "plain-language reason of the last failure", Syntax.DIRECTORY_STRING),
            enumerated(8, REVOCATION_REASON, "reason of a requested revocation (RFC 5280 5.3.1)", RevocationReason.class),
            single(9, CLAIMED_BY, "identity of the attempt holding the lease on this work", Syntax.DIRECTORY_STRING),
            single(10, LEASE_EXPIRES, "when the lease on this work expires", Syntax.GENERALIZED_TIME),
            enumerated(11, CERTIFICATE_PURPOSE, "purpose of a published certificate", CertificatePurpose.class),
            single(12, DELIVERY_KEY, "PKCS#10 of a key made by the client of the user; the key package is sealed to it (DER)",
                    Syntax.OCTET_STRING),
            multi(13, ARCHIVE_RECORD, "DN of an archive record of an encryption key of the user", Syntax.DN),
            multi(14, SUPERSEDED_CERTIFICATE, "certificate the claimed work supersedes, revoked once it is published (DER)",
                    Syntax.OCTET_STRING),
            multi(15, REPLACED_ATTEMPT, "attempt at the claimed work that died and was taken over", Syntax.DIRECTORY_STRING),
            // administrative groups and servers
            single(20, ASSIGNED_SERVER, "DN of the one KMS server serving an administrative group", Syntax.DN),
            enumerated(21, KEY_ALGORITHM, "key algorithm of an administrative group", KeyAlgorithm.class),
            enumerated(22, CONTENT_ENCRYPTION_ALGORITHM, "S/MIME content-encryption algorithm", ContentEncryptionAlgorithm.class),
            enumerated(23, MESSAGE_FORMAT, "S/MIME message format", MessageFormat.class),
            enumerated(24, PACKAGE_FORMAT, "protection of key packages (PKCS#12)", PackageFormat.class),
            single(25, DEFAULT_GROUP, "TRUE on the group of users who name none", Syntax.BOOLEAN),
            single(26, TRANSPORT_CERTIFICATE, "transport certificate of a KMS server (DER)", Syntax.OCTET_STRING),
            single(27, HEARTBEAT, "last sign of life of a KMS server or CA", Syntax.GENERALIZED_TIME),
            single(28, AGENT_IDENTITY, "DN the agent of a KMS server binds as", Syntax.DN),
            single(29, SYNC_COOKIE, "saved syncrepl cookie of an agent", Syntax.OCTET_STRING),
            enumerated(30, CERTIFICATE_FORMAT, "X.509 version of the certificates of the users of an administrative"
                    + " group: x509v3, or x509v1 for old clients", CertificateFormat.class),
            // certification authorities and templates
            single(40, PRIORITY, "priority of a CA; lower is tried first", Syntax.INTEGER),
            enumerated(41, CA_STATE, "state of a certification authority", CaState.class),
            multi(42, INSTALLED_TEMPLATE, "DN of a certificate template installed on a CA", Syntax.DN),
            single(43, CAPACITY, "certificate requests a CA holds claimed at once; beyond it the CA is busy", Syntax.INTEGER),
            multi(44, KEY_USAGE, "key usage named by a template (RFC 5280 4.2.1.3 names)", Syntax.DIRECTORY_STRING),
            multi(45, EXTENDED_KEY_USAGE, "extended key usage OID named by a template", Syntax.OID),
            single(46, VALIDITY_DAYS, "validity of issued certificates, in days", Syntax.INTEGER),
            new AttributeTypeDefinition(AT + 47, ALLOWED_KEY_ALGORITHM, "key algorithm a template accepts",
                    Syntax.ENUMERATED_STRING, false, false, KeyAlgorithm.class),
            single(48, MINIMUM_RSA_KEY_SIZE, "smallest RSA modulus a template accepts, in bits", Syntax.INTEGER),
            single(49, CERTIFICATE_VERSION, "X.509 version of issued certificates (1 or 3)", Syntax.INTEGER),
            multi(50, CRL_DISTRIBUTION_POINT, "URL of the CRL of a CA, named by every certificate it issues (RFC 5280"
                    + " 4.2.1.13)", Syntax.IA5_STRING),
            multi(51, OCSP_URL, "HTTP URL of the OCSP responder of a CA, named by every certificate it issues (RFC"
                    + " 5280 4.2.2.1, id-ad-ocsp)", Syntax.IA5_STRING),
            multi(52, CA_ISSUERS_URL, "HTTP URL of the certificate of a CA, named by every certificate it issues"
                    + " (RFC 5280 4.2.2.1, id-ad-caIssuers)", Syntax.IA5_STRING),
            // request queue
            enumerated(60, REQUEST_STATE, "state of a queued certificate request", RequestState.class),
            single(61, REQUEST_TEMPLATE, "DN of the template a request asks for", Syntax.DN),
            single(62, PKCS10_REQUEST, "PKCS#10 of a queued request (DER)", Syntax.OCTET_STRING),
            single(63, REQUEST_SUBJECT, "DN of the entry a request is for", Syntax.DN),
            single(64, REQUESTED_TIME, "when a request was queued", Syntax.GENERALIZED_TIME),
            single(65, EXPIRES_TIME, "when a queued request expires unserved", Syntax.GENERALIZED_TIME),
            single(66, REQUEST_LIFETIME, "hours a queued certificate request waits for a CA before it expires", Syntax.INTEGER),
            // key archive
            single(80, KEY_OWNER, "DN of the user an archived key belongs to", Syntax.DN),
            secret(81, WRAPPED_KEY, "private key as CMS EnvelopedData to the key recovery certificate (DER)"),
            single(82, WRAPPING_ALGORITHM, "algorithm that wrapped an archived key", Syntax.DIRECTORY_STRING),
            single(83, WRAPPING_KEY_ID, "which recovery key wrapped an archived key", Syntax.DIRECTORY_STRING),
            enumerated(84, ARCHIVE_STATE, "whether an archived key was ever certified", ArchiveState.class),
            // recovery
            single(100, RECOVERY_TARGET, "DN of the user whose keys are recovered", Syntax.DN),
            single(101, RECOVERY_REQUESTER, "DN of the identity that asked for a recovery", Syntax.DN),
            multi(102, RECOVERY_APPROVAL, "DN of a recovery agent who approved", Syntax.DN),
            single(103, REQUIRED_APPROVALS, "number of distinct approvals a recovery needs", Syntax.INTEGER),
            enumerated(104, RECOVERY_STATE, "state of a recovery request", RecoveryState.class),
            secretValues(105, RECOVERY_PACKAGE, "PKCS#12 of recovered keys for the requester (one per key in the"
                    + " legacy format)"),
            secret(106, RECOVERY_TOKEN, "one-time token protecting the recovery package"),
            single(107, RECOVERY_CERTIFICATE, "the one certificate whose key a recovery recovers, without it every"
                    + " encryption key of the user (DER)", Syntax.OCTET_STRING),
            single(108, REQUEST_KEY, "self-signed certificate of the one-use key custody shares are sealed to (DER)",
                    Syntax.OCTET_STRING),
            multi(109, RECOVERY_SHARE, "a custody share sealed to the request key (CMS EnvelopedData, DER)",
                    Syntax.OCTET_STRING),
            // threshold custody
            single(160, CUSTODY_ID, "identifier of the current split of the recovery keys", Syntax.DIRECTORY_STRING),
            single(161, CUSTODY_THRESHOLD, "how many custody shares rebuild the recovery keys", Syntax.INTEGER),
            secret(162, SEALED_RECOVERY_KEYS, "the recovery keys sealed under the custody secret (CMS EnvelopedData)"),
            single(163, SHARE_HOLDER, "DN of the recovery agent holding a custody share", Syntax.DN),
            single(164, SHARE_INDEX, "index of a custody share", Syntax.INTEGER),
            single(165, SEALED_SHARE, "a custody share sealed to its holder (CMS EnvelopedData, DER)",
                    Syntax.OCTET_STRING),
            single(166, SHARE_DIGEST, "SHA-256 of the content of a custody share", Syntax.OCTET_STRING),
            // trust
            multi(120, PARTNER_DOMAIN, "mail domain a trusted partner speaks for", Syntax.IA5_STRING),
            single(121, SIGNED_TRUST_LIST, "signed trust list (CMS SignedData, DER)", Syntax.OCTET_STRING),
            single(122, TRUST_LIST_SEQUENCE, "sequence number of a trust list", Syntax.INTEGER),
            single(123, TRUST_LIST_NEXT_UPDATE, "when a trust list stops being current; its successor is published"
                    + " before", Syntax.GENERALIZED_TIME),
            single(124, PARTNER_SUBJECT, "subject DN of the root certificate of a trusted partner, as the KMS read"
                    + " it", Syntax.DIRECTORY_STRING),
            // audit
            single(140, AUDIT_SEQUENCE, "sequence number of an audit record", Syntax.INTEGER),
            single(141, AUDIT_HASH, "hex SHA-256 of an audit record", Syntax.IA5_STRING),
            single(142, AUDIT_PREVIOUS_HASH, "hex SHA-256 of the record before", Syntax.IA5_STRING),
            single(143, AUDIT_ACTOR, "DN of who did the audited action", Syntax.DN),
            single(144, AUDIT_OPERATION, "what the audited action was", Syntax.DIRECTORY_STRING),
            single(145, AUDIT_TARGET, "DN the audited action applied to", Syntax.DN),
            single(146, AUDIT_TIME, "when the audited action happened", Syntax.GENERALIZED_TIME));

    private static final List<ObjectClassDefinition> OBJECT_CLASSES = List.of(
            new ObjectClassDefinition(OC + 1, KMS_USER, "a person enrolled, or to be enrolled, by the KMS",
                    ObjectClassDefinition.Kind.AUXILIARY, TOP, List.of(),
                    List.of(ENROLLMENT_STATE, ADMINISTRATIVE_GROUP, SIGNING_REQUEST, KEY_PACKAGE,
                            KEY_PACKAGE_EXPIRES, ENROLLMENT_TOKEN, LAST_ERROR, REVOCATION_REASON, CLAIMED_BY,
                            LEASE_EXPIRES, MAIL, USER_CERTIFICATE, USER_SMIME_CERTIFICATE, DELIVERY_KEY, ARCHIVE_RECORD,
                            SUPERSEDED_CERTIFICATE, REPLACED_ATTEMPT)),
            structural(2, PUBLISHED_CERTIFICATE, "one published certificate of a user, with the mail of the user",
                    List.of(CN), List.of(MAIL, USER_CERTIFICATE, CERTIFICATE_PURPOSE, DESCRIPTION)),
            structural(3, ADMIN_GROUP, "an administrative group: encryption configuration and its KMS server",
                    List.of(CN), List.of(DESCRIPTION, ASSIGNED_SERVER, KEY_ALGORITHM, CONTENT_ENCRYPTION_ALGORITHM,
                            MESSAGE_FORMAT, PACKAGE_FORMAT, DEFAULT_GROUP, CERTIFICATE_FORMAT)),
            structural(4, SERVER, "a KMS server", List.of(CN),
                    List.of(DESCRIPTION, TRANSPORT_CERTIFICATE, HEARTBEAT, AGENT_IDENTITY, SYNC_COOKIE, REQUIRED_APPROVALS)),
            structural(5, CERTIFICATION_AUTHORITY, "a certification authority; its DN equals its subject DN",
                    List.of(CN), List.of(DESCRIPTION, PRIORITY, CA_STATE, HEARTBEAT, INSTALLED_TEMPLATE, CAPACITY,
                            CRL_DISTRIBUTION_POINT, OCSP_URL, CA_ISSUERS_URL)),
            structural(6, CERTIFICATE_TEMPLATE, "what one type of certificate contains", List.of(CN),
                    List.of(DESCRIPTION, KEY_USAGE, EXTENDED_KEY_USAGE, VALIDITY_DAYS, ALLOWED_KEY_ALGORITHM,
                            MINIMUM_RSA_KEY_SIZE, CERTIFICATE_VERSION)),
            structural(7, CERTIFICATE_REQUEST, "a certificate request in the queue", List.of(CN, REQUEST_STATE),
                    List.of(REQUEST_TEMPLATE, PKCS10_REQUEST, REQUEST_SUBJECT, REQUESTED_TIME, EXPIRES_TIME,
                            CLAIMED_BY, LEASE_EXPIRES, USER_CERTIFICATE, LAST_ERROR)),
            structural(8, ARCHIVED_KEY, "an archived private encryption key, wrapped", List.of(CN, KEY_OWNER, WRAPPED_KEY),
                    List.of(USER_CERTIFICATE, WRAPPING_ALGORITHM, WRAPPING_KEY_ID, ARCHIVE_STATE)),
            structural(9, RECOVERY_REQUEST, "a key recovery request", List.of(CN, RECOVERY_TARGET),
                    List.of(DESCRIPTION, RECOVERY_REQUESTER, RECOVERY_APPROVAL, REQUIRED_APPROVALS, RECOVERY_STATE,
                            RECOVERY_PACKAGE, RECOVERY_TOKEN, LAST_ERROR, RECOVERY_CERTIFICATE, KEY_PACKAGE_EXPIRES,
                            CLAIMED_BY, LEASE_EXPIRES, SUPERSEDED_CERTIFICATE, REPLACED_ATTEMPT, REQUEST_KEY,
                            RECOVERY_SHARE)),
            structural(10, TRUSTED_PARTNER, "a trusted partner organisation", List.of(CN),
                    List.of(DESCRIPTION, CA_CERTIFICATE, CROSS_CERTIFICATE_PAIR, PARTNER_DOMAIN, PARTNER_SUBJECT,
                            LAST_ERROR)),
            structural(11, TRUST_LIST, "a signed trust list", List.of(CN),
                    List.of(DESCRIPTION, SIGNED_TRUST_LIST, TRUST_LIST_SEQUENCE, TRUST_LIST_NEXT_UPDATE)),
            structural(12, AUDIT_RECORD, "an audit record, or the anchor of the head of the audit chain",
                    List.of(CN, AUDIT_SEQUENCE, AUDIT_HASH),
                    List.of(AUDIT_PREVIOUS_HASH, AUDIT_ACTOR, AUDIT_OPERATION, AUDIT_TARGET, AUDIT_TIME)),
            new ObjectClassDefinition(OC + 15, REQUEST_QUEUE, "the certificate request queue and how long its requests wait",
                    ObjectClassDefinition.Kind.AUXILIARY, TOP, List.of(), List.of(REQUEST_LIFETIME)),
            new ObjectClassDefinition(OC + 16, RECOVERY_CUSTODY, "the keys of the key recovery agent under threshold custody",
                    ObjectClassDefinition.Kind.AUXILIARY, TOP, List.of(),
                    List.of(CUSTODY_ID, CUSTODY_THRESHOLD, SEALED_RECOVERY_KEYS)),
            structural(17, CUSTODY_SHARE, "the custody share of one recovery agent",
                    List.of(CN, CUSTODY_ID, SHARE_HOLDER, SHARE_INDEX, SEALED_SHARE, SHARE_DIGEST), List.of()),
            structural(18, CUSTODY_SESSION, "a use of the recovery keys under custody, waiting for shares",
                    List.of(CN, REQUEST_KEY), List.of(DESCRIPTION, RECOVERY_APPROVAL, RECOVERY_SHARE, RECOVERY_STATE,
                            LAST_ERROR, CUSTODY_THRESHOLD)));

    private static final Map<String, AttributeTypeDefinition> BY_LOWER_NAME;

    static {
        Map<String, AttributeTypeDefinition> byName = new LinkedHashMap<>();
        for (AttributeTypeDefinition type : ATTRIBUTE_TYPES) {
            byName.put(type.name().toLowerCase(Locale.ROOT), type);
        }
        BY_LOWER_NAME = Collections.unmodifiableMap(byName);
    }

    private KmsSchema() {
    }

    /** Every attribute type, in OID order. */
    public static List<AttributeTypeDefinition> attributeTypes() {
        return ATTRIBUTE_TYPES;
    }

    /** Every object class, in OID order. */
    public static List<ObjectClassDefinition> objectClasses() {
        return OBJECT_CLASSES;
    }

    /** The KMS attribute type named {@code name} (case-insensitive), if there is one. */
    public static Optional<AttributeTypeDefinition> attributeType(String name) {
        return Optional.ofNullable(BY_LOWER_NAME.get(name.toLowerCase(Locale.ROOT)));
    }

    /** Lower-case names of the secret attributes: those the directory guards on every path. */
    public static Set<String> secretAttributeNames() {
        Set<String> names = new TreeSet<>();
        for (AttributeTypeDefinition type : ATTRIBUTE_TYPES) {
            if (type.secret()) {
                names.add(type.name().toLowerCase(Locale.ROOT));
            }
        }
        return Collections.unmodifiableSet(names);
    }

    /** Numeric OIDs of the secret attributes. */
    public static List<String> secretAttributeOids() {
        List<String> oids = new ArrayList<>();
        for (AttributeTypeDefinition type : ATTRIBUTE_TYPES) {
            if (type.secret()) {
                oids.add(type.oid());
            }
        }
        return List.copyOf(oids);
    }

    private static AttributeTypeDefinition single(int number, String name, String description, Syntax syntax) {
        return new AttributeTypeDefinition(AT + number, name, description, syntax, true, false, null);
    }

    private static AttributeTypeDefinition multi(int number, String name, String description, Syntax syntax) {
        return new AttributeTypeDefinition(AT + number, name, description, syntax, false, false, null);
    }

    private static AttributeTypeDefinition secret(int number, String name, String description) {
        return new AttributeTypeDefinition(AT + number, name, description, Syntax.OCTET_STRING, true, true, null);
    }

    private static AttributeTypeDefinition secretValues(int number, String name, String description) {
        return new AttributeTypeDefinition(AT + number, name, description, Syntax.OCTET_STRING, false, true, null);
    }

    private static AttributeTypeDefinition enumerated(int number, String name, String description,
            Class<? extends LdapEnumeration> values) {
        return new AttributeTypeDefinition(AT + number, name, description, Syntax.ENUMERATED_STRING, true, false,
                values);
    }

    private static ObjectClassDefinition structural(int number, String name, String description, List<String> must,
            List<String> may) {
        return new ObjectClassDefinition(OC + number, name, description, ObjectClassDefinition.Kind.STRUCTURAL, TOP,
                must, may);
    }
}
