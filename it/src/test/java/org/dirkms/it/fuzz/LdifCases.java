package org.dirkms.it.fuzz;

import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

import org.apache.directory.api.ldap.model.entry.Attribute;
import org.apache.directory.api.ldap.model.entry.Modification;
import org.apache.directory.api.ldap.model.entry.Value;
import org.apache.directory.api.ldap.model.exception.LdapException;
import org.apache.directory.api.ldap.model.ldif.LdifEntry;
import org.apache.directory.api.ldap.model.ldif.LdifReader;
import org.dirkms.schema.AttributeTypeDefinition;
import org.dirkms.schema.KmsSchema;

/**
 * Cases of LDIF change records (RFC 2849) as administrators write them for {@code ldapmodify}
 * and {@code dirkms enroll --file}: a record made from the fixture (a modify of a KMS attribute
 * with a plain or base64 value, an add, a delete or a modrdn in the sandbox), mutated as text
 * ({@link TextMutator}) or in LDIF's own ways (a missing "-", bad base64, a wrong continuation,
 * an unknown changetype, a control line, a "&lt; file:" URL, a version line, CRLF).
 *
 * <p>The LDAP API's {@link LdifReader}, which {@code dirkms enroll --file} uses, parses it on
 * the client and must either refuse it with an exception (the case ends there; the command
 * reports it as a usage error) or give records, each sent to the server as the agent, the
 * superuser or a KMS administrator, whose answer must be precise like any write's and never a
 * success the access rules forbid.
 */
final class LdifCases implements ServerFuzzRunner.CaseFactory {

    private static final Set<Integer> WRITES = Set.of(0, 16, 17, 19, 20, 21, 32, 34, 50, 53, 64, 65, 66, 67, 68, 69, 2,
            18, 71);

    private final FuzzFixture fixture;
    private final List<AttributeTypeDefinition> types;

    LdifCases(FuzzFixture fixture) {
        this.fixture = fixture;
        this.types = KmsSchema.attributeTypes().stream().filter(type -> !type.secret()).toList();
    }

    @Override
    public ServerCase make(int index, SplittableRandom random) {
        Who who = Draw.one(random, List.of(Who.AGENT, Who.ADMIN, Who.KMS_ADMIN));
        String ldif = record(index, random);
        String what;
        if (random.nextInt(3) > 0) {
            String before = ldif;
            ldif = mutate(ldif, random);
            what = before.equals(ldif) ? "unchanged" : "mutated";
        } else {
            what = "as made";
        }
        List<LdifEntry> entries;
        try (LdifReader reader = new LdifReader()) {
            entries = reader.parseLdif(ldif);
        } catch (LdapException | RuntimeException e) {
            // The reader also throws IllegalArgumentException and index errors for malformed lines,
            // which dirkms enroll --file reports as a usage error like its LdapExceptions.
            return ServerCase.local(who, "LDIF " + what + ", refused by the reader", "ldif-refused", null);
        } catch (Exception | Error e) {
            return ServerCase.local(who, "LDIF " + what + ": " + TextValues.abbreviate(ldif), "ldif-crash",
                    "the LDIF reader threw " + e);
        }
        if (entries.isEmpty()) {
            return ServerCase.local(who, "LDIF " + what + ", no record", "ldif-empty", null);
        }
        LdifEntry entry = entries.get(0);
        byte[] request;
        try {
            request = request(entry);
        } catch (RuntimeException e) {
            return ServerCase.local(who, "LDIF " + what + ": " + TextValues.abbreviate(ldif), "ldif-crash",
                    "a record the LDIF reader gave cannot be read back: " + e);
        }
        if (request == null) {
            return ServerCase.local(who, "LDIF " + what + ", a " + entry.getChangeType() + " record", "ldif-not-sent", null);
        }
        Set<Integer> allowed = new HashSet<>(WRITES);
        if (!accepted(who, entry)) {
            allowed.remove(0);
        }
        // Names and values from mutated text reach the server as the reader gave them; the decoder
        // may answer a malformed one with protocolError and a Notice of Disconnection.
        return ServerCase.of(who, "LDIF " + what + " " + entry.getChangeType() + " of " + TextValues.abbreviate(
                entry.getDn().getName()), request, Set.copyOf(allowed)).closing();
    }

    private String record(int index, SplittableRandom random) {
        AttributeTypeDefinition type = Draw.one(random, types);
        TextValues.Value value = TextValues.of(type, random);
        String line = random.nextBoolean() && DnCases.utf8(value.octets()) && plain(value.octets())
                ? type.name() + ": " + new String(value.octets(), java.nio.charset.StandardCharsets.UTF_8)
                : type.name() + ":: " + Base64.getEncoder().encodeToString(value.octets());
        String victim = "cn=victim-" + random.nextInt(FuzzFixture.VICTIMS) + "," + fixture.sandbox;
        return switch (random.nextInt(6)) {
            case 0 -> "dn: " + victim + "\nchangetype: delete\n";
            case 1 -> "dn: " + victim + "\nchangetype: modrdn\nnewrdn: cn=fz-ldif-" + index + "\ndeleteoldrdn: 1\n";
            case 2 -> "dn: cn=fz-ldif-" + index + "," + fixture.sandbox + "\nchangetype: add\nobjectClass: top\n"
                    + "objectClass: organizationalRole\ncn: fz-ldif-" + index + "\ndescription: " + index + "\n";
            default -> "version: 1\ndn: " + fixture.scratchFor(type.name().toLowerCase()) + "\nchangetype: modify\n"
                    + Draw.one(random, List.of("replace", "add", "delete")) + ": " + type.name() + "\n" + line + "\n-\n";
        };
    }

    private static boolean plain(byte[] octets) {
        // RFC 2849 SAFE-STRING: no NUL, CR, LF; not starting with space, colon or "<".
        if (octets.length > 0 && (octets[0] == ' ' || octets[0] == ':' || octets[0] == '<')) {
            return false;
        }
        for (byte b : octets) {
            if (b == 0 || b == '\r' || b == '\n') {
                return false;
            }
        }
        return true;
    }

    private static String mutate(String ldif, SplittableRandom random) {
        return switch (random.nextInt(12)) {
            case 0 -> ldif.replace("\n-\n", "\n");
            case 1 -> ldif.replace(":: ", ":: !!");
            case 2 -> ldif.replaceFirst("\n", "\n  continued\n");
            case 3 -> ldif.replace("changetype: modify", "changetype: modifyy");
            case 4 -> ldif.replaceFirst("\nchangetype", "\ncontrol: 1.2.840.113556.1.4.805 true:: ###\nchangetype");
            case 5 -> ldif.replaceFirst(": [^\n]*\n-", ":< file:///nonexistent/dirkms-fuzz\n-");
            case 6 -> ldif.replace("version: 1", "version: 2");
            case 7 -> ldif.replace("\n", "\r\n");
            case 8 -> ldif.replace("dn: ", "dn:: ");
            case 9 -> ldif + ldif;
            default -> new String(TextMutator.mutate(ldif, random).octets(), java.nio.charset.StandardCharsets.UTF_8);
        };
    }

    /** The BER of the operation an LDIF change record asks for, or null for one this case does not send. */
    private static byte[] request(LdifEntry entry) {
        byte[] dn = TextValues.utf8(entry.getDn().getName());
        if (entry.isChangeDelete()) {
            return LdapRequests.delete(dn);
        }
        if (entry.isChangeModDn() || entry.isChangeModRdn()) {
            return LdapRequests.modifyDn(dn, TextValues.utf8(entry.getNewRdn() == null ? "" : entry.getNewRdn()),
                    entry.isDeleteOldRdn(), entry.getNewSuperior() == null ? null : TextValues.utf8(entry.getNewSuperior()));
        }
        if (entry.isChangeModify()) {
            List<LdapRequests.Change> changes = new ArrayList<>();
            for (Modification modification : entry.getModifications()) {
                int operation = switch (modification.getOperation()) {
                    case ADD_ATTRIBUTE -> LdapRequests.ADD;
                    case REMOVE_ATTRIBUTE -> LdapRequests.DELETE;
                    case INCREMENT_ATTRIBUTE -> LdapRequests.INCREMENT;
                    default -> LdapRequests.REPLACE;
                };
                changes.add(new LdapRequests.Change(operation, TextValues.utf8(modification.getAttribute().getUpId()),
                        octets(modification.getAttribute())));
            }
            return LdapRequests.modify(dn, changes);
        }
        if (entry.isChangeAdd() || entry.isEntry()) {
            List<LdapRequests.Attribute> attributes = new ArrayList<>();
            for (Attribute attribute : entry.getEntry()) {
                attributes.add(new LdapRequests.Attribute(TextValues.utf8(attribute.getUpId()), octets(attribute)));
            }
            return LdapRequests.add(dn, attributes);
        }
        return null;
    }

    /** Whether the access rules let {@code who} make the change {@code entry} asks for ({@link Policy}). */
    private boolean accepted(Who who, LdifEntry entry) {
        String dn = entry.getDn().getName();
        if (entry.isChangeDelete() || entry.isChangeModDn() || entry.isChangeModRdn()) {
            return Policy.mayAddOrDelete(who, fixture, dn);
        }
        if (entry.isChangeModify()) {
            for (Modification modification : entry.getModifications()) {
                int operation = switch (modification.getOperation()) {
                    case ADD_ATTRIBUTE -> LdapRequests.ADD;
                    case REMOVE_ATTRIBUTE -> LdapRequests.DELETE;
                    default -> LdapRequests.REPLACE;
                };
                if (!Policy.mayWrite(who, fixture, dn, canonical(modification.getAttribute().getUpId()), operation,
                        modification.getAttribute().size())) {
                    return false;
                }
            }
            return true;
        }
        List<String> objectClasses = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (Attribute attribute : entry.getEntry()) {
            String name = canonical(attribute.getUpId());
            names.add(name);
            if (name.equals("objectclass")) {
                for (Value value : attribute) {
                    objectClasses.add(value.getString());
                }
            }
        }
        return Policy.mayAdd(who, fixture, dn, objectClasses, names);
    }

    /** The lower-case name of an attribute description (its OID or options aside). */
    private static String canonical(String description) {
        String type = FuzzFixture.lc(description.contains(";") ? description.substring(0, description.indexOf(';'))
                : description).trim();
        return KmsSchema.attributeTypes().stream().filter(t -> t.oid().equals(type)).map(t -> FuzzFixture.lc(t.name()))
                .findFirst().orElse(type.equals("2.5.4.0") ? "objectclass" : type);
    }

    private static List<byte[]> octets(Attribute attribute) {
        List<byte[]> values = new ArrayList<>();
        for (Value value : attribute) {
            values.add(value.getBytes() == null ? new byte[0] : value.getBytes());
        }
        return values;
    }
}
