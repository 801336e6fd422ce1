package org.dirkms.dist;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.apache.directory.ldap.client.api.LdapNetworkConnection;
import org.dirkms.agent.custody.Custody;
import org.dirkms.agent.directory.CustodyRecords.CustodyEntry;
import org.dirkms.agent.directory.LdapCustodyRecords;
import org.dirkms.agent.keys.RecoveryKey;
import org.dirkms.agent.keys.RecoveryKeyStore;

/**
 * The recovery keys a dirkms archive command works with, in its memory: the data folder's key
 * store, or, under custody (docs/custody.md, "Archive operations under custody"), the keys rebuilt
 * from the shares of a custody session M recovery agents approved. Closing it clears the rebuilt
 * keys and secret; nothing of them is ever written to the data folder.
 */
final class ArchiveKeys implements AutoCloseable {
    private final RecoveryKeyStore store;
    private final Custody.Rebuilt rebuilt;
    private final CustodyEntry custody;

    private ArchiveKeys(RecoveryKeyStore store, Custody.Rebuilt rebuilt, CustodyEntry custody) {
        this.store = store;
        this.rebuilt = rebuilt;
        this.custody = custody;
    }

    /**
     * Whether the recovery keys of {@code kms} are under custody: its data folder says so
     * ({@code recovery/custody}), or it holds no key store and the directory holds a custody (a
     * command run from another host).
     */
    static boolean underCustody(KmsContext kms) {
        return kms.underCustody() || (!RecoveryKeyStore.exists(kms.dataFolder()) && directoryHoldsCustody(kms));
    }

    /** Whether the directory of {@code kms} holds a custody; false when it cannot be asked. */
    static boolean directoryHoldsCustody(KmsContext kms) {
        try (LdapNetworkConnection directory = kms.openConnection(KmsContext.OPERATION_TIMEOUT_MILLIS)) {
            return kms.custodyRecords(directory).custody().isPresent();
        } catch (Exception e) {
            // Unreachable, or not the agent: the caller's usage error about the missing key store stands.
            return false;
        }
    }

    /**
     * The keys of the data folder's {@code store}, once the directory of {@code kms} shows it holds no
     * custody beside them.
     *
     * @throws IllegalStateException if it does (a custody that stopped before removing the store)
     */
    static ArchiveKeys of(KmsContext kms, LdapNetworkConnection directory, RecoveryKeyStore store) {
        if (kms.custodyRecords(directory).custody().isPresent()) {
            throw new IllegalStateException("the directory holds a custody of the recovery keys, but " + store.file()
                    + " is still here (a 'dirkms archive custody' stopped before removing it): run 'dirkms archive"
                    + " custody' again to finish it");
        }
        return new ArchiveKeys(store, null, null);
    }

    /**
     * Under custody, the keys rebuilt from a custody session opened for {@code purpose}, waiting at
     * most {@code wait} for the agents' shares ({@link CustodySessions#rebuild}).
     *
     * @return the keys, or empty when the agents did not give their shares in time
     * @throws IllegalStateException if the directory holds no custody, or it changed while this waited
     * @throws InterruptedException if interrupted while waiting
     */
    static Optional<ArchiveKeys> rebuild(KmsContext kms, LdapNetworkConnection directory, String purpose,
            Duration wait, PrintWriter out) throws InterruptedException {
        LdapCustodyRecords records = kms.custodyRecords(directory);
        CustodyEntry before = records.custody().orElseThrow(() -> new IllegalStateException(kms.dataFolder()
                .recoveryCustody() + " says the recovery keys are under custody, but the directory holds no custody at "
                + kms.recoveryAgentDn() + ": restore the directory from a backup"));
        Custody.Rebuilt rebuilt = CustodySessions.rebuild(kms, records, purpose, wait, out);
        if (rebuilt == null) {
            return Optional.empty();
        }
        // What re-seals the keys tests against the sealed keys they were rebuilt from: they must be these.
        CustodyEntry after = records.custody().orElse(null);
        if (after == null || !rebuilt.custodyId().equals(before.id()) || !after.id().equals(before.id())
                || !java.util.Arrays.equals(after.sealedKeys(), before.sealedKeys())) {
            rebuilt.close();
            throw new IllegalStateException("the custody of the recovery keys changed while this waited (a re-split,"
                    + " a rekey or a retire under custody ran meanwhile): run it again");
        }
        return Optional.of(new ArchiveKeys(null, rebuilt, before));
    }

    /** Every recovery key, the current (newest) first. */
    List<RecoveryKey> keys() {
        return store != null ? store.keys() : rebuilt.keys();
    }

    /** The current key: new archives are wrapped to it. */
    RecoveryKey current() {
        return keys().get(0);
    }

    /** Whether these keys were rebuilt under custody (else they come from the data folder's store). */
    boolean custodial() {
        return rebuilt != null;
    }

    /** The data folder's key store; null under custody. */
    RecoveryKeyStore store() {
        return store;
    }

    /** The rebuilt keys and secret under custody; null otherwise. */
    Custody.Rebuilt rebuilt() {
        return rebuilt;
    }

    /** The custody the keys were rebuilt from, as read once they were; null without custody. */
    CustodyEntry custody() {
        return custody;
    }

    /** Where the keys are, for messages: the key store file, or the custody. */
    String where() {
        return store != null ? store.file().toString() : "custody " + custody.id();
    }

    /** Clears the rebuilt keys and secret. */
    @Override
    public void close() {
        if (rebuilt != null) {
            rebuilt.close();
        }
    }
}
