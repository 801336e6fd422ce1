package org.dirkms.ds.guard;

import static org.dirkms.schema.AttributeNames.*;

import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateFactory;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Predicate;
import java.util.regex.Pattern;

import org.apache.directory.api.ldap.model.exception.LdapException;
import org.apache.directory.api.ldap.model.exception.LdapInvalidAttributeValueException;
import org.apache.directory.api.ldap.model.exception.LdapNoPermissionException;
import org.apache.directory.api.ldap.model.exception.LdapUnwillingToPerformException;
import org.apache.directory.api.ldap.model.message.ResultCodeEnum;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.ASN1Sequence;
import org.bouncycastle.asn1.ASN1TaggedObject;
import org.bouncycastle.asn1.BERTags;
import org.bouncycastle.asn1.cms.CMSObjectIdentifiers;
import org.bouncycastle.asn1.cms.ContentInfo;
import org.bouncycastle.asn1.cms.EnvelopedData;
import org.bouncycastle.asn1.x509.Certificate;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.pkcs.PKCSException;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.dirkms.schema.AttributeTypeDefinition;
import org.dirkms.schema.CrlDistributionPoints;
import org.dirkms.schema.EnrollmentState;
import org.dirkms.schema.KmsSchema;
import org.dirkms.schema.LdapEnumeration;
import org.dirkms.schema.RecoveryState;
import org.dirkms.schema.RequestState;
import org.dirkms.schema.RequiredApprovals;

/**
 * Judges the values of a write to KMS and certificate attributes, after {@link AccessPolicy}
 * allowed the write itself:
 * <ul>
 * <li>enumerated KMS attributes hold one of their values ({@link LdapEnumeration#parse}):
 * constraintViolation otherwise;</li>
 * <li>{@code kmsEnrollmentState} moves only as its role allows: an administrator sets
 * {@code requested} (from none, failed, revoked or enrolled) and {@code revoke-requested}
 * (from enrolled); only a KMS agent sets in-progress, enrolled, failed or revoked; a new
 * {@code requested} while the KMS is working ({@code in-progress}) is unwillingToPerform;
 * setting the value it already has is allowed (re-running an LDIF file is harmless);</li>
 * <li>a new {@code kmsCertificateRequest} or {@code kmsRecoveryRequest} made by an
 * administrator starts {@code pending};</li>
 * <li>certificates ({@code userCertificate}, {@code cACertificate},
 * {@code kmsTransportCertificate}, a claim's {@code kmsSupersededCertificate}, a recovery
 * request's {@code kmsRecoveryCertificate} and the request key of a recovery request or custody
 * session, {@code kmsRequestKey}), CRLs ({@code certificateRevocationList},
 * {@code authorityRevocationList}, {@code deltaRevocationList}), RFC 4523 section 2.3
 * {@code crossCertificatePair}, the PKCS#7 {@code userSMIMECertificate}, and the PKCS#10
 * {@code kmsSigningRequest}, {@code kmsDeliveryKey} and {@code kmsPkcs10Request} (whose
 * self-signature must verify) are
 * exactly one DER object of their type: invalidAttributeSyntax otherwise;</li>
 * <li>a custody share given back, {@code kmsRecoveryShare}, is one CMS ContentInfo holding
 * EnvelopedData (RFC 5652 sections 3 and 6.1): invalidAttributeSyntax otherwise, so that what a
 * recovery agent writes is at least what the KMS can try to open (docs/custody.md);</li>
 * <li>{@code kmsCrlDistributionPoint} is an {@code ldap://} URL with a host, the DN of an entry,
 * an attribute and the {@code base} scope, or an {@code http://} URL with a host
 * ({@link CrlDistributionPoints#check}): invalidAttributeSyntax otherwise, so a CA never names
 * a CRL that clients must search the tree for (docs/interoperability.md);</li>
 * <li>{@code kmsOcspUrl} and {@code kmsCaIssuersUrl} are {@code http://} URLs with a host
 * ({@link CrlDistributionPoints#checkHttp}): invalidAttributeSyntax otherwise;</li>
 * <li>{@code kmsRequiredApprovals} is a whole number from {@link RequiredApprovals#MINIMUM} to
 * {@link RequiredApprovals#MAXIMUM}: constraintViolation otherwise;</li>
 * <li>{@code kmsAssignedServer} names an existing {@code kmsServer} entry, and
 * {@code kmsRecoveryTarget} an existing entry: constraintViolation otherwise (the schema makes
 * {@code kmsAssignedServer} SINGLE-VALUE: a group has at most one server);</li>
 * <li>a CRL replaces one of the same issuer only with a higher CRL number (RFC 5280 section
 * 5.2.3): an older CRL would undo revocations ({@link CrlNumbers});</li>
 * <li>a certificate written by anyone but the KMS names the entry's own addresses and no other
 * ({@link CertificateAddresses}): nobody publishes someone else's certificate as theirs.</li>
 * </ul>
 * Messages name the attribute and what is wrong, never a value of a secret.
 */
public final class WriteValidator {

    /** The message given when a second KMS server is named for an administrative group. */
    public static final String ONE_SERVER_MESSAGE = "an administrative group has at most one KMS server: "
            + ASSIGNED_SERVER + " already has a value; replace it instead of adding a second one";

    private static final Set<String> CERTIFICATES = lower(USER_CERTIFICATE, CA_CERTIFICATE, TRANSPORT_CERTIFICATE,
            SUPERSEDED_CERTIFICATE, RECOVERY_CERTIFICATE, REQUEST_KEY);
    private static final Set<String> CRLS = lower(CERTIFICATE_REVOCATION_LIST, AUTHORITY_REVOCATION_LIST,
            DELTA_REVOCATION_LIST);
    private static final Set<String> PKCS10 = lower(SIGNING_REQUEST, PKCS10_REQUEST, DELIVERY_KEY);
    private static final Set<String> PUBLISHED = lower(USER_CERTIFICATE, USER_SMIME_CERTIFICATE);
    private static final String ENROLLMENT_STATE_LC = lc(ENROLLMENT_STATE);

    /** A private provider instance: the plugin never registers Bouncy Castle JVM-wide. */
    private static final java.security.Provider BOUNCY_CASTLE = new org.bouncycastle.jce.provider.BouncyCastleProvider();

    private final Predicate<String> isKmsServer;
    private final Predicate<String> exists;

    /**
     * @param isKmsServer whether a DN (as written) names an existing {@code kmsServer} entry
     * @param exists      whether a DN (as written) names an existing entry
     */
    public WriteValidator(Predicate<String> isKmsServer, Predicate<String> exists) {
        this.isKmsServer = isKmsServer;
        this.exists = exists;
    }

    /**
     * Judges every value of the write.
     *
     * @throws LdapException constraintViolation, invalidAttributeSyntax, unwillingToPerform or
     *         insufficientAccessRights, with a message a person can act on
     */
    public void validate(Identity who, WriteTarget target, List<AttributeChange> changes) throws LdapException {
        for (AttributeChange change : changes) {
            String attribute = change.attribute();
            for (int i = 0; i < change.values().size(); i++) {
                validateValue(attribute, change, i);
            }
            if (attribute.equals(ENROLLMENT_STATE_LC)) {
                checkEnrollmentTransition(who, target, change);
            }
            if (CRLS.contains(attribute) && change.operation() != AttributeChange.Operation.REMOVE) {
                CrlNumbers.requireNewer(AccessPolicy.display(attribute), change.values(), target.currentBytes(attribute));
            }
            if (PUBLISHED.contains(attribute) && !who.isTrusted() && !change.removesOnly()) {
                CertificateAddresses.requireEntryAddresses(AccessPolicy.display(attribute), change.values(),
                        entryAddresses(target, changes));
            }
            if (target.kind() == WriteTarget.Kind.ADD && !who.isTrusted()) {
                if (attribute.equals(lc(REQUEST_STATE))) {
                    requirePending(change, REQUEST_STATE, RequestState.PENDING.ldapValue());
                }
                if (attribute.equals(lc(RECOVERY_STATE))) {
                    requirePending(change, RECOVERY_STATE, RecoveryState.PENDING.ldapValue());
                }
            }
        }
    }

    private void validateValue(String attribute, AttributeChange change, int index) throws LdapException {
        byte[] value = change.values().get(index);
        AttributeTypeDefinition type = KmsSchema.attributeType(attribute).orElse(null);
        if (type != null && type.enumeration() != null) {
            try {
                parseAny(type.enumeration(), type.name(), change.text(index));
            } catch (IllegalArgumentException e) {
                throw new LdapInvalidAttributeValueException(ResultCodeEnum.CONSTRAINT_VIOLATION, e.getMessage());
            }
        }
        if (CERTIFICATES.contains(attribute)) {
            requireDer(attribute, value, "an X.509 certificate");
            requireCertificate(attribute, value);
        } else if (CRLS.contains(attribute)) {
            requireDer(attribute, value, "an X.509 CRL");
            try {
                CertificateFactory.getInstance("X.509").generateCRL(new ByteArrayInputStream(value));
            } catch (GeneralSecurityException | RuntimeException e) {
                throw syntax(attribute, "is not an X.509 CRL (RFC 5280 section 5): " + reason(e));
            }
        } else if (attribute.equals(lc(CROSS_CERTIFICATE_PAIR))) {
            requireCertificatePair(attribute, requireDer(attribute, value, "a CertificatePair"));
        } else if (attribute.equals(lc(USER_SMIME_CERTIFICATE))) {
            try {
                ContentInfo.getInstance(requireDer(attribute, value, "a PKCS#7 ContentInfo"));
            } catch (IllegalArgumentException e) {
                throw syntax(attribute, "is not a PKCS#7 / CMS ContentInfo (RFC 5652 section 3): " + reason(e));
            }
        } else if (attribute.equals(lc(RECOVERY_SHARE))) {
            requireEnvelopedData(attribute, requireDer(attribute, value, "a CMS ContentInfo of EnvelopedData"));
        } else if (PKCS10.contains(attribute)) {
            requireDer(attribute, value, "a PKCS#10 certification request");
            requireSignedPkcs10(attribute, value);
        } else if (attribute.equals(lc(RECOVERY_TARGET))) {
            String dn = change.text(index);
            if (!exists.test(dn)) {
                throw new LdapInvalidAttributeValueException(ResultCodeEnum.CONSTRAINT_VIOLATION,
                        RECOVERY_TARGET + " '" + dn + "' names no entry; give the DN of the user whose keys to recover");
            }
        } else if (attribute.equals(lc(CRL_DISTRIBUTION_POINT))) {
            String url = change.text(index);
            try {
                String dn = CrlDistributionPoints.check(url);
                if (dn != null && !org.apache.directory.api.ldap.model.name.Dn.isValid(dn)) {
                    throw new IllegalArgumentException("the LDAP URL '" + url + "' names '" + dn
                            + "', which is not a DN (RFC 4514)");
                }
            } catch (IllegalArgumentException e) {
                throw syntax(attribute, "is not a CRL distribution point every client can follow: " + e.getMessage());
            }
        } else if (attribute.equals(lc(OCSP_URL)) || attribute.equals(lc(CA_ISSUERS_URL))) {
            try {
                CrlDistributionPoints.checkHttp(change.text(index));
            } catch (IllegalArgumentException e) {
                throw syntax(attribute, "is not an authority information access location: " + e.getMessage());
            }
        } else if (attribute.equals(lc(REQUIRED_APPROVALS))) {
            try {
                RequiredApprovals.parse(change.text(index), null);
            } catch (IllegalArgumentException e) {
                throw new LdapInvalidAttributeValueException(ResultCodeEnum.CONSTRAINT_VIOLATION, e.getMessage());
            }
        } else if (attribute.equals(lc(ASSIGNED_SERVER))) {
            String dn = change.text(index);
            if (!isKmsServer.test(dn)) {
                throw new LdapInvalidAttributeValueException(ResultCodeEnum.CONSTRAINT_VIOLATION,
                        ASSIGNED_SERVER + " '" + dn + "' does not name a kmsServer entry; add the server under "
                                + "ou=Servers,ou=KMS first");
            }
        }
    }

    /**
     * The {@code mail} values the entry will have after the write: those it has, changed by
     * the write's own changes of {@code mail} (a new entry has only the write's).
     */
    private static List<String> entryAddresses(WriteTarget target, List<AttributeChange> changes) {
        java.util.LinkedHashSet<String> addresses = new java.util.LinkedHashSet<>();
        for (String address : target.currentTexts(MAIL)) {
            addresses.add(address.toLowerCase(Locale.ROOT));
        }
        for (AttributeChange change : changes) {
            if (!change.attribute().equals(lc(MAIL))) {
                continue;
            }
            if (change.operation() == AttributeChange.Operation.REPLACE
                    || (change.operation() == AttributeChange.Operation.REMOVE && change.values().isEmpty())) {
                addresses.clear();
            }
            for (int i = 0; i < change.values().size(); i++) {
                String address = change.text(i).toLowerCase(Locale.ROOT);
                if (change.operation() == AttributeChange.Operation.REMOVE) {
                    addresses.remove(address);
                } else {
                    addresses.add(address);
                }
            }
        }
        return List.copyOf(addresses);
    }

    private static void checkEnrollmentTransition(Identity who, WriteTarget target, AttributeChange change)
            throws LdapException {
        if (who.isTrusted()) {
            return; // the KMS agent drives the state machine
        }
        String from = target.kind() == WriteTarget.Kind.ADD ? null : target.currentValue(ENROLLMENT_STATE);
        String to = change.removesOnly() || change.values().isEmpty() ? null : change.text(0);
        if (to == null) {
            if (EnrollmentState.IN_PROGRESS.ldapValue().equals(from)) {
                throw new LdapUnwillingToPerformException(ENROLLMENT_STATE
                        + " is in-progress: the KMS is enrolling this user; wait until it is enrolled or failed");
            }
            return;
        }
        if (to.equals(from)) {
            return;
        }
        EnrollmentState next = parse(EnrollmentState.class, ENROLLMENT_STATE, to);
        switch (next) {
            case REQUESTED -> {
                if (EnrollmentState.IN_PROGRESS.ldapValue().equals(from)) {
                    throw new LdapUnwillingToPerformException(ENROLLMENT_STATE
                            + " is in-progress: the KMS is already enrolling this user; request again only after"
                            + " it is enrolled or failed");
                }
                if (EnrollmentState.REVOKE_REQUESTED.ldapValue().equals(from)) {
                    throw new LdapUnwillingToPerformException(ENROLLMENT_STATE
                            + " is revoke-requested: wait until the revocation is done before requesting enrollment");
                }
            }
            case REVOKE_REQUESTED -> {
                if (!EnrollmentState.ENROLLED.ldapValue().equals(from)) {
                    throw new LdapUnwillingToPerformException(ENROLLMENT_STATE + " may become revoke-requested only"
                            + " from enrolled, but it is " + (from == null ? "not set" : from));
                }
            }
            default -> throw new LdapNoPermissionException("only a KMS agent may set " + ENROLLMENT_STATE + " '"
                    + to + "'; administrators set requested or revoke-requested");
        }
    }

    private static void requirePending(AttributeChange change, String attribute, String pending)
            throws LdapException {
        for (int i = 0; i < change.values().size(); i++) {
            if (!pending.equals(change.text(i))) {
                throw new LdapNoPermissionException("a new request starts with " + attribute + " '" + pending
                        + "'; only a KMS agent sets '" + change.text(i) + "'");
            }
        }
    }

    private static ASN1Primitive requireDer(String attribute, byte[] value, String what) throws LdapException {
        if (value.length == 0) {
            throw syntax(attribute, "is empty; it must be " + what + " in DER");
        }
        try {
            // fromByteArray refuses trailing bytes after the first object, so "exactly one DER object"
            ASN1Primitive primitive = ASN1Primitive.fromByteArray(value);
            if (!(primitive instanceof ASN1Sequence)) {
                throw syntax(attribute, "is not " + what + " in DER: it does not start with a SEQUENCE");
            }
            return primitive;
        } catch (IOException | IllegalArgumentException | IllegalStateException e) {
            throw syntax(attribute, "is not " + what + " in DER (binary; send it with ';binary' or as base64 "
                    + "in LDIF, not PEM text): " + reason(e));
        }
    }

    private static void requireCertificate(String attribute, byte[] value) throws LdapException {
        try {
            CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(value));
        } catch (GeneralSecurityException | RuntimeException e) {
            throw syntax(attribute, "is not an X.509 certificate (RFC 5280 section 4.1): " + reason(e));
        }
    }

    /** RFC 4523 section 2.3: CertificatePair ::= SEQUENCE { forward [0] Certificate OPTIONAL, reverse [1] ... }. */
    private static void requireCertificatePair(String attribute, ASN1Primitive pair) throws LdapException {
        ASN1Sequence sequence = (ASN1Sequence) pair;
        if (sequence.size() < 1 || sequence.size() > 2) {
            throw syntax(attribute, "is not a CertificatePair (RFC 4523 section 2.3): it must hold a forward [0] "
                    + "and/or a reverse [1] certificate");
        }
        int lastTag = -1;
        for (ASN1Encodable element : sequence) {
            if (!(element instanceof ASN1TaggedObject tagged) || tagged.getTagClass() != BERTags.CONTEXT_SPECIFIC
                    || tagged.getTagNo() > 1 || tagged.getTagNo() <= lastTag) {
                throw syntax(attribute, "is not a CertificatePair (RFC 4523 section 2.3): elements must be "
                        + "[0] forward and [1] reverse certificates, in that order");
            }
            lastTag = tagged.getTagNo();
            try {
                Certificate certificate = Certificate.getInstance(tagged.getExplicitBaseObject());
                requireCertificate(attribute, certificate.getEncoded());
            } catch (IllegalArgumentException | IllegalStateException | IOException e) {
                throw syntax(attribute, "holds a " + (lastTag == 0 ? "forward" : "reverse")
                        + " element that is not an X.509 certificate: " + reason(e));
            }
        }
    }

    /** RFC 5652 section 3: ContentInfo ::= SEQUENCE { contentType, [0] EXPLICIT content }; section 6.1: EnvelopedData. */
    private static void requireEnvelopedData(String attribute, ASN1Primitive value) throws LdapException {
        ContentInfo contentInfo;
        try {
            contentInfo = ContentInfo.getInstance(value);
        } catch (RuntimeException e) {
            throw syntax(attribute, "is not a CMS ContentInfo (RFC 5652 section 3): " + reason(e));
        }
        if (contentInfo.getContent() == null
                || !CMSObjectIdentifiers.envelopedData.equals(contentInfo.getContentType())) {
            throw syntax(attribute, "is a CMS ContentInfo of " + contentInfo.getContentType().getId() + ", not of"
                    + " EnvelopedData (" + CMSObjectIdentifiers.envelopedData.getId() + ", RFC 5652 section 6.1): seal"
                    + " the share to the request key (openssl cms -encrypt -outform DER)");
        }
        try {
            EnvelopedData.getInstance(contentInfo.getContent());
        } catch (RuntimeException e) {
            throw syntax(attribute, "holds no EnvelopedData (RFC 5652 section 6.1): " + reason(e));
        }
    }

    private static void requireSignedPkcs10(String attribute, byte[] value) throws LdapException {
        PKCS10CertificationRequest request;
        try {
            request = new PKCS10CertificationRequest(value);
        } catch (IOException | RuntimeException e) {
            throw syntax(attribute, "is not a PKCS#10 certification request (RFC 2986): " + reason(e));
        }
        boolean valid;
        try {
            valid = request.isSignatureValid(new JcaContentVerifierProviderBuilder().setProvider(BOUNCY_CASTLE)
                    .build(request.getSubjectPublicKeyInfo()));
        } catch (OperatorCreationException | PKCSException | RuntimeException e) {
            throw syntax(attribute, "is a PKCS#10 request whose signature cannot be checked: " + reason(e));
        }
        if (!valid) {
            throw syntax(attribute, "is a PKCS#10 request whose signature does not verify with its own public key "
                    + "(RFC 2986 section 4.2); it was altered or signed with another key");
        }
    }

    private static LdapInvalidAttributeValueException syntax(String attribute, String what) {
        return new LdapInvalidAttributeValueException(ResultCodeEnum.INVALID_ATTRIBUTE_SYNTAX,
                AccessPolicy.display(attribute) + " " + what);
    }

    /** A Java class name in a parser's message, e.g. {@code java.io.IOException: }. */
    private static final Pattern JAVA_CLASS_NAME = Pattern.compile(
            "(?:[a-z][a-z0-9_]*\\.)+[A-Z][A-Za-z0-9_$]*(?::\\s*)?");

    /**
     * The parser's reason, fit for the client: the JDK's and Bouncy Castle's messages name Java
     * exception classes ("Could not parse certificate: java.io.IOException: Too short") and some
     * exceptions carry none (an EOFException), while the client is told what is wrong with the
     * value, not how the server found out.
     */
    private static String reason(Throwable e) {
        String message = e.getMessage() == null ? "" : JAVA_CLASS_NAME.matcher(e.getMessage()).replaceAll("").strip();
        if (message.isEmpty() || message.contains("Exception") || message.contains("\tat ")) {
            return e instanceof EOFException ? "the encoding ends before its stated length"
                    : "the encoding is malformed";
        }
        return message;
    }

    @SuppressWarnings({ "unchecked", "rawtypes" })
    private static LdapEnumeration parseAny(Class<? extends LdapEnumeration> type, String attribute, String value) {
        return (LdapEnumeration) LdapEnumeration.parse((Class) type, attribute, value);
    }

    private static <E extends Enum<E> & LdapEnumeration> E parse(Class<E> type, String attribute, String value) {
        return LdapEnumeration.parse(type, attribute, value);
    }

    private static String lc(String name) {
        return name.toLowerCase(Locale.ROOT);
    }

    private static Set<String> lower(String... names) {
        java.util.Set<String> set = new java.util.HashSet<>();
        for (String name : names) {
            set.add(lc(name));
        }
        return Set.copyOf(set);
    }
}
