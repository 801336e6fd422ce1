package org.dirkms.it.fuzz;

import static org.dirkms.it.fuzz.FuzzFixture.lc;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

import org.dirkms.schema.AttributeTypeDefinition;
import org.dirkms.schema.KmsSchema;

/**
 * Cases of searches and compares: filters of every RFC 4511 choice (equality, substrings with
 * any components, ordering, presence, approximate, extensible matches with and without a type,
 * known and unknown matching rules, {@code :dn}), nested by AND, OR and NOT from flat to tens of
 * thousands of levels deep and thousands wide, with hundred-kilobyte values, over attribute
 * descriptions that are public, non-public, secret (by name, case, OID and option), operational,
 * unknown or malformed; sort and paged-results controls; bases and scopes of every kind; and
 * compares of the same attributes with the planted secrets as assertions.
 *
 * <p>Expected: anyone but the agent testing a secret (filter, sort key or compare), and an
 * anonymous client testing a non-public attribute, is refused with insufficientAccessRights
 * (50) — never answered, not even "no entry" or compareFalse, which would tell a bit of the
 * secret; an extensible match without a type never finds an entry by a planted secret; other
 * searches succeed, reach a limit (3, 4), or get the precise refusal of a bad base (32, 34),
 * filter (2, 18) or control (12, 53).
 */
final class FilterCases implements ServerFuzzRunner.CaseFactory {

    /** What the access rules make of an attribute description in a filter. */
    enum Kind {
        /** Anyone may test it. */
        PUBLIC,
        /** Bound identities may test it; anonymous clients may not. */
        NON_PUBLIC,
        /** Only the agent may test it. */
        SECRET,
        /** Nobody may test it: {@code userPassword} is checked by binding, never by a filter. */
        PASSWORD,
        /** Well-formed, but the server does not know it. */
        UNKNOWN,
        /** Not an attribute description at all (RFC 4512 section 2.5): the decoder may end the connection. */
        MALFORMED
    }

    private record Description(String text, Kind kind) {
    }

    private static final List<String> RULES = List.of("caseExactMatch", "caseIgnoreMatch", "2.5.13.5",
            "octetStringMatch", "distinguishedNameMatch", "integerMatch", "generalizedTimeMatch", "1.2.3.4.5",
            "fooMatch", "", "caseIgnoreSubstringsMatch", "2.5.13.0", "x".repeat(3000));

    private final FuzzFixture fixture;
    private final List<Description> descriptions;
    private final boolean compares;

    private FilterCases(FuzzFixture fixture, boolean compares) {
        this.fixture = fixture;
        this.compares = compares;
        this.descriptions = descriptions();
    }

    /** Searches. */
    static FilterCases searches(FuzzFixture fixture) {
        return new FilterCases(fixture, false);
    }

    /** Compares. */
    static FilterCases compares(FuzzFixture fixture) {
        return new FilterCases(fixture, true);
    }

    private static List<Description> descriptions() {
        List<Description> all = new ArrayList<>();
        for (String name : List.of("cn", "mail", "objectClass", "uid", "userCertificate;binary", "description", "sn",
                "CN", "2.5.4.3", "entryUUID", "kmsCertificatePurpose")) {
            all.add(new Description(name, Kind.PUBLIC));
        }
        for (String name : List.of("kmsEnrollmentState", "kmsAssignedServer", "kmsPriority", "kmsRequestState",
                "kmsKeyPackageExpires", "kmsRecoveryRequester", "member", "createTimestamp", "modifiersName",
                "KMSENROLLMENTSTATE")) {
            all.add(new Description(name, Kind.NON_PUBLIC));
        }
        for (String name : List.of("userPassword", "USERPASSWORD", "2.5.4.35")) {
            all.add(new Description(name, Kind.PASSWORD));
        }
        for (AttributeTypeDefinition type : KmsSchema.attributeTypes()) {
            if (type.secret()) {
                all.add(new Description(type.name(), Kind.SECRET));
                all.add(new Description(type.name().toUpperCase(), Kind.SECRET));
                all.add(new Description(type.oid(), Kind.SECRET));
                all.add(new Description(type.name() + ";binary", Kind.SECRET));
            }
        }
        for (String name : List.of("fooBar", "1.2.3.4", "x".repeat(5000), "kms-key-package")) {
            all.add(new Description(name, Kind.UNKNOWN));
        }
        for (String name : List.of("", " cn", "cn;", "2.5.4.03", "caf\u00e9", "\u63cf\u8ff0", "kmsKeyPackage ", "*", "1.1",
                "+", "cn\u0000")) {
            all.add(new Description(name, Kind.MALFORMED));
        }
        return List.copyOf(all);
    }

    @Override
    public ServerCase make(int index, SplittableRandom random) {
        return compares ? compare(index, random) : search(index, random);
    }

    // ---------------------------------------------------------------- searches

    /** What a generated filter tests, for the expectations. */
    private static final class Tested {
        final Set<Kind> kinds = new HashSet<>();
        /** Malformed, or too deep to decode: the server may end the connection. */
        boolean malformed;
        boolean secretValue;
        String secretOracle;
    }

    private ServerCase search(int index, SplittableRandom random) {
        Who who = Draw.identity(random);
        Tested tested = new Tested();
        FilterTerm filter = random.nextInt(25) == 0 ? oracle(random, tested) : filter(random, tested, 0);
        byte[] base = TextValues.utf8(Draw.one(random, List.of(fixture.suffix, fixture.layout.people(), fixture.target,
                fixture.sandbox, "", "cn=schema", "ou=system", "cn=nope," + fixture.suffix, fixture.layout.kms())));
        if (random.nextInt(15) == 0) {
            base = DnStrings.value(random).octets();
        }
        int scope = random.nextInt(30) == 0 ? 3 + random.nextInt(5) : random.nextInt(3);
        int size = Draw.one(random, List.of(0, 1, 2, 10, 1000));
        int time = Draw.one(random, List.of(0, 1, 10));
        List<byte[]> attributes = new ArrayList<>();
        switch (random.nextInt(8)) {
            case 0 -> attributes.add(TextValues.utf8("*"));
            case 1 -> attributes.add(TextValues.utf8("1.1"));
            case 2 -> attributes.addAll(List.of(TextValues.utf8("*"), TextValues.utf8("+")));
            case 3 -> attributes.add(TextValues.utf8(Draw.one(random, descriptions).text()));
            case 4 -> {
                for (int i = 0; i < 300; i++) {
                    attributes.add(TextValues.utf8(Draw.one(random, descriptions).text()));
                }
            }
            default -> {
                // no attribute: all user attributes
            }
        }
        byte[] controls = null;
        String controlShown = "";
        if (random.nextInt(10) == 0) {
            boolean critical = random.nextBoolean();
            if (random.nextBoolean()) {
                Description key = Draw.one(random, descriptions);
                tested.kinds.add(key.kind());
                controls = LdapRequests.control("1.2.840.113556.1.4.473", critical, Ber.constructed(0x30,
                        Ber.constructed(0x30, Ber.string(0x04, key.text()))));
                controlShown = " sorted by " + FilterTerm.text(TextValues.utf8(key.text()));
            } else {
                byte[] cookie = new byte[random.nextInt(3) == 0 ? 0 : random.nextInt(64)];
                random.nextBytes(cookie);
                int pageSize = random.nextInt(5) - 1;
                // A negative page size is a malformed control: the decoder may end the connection.
                tested.malformed |= pageSize < 0;
                controls = LdapRequests.control("1.2.840.113556.1.4.319", critical, Ber.constructed(0x30,
                        Ber.integer(0x02, pageSize), Ber.tlv(0x04, cookie)));
                controlShown = " paged with a " + cookie.length + "-octet cookie";
            }
        }
        byte[] request = LdapRequests.search(base, scope, random.nextInt(4), size, time, random.nextBoolean(),
                filter.encode(), attributes);
        boolean refusedByPolicy = who != Who.AGENT && tested.kinds.contains(Kind.SECRET)
                || tested.kinds.contains(Kind.PASSWORD)
                || who == Who.ANONYMOUS && tested.kinds.contains(Kind.NON_PUBLIC);
        // A filter the server cannot evaluate (its syntax) is refused before the access rules judge
        // it: that tells nothing of any secret. What a refused filter must never get is an answer.
        Set<Integer> allowed = new HashSet<>(Set.of(50, 53, 34, 2, 17, 18, 21));
        if (!refusedByPolicy) {
            allowed.addAll(Set.of(0, 3, 4, 10, 11, 12, 18, 32, 17, 21));
        }
        String what = "search " + FilterTerm.text(base) + " scope " + scope + " size " + size + " " + filter.describe()
                + " for " + attributes.size() + " attributes" + controlShown + (refusedByPolicy ? " (must be refused)" : "");
        ServerCase fuzzCase = ServerCase.of(who, what, request, Set.copyOf(allowed));
        if (controls != null) {
            fuzzCase = fuzzCase.withControls(controls);
        }
        if (tested.malformed || tested.kinds.contains(Kind.MALFORMED) || scope > 2 || !DnCases.utf8(base)) {
            fuzzCase = fuzzCase.closing();
        }
        if (tested.secretOracle != null && who != Who.AGENT) {
            String oracle = tested.secretOracle;
            fuzzCase = fuzzCase.withCheck(response -> response.entries() > 0
                    ? "an extensible match without a type on a planted " + oracle + " found " + response.entries()
                            + " entries for " + who : null);
        }
        List<byte[]> sent = new ArrayList<>();
        if (tested.secretValue) {
            sent.addAll(fixture.planted.values());
        }
        return fuzzCase.withSecrets(sent);
    }

    /** A single extensible match without a type, asserting a planted secret: it must find nothing for non-agents. */
    private FilterTerm oracle(SplittableRandom random, Tested tested) {
        List<Map.Entry<String, byte[]>> secrets = new ArrayList<>(fixture.planted.entrySet());
        Map.Entry<String, byte[]> secret = Draw.one(random, secrets);
        tested.secretOracle = secret.getKey();
        tested.secretValue = true;
        byte[] rule = random.nextInt(4) == 0 ? null : TextValues.utf8(Draw.one(random, RULES.subList(0, 5)));
        // RFC 4511 section 4.5.1.7.7: without a type, the rule is required.
        tested.malformed |= rule == null;
        return new FilterTerm.Extensible(rule, null, secret.getValue(), random.nextBoolean(), true);
    }

    private FilterTerm filter(SplittableRandom random, Tested tested, int depth) {
        int kind = random.nextInt(100);
        if (depth > 6 || kind < 45) {
            return leaf(random, tested);
        }
        if (kind < 60) {
            int width = random.nextInt(20) == 0 ? Draw.one(random, List.of(0, 1000, 8000)) : random.nextInt(5);
            List<FilterTerm> children = new ArrayList<>();
            for (int i = 0; i < width; i++) {
                children.add(width > 100 ? leafOf(random, tested, Draw.one(random, descriptions.subList(0, 3)))
                        : filter(random, tested, depth + 1));
            }
            // An empty AND or OR is RFC 4526's absolute true or false, an extension AM27's decoder
            // answers with protocolError.
            tested.malformed |= width == 0;
            return new FilterTerm.Branch(random.nextBoolean(), children);
        }
        if (kind < 70) {
            return new FilterTerm.Not(filter(random, tested, depth + 1));
        }
        if (kind < 85) {
            // Past a few thousand levels the decoder overflows its stack and the connection ends
            // (DecoderStackGuard); decoding tens of thousands takes seconds, so those are rare.
            int levels = Draw.one(random, List.of(20, 200, 1_000, random.nextInt(6) == 0 ? 8_000 : 1_500));
            tested.malformed |= levels > 500; // NOT chains overflow the decoder sooner than AND and OR
            FilterTerm inner = leaf(random, tested);
            if (random.nextBoolean()) {
                for (int i = 0; i < levels; i++) {
                    inner = new FilterTerm.Branch(i % 2 == 0, List.of(inner));
                }
                return inner;
            }
            for (int i = 0; i < levels; i++) {
                inner = new FilterTerm.Not(inner);
            }
            return inner;
        }
        return malformed(random, tested);
    }

    private FilterTerm leaf(SplittableRandom random, Tested tested) {
        return leafOf(random, tested, Draw.one(random, descriptions));
    }

    private FilterTerm leafOf(SplittableRandom random, Tested tested, Description description) {
        tested.kinds.add(description.kind());
        byte[] attribute = TextValues.utf8(description.text());
        byte[] value = value(random, description, tested);
        boolean secret = description.kind() == Kind.SECRET || tested.secretValue;
        return switch (random.nextInt(10)) {
            case 0, 1 -> new FilterTerm.Present(attribute);
            case 2 -> new FilterTerm.Assertion(0xa5, attribute, value, secret);
            case 3 -> new FilterTerm.Assertion(0xa6, attribute, value, secret);
            case 4 -> new FilterTerm.Assertion(0xa8, attribute, value, secret);
            case 5, 6 -> substrings(random, attribute, value, secret, tested);
            case 7 -> {
                byte[] rule = random.nextInt(4) == 0 ? null : TextValues.utf8(Draw.one(random, RULES));
                tested.malformed |= rule != null && rule.length == 0;
                yield new FilterTerm.Extensible(rule, attribute, value, random.nextBoolean(), secret);
            }
            default -> new FilterTerm.Assertion(0xa3, attribute, value, secret);
        };
    }

    private static FilterTerm substrings(SplittableRandom random, byte[] attribute, byte[] value, boolean secret,
            Tested tested) {
        List<Integer> tags = new ArrayList<>();
        List<byte[]> values = new ArrayList<>();
        int count = random.nextInt(10) == 0 ? 2_000 : random.nextInt(5);
        for (int i = 0; i < count; i++) {
            // Mostly well-ordered (initial, any..., final); sometimes not (two initials, final first).
            int tag = random.nextInt(6) == 0 ? 0x80 + random.nextInt(3)
                    : i == 0 && random.nextBoolean() ? 0x80 : i == count - 1 && random.nextBoolean() ? 0x82 : 0x81;
            tags.add(tag);
            values.add(i == 0 ? value : TextValues.utf8(Integer.toString(i)));
            // RFC 4511 section 4.5.1.7.2: at most one initial, first; at most one final, last.
            tested.malformed |= tag == 0x80 && i > 0 || tag == 0x82 && i < count - 1 || values.get(i).length == 0;
        }
        tested.malformed |= count == 0;
        return new FilterTerm.Substrings(attribute, tags, values, secret);
    }

    private byte[] value(SplittableRandom random, Description description, Tested tested) {
        int draw = random.nextInt(12);
        if (draw == 0 && description.kind() == Kind.SECRET) {
            // Planted values only where they are secret: echoing a client's own value of another
            // attribute back to it tells nothing.
            tested.secretValue = true;
            return Draw.one(random, new ArrayList<>(fixture.planted.values())).clone();
        }
        if (draw == 1) {
            return "v".repeat(random.nextInt(3) == 0 ? 300_000 : 70_000).getBytes(StandardCharsets.US_ASCII);
        }
        if (draw == 2) {
            return DnStrings.value(random).octets();
        }
        if (draw == 3) {
            return new byte[] {0, (byte) 0xff, (byte) 0xc0, (byte) 0x80};
        }
        if (draw == 4) {
            return new byte[0];
        }
        var type = KmsSchema.attributeType(description.text().replace(";binary", ""));
        if (type.isPresent() && !type.get().secret()) {
            return TextValues.of(type.get(), random).octets();
        }
        return TextMutator.mutate(Draw.one(random, List.of("victim-1", "Target", "target@example.com", "requested",
                "fuzzer", "*")), random).octets();
    }

    /** A filter that is not BER the RFC allows: the server may answer protocolError or close the connection. */
    private static FilterTerm malformed(SplittableRandom random, Tested tested) {
        tested.malformed = true;
        return switch (random.nextInt(9)) {
            case 0 -> new FilterTerm.Raw(Ber.tlv(0xaa, new byte[] {4, 1, 'x'}), "unknown choice [10]");
            case 1 -> new FilterTerm.Raw(Ber.constructed(0xa2, Ber.string(0x87, "cn"), Ber.string(0x87, "sn")),
                    "NOT of two filters");
            case 2 -> new FilterTerm.Raw(Ber.constructed(0xa4, Ber.string(0x04, "cn"), Ber.constructed(0x30)),
                    "substrings of no component");
            case 3 -> new FilterTerm.Raw(Ber.tlv(0x87, new byte[0]), "presence of an empty description");
            case 4 -> new FilterTerm.Raw(Ber.constructed(0xa9, Ber.string(0x82, "cn")), "extensible match without a value");
            case 5 -> new FilterTerm.Raw(Ber.constructed(0xa9, Ber.string(0x83, "x")),
                    "extensible match with neither rule nor type");
            case 6 -> new FilterTerm.Raw(Ber.constructed(0xa3, Ber.string(0x04, "cn")), "equality without a value");
            case 7 -> new FilterTerm.Raw(Ber.constructed(0xa3, Ber.string(0x04, "cn"), Ber.string(0x04, "a"),
                    Ber.string(0x04, "b")), "equality of three elements");
            default -> new FilterTerm.Raw(Ber.constructed(0xa0, Ber.string(0x04, "cn")), "AND of an OCTET STRING");
        };
    }

    // ---------------------------------------------------------------- compares

    private ServerCase compare(int index, SplittableRandom random) {
        Who who = Draw.identity(random);
        Description description = Draw.one(random, descriptions);
        String entry = Draw.one(random, List.of(fixture.target, fixture.target, fixture.plantedRecovery,
                fixture.plantedArchive, fixture.plantedCustody, fixture.fuzzer, fixture.scratchUser, "cn=nope," + fixture.suffix, "=bad"));
        Tested tested = new Tested();
        byte[] value;
        String lower = lc(description.text().replace(";binary", ""));
        String canonical = KmsSchema.attributeTypes().stream()
                .filter(t -> lc(t.name()).equals(lower) || t.oid().equals(lower)).map(t -> lc(t.name())).findFirst()
                .orElse(lower);
        if (description.kind() == Kind.SECRET && random.nextBoolean()) {
            byte[] planted = fixture.planted.get(canonical);
            value = planted != null ? planted.clone() : value(random, description, tested);
        } else if (description.kind() == Kind.PASSWORD && random.nextBoolean()) {
            value = fixture.planted.get("userpassword").clone();
        } else {
            value = value(random, description, tested);
        }
        boolean secret = description.kind() == Kind.SECRET || description.kind() == Kind.PASSWORD;
        // Compare is allowed exactly when reading is (docs/security.md): nobody reads a password,
        // the agent every secret, a KMS administrator enrollment tokens, a user their own package.
        boolean entitled = description.kind() != Kind.PASSWORD && (who == Who.AGENT
                || who == Who.KMS_ADMIN && canonical.equals("kmsenrollmenttoken")
                || who == Who.USER && entry.equals(fixture.fuzzer) && canonical.equals("kmskeypackage"));
        boolean refused = secret && !entitled || who == Who.ANONYMOUS && description.kind() == Kind.NON_PUBLIC;
        Set<Integer> allowed = new HashSet<>(Set.of(50, 53, 32, 34, 2, 17, 21, 16));
        if (!refused) {
            allowed.addAll(Set.of(5, 6, 18));
        }
        byte[] request = LdapRequests.compare(TextValues.utf8(entry), TextValues.utf8(description.text()), value);
        String what = "compare " + FilterTerm.text(TextValues.utf8(description.text())) + "=" + FilterTerm.value(value,
                secret || tested.secretValue) + " on " + entry + (refused ? " (must be refused)" : "");
        ServerCase fuzzCase = ServerCase.of(who, what, request, Set.copyOf(allowed)).withSecrets(
                secret || tested.secretValue ? List.of(value) : List.of());
        // AM27's decoder answers a malformed entry name or description with protocolError and a
        // Notice of Disconnection.
        boolean malformed = !DnCases.utf8(value) || description.kind() == Kind.MALFORMED
                || !org.apache.directory.api.ldap.model.name.Dn.isValid(entry);
        return malformed ? fuzzCase.closing() : fuzzCase;
    }
}
