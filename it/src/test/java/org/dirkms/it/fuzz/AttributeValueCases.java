package org.dirkms.it.fuzz;

import static org.dirkms.it.fuzz.FuzzFixture.lc;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.Predicate;

import org.dirkms.ds.guard.AccessPolicy;
import org.dirkms.schema.AttributeNames;
import org.dirkms.schema.AttributeTypeDefinition;
import org.dirkms.schema.KmsSchema;
import org.dirkms.schema.Syntax;

/**
 * Cases of every KMS attribute by its syntax and enumeration ({@link TextValues}), written on
 * the scratch entry whose object class holds it (the fuzz user writes its own entry), as a
 * replace, an add of one or several values, a delete of a value, or an increment (RFC 4525);
 * one in eight under a misspelled or optioned attribute description. The DN-valued attributes
 * ({@code kmsAssignedServer}, {@code kmsRecoveryTarget}, {@code member}, ...) are their own
 * target, with {@link DnStrings} values; the DER-valued ones are {@link DerValueCases}'.
 *
 * <p>Expected: a value outside its enumeration is constraintViolation (19) or
 * invalidAttributeSyntax (21), one outside its syntax is 21, never stored; a valid one is
 * stored or refused by the access rules; a misspelled attribute is undefinedAttributeType (17).
 */
final class AttributeValueCases implements ServerFuzzRunner.CaseFactory {

    private final FuzzFixture fixture;
    private final List<AttributeTypeDefinition> types;

    private AttributeValueCases(FuzzFixture fixture, Predicate<AttributeTypeDefinition> which,
            List<AttributeTypeDefinition> more) {
        this.fixture = fixture;
        List<AttributeTypeDefinition> all = new ArrayList<>(KmsSchema.attributeTypes().stream().filter(which).toList());
        all.addAll(more);
        this.types = List.copyOf(all);
    }

    /** Every KMS attribute that is neither a DN nor DER (those have their own targets). */
    static AttributeValueCases kmsAttributes(FuzzFixture fixture) {
        Set<String> der = Set.of(lc(AttributeNames.SIGNING_REQUEST), lc(AttributeNames.PKCS10_REQUEST),
                lc(AttributeNames.DELIVERY_KEY), lc(AttributeNames.TRANSPORT_CERTIFICATE),
                lc(AttributeNames.SUPERSEDED_CERTIFICATE), lc(AttributeNames.RECOVERY_CERTIFICATE),
                lc(AttributeNames.REQUEST_KEY), lc(AttributeNames.RECOVERY_SHARE));
        return new AttributeValueCases(fixture, type -> type.syntax() != Syntax.DN && !der.contains(lc(type.name())),
                List.of());
    }

    /** Every DN-valued KMS attribute, and {@code member} of a group. */
    static AttributeValueCases dnValues(FuzzFixture fixture) {
        AttributeTypeDefinition member = new AttributeTypeDefinition("2.5.4.31", AttributeNames.MEMBER, "member",
                Syntax.DN, false, false, null);
        return new AttributeValueCases(fixture, type -> type.syntax() == Syntax.DN, List.of(member, member));
    }

    private AttributeTypeDefinition type(SplittableRandom random) {
        return types.get(random.nextInt(types.size()));
    }

    /**
     * What the directory makes of {@code kmsCrlDistributionPoint} values whose syntax (IA5String)
     * {@code syntactic} judged: a value that is not an ldap://, ldaps:// or http:// URL is no
     * distribution point a client can follow (21); one that is may still lack the host, the DN or
     * the base scope the directory asks of an LDAP one, which this oracle does not parse.
     */
    private static Validity distributionPoints(List<TextValues.Value> values, Validity syntactic) {
        if (syntactic == Validity.INVALID) {
            return syntactic;
        }
        for (TextValues.Value value : values) {
            String text = new String(value.octets(), java.nio.charset.StandardCharsets.ISO_8859_1)
                    .toLowerCase(java.util.Locale.ROOT);
            if (!(text.startsWith("ldap://") || text.startsWith("ldaps://") || text.startsWith("http://"))) {
                return Validity.INVALID;
            }
        }
        return Validity.UNKNOWN;
    }

    /**
     * What the directory makes of {@code kmsOcspUrl} and {@code kmsCaIssuersUrl} values whose
     * syntax (IA5String) {@code syntactic} judged: a value that is not an http:// URL is no
     * authority information access location (21); one that is may still lack the host, which this
     * oracle does not parse.
     */
    private static Validity httpLocations(List<TextValues.Value> values, Validity syntactic) {
        if (syntactic == Validity.INVALID) {
            return syntactic;
        }
        for (TextValues.Value value : values) {
            String text = new String(value.octets(), java.nio.charset.StandardCharsets.ISO_8859_1)
                    .toLowerCase(java.util.Locale.ROOT);
            if (!text.startsWith("http://")) {
                return Validity.INVALID;
            }
        }
        return Validity.UNKNOWN;
    }

    @Override
    public ServerCase make(int index, SplittableRandom random) {
        AttributeTypeDefinition type = type(random);
        String lower = lc(type.name());
        Who who = Draw.identity(random);
        String entry = who == Who.USER && fixture.scratchFor(lower).equals(fixture.scratchUser) ? fixture.fuzzer
                : fixture.scratchFor(lower);
        int count = !type.singleValued() && random.nextInt(4) == 0 ? 2 + random.nextInt(2) : 1;
        List<TextValues.Value> values = TextValues.several(type, random, count);
        Validity validity = worst(values);
        if (lower.equals(lc(AttributeNames.CRL_DISTRIBUTION_POINT))) {
            validity = distributionPoints(values, validity);
        } else if (lower.equals(lc(AttributeNames.OCSP_URL)) || lower.equals(lc(AttributeNames.CA_ISSUERS_URL))) {
            validity = httpLocations(values, validity);
        }
        int shape = random.nextInt(40);
        int operation = shape < 26 ? LdapRequests.REPLACE : shape < 33 ? LdapRequests.ADD
                : shape < 38 ? LdapRequests.DELETE : LdapRequests.INCREMENT;
        String description = type.name();
        boolean misspelled = false;
        switch (random.nextInt(24)) {
            case 0 -> description = type.name().toUpperCase();
            case 1 -> description = type.oid();
            case 2 -> description = type.name() + ";binary";
            case 3 -> description = type.name() + ";lang-de";
            case 4 -> {
                description = type.name() + "s";
                misspelled = true;
            }
            case 5 -> {
                description = type.name().substring(0, type.name().length() - 1);
                misspelled = true;
            }
            default -> {
                // the name as the schema spells it
            }
        }
        List<byte[]> octets = new ArrayList<>();
        List<String> shown = new ArrayList<>();
        for (TextValues.Value value : values) {
            octets.add(value.octets());
            shown.add(type.secret() ? value.octets().length + " octets" : value.description());
        }
        byte[] request = LdapRequests.modify(TextValues.utf8(entry),
                List.of(new LdapRequests.Change(operation, TextValues.utf8(description), octets)));
        boolean accepted = Policy.mayWrite(who, fixture, entry, lower, operation, count);
        Set<Integer> allowed = new HashSet<>();
        switch (operation) {
            case LdapRequests.DELETE -> {
                // Removing a value that is not there is noSuchAttribute; the validator judges
                // the values of a delete too.
                allowed.addAll(Policy.write(Validity.UNKNOWN, accepted, false, true, true, type.syntax() == Syntax.DN));
                allowed.addAll(Set.of(16, 18));
            }
            case LdapRequests.INCREMENT -> {
                allowed.addAll(Policy.write(Validity.UNKNOWN, accepted, false, true, true, type.syntax() == Syntax.DN));
                allowed.addAll(Set.of(16, 18, 2, 53));
            }
            default -> allowed.addAll(Policy.write(validity, accepted, operation == LdapRequests.ADD || count > 1,
                    lower.equals(lc(AttributeNames.ASSIGNED_SERVER)) || lower.equals(lc(AttributeNames.REQUIRED_APPROVALS)),
                    type.enumeration() != null,
                    type.syntax() == Syntax.DN));
        }
        if (description.contains(";")) {
            allowed.add(17);
        }
        if (Policy.tooLarge(who, lower, octets)) {
            allowed.add(19);
        }
        if (misspelled) {
            // ApacheDS answers noSuchAttribute (16) to a modify of an attribute type it does
            // not know, where RFC 4511 has undefinedAttributeType (17): both say what is wrong.
            allowed.remove(0);
            allowed.addAll(Set.of(16, 17, 21));
        }
        String what = new String[] {"add", "delete", "replace", "increment"}[operation] + " " + description + " "
                + String.join(" | ", shown) + " (" + validity.name().toLowerCase() + ") on " + entry;
        ServerCase fuzzCase = ServerCase.of(who, what, request, Set.copyOf(allowed));
        if (operation == LdapRequests.INCREMENT) {
            // AM27's decoder does not know RFC 4525's increment: protocolError and a Notice of
            // Disconnection (RFC 4511 section 4.1.1), a protocol-level answer.
            fuzzCase = fuzzCase.closing();
        }
        return AccessPolicy.isSecret(lower) ? fuzzCase.withSecrets(octets) : fuzzCase;
    }

    private static Validity worst(List<TextValues.Value> values) {
        Validity worst = Validity.VALID;
        for (TextValues.Value value : values) {
            if (value.validity() == Validity.INVALID) {
                return Validity.INVALID;
            }
            if (value.validity() == Validity.UNKNOWN) {
                worst = Validity.UNKNOWN;
            }
        }
        return worst;
    }
}
