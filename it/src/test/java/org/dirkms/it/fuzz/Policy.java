package org.dirkms.it.fuzz;

import static org.dirkms.it.fuzz.FuzzFixture.lc;
import static org.dirkms.schema.AttributeNames.*;

import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import org.apache.directory.api.ldap.model.exception.LdapInvalidDnException;
import org.apache.directory.api.ldap.model.name.Ava;
import org.apache.directory.api.ldap.model.name.Dn;
import org.apache.directory.api.ldap.model.name.Rdn;
import org.dirkms.ds.guard.AccessPolicy;
import org.dirkms.schema.KmsSchema;
import org.dirkms.schema.ObjectClassNames;

/**
 * What the fuzz suite expects of the access rules (docs/security.md, the access model, as
 * {@link AccessPolicy} applies it), written out again here so that the server is judged
 * against the rules rather than against itself. It decides where a write must never succeed;
 * where the rules let a write through, success and a refusal (insufficientAccessRights,
 * unwillingToPerform) both pass, since a value-dependent rule the generator does not model (an
 * enrollment state transition, a CRL number, a certificate naming the entry's addresses) may
 * still refuse it.
 */
final class Policy {

    /** Refusals any write may get from the access rules. */
    static final Set<Integer> REFUSALS = Set.of(50, 53);

    /** The zones of the tree, each with its writers (docs/security.md). */
    enum Zone {
        AUDIT, KMS_SCHEMA, KEY_ARCHIVE, KMS, RECOVERY_REQUESTS, TRUST, ADMINISTRATIVE_GROUPS, ROLE_GROUPS,
        PEOPLE_AND_OTHERS
    }

    private static final Set<String> KMS_REQUESTS = Set.of(lc(ENROLLMENT_STATE), lc(ADMINISTRATIVE_GROUP),
            lc(REVOCATION_REASON));
    private static final Set<String> CLIENT_MADE = Set.of(lc(SIGNING_REQUEST), lc(DELIVERY_KEY));
    private static final Set<String> CERTIFICATES = Set.of(lc(USER_CERTIFICATE), lc(USER_SMIME_CERTIFICATE));
    private static final Set<String> ARCHIVE_REWRITABLE = Set.of(lc(WRAPPING_ALGORITHM), lc(WRAPPING_KEY_ID),
            lc(ARCHIVE_STATE), lc(USER_CERTIFICATE));
    /** Attribute types the fixture's DNs use, by OID, for comparing names the generator spelled oddly. */
    private static final Map<String, String> TYPE_NAMES = Map.of("2.5.4.3", "cn", "commonname", "cn", "2.5.4.11", "ou",
            "organizationalunitname", "ou", "0.9.2342.19200300.100.1.25", "dc", "domaincomponent", "dc",
            "0.9.2342.19200300.100.1.1", "uid", "userid", "uid");

    private Policy() {
    }

    /**
     * The zone of {@code dn}, or null when it is no DN the server could take (then no write to it
     * succeeds: invalidDNSyntax or noSuchObject).
     */
    static Zone zone(FuzzFixture fixture, String dn) {
        String name = normal(dn);
        if (name == null) {
            return null;
        }
        if (within(name, fixture.layout.audit())) {
            return Zone.AUDIT;
        }
        if (within(name, "cn=" + KmsSchema.SCHEMA_NAME + ",ou=schema")) {
            return Zone.KMS_SCHEMA;
        }
        if (within(name, fixture.layout.recoveryRequests())) {
            return Zone.RECOVERY_REQUESTS;
        }
        if (within(name, fixture.layout.trust())) {
            return Zone.TRUST;
        }
        if (within(name, fixture.layout.keyArchive()) && !name.equals(normal(fixture.layout.keyArchive()))) {
            return Zone.KEY_ARCHIVE;
        }
        if (within(name, fixture.layout.kms())) {
            return Zone.KMS;
        }
        if (within(name, fixture.layout.administrativeGroups())) {
            return Zone.ADMINISTRATIVE_GROUPS;
        }
        if (List.of(fixture.layout.kmsAdministratorsGroup(), fixture.layout.recoveryAgentsGroup(),
                fixture.layout.kmsAgentsGroup()).stream().anyMatch(group -> name.equals(normal(group)))) {
            return Zone.ROLE_GROUPS;
        }
        return Zone.PEOPLE_AND_OTHERS;
    }

    /** Whether a modify of {@code attribute} (lower-case) on {@code entry} by {@code who} may succeed. */
    static boolean mayWrite(Who who, FuzzFixture fixture, String entry, String attribute) {
        return mayWrite(who, fixture, entry, attribute, LdapRequests.REPLACE, 1);
    }

    /**
     * Whether a modify of {@code attribute} (lower-case) on {@code entry} by {@code who} may
     * succeed.
     *
     * @param operation  {@link LdapRequests#ADD}, {@link LdapRequests#DELETE},
     *                   {@link LdapRequests#REPLACE} or {@link LdapRequests#INCREMENT} (which the
     *                   rules judge as a replace)
     * @param values     how many values the change carries
     */
    static boolean mayWrite(Who who, FuzzFixture fixture, String entry, String attribute, int operation, int values) {
        Zone zone = zone(fixture, entry);
        if (zone == null || zone == Zone.AUDIT || zone == Zone.KMS_SCHEMA || who == Who.ANONYMOUS) {
            return false;
        }
        boolean removesOnly = operation == LdapRequests.DELETE || operation == LdapRequests.REPLACE && values == 0;
        if (who == Who.AGENT) {
            if (zone != Zone.KEY_ARCHIVE) {
                return true;
            }
            // The key archive is append-only: a record is only re-wrapped, marked abandoned or
            // given its certificate, and never loses its wrapped key.
            return ARCHIVE_REWRITABLE.contains(attribute) && !removesOnly
                    || attribute.equals(lc(WRAPPED_KEY)) && operation == LdapRequests.REPLACE && values == 1;
        }
        boolean secret = AccessPolicy.isSecret(attribute);
        boolean agentOnly = AccessPolicy.AGENT_ONLY.contains(attribute);
        return switch (zone) {
            case KMS, KEY_ARCHIVE, ROLE_GROUPS -> false;
            // a custody session is the KMS's (the recovery agents' approvals and shares aside)
            case RECOVERY_REQUESTS -> who == Who.KMS_ADMIN && !same(entry, fixture.custodySession)
                    && (attribute.equals(lc(DESCRIPTION))
                    // the requester deletes the recovered package to confirm the fetch
                    || attribute.equals(lc(RECOVERY_PACKAGE)) && removesOnly && isRequester(who, fixture, entry));
            case TRUST -> who == Who.KMS_ADMIN && !secret && !agentOnly && !attribute.equals(lc(CROSS_CERTIFICATE_PAIR));
            case ADMINISTRATIVE_GROUPS -> who == Who.KMS_ADMIN && !secret && !agentOnly;
            default -> mayWritePerson(who, fixture, entry, attribute, removesOnly);
        };
    }

    private static boolean mayWritePerson(Who who, FuzzFixture fixture, String entry, String attribute,
            boolean removesOnly) {
        if (isPublishedCertificate(fixture, entry)) {
            return false;
        }
        boolean self = who == Who.USER && same(entry, fixture.fuzzer);
        boolean directoryAdministrator = who == Who.ADMIN;
        if (AccessPolicy.isSecret(attribute)) {
            return attribute.equals(lc(KEY_PACKAGE)) && self && removesOnly;
        }
        if (attribute.equals(lc(USER_PASSWORD))) {
            return self || directoryAdministrator && !isRoleHolder(fixture, entry);
        }
        if (attribute.equals(lc(OBJECT_CLASS))) {
            // kmsUser alone is a KMS administrator's; any other class the directory administrator's
            return who == Who.KMS_ADMIN || directoryAdministrator;
        }
        if (KMS_REQUESTS.contains(attribute)) {
            return who == Who.KMS_ADMIN;
        }
        if (CLIENT_MADE.contains(attribute)) {
            return self;
        }
        if (AccessPolicy.isKmsAttribute(attribute) || AccessPolicy.AGENT_ONLY.contains(attribute)) {
            return false;
        }
        if (CERTIFICATES.contains(attribute)) {
            return !isKmsUser(fixture, entry) && (self || directoryAdministrator);
        }
        if (attribute.equals(lc(MAIL))) {
            return directoryAdministrator;
        }
        return self || directoryAdministrator;
    }

    /**
     * Whether {@code who} may add an entry {@code dn} of {@code objectClasses} holding
     * {@code attributes} (lower-case names), or delete one there ({@code objectClasses} and
     * {@code attributes} then empty).
     */
    static boolean mayAdd(Who who, FuzzFixture fixture, String dn, List<String> objectClasses, List<String> attributes) {
        Zone zone = zone(fixture, dn);
        if (zone == null || zone == Zone.AUDIT || zone == Zone.KMS_SCHEMA || who == Who.ANONYMOUS || who == Who.USER) {
            return false;
        }
        if (who == Who.AGENT) {
            return true;
        }
        boolean kmsClass = objectClasses.stream()
                .anyMatch(c -> KmsSchema.objectClasses().stream().anyMatch(k -> k.name().equalsIgnoreCase(c)));
        return switch (zone) {
            case RECOVERY_REQUESTS -> who == Who.KMS_ADMIN
                    && objectClasses.stream().noneMatch(c -> c.equalsIgnoreCase(ObjectClassNames.CUSTODY_SESSION))
                    && attributes.stream().allMatch(a -> Set.of("objectclass", "cn", lc(DESCRIPTION), lc(RECOVERY_TARGET),
                            lc(RECOVERY_STATE), lc(RECOVERY_CERTIFICATE)).contains(a));
            case TRUST, ADMINISTRATIVE_GROUPS -> who == Who.KMS_ADMIN && attributes.stream()
                    .noneMatch(a -> AccessPolicy.isSecret(a) || AccessPolicy.AGENT_ONLY.contains(a)
                            || zone == Zone.TRUST && a.equals(lc(CROSS_CERTIFICATE_PAIR)));
            case PEOPLE_AND_OTHERS -> who == Who.ADMIN && !kmsClass && !isRoleHolder(fixture, dn)
                    && attributes.stream().noneMatch(AccessPolicy::isKmsAttribute);
            default -> false;
        };
    }

    /** Whether {@code who} may delete an entry, rename or move it (within one zone) at all. */
    static boolean mayAddOrDelete(Who who, FuzzFixture fixture, String dn) {
        // The fixture's partner holds a cross-certificate: only the KMS deletes such an entry.
        boolean holdsCrossCertificate = zone(fixture, dn) == Zone.TRUST && same(dn, fixture.partner);
        return mayAdd(who, fixture, dn, List.of(), List.of()) && zone(fixture, dn) != Zone.KEY_ARCHIVE
                && (who == Who.AGENT || !holdsCrossCertificate && !same(dn, fixture.custodySession));
    }

    private static boolean isRequester(Who who, FuzzFixture fixture, String entry) {
        // The fixture's recovery requests: the scratch one was asked for by the fuzzing KMS
        // administrator, the planted one by another.
        return who == Who.KMS_ADMIN && same(entry, fixture.recovery);
    }

    private static boolean isPublishedCertificate(FuzzFixture fixture, String entry) {
        return same(entry, fixture.published);
    }

    private static boolean isKmsUser(FuzzFixture fixture, String entry) {
        return same(entry, fixture.fuzzer) || same(entry, fixture.target) || same(entry, fixture.scratchUser);
    }

    private static boolean isRoleHolder(FuzzFixture fixture, String entry) {
        String name = normal(entry);
        return name != null && name.endsWith(",ou=staff," + normal(fixture.suffix));
    }

    private static boolean same(String a, String b) {
        String name = normal(a);
        return name != null && name.equals(normal(b));
    }

    private static boolean within(String name, String ancestor) {
        String top = normal(ancestor);
        return name.equals(top) || name.endsWith("," + top);
    }

    /**
     * {@code dn} as the server compares names of the fixture (RFC 4517 section 4.2.15,
     * distinguishedNameMatch with caseIgnoreMatch values): types by name, values without case
     * and surplus spaces; null when the LDAP API cannot parse it.
     */
    static String normal(String dn) {
        try {
            StringBuilder name = new StringBuilder();
            for (Rdn rdn : new Dn(dn).getRdns()) { // left to right, as written (the iterator goes right to left)
                if (!name.isEmpty()) {
                    name.append(',');
                }
                List<String> avas = new java.util.ArrayList<>();
                for (Ava ava : rdn) {
                    String type = ava.getType().trim().toLowerCase(Locale.ROOT);
                    if (type.startsWith("oid.")) {
                        type = type.substring(4);
                    }
                    type = TYPE_NAMES.getOrDefault(type, type);
                    String value = ava.getValue() == null ? "" : String.valueOf(ava.getValue().getString());
                    avas.add(type + "=" + value.trim().replaceAll("\\s+", " ").toLowerCase(Locale.ROOT));
                }
                java.util.Collections.sort(avas);
                name.append(String.join("+", avas));
            }
            return name.toString();
        } catch (LdapInvalidDnException | RuntimeException e) {
            return null;
        }
    }

    /** The most octets of a text value or a DN the directory takes (ValueLimits). */
    static final int MAX_TEXT_OCTETS = 32 * 1024;
    /** The most octets of a binary value anyone but the KMS writes (ValueLimits). */
    static final int MAX_BINARY_OCTETS = 1024 * 1024;
    private static final Set<String> BINARY_STANDARD = Set.of("usercertificate", "usersmimecertificate", "cacertificate",
            "certificaterevocationlist", "authorityrevocationlist", "deltarevocationlist", "crosscertificatepair",
            "userpassword");

    /**
     * Whether a value of {@code values} is larger than the directory stores, which is
     * constraintViolation (19, RFC 4511 section 4.1.9) for anyone (docs/security.md): a text
     * value over 32 KiB (AM27 keeps text values with writeUTF), a binary one over 1 MiB when
     * not written by the KMS.
     */
    static boolean tooLarge(Who who, String attribute, List<byte[]> values) {
        boolean binary = KmsSchema.attributeType(attribute).map(t -> t.syntax() == org.dirkms.schema.Syntax.OCTET_STRING)
                .orElse(BINARY_STANDARD.contains(attribute));
        long limit = binary ? (who == Who.AGENT ? Long.MAX_VALUE : MAX_BINARY_OCTETS) : MAX_TEXT_OCTETS;
        return values.stream().anyMatch(value -> value.length > limit);
    }

    /**
     * The result codes of a write of a value of {@code validity}.
     *
     * @param accepted       whether the access rules may let it through ({@link #mayWrite})
     * @param add            whether it adds a value (a single-valued attribute that has one, or a
     *                       value present already, is then refused with 19 or 20)
     * @param validMayBreak  whether a valid value may still break a constraint (19):
     *                       {@code kmsAssignedServer} naming no server, {@code kmsRequiredApprovals}
     *                       out of its range
     * @param enumerated     whether the attribute is an enumeration (an invalid value is 19)
     * @param dnSyntax       whether the value is a DN (21 or 34 for a malformed one; 21 also for a
     *                       well-formed one naming unknown attribute types)
     */
    static Set<Integer> write(Validity validity, boolean accepted, boolean add, boolean validMayBreak,
            boolean enumerated, boolean dnSyntax) {
        Set<Integer> codes = new HashSet<>(REFUSALS);
        codes.add(32); // the entry is gone (a sandbox entry another case renamed)
        codes.add(65); // the entry's object classes do not allow the attribute
        if (add) {
            codes.add(19);
            codes.add(20);
        }
        switch (validity) {
            case VALID -> {
                codes.add(0);
                if (validMayBreak) {
                    codes.add(19);
                }
                if (dnSyntax) {
                    codes.add(21);
                }
            }
            case INVALID -> {
                codes.add(21);
                if (enumerated) {
                    codes.add(19);
                }
                if (dnSyntax) {
                    codes.add(34);
                }
            }
            case UNKNOWN -> {
                codes.add(0);
                codes.add(19);
                codes.add(21);
                if (dnSyntax) {
                    codes.add(34);
                }
            }
        }
        if (!accepted) {
            codes.remove(0);
        }
        return Set.copyOf(codes);
    }

    /** As {@link #write(Validity, boolean, boolean, boolean, boolean, boolean)} for a DER value. */
    static Set<Integer> write(Validity validity, boolean accepted, boolean add) {
        return write(validity, accepted, add, false, false, false);
    }
}
