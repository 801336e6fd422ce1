package org.dirkms.agent.directory;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * One attempt's hold on a piece of work kept in an entry (a user's enrollment, a recovery
 * request), as the directory stores it in separate attributes that a person reads with
 * {@code ldapsearch} and the directory validates (docs/reliability.md):
 * <ul>
 * <li>{@code kmsClaimedBy} — the attempt: the process that holds the work and a counter,
 * unique per attempt ({@code "uid=kms-agent,… pid 4242 7f3a… #12"}); the archive record and the
 * queued requests of the attempt are named from it;</li>
 * <li>{@code kmsLeaseExpires} — until when; after it, another process may take the work over;</li>
 * <li>{@code kmsSupersededCertificate} — certificates (DER) the work supersedes and must revoke
 * once it is published; they stay, with the claim, until they are on the CRL;</li>
 * <li>{@code kmsReplacedAttempt} — the attempts that died on this work and were taken over,
 * whose leftovers (archive records, queued requests) the holder still has to clean up.</li>
 * </ul>
 * Every change of a claim is one atomic modify that deletes a value it expects (RFC 4511
 * section 4.6): the state it leaves, the attempt it holds, or the exact lease it takes over, so
 * that of two processes, one wins.
 *
 * @param attempt      {@code kmsClaimedBy}
 * @param leaseExpires {@code kmsLeaseExpires}
 * @param storedLease  the lease exactly as stored (what a take-over deletes), or null for a claim
 *                     not written yet
 * @param superseded   {@code kmsSupersededCertificate} values, in order
 * @param replaced     {@code kmsReplacedAttempt} values, in order
 */
public record Claim(String attempt, Instant leaseExpires, String storedLease, List<byte[]> superseded,
        List<String> replaced) {

    /** Checks the fields and copies the lists. */
    public Claim {
        Objects.requireNonNull(attempt, "attempt");
        Objects.requireNonNull(leaseExpires, "leaseExpires");
        superseded = List.copyOf(superseded);
        replaced = List.copyOf(replaced);
    }

    /** A new claim of {@code attempt} until {@code leaseExpires}, superseding nothing, replacing nobody. */
    public static Claim of(String attempt, Instant leaseExpires) {
        return new Claim(attempt, leaseExpires, null, List.of(), List.of());
    }

    /** The same claim, naming {@code certificates} as the certificates it supersedes. */
    public Claim superseding(List<byte[]> certificates) {
        return new Claim(attempt, leaseExpires, storedLease, certificates, replaced);
    }

    /** The same claim under another lease (a renewal). */
    public Claim until(Instant newLease) {
        return new Claim(attempt, newLease, null, superseded, replaced);
    }

    /**
     * The claim that takes this one over once its lease expired: the new attempt, under a new
     * lease, superseding what this one superseded and replacing this attempt and every attempt
     * this one had replaced (its leftovers are the successor's to clean up).
     */
    public Claim successor(String newAttempt, Instant newLease) {
        return new Claim(newAttempt, newLease, null, superseded, deadAttempts());
    }

    /** This attempt and every attempt it replaced: whose leftovers a successor cleans up. */
    public List<String> deadAttempts() {
        List<String> dead = new ArrayList<>();
        dead.add(attempt);
        for (String older : replaced) {
            if (!dead.contains(older)) {
                dead.add(older);
            }
        }
        return dead;
    }

    /** Whether the lease has run out at {@code now}: another process may take the work over. */
    public boolean expiredAt(Instant now) {
        return !leaseExpires.isAfter(now);
    }

    /** Names the attempt, the lease and how much the claim carries; never certificate bytes. */
    @Override
    public String toString() {
        return "Claim[" + attempt + " until " + leaseExpires + ", superseding " + superseded.size()
                + " certificate(s), replacing " + replaced + "]";
    }
}
