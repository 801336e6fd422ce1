package org.dirkms.agent.directory;

import java.util.List;
import java.util.Optional;

/**
 * The records of threshold custody (docs/custody.md): the custody on the key recovery agent's
 * entry ({@code kmsRecoveryCustody}: id, threshold, the sealed recovery keys), one
 * {@code kmsCustodyShare} child per recovery agent, and the custody sessions under
 * {@code ou=Recovery Requests} through which a dirkms command collects shares. Values cross as
 * DER bytes and strings; nothing here opens anything.
 */
public interface CustodyRecords {

    /**
     * One recovery agent's share as published.
     *
     * @param dn the share entry's DN
     * @param custodyId {@code kmsCustodyId}
     * @param holder {@code kmsShareHolder}: the recovery agent's DN, as stored
     * @param index {@code kmsShareIndex}
     * @param digest {@code kmsShareDigest}: SHA-256 of the share's content
     * @param sealedShare {@code kmsSealedShare}: the content sealed to the holder's encryption certificate
     */
    record ShareEntry(String dn, String custodyId, String holder, int index, byte[] digest, byte[] sealedShare) {
        @Override
        public String toString() {
            return "ShareEntry[" + custodyId + " #" + index + " of " + holder + "]";
        }
    }

    /**
     * The custody: its id, threshold, sealed keys and the shares of that id (shares of an earlier
     * custody left by an interrupted re-split are not among them).
     *
     * @param id {@code kmsCustodyId}
     * @param threshold {@code kmsCustodyThreshold}
     * @param sealedKeys {@code kmsSealedRecoveryKeys}
     * @param shares the shares of this custody, by index
     */
    record CustodyEntry(String id, int threshold, byte[] sealedKeys, List<ShareEntry> shares) {
        /** Copies the list. */
        public CustodyEntry {
            shares = List.copyOf(shares);
        }

        @Override
        public String toString() {
            return "CustodyEntry[" + id + ", " + threshold + " of " + shares.size() + "]";
        }
    }

    /**
     * A custody session as read.
     *
     * @param dn its DN
     * @param requestKey {@code kmsRequestKey} (DER certificate)
     * @param approvals {@code kmsRecoveryApproval} values as stored
     * @param shares {@code kmsRecoveryShare} values
     * @param description {@code description}, or null
     */
    record SessionEntry(String dn, byte[] requestKey, List<String> approvals, List<byte[]> shares,
            String description) {
        /** Copies the lists. */
        public SessionEntry {
            approvals = List.copyOf(approvals);
            shares = List.copyOf(shares);
        }
    }

    /**
     * A recovery request or custody session as an approving recovery agent reads it.
     *
     * @param dn its DN
     * @param session whether it is a custody session (else a recovery request)
     * @param state {@code kmsRecoveryState} as stored, or null
     * @param requester {@code kmsRecoveryRequester}, or null
     * @param target {@code kmsRecoveryTarget}, or null
     * @param description {@code description}, or null
     * @param requestKey {@code kmsRequestKey}, or null when there is none (yet)
     * @param approvals {@code kmsRecoveryApproval} values as stored
     * @param shares how many {@code kmsRecoveryShare} values it holds
     * @param lastError {@code kmsLastError}, or null
     */
    record ApprovalTarget(String dn, boolean session, String state, String requester, String target,
            String description, byte[] requestKey, List<String> approvals, int shares, String lastError) {
        /** Copies the list. */
        public ApprovalTarget {
            approvals = List.copyOf(approvals);
        }
    }

    /** The request or session at {@code dn}, if it is one. */
    Optional<ApprovalTarget> readApprovalTarget(String dn);

    /**
     * Adds {@code approver}'s approval to the request or session at {@code dn}, and with it, in the
     * same modify, {@code sealedShare} when not null: what {@code dirkms recovery approve} writes,
     * bound as the approver.
     *
     * @throws DirectoryAccessException with the directory's refusal when it refuses
     */
    void approve(String dn, String approver, byte[] sealedShare);

    /**
     * The current custody's share of {@code holderDn} as published (readable by the holder), with
     * the custody's id; empty when the keys are not under custody or they hold no share of it.
     */
    Optional<ShareEntry> shareOf(String holderDn);

    /** The custody of the key recovery agent's keys; empty when the keys are not under custody. */
    Optional<CustodyEntry> custody();

    /**
     * Makes {@code custody} the custody: adds its share entries, then in one modify of the key
     * recovery agent's entry replaces id, threshold and sealed keys, testing that the custody it
     * replaces is still {@code replaced} (null: none), its id and its sealed keys both (a key added
     * or retired meanwhile must not be lost), then deletes the share entries of every other custody.
     *
     * @return false if the custody had changed meanwhile (its new share entries are removed again)
     */
    boolean install(CustodyEntry custody, CustodyEntry replaced);

    /**
     * Replaces the sealed keys of the custody {@code custodyId} (a key added or retired under
     * custody), testing that they are still {@code before}.
     *
     * @return false if the custody or its sealed keys changed meanwhile
     */
    boolean reseal(String custodyId, byte[] before, byte[] after);

    /** The members of the recovery agents group, as stored. */
    List<String> recoveryAgents();

    /**
     * The certificates (DER) on {@code personDn}'s entry and its {@code cn=encryption} child,
     * the child's first: where the encryption certificate of a KMS user is.
     */
    List<byte[]> certificatesOf(String personDn);

    /**
     * Adds a custody session {@code cn=<name>} under {@code ou=Recovery Requests}, pending, with
     * its request key, threshold and description.
     *
     * @return its DN
     */
    String openSession(String name, byte[] requestKey, int threshold, String description);

    /** The session at {@code dn}, if it exists. */
    Optional<SessionEntry> readSession(String dn);

    /** Every custody session under {@code ou=Recovery Requests}: open ones, and those their process left behind. */
    List<SessionEntry> sessions();

    /** Writes {@code text} as the session's {@code kmsLastError}. */
    void noteSession(String dn, String text);

    /** Deletes the session; one already gone counts as deleted. */
    void closeSession(String dn);
}
