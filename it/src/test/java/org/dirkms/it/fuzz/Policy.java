package org.dirkms.it.fuzz;

import static org.dirkms.it.fuzz.FuzzFixture.lc;

import java.util.HashSet;
import java.util.Set;

import org.dirkms.ds.guard.AccessPolicy;
import org.dirkms.schema.KmsSchema;

/**
 * What the fuzz suite may assume of the access rules, which another engineer is tightening
 * while this suite runs: only where a write is refused today and will stay refused (an
 * anonymous write, a user's write to another's entry or to KMS attributes of their own, a
 * secret or agent-only attribute written by someone not an agent) does it forbid success;
 * elsewhere success and a refusal (insufficientAccessRights, unwillingToPerform) both pass.
 */
final class Policy {

    /** Refusals any write may get from the access rules. */
    static final Set<Integer> REFUSALS = Set.of(50, 53);

    private Policy() {
    }

    /** Whether a write of {@code attribute} (lower-case) on {@code entry} by {@code who} may succeed. */
    static boolean mayWrite(Who who, FuzzFixture fixture, String entry, String attribute) {
        boolean secret = AccessPolicy.isSecret(attribute);
        return switch (who) {
            case AGENT -> !entry.equalsIgnoreCase(fixture.auditHead);
            case ADMIN -> !secret && !AccessPolicy.AGENT_ONLY.contains(attribute)
                    && !entry.toLowerCase().endsWith(lc(fixture.layout.keyArchive()))
                    && !entry.toLowerCase().endsWith(lc(fixture.layout.audit()));
            case USER -> entry.equals(fixture.fuzzer) && !attribute.equals("objectclass") && !attribute.equals("userpassword")
                    && (!KmsSchema.attributeType(attribute).isPresent() || attribute.equals("kmssigningrequest"));
            case ANONYMOUS -> false;
        };
    }

    /** Whether {@code who} may add or delete entries at all. */
    static boolean mayAddOrDelete(Who who) {
        return who == Who.AGENT || who == Who.ADMIN;
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
