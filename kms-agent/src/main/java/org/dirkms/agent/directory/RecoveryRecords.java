package org.dirkms.agent.directory;

import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

import org.dirkms.agent.directory.EnrollmentRecords.ArchivedKeyEntry;
import org.dirkms.agent.directory.EnrollmentRecords.GroupEntry;
import org.dirkms.schema.RecoveryState;

/**
 * The records the key recovery workflow keeps in the directory (docs/state-machines.md,
 * "Recovery"): recovery requests ({@code kmsRecoveryRequest} under {@code ou=Recovery
 * Requests}), and what a recovery reads: the target user, the key archive, the CA entries for
 * the chains, the administrative groups and KMS servers (which agent serves the user, how many
 * approvals its server requires) and the members of the role groups. Certificates, packages and
 * wrapped keys cross this interface as DER bytes.
 *
 * <p>Every write to a request is one modify that deletes a value only its writer can expect
 * (the state it leaves, the attempt that holds the claim, the approvals it counted), so that it
 * fails, changing nothing, when anything moved meanwhile (docs/reliability.md).
 */
public interface RecoveryRecords {

    /**
     * What is read of a recovery request.
     *
     * @param dn the request's DN
     * @param name its {@code cn}
     * @param target {@code kmsRecoveryTarget}: the user whose keys are recovered
     * @param requester {@code kmsRecoveryRequester}, or null when absent
     * @param approvals the {@code kmsRecoveryApproval} values, as stored
     * @param requiredApprovals {@code kmsRequiredApprovals} as stored, or null when absent
     * @param state {@code kmsRecoveryState}, or null when absent or not a known state
     * @param rawState the state as stored, for messages, or null
     * @param certificate {@code kmsRecoveryCertificate} (DER): the one certificate whose key is
     *        asked for, or null for every encryption key of the user
     * @param claim the claim of the attempt recovering it, or null
     * @param created {@code createTimestamp}, or null when the directory does not say
     * @param packageExpires {@code kmsKeyPackageExpires}: when an unfetched package expires, or null
     * @param hasPackage whether {@code kmsRecoveryPackage} is there (as far as the reader may see)
     * @param hasToken whether {@code kmsRecoveryToken} is there (as far as the reader may see)
     * @param lastError {@code kmsLastError}, or null
     * @param description {@code description}, or null
     * @param requestKey {@code kmsRequestKey} (DER certificate): the key custody shares are sealed
     *        to, or null (docs/custody.md)
     * @param shares the {@code kmsRecoveryShare} values
     */
    record RequestEntry(String dn, String name, String target, String requester, List<String> approvals,
            String requiredApprovals, RecoveryState state, String rawState, byte[] certificate, Claim claim,
            Instant created, Instant packageExpires, boolean hasPackage, boolean hasToken, String lastError,
            String description, byte[] requestKey, List<byte[]> shares) {
        /** Copies the lists. */
        public RequestEntry {
            approvals = List.copyOf(approvals);
            shares = List.copyOf(shares);
        }

        /** A request with no request key and no shares: one of an archive not under custody. */
        public RequestEntry(String dn, String name, String target, String requester, List<String> approvals,
                String requiredApprovals, RecoveryState state, String rawState, byte[] certificate, Claim claim,
                Instant created, Instant packageExpires, boolean hasPackage, boolean hasToken, String lastError,
                String description) {
            this(dn, name, target, requester, approvals, requiredApprovals, state, rawState, certificate, claim, created,
                    packageExpires, hasPackage, hasToken, lastError, description, null, List.of());
        }

        /** Names the request and its state; never a package or a token. */
        @Override
        public String toString() {
            return "RequestEntry[" + dn + ", " + rawState + ", " + approvals.size() + " approval(s)]";
        }
    }

    /**
     * What a recovery reads of the user whose keys it recovers.
     *
     * @param dn the user's DN
     * @param mail the {@code mail} values
     * @param groupDn {@code kmsAdministrativeGroup}, or null (the default group)
     * @param archiveRecords {@code kmsArchiveRecord}: the archive records of every encryption key
     *        an enrollment of the user published, current, superseded and revoked
     */
    record TargetUser(String dn, List<String> mail, String groupDn, List<String> archiveRecords) {
        /** Copies the lists. */
        public TargetUser {
            mail = List.copyOf(mail);
            archiveRecords = List.copyOf(archiveRecords);
        }
    }

    /**
     * A KMS server's entry as recovery reads it.
     *
     * @param dn the entry's DN
     * @param agentIdentity {@code kmsAgentIdentity}: the agent that runs it, or null
     * @param requiredApprovals {@code kmsRequiredApprovals}, or its default when absent
     */
    record KmsServer(String dn, String agentIdentity, int requiredApprovals) {
    }

    /**
     * The recovered package and its one-time token, as the agent writes them for the requester.
     * The caller clears the arrays after use.
     *
     * @param recoveryPackage {@code kmsRecoveryPackage}: the PKCS#12 of the recovered keys, or one
     *        PKCS#12 per key in the legacy package format (for gpgsm 2.2)
     * @param token {@code kmsRecoveryToken}: its import password
     * @param expires {@code kmsKeyPackageExpires}: when it goes unfetched
     */
    record Delivery(List<byte[]> recoveryPackage, char[] token, Instant expires) {
        /** Keeps the values given (the caller's arrays, cleared by {@link #clear}); at least one. */
        public Delivery {
            recoveryPackage = List.copyOf(recoveryPackage);
            if (recoveryPackage.isEmpty()) {
                throw new IllegalArgumentException("a delivery holds a package");
            }
        }

        /** Overwrites the package and the token. */
        public void clear() {
            recoveryPackage.forEach(value -> Arrays.fill(value, (byte) 0));
            Arrays.fill(token, '\0');
        }

        /** Never shows the package or the token. */
        @Override
        public String toString() {
            return "Delivery[" + recoveryPackage.size() + " PKCS#12, expires " + expires + "]";
        }
    }

    /** The request at {@code dn}, if it exists and is a {@code kmsRecoveryRequest}. */
    Optional<RequestEntry> readRequest(String dn);

    /** Every recovery request under {@code ou=Recovery Requests}. */
    List<RequestEntry> requests();

    /** Every recovery request whose {@code kmsRecoveryState} is one of {@code states}. */
    List<RequestEntry> requestsIn(RecoveryState... states);

    /** The user at {@code dn}, if the entry exists. */
    Optional<TargetUser> readTarget(String dn);

    /** The archive record at {@code dn}, if it exists. */
    Optional<ArchivedKeyEntry> readArchivedKey(String dn);

    /** The archive records whose {@code kmsKeyOwner} is {@code ownerDn}. */
    List<ArchivedKeyEntry> archivedKeys(String ownerDn);

    /**
     * The {@code cACertificate;binary} values (DER, the CA's own first) of the CA entry at
     * {@code caDn}, which sits at its CA's subject DN; empty if there is no such entry.
     */
    List<byte[]> caCertificates(String caDn);

    /** Every administrative group. */
    List<GroupEntry> groups();

    /** Every KMS server entry. */
    List<KmsServer> servers();

    /** The {@code member} values of the group at {@code groupDn} (a role group), as stored. */
    List<String> groupMembers(String groupDn);

    /**
     * Claims a pending request that no attempt holds: one modify that deletes and adds back
     * {@code kmsRecoveryState: pending} and adds {@code kmsClaimedBy} (single-valued, so the add
     * fails when another attempt holds it) with the lease.
     *
     * @return true if this caller now holds the claim
     */
    boolean claim(String dn, Claim claim);

    /**
     * Takes over the recovery whose lease expired: deletes exactly {@code expired}'s stored lease
     * and writes {@code successor}, so that of two processes taking over, one wins.
     *
     * @return true if this caller now holds the claim
     */
    boolean takeOver(String dn, Claim expired, Claim successor);

    /**
     * Ends {@code held} without moving the state (the approvals it counted on changed): deletes
     * its attempt (the test) and the rest of the claim.
     *
     * @return false if {@code held} was no longer the claim, in which case nothing changed
     */
    boolean releaseClaim(String dn, Claim held);

    /**
     * Writes the recovered package for the requester in one modify, only while {@code held} is
     * the claim, the state is {@code pending} and every one of {@code approvals} (as stored) is
     * still there: package, token, expiry, state {@code approved}, last error removed, claim ended.
     *
     * @return false if anything changed (the claim was taken over, the request is no longer
     *         pending, an approval was withdrawn): nothing was written
     */
    boolean deliver(String dn, Claim held, List<String> approvals, Delivery delivery);

    /**
     * Ends the recovery held by {@code held} as failed, with {@code reason} in {@code kmsLastError}.
     *
     * @return false if {@code held} was no longer the claim or the request no longer pending
     */
    boolean fail(String dn, Claim held, String reason);

    /**
     * Ends a request in state {@code from} as expired, with {@code reason} in {@code kmsLastError}:
     * any package, token, expiry and claim go.
     *
     * @return false if the state was no longer {@code from}
     */
    boolean expire(String dn, RecoveryState from, String reason);

    /**
     * Records that the requester fetched the package (they deleted it): {@code approved} becomes
     * {@code delivered}, the token and the expiry go.
     *
     * @return false if the state was no longer {@code approved}
     */
    boolean confirmDelivery(String dn);

    /**
     * The package and its token, as the reader may see them (the requester and KMS agents read
     * them; anyone else gets nothing), with the expiry; empty when there is none.
     */
    Optional<Delivery> readDelivery(String dn);

    /**
     * Deletes {@code kmsRecoveryPackage}: the requester's confirmation that they fetched it. A
     * package already gone counts as deleted.
     */
    void removePackage(String dn);

    /** Sets {@code kmsRequiredApprovals} on the KMS server entry at {@code serverDn}. */
    void setRequiredApprovals(String serverDn, int count);

    /**
     * The custody of the recovery keys (docs/custody.md), empty when the keys are not under
     * custody: then recoveries unwrap with the data folder's key store.
     */
    default Optional<CustodyRecords.CustodyEntry> custody() {
        return Optional.empty();
    }

    /**
     * Claims a pending request under custody and publishes its request key in the same modify:
     * as {@link #claim} when {@code expired} is null, as {@link #takeOver} otherwise; the shares
     * in {@code voidShares} (sealed to a lost request key, or given before there was a key) and the
     * approvals in {@code voidApprovals} are deleted (each recovery agent approves again, with a
     * share sealed to the new key), and {@code note}, when not null, becomes {@code kmsLastError}.
     *
     * @return true if this caller now holds the claim
     */
    default boolean claimWithRequestKey(String dn, Claim expired, Claim claim, byte[] requestKey,
            List<byte[]> voidShares, List<String> voidApprovals, String note) {
        throw new UnsupportedOperationException("these records keep no custody");
    }

    /**
     * Extends the lease of {@code held} to {@code until}.
     *
     * @return false if {@code held} was no longer the claim
     */
    default boolean renewClaim(String dn, Claim held, Instant until) {
        throw new UnsupportedOperationException("these records keep no custody");
    }

    /**
     * Writes {@code note} as {@code kmsLastError} while {@code held} is the claim (a refused share,
     * reported while the request stays pending); null removes it.
     *
     * @return false if {@code held} was no longer the claim
     */
    default boolean note(String dn, Claim held, String note) {
        throw new UnsupportedOperationException("these records keep no custody");
    }
}
