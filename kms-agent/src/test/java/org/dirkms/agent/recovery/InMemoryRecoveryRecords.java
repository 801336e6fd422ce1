package org.dirkms.agent.recovery;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

import org.dirkms.agent.directory.Claim;
import org.dirkms.agent.directory.CustodyRecords.CustodyEntry;
import org.dirkms.agent.directory.EnrollmentRecords.ArchivedKeyEntry;
import org.dirkms.agent.directory.EnrollmentRecords.GroupEntry;
import org.dirkms.agent.directory.RecoveryRecords;
import org.dirkms.agent.names.DistinguishedNames;
import org.dirkms.schema.RecoveryState;

/**
 * {@link RecoveryRecords} in memory, with the test-and-set semantics of the LDAP modifies
 * (docs/reliability.md): each write checks what its modify deletes (the state, the attempt, the
 * stored lease, the approvals) and changes nothing when one is not there. Every write that
 * reached the "directory" is counted and named in {@link #writes}; {@link #crashAfterWrite}
 * makes the process "die" right after the n-th write reached it, as a killed agent would.
 * Under custody ({@link #custody}, docs/custody.md) it keeps the request key and the shares on
 * the request as the directory does: {@link #claimWithRequestKey} is one modify that tests the
 * claim (none, or the expired one) and deletes exactly the shares and approvals it names, so
 * that a share added meanwhile makes it fail as the LDAP delete of a missing value would.
 * Synchronized: two services may race on it.
 */
final class InMemoryRecoveryRecords implements RecoveryRecords {

    /**
     * The agent "died": thrown after a write reached the directory. An {@link Error}, so that no
     * handler of the agent's own failures catches it: a killed process handles nothing.
     */
    static final class Crash extends Error {
        private static final long serialVersionUID = 1L;

        Crash(String write) {
            super("killed after " + write);
        }
    }

    /** A request as the directory holds it, secrets included. */
    static final class StoredRequest {
        RequestEntry entry;
        List<byte[]> recoveryPackage;
        char[] token;

        StoredRequest(RequestEntry entry) {
            this.entry = entry;
        }
    }

    final Map<String, StoredRequest> requests = new LinkedHashMap<>();
    final Map<String, TargetUser> users = new LinkedHashMap<>();
    final Map<String, ArchivedKeyEntry> archive = new LinkedHashMap<>();
    final Map<String, List<byte[]>> caEntries = new LinkedHashMap<>();
    final List<GroupEntry> groups = new ArrayList<>();
    final List<KmsServer> servers = new ArrayList<>();
    final Map<String, List<String>> groupMembers = new LinkedHashMap<>();
    final List<String> writes = new ArrayList<>();
    /** How many packages were ever written, on any entry. */
    final AtomicInteger deliveries = new AtomicInteger();
    /** Crash right after the write with this number (1 for the first from now); 0: never. */
    int crashAfterWrite;
    /** The custody of the recovery keys, or null: recoveries then unwrap with the key store. */
    CustodyEntry custody;
    /** Run just before a delivery is judged, e.g. to withdraw an approval as a recovery agent would. */
    Runnable beforeDeliver = () -> { };

    private int writesSinceArmed;

    /** Makes the process die right after the {@code n}-th write from now. */
    synchronized void crashAfter(int n) {
        crashAfterWrite = n;
        writesSinceArmed = 0;
    }

    synchronized void put(RequestEntry entry) {
        requests.put(key(entry.dn()), new StoredRequest(entry));
    }

    synchronized StoredRequest stored(String dn) {
        return requests.get(key(dn));
    }

    synchronized RequestEntry entry(String dn) {
        return requests.get(key(dn)).entry;
    }

    /** The requester deletes the package, as their ldapmodify does. */
    synchronized void requesterDeletesPackage(String dn) {
        StoredRequest stored = stored(dn);
        stored.recoveryPackage = null;
        stored.entry = with(stored.entry, stored.entry.state(), stored.entry.claim(), stored.entry.packageExpires(),
                stored.entry.lastError(), stored.entry.approvals(), false, stored.token != null);
    }

    /** A recovery agent adds or removes an approval, as the guard lets them. */
    synchronized void setApprovals(String dn, List<String> approvals) {
        StoredRequest stored = stored(dn);
        stored.entry = with(stored.entry, stored.entry.state(), stored.entry.claim(), stored.entry.packageExpires(),
                stored.entry.lastError(), approvals, stored.recoveryPackage != null, stored.token != null);
    }

    /**
     * A recovery agent approves and gives their share in one modify, as the guard lets them: the
     * approval (when not null) and the share (when not null) are added.
     */
    synchronized void give(String dn, String approval, byte[] share) {
        StoredRequest stored = stored(dn);
        List<String> approvals = new ArrayList<>(stored.entry.approvals());
        if (approval != null) {
            approvals.add(approval);
        }
        List<byte[]> shares = new ArrayList<>(stored.entry.shares());
        if (share != null) {
            shares.add(share.clone());
        }
        stored.entry = withCustody(with(stored.entry, stored.entry.state(), stored.entry.claim(),
                stored.entry.packageExpires(), stored.entry.lastError(), approvals, stored.recoveryPackage != null,
                stored.token != null), stored.entry.requestKey(), shares);
    }

    @Override
    public synchronized Optional<CustodyEntry> custody() {
        return Optional.ofNullable(custody);
    }

    @Override
    public synchronized boolean claimWithRequestKey(String dn, Claim expired, Claim claim, byte[] requestKey,
            List<byte[]> voidShares, List<String> voidApprovals, String note) {
        StoredRequest stored = stored(dn);
        if (stored == null || stored.entry.state() != RecoveryState.PENDING) {
            return false;
        }
        Claim now = stored.entry.claim();
        if (expired == null ? now != null
                : now == null || !now.attempt().equals(expired.attempt())
                        || !now.leaseExpires().equals(expired.leaseExpires())) {
            return false;
        }
        List<byte[]> shares = new ArrayList<>(stored.entry.shares());
        for (byte[] share : voidShares) {
            if (!shares.removeIf(value -> Arrays.equals(value, share))) {
                return false; // noSuchAttribute: the share was withdrawn meanwhile
            }
        }
        List<String> approvals = new ArrayList<>(stored.entry.approvals());
        for (String approval : voidApprovals) {
            if (!approvals.remove(approval)) {
                return false;
            }
        }
        stored.entry = withCustody(with(stored.entry, RecoveryState.PENDING, claim, stored.entry.packageExpires(),
                note == null ? stored.entry.lastError() : note, approvals, stored.recoveryPackage != null,
                stored.token != null), requestKey.clone(), shares);
        return wrote(expired == null ? "claimWithRequestKey" : "takeOverWithRequestKey");
    }

    @Override
    public synchronized boolean renewClaim(String dn, Claim held, Instant until) {
        StoredRequest stored = stored(dn);
        if (!holds(stored, held) || !stored.entry.claim().leaseExpires().equals(held.leaseExpires())) {
            return false;
        }
        stored.entry = with(stored.entry, stored.entry.state(), Claim.of(held.attempt(), until),
                stored.entry.packageExpires(), stored.entry.lastError(), stored.entry.approvals(),
                stored.recoveryPackage != null, stored.token != null);
        return wrote("renew");
    }

    @Override
    public synchronized boolean note(String dn, Claim held, String note) {
        StoredRequest stored = stored(dn);
        if (!holds(stored, held)) {
            return false;
        }
        stored.entry = with(stored.entry, stored.entry.state(), stored.entry.claim(), stored.entry.packageExpires(), note,
                stored.entry.approvals(), stored.recoveryPackage != null, stored.token != null);
        return wrote("note");
    }

    @Override
    public synchronized Optional<RequestEntry> readRequest(String dn) {
        return Optional.ofNullable(requests.get(key(dn))).map(stored -> stored.entry);
    }

    @Override
    public synchronized List<RequestEntry> requests() {
        return requests.values().stream().map(stored -> stored.entry).toList();
    }

    @Override
    public synchronized List<RequestEntry> requestsIn(RecoveryState... states) {
        List<RecoveryState> wanted = List.of(states);
        return requests.values().stream().map(stored -> stored.entry).filter(entry -> wanted.contains(entry.state()))
                .toList();
    }

    @Override
    public synchronized Optional<TargetUser> readTarget(String dn) {
        return Optional.ofNullable(users.get(key(dn)));
    }

    @Override
    public synchronized Optional<ArchivedKeyEntry> readArchivedKey(String dn) {
        return Optional.ofNullable(archive.get(key(dn)));
    }

    @Override
    public synchronized List<ArchivedKeyEntry> archivedKeys(String ownerDn) {
        return archive.values().stream().filter(record -> DistinguishedNames.same(record.owner(), ownerDn)).toList();
    }

    @Override
    public synchronized List<byte[]> caCertificates(String caDn) {
        return caEntries.getOrDefault(key(caDn), List.of());
    }

    @Override
    public synchronized List<GroupEntry> groups() {
        return List.copyOf(groups);
    }

    @Override
    public synchronized List<KmsServer> servers() {
        return List.copyOf(servers);
    }

    @Override
    public synchronized List<String> groupMembers(String groupDn) {
        return groupMembers.getOrDefault(key(groupDn), List.of());
    }

    @Override
    public synchronized boolean claim(String dn, Claim claim) {
        StoredRequest stored = stored(dn);
        if (stored == null || stored.entry.state() != RecoveryState.PENDING || stored.entry.claim() != null) {
            return false;
        }
        stored.entry = with(stored.entry, RecoveryState.PENDING, claim, stored.entry.packageExpires(),
                stored.entry.lastError(), stored.entry.approvals(), stored.recoveryPackage != null, stored.token != null);
        return wrote("claim");
    }

    @Override
    public synchronized boolean takeOver(String dn, Claim expired, Claim successor) {
        StoredRequest stored = stored(dn);
        if (stored == null || stored.entry.claim() == null
                || !stored.entry.claim().leaseExpires().equals(expired.leaseExpires())) {
            return false;
        }
        stored.entry = with(stored.entry, stored.entry.state(), successor, stored.entry.packageExpires(),
                stored.entry.lastError(), stored.entry.approvals(), stored.recoveryPackage != null, stored.token != null);
        return wrote("takeOver");
    }

    @Override
    public synchronized boolean releaseClaim(String dn, Claim held) {
        StoredRequest stored = stored(dn);
        if (!holds(stored, held)) {
            return false;
        }
        stored.entry = with(stored.entry, stored.entry.state(), null, stored.entry.packageExpires(),
                stored.entry.lastError(), stored.entry.approvals(), stored.recoveryPackage != null, stored.token != null);
        return wrote("release");
    }

    @Override
    public boolean deliver(String dn, Claim held, List<String> approvals, Delivery delivery) {
        beforeDeliver.run();
        synchronized (this) {
            StoredRequest stored = stored(dn);
            if (!holds(stored, held) || stored.entry.state() != RecoveryState.PENDING
                    || !stored.entry.approvals().containsAll(approvals)) {
                return false;
            }
            stored.recoveryPackage = delivery.recoveryPackage().stream().map(byte[]::clone).toList();
            stored.token = delivery.token().clone();
            stored.entry = with(stored.entry, RecoveryState.APPROVED, null, delivery.expires(), null,
                    stored.entry.approvals(), true, true);
            deliveries.incrementAndGet();
            return wrote("deliver");
        }
    }

    @Override
    public synchronized boolean fail(String dn, Claim held, String reason) {
        StoredRequest stored = stored(dn);
        if (!holds(stored, held) || stored.entry.state() != RecoveryState.PENDING) {
            return false;
        }
        stored.entry = with(stored.entry, RecoveryState.FAILED, null, null, reason, stored.entry.approvals(), false,
                false);
        return wrote("fail");
    }

    @Override
    public synchronized boolean expire(String dn, RecoveryState from, String reason) {
        StoredRequest stored = stored(dn);
        if (stored == null || stored.entry.state() != from) {
            return false;
        }
        clearSecrets(stored);
        stored.entry = with(stored.entry, RecoveryState.EXPIRED, null, null, reason, stored.entry.approvals(), false,
                false);
        return wrote("expire");
    }

    @Override
    public synchronized boolean confirmDelivery(String dn) {
        StoredRequest stored = stored(dn);
        if (stored == null || stored.entry.state() != RecoveryState.APPROVED) {
            return false;
        }
        clearSecrets(stored);
        stored.entry = with(stored.entry, RecoveryState.DELIVERED, null, null, stored.entry.lastError(),
                stored.entry.approvals(), false, false);
        return wrote("confirm");
    }

    @Override
    public synchronized Optional<Delivery> readDelivery(String dn) {
        StoredRequest stored = stored(dn);
        if (stored == null || stored.recoveryPackage == null || stored.token == null) {
            return Optional.empty();
        }
        return Optional.of(new Delivery(stored.recoveryPackage.stream().map(byte[]::clone).toList(), stored.token.clone(),
                stored.entry.packageExpires()));
    }

    @Override
    public synchronized void removePackage(String dn) {
        requesterDeletesPackage(dn);
    }

    @Override
    public synchronized void setRequiredApprovals(String serverDn, int count) {
        for (int i = 0; i < servers.size(); i++) {
            if (DistinguishedNames.same(servers.get(i).dn(), serverDn)) {
                servers.set(i, new KmsServer(servers.get(i).dn(), servers.get(i).agentIdentity(), count));
            }
        }
    }

    private boolean wrote(String write) {
        writes.add(write);
        writesSinceArmed++;
        if (crashAfterWrite > 0 && writesSinceArmed == crashAfterWrite) {
            crashAfterWrite = 0;
            throw new Crash(write);
        }
        return true;
    }

    private static boolean holds(StoredRequest stored, Claim held) {
        return stored != null && stored.entry.claim() != null && stored.entry.claim().attempt().equals(held.attempt());
    }

    private static void clearSecrets(StoredRequest stored) {
        if (stored.recoveryPackage != null) {
            stored.recoveryPackage.forEach(value -> Arrays.fill(value, (byte) 0));
        }
        if (stored.token != null) {
            Arrays.fill(stored.token, '\0');
        }
        stored.recoveryPackage = null;
        stored.token = null;
    }

    private static RequestEntry with(RequestEntry entry, RecoveryState state, Claim claim, Instant packageExpires,
            String lastError, List<String> approvals, boolean hasPackage, boolean hasToken) {
        return new RequestEntry(entry.dn(), entry.name(), entry.target(), entry.requester(), approvals,
                entry.requiredApprovals(), state, state.ldapValue(), entry.certificate(), claim, entry.created(),
                packageExpires, hasPackage, hasToken, lastError, entry.description(), entry.requestKey(),
                entry.shares());
    }

    private static RequestEntry withCustody(RequestEntry entry, byte[] requestKey, List<byte[]> shares) {
        return new RequestEntry(entry.dn(), entry.name(), entry.target(), entry.requester(), entry.approvals(),
                entry.requiredApprovals(), entry.state(), entry.rawState(), entry.certificate(), entry.claim(),
                entry.created(), entry.packageExpires(), entry.hasPackage(), entry.hasToken(), entry.lastError(),
                entry.description(), requestKey, shares);
    }

    static String key(String dn) {
        return DistinguishedNames.normal(dn);
    }
}
