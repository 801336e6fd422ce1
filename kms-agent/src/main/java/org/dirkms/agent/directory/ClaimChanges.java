package org.dirkms.agent.directory;

import static org.dirkms.schema.AttributeNames.CLAIMED_BY;
import static org.dirkms.schema.AttributeNames.LEASE_EXPIRES;
import static org.dirkms.schema.AttributeNames.REPLACED_ATTEMPT;
import static org.dirkms.schema.AttributeNames.SUPERSEDED_CERTIFICATE;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import org.apache.directory.api.ldap.model.entry.DefaultAttribute;
import org.apache.directory.api.ldap.model.entry.DefaultModification;
import org.apache.directory.api.ldap.model.entry.Entry;
import org.apache.directory.api.ldap.model.entry.Modification;
import org.apache.directory.api.ldap.model.entry.ModificationOperation;

/**
 * The modifications that take, keep, hand over and release a {@link Claim} on any entry, and
 * the reading of one. Each change of a held claim deletes a value only its holder can expect —
 * the state it leaves, its own attempt, or the exact lease it takes over — so that the modify
 * fails with noSuchAttribute, changing nothing, when another process got there first (RFC 4511
 * section 4.6: the changes of one modify apply in order and atomically). Workflows add their own
 * changes (a state, a publication) to the same modify.
 */
final class ClaimChanges {

    /** The attributes a claim is stored in, to read with the entry. */
    static final String[] ATTRIBUTES = {CLAIMED_BY, LEASE_EXPIRES, SUPERSEDED_CERTIFICATE, REPLACED_ATTEMPT};

    private ClaimChanges() {
    }

    /**
     * Takes the work: the entry's {@code stateAttribute} moves from {@code from} (null: it has
     * none, and the single-valued attribute's add fails if another process set one) to
     * {@code to}, and {@code claim} is written whole.
     */
    static List<Modification> acquire(String stateAttribute, String from, String to, Claim claim) {
        List<Modification> changes = new ArrayList<>();
        if (from != null) {
            changes.add(new DefaultModification(ModificationOperation.REMOVE_ATTRIBUTE, stateAttribute, from));
        }
        changes.add(new DefaultModification(ModificationOperation.ADD_ATTRIBUTE, stateAttribute, to));
        changes.addAll(write(claim));
        return changes;
    }

    /**
     * Takes work that stays in its state while it is held (a pending recovery request): the
     * entry's {@code stateAttribute} value {@code state} is deleted and added back (the test that
     * the state is still {@code state}), and {@code kmsClaimedBy}, single-valued, is added (the
     * test that no attempt holds the work: the add fails when one does), with the lease.
     */
    static List<Modification> acquireUnclaimed(String stateAttribute, String state, Claim claim) {
        List<Modification> changes = new ArrayList<>();
        changes.add(new DefaultModification(ModificationOperation.REMOVE_ATTRIBUTE, stateAttribute, state));
        changes.add(new DefaultModification(ModificationOperation.ADD_ATTRIBUTE, stateAttribute, state));
        changes.add(new DefaultModification(ModificationOperation.ADD_ATTRIBUTE, CLAIMED_BY, claim.attempt()));
        changes.add(new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, LEASE_EXPIRES,
                LdapTimes.format(claim.leaseExpires())));
        return changes;
    }

    /**
     * Takes over work whose lease expired: deletes exactly the stored lease (a competing
     * take-over, a publication or a failure removes or replaces it, so one process wins) and
     * writes the successor claim.
     */
    static List<Modification> takeOver(Claim expired, Claim successor) {
        List<Modification> changes = new ArrayList<>();
        changes.add(new DefaultModification(ModificationOperation.REMOVE_ATTRIBUTE, LEASE_EXPIRES, stored(expired)));
        changes.add(new DefaultModification(ModificationOperation.ADD_ATTRIBUTE, LEASE_EXPIRES,
                LdapTimes.format(successor.leaseExpires())));
        changes.add(new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, CLAIMED_BY, successor.attempt()));
        changes.add(superseded(successor.superseded()));
        changes.add(replaced(successor.replaced()));
        return changes;
    }

    /** The test that {@code held} still holds the work: its attempt deleted and added back. */
    static List<Modification> holding(Claim held) {
        return new ArrayList<>(List.of(
                new DefaultModification(ModificationOperation.REMOVE_ATTRIBUTE, CLAIMED_BY, held.attempt()),
                new DefaultModification(ModificationOperation.ADD_ATTRIBUTE, CLAIMED_BY, held.attempt())));
    }

    /** Renews the lease of {@code held}: it still holds the work, and nobody renewed it meanwhile. */
    static List<Modification> renew(Claim held, Instant newLease) {
        List<Modification> changes = holding(held);
        changes.add(new DefaultModification(ModificationOperation.REMOVE_ATTRIBUTE, LEASE_EXPIRES, stored(held)));
        changes.add(new DefaultModification(ModificationOperation.ADD_ATTRIBUTE, LEASE_EXPIRES, LdapTimes.format(newLease)));
        return changes;
    }

    /**
     * Keeps {@code held} on the entry, now superseding {@code superseded} and replacing nobody
     * (its clean-up is done): the work left after a publication or a failure.
     */
    static List<Modification> keep(Claim held, List<byte[]> superseded) {
        List<Modification> changes = holding(held);
        changes.add(superseded(superseded));
        changes.add(replaced(List.of()));
        return changes;
    }

    /**
     * Keeps {@code held} on the entry, now superseding {@code superseded}, still replacing the
     * attempts it replaced: more work found during a take-over's clean-up, which goes on after
     * this write, so that a process killed before it ends leaves the dead attempts named for the
     * next take-over.
     */
    static List<Modification> amend(Claim held, List<byte[]> superseded) {
        List<Modification> changes = holding(held);
        changes.add(superseded(superseded));
        return changes;
    }

    /** Ends {@code held}: its attempt is the test, and the whole claim goes. */
    static List<Modification> release(Claim held) {
        List<Modification> changes = new ArrayList<>();
        changes.add(new DefaultModification(ModificationOperation.REMOVE_ATTRIBUTE, CLAIMED_BY, held.attempt()));
        changes.addAll(clearLeaseAndWork());
        return changes;
    }

    /** Removes whatever claim the entry has, with no test (the holder ends it as failed or revoked). */
    static List<Modification> clear() {
        List<Modification> changes = new ArrayList<>();
        changes.add(new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, CLAIMED_BY));
        changes.addAll(clearLeaseAndWork());
        return changes;
    }

    /** The claim {@code entry} holds, or null when it holds none. */
    static Claim read(Entry entry, String dn) {
        List<String> attempt = LdapEntries.strings(entry, CLAIMED_BY);
        List<String> lease = LdapEntries.strings(entry, LEASE_EXPIRES);
        if (attempt.isEmpty()) {
            return null;
        }
        // A claim whose lease is missing (written by hand) is expired: anyone may take it over.
        Instant expires = lease.isEmpty() ? Instant.EPOCH : LdapTimes.parse(lease.get(0), dn, LEASE_EXPIRES);
        return new Claim(attempt.get(0), expires, lease.isEmpty() ? null : lease.get(0),
                LdapEntries.bytes(entry, SUPERSEDED_CERTIFICATE), LdapEntries.strings(entry, REPLACED_ATTEMPT));
    }

    private static List<Modification> write(Claim claim) {
        return List.of(
                new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, CLAIMED_BY, claim.attempt()),
                new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, LEASE_EXPIRES,
                        LdapTimes.format(claim.leaseExpires())),
                superseded(claim.superseded()),
                replaced(claim.replaced()));
    }

    private static List<Modification> clearLeaseAndWork() {
        return List.of(new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, LEASE_EXPIRES),
                superseded(List.of()), replaced(List.of()));
    }

    private static Modification superseded(List<byte[]> certificates) {
        return new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE,
                new DefaultAttribute(SUPERSEDED_CERTIFICATE, certificates.toArray(byte[][]::new)));
    }

    private static Modification replaced(List<String> attempts) {
        return new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE,
                new DefaultAttribute(REPLACED_ATTEMPT, attempts.toArray(String[]::new)));
    }

    /** The lease as the entry stores it: what a test must delete. */
    private static String stored(Claim claim) {
        return claim.storedLease() != null ? claim.storedLease() : LdapTimes.format(claim.leaseExpires());
    }
}
