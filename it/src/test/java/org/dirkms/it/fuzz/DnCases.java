package org.dirkms.it.fuzz;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

import org.apache.directory.api.ldap.model.name.Dn;

/**
 * Cases of entry names: a fuzzed DN ({@link DnStrings}) as the base of a search, the entry of a
 * compare or a modify, and — only when it names an entry below {@code ou=Sandbox}, so that no
 * case deletes the fixture — of an add, a delete or a modify DN (whose new RDN and new superior
 * are fuzzed too).
 *
 * <p>Expected: a malformed name is invalidDNSyntax (34), a missing entry noSuchObject (32), and
 * the rest what the operation's own refusals are; a write by an anonymous client or by the user
 * to another's entry never succeeds.
 */
final class DnCases implements ServerFuzzRunner.CaseFactory {

    private static final Set<Integer> NAMES = Set.of(32, 34, 50, 53);

    private final FuzzFixture fixture;

    DnCases(FuzzFixture fixture) {
        this.fixture = fixture;
    }

    @Override
    public ServerCase make(int index, SplittableRandom random) {
        Who who = Draw.identity(random);
        TextValues.Value name = DnStrings.value(random);
        byte[] dn = name.octets();
        boolean sandboxed = inSandbox(dn);
        int operation = random.nextInt(20);
        String shown = name.description();
        Set<Integer> allowed = new HashSet<>(NAMES);
        byte[] request;
        String what;
        boolean otherNameMalformed = false;
        if (operation < 6 || !sandboxed && operation >= 14) {
            int scope = random.nextInt(3);
            request = LdapRequests.search(dn, scope, 0, 10, 10, false, Ber.string(0x87, "objectClass"),
                    List.of(TextValues.utf8("1.1")));
            allowed.addAll(Set.of(0, 4, 10, 2));
            what = "search " + new String[] {"base", "one", "sub"}[scope] + " under";
        } else if (operation < 9) {
            request = LdapRequests.compare(dn, TextValues.utf8("cn"), TextValues.utf8("victim-1"));
            allowed.addAll(Set.of(5, 6, 16, 17, 18, 21));
            what = "compare cn of";
        } else if (operation < 14) {
            request = LdapRequests.modify(dn, List.of(new LdapRequests.Change(LdapRequests.REPLACE,
                    TextValues.utf8("description"), List.of(TextValues.utf8("fuzzed " + index)))));
            allowed.addAll(Set.of(16, 17, 19, 21, 65, 69));
            if (utf8(dn) && Policy.mayWrite(who, fixture, new String(dn, java.nio.charset.StandardCharsets.UTF_8),
                    "description")) {
                allowed.add(0);
            }
            what = "modify description of";
        } else if (operation < 16) {
            request = LdapRequests.add(dn, List.of(LdapRequests.Attribute.of("objectClass", "top", "organizationalRole"),
                    LdapRequests.Attribute.of("cn", "fz-" + index)));
            // An RDN of an unknown type: AM27 answers noSuchAttribute (16); an RDN whose value is not
            // the entry's (an empty one): notAllowedOnRDN (67).
            allowed.addAll(Set.of(16, 17, 19, 20, 21, 64, 65, 67, 68));
            if (Policy.mayAdd(who, fixture, new String(dn, java.nio.charset.StandardCharsets.UTF_8),
                    List.of("top", "organizationalRole"), List.of("objectclass", "cn"))) {
                allowed.add(0);
            }
            what = "add";
        } else if (operation < 18) {
            request = LdapRequests.delete(dn);
            allowed.add(66);
            addIfWriter(allowed, who, dn);
            what = "delete";
        } else {
            TextValues.Value rdn = random.nextBoolean() ? new TextValues.Value(TextValues.utf8("cn=fz-moved-" + index),
                    Validity.VALID, "cn=fz-moved-" + index) : DnStrings.value(random);
            byte[] superior = null;
            String superiorShown = "";
            if (random.nextBoolean()) {
                TextValues.Value candidate = DnStrings.value(random);
                if (inSandbox(candidate.octets()) || random.nextInt(4) == 0 && !Dn.isValid(new String(candidate.octets(),
                        java.nio.charset.StandardCharsets.UTF_8))) {
                    superior = candidate.octets();
                    superiorShown = " under " + candidate.description();
                }
            }
            request = LdapRequests.modifyDn(dn, rdn.octets(), random.nextBoolean(), superior);
            // The new RDN and the new superior go through the same decoder as the name.
            otherNameMalformed = !utf8(rdn.octets()) || rdn.validity() == Validity.INVALID
                    || superior != null && !utf8(superior);
            allowed.addAll(Set.of(19, 21, 64, 65, 66, 67, 68, 71, 17, 2));
            addIfWriter(allowed, who, dn);
            what = "rename to " + rdn.description() + superiorShown + ":";
        }
        ServerCase fuzzCase = ServerCase.of(who, what + " " + shown + " (" + name.validity().name().toLowerCase() + ")",
                request, Set.copyOf(allowed));
        // AM27's decoder answers some malformed names (a bad escape, an empty compare target) with
        // protocolError and a Notice of Disconnection, before anything else can see them.
        // The client's DN parser and the server's decoder do not agree on every odd name (an
        // unknown escape, a surrogate pair): any name that is not a seed may be answered so.
        boolean malformed = otherNameMalformed || !utf8(dn) || name.validity() == Validity.INVALID || dn.length == 0
                || !name.description().startsWith("'") || name.description().contains("' ");
        return malformed ? fuzzCase.closing() : fuzzCase;
    }

    private void addIfWriter(Set<Integer> allowed, Who who, byte[] dn) {
        if (utf8(dn) && Policy.mayAddOrDelete(who, fixture, new String(dn, java.nio.charset.StandardCharsets.UTF_8))) {
            allowed.add(0);
        }
    }

    /** Whether {@code dn} names an entry strictly below {@code ou=Sandbox}, as the LDAP API parses it. */
    private boolean inSandbox(byte[] dn) {
        String text = new String(dn, java.nio.charset.StandardCharsets.UTF_8);
        try {
            return new Dn(text).size() > new Dn(fixture.sandbox).size()
                    && text.toLowerCase(java.util.Locale.ROOT).endsWith("," + fixture.sandbox.toLowerCase(java.util.Locale.ROOT));
        } catch (org.apache.directory.api.ldap.model.exception.LdapInvalidDnException e) {
            return false;
        }
    }

    /** Whether {@code octets} are UTF-8 (an LDAPDN is, RFC 4511 section 4.1.3; the decoder may refuse one that is not). */
    static boolean utf8(byte[] octets) {
        try {
            java.nio.charset.StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(octets));
            return true;
        } catch (java.nio.charset.CharacterCodingException e) {
            return false;
        }
    }
}
