package org.dirkms.it.fuzz;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import org.apache.directory.api.ldap.model.name.Dn;

/**
 * Distinguished names (RFC 4514) for entry names and DN-valued attributes: the fixture's and the
 * server's own DNs, and DNs made wrong in the ways RFC 4514 allows to go wrong — escapes (valid,
 * unknown, cut), hex-string values ({@code #04...}), multi-valued RDNs, OIDs and unknown
 * attribute types, missing types or values, empty RDNs, separators and spaces in odd places,
 * quoted RFC 1779 values, thousands of RDNs, hundred-kilobyte values — plus the
 * {@link TextMutator}'s changes. Validity is the LDAP API's own check of the string form
 * ({@link Dn#isValid(String)}), which is what the server's DN syntax checker applies.
 */
final class DnStrings {

    /** DNs the generator starts from; set once the fixture exists. */
    private static volatile List<String> seeds = List.of("dc=example,dc=com");

    private DnStrings() {
    }

    /** Takes the fixture's DNs, the server's own and the root DSE as seeds. */
    static void seed(FuzzFixture fixture) {
        List<String> all = new ArrayList<>(List.of(fixture.suffix, fixture.layout.people(), fixture.target,
                fixture.scratchUser, fixture.server, fixture.group, fixture.ca, fixture.template, fixture.request,
                fixture.recovery, fixture.custody, fixture.custodyShare, fixture.custodySession, fixture.partner, fixture.members, fixture.sandbox, fixture.layout.kms(),
                fixture.layout.kmsAdministratorsGroup(), fixture.layout.defaultAdministrativeGroup(),
                "cn=default," + fixture.layout.servers(), "uid=admin,ou=system", "ou=system", "cn=schema", ""));
        for (int i = 0; i < FuzzFixture.VICTIMS; i++) {
            all.add("cn=victim-" + i + "," + fixture.sandbox);
        }
        seeds = List.copyOf(all);
    }

    /** A seed DN. */
    static String seed(SplittableRandom random) {
        return Draw.one(random, seeds);
    }

    /** A DN value with its validity. */
    static TextValues.Value value(SplittableRandom random) {
        String seed = seed(random);
        if (random.nextInt(4) == 0) {
            return judged(seed, "'" + TextValues.abbreviate(seed) + "'");
        }
        if (random.nextBoolean()) {
            String dn = structural(seed, random);
            return judged(dn, "'" + TextValues.abbreviate(dn) + "'");
        }
        TextMutator.Mutated mutated = TextMutator.mutate(seed, random);
        if (mutated.text() == null) {
            return new TextValues.Value(mutated.octets(), Validity.UNKNOWN, TextValues.abbreviate(seed) + " " + mutated.what());
        }
        TextValues.Value judged = judged(mutated.text(), "");
        return new TextValues.Value(judged.octets(), judged.validity(), "'" + TextValues.abbreviate(seed) + "' "
                + mutated.what());
    }

    private static TextValues.Value judged(String dn, String description) {
        boolean valid;
        try {
            valid = Dn.isValid(dn);
        } catch (RuntimeException e) {
            valid = false;
        }
        // A well-formed DN may still name unknown attribute types, which the server's
        // schema-aware normalizer refuses: only a malformed one is known to be invalid.
        return new TextValues.Value(TextValues.utf8(dn), valid ? Validity.UNKNOWN : Validity.INVALID, description);
    }

    /** {@code seed} changed in one of the ways RFC 4514 names can go wrong. */
    static String structural(String seed, SplittableRandom random) {
        String first = seed.contains(",") ? seed.substring(0, seed.indexOf(',')) : seed;
        String rest = seed.contains(",") ? seed.substring(seed.indexOf(',')) : "";
        return switch (random.nextInt(22)) {
            case 0 -> "cn=a\\,b" + rest;
            case 1 -> "cn=a\\2Cb" + rest;
            case 2 -> "cn=a\\zzb" + rest;
            case 3 -> "cn=trailing\\" + rest;
            case 4 -> "cn=#04036162" + rest;
            case 5 -> "cn=#zz" + rest;
            case 6 -> "cn=a+sn=b" + rest;
            case 7 -> "cn=a+cn=a" + rest;
            case 8 -> "2.5.4.3=victim-1" + rest;
            case 9 -> "fooBar=baz" + rest;
            case 10 -> "cn=" + rest;
            case 11 -> "=x" + rest;
            case 12 -> first + ",," + rest;
            case 13 -> "," + seed;
            case 14 -> seed + ",";
            case 15 -> first.replace("=", " = ") + rest.replace(",", " , ");
            case 16 -> first + rest.replace(",", ";");
            case 17 -> "cn=\"a,b\"" + rest;
            case 18 -> "cn=x,".repeat(random.nextInt(4) == 0 ? 5_000 : 100) + seed;
            case 19 -> "cn=" + "v".repeat(random.nextInt(4) == 0 ? 200_000 : 5_000) + rest;
            case 20 -> "2.5.4.3.999999999999999999999=x" + rest;
            default -> "cn=\u0000nul" + rest;
        };
    }
}
