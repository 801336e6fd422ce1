package org.dirkms.agent.custody;

import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import org.dirkms.agent.archive.CmsEnvelope;
import org.dirkms.agent.directory.CustodyRecords.CustodyEntry;
import org.dirkms.agent.directory.CustodyRecords.ShareEntry;
import org.dirkms.agent.keys.KeyPairFactory;
import org.dirkms.agent.keys.RecoveryKey;

/**
 * Making a custody and rebuilding its keys (docs/custody.md).
 */
public final class Custody {
    /** The most M-of-N subsets {@link #split} checks one by one; above it, a random sample of this many. */
    static final int SUBSETS_CHECKED = 256;

    private Custody() {
    }

    /**
     * A recovery agent taking part in a custody: their DN and the encryption certificate their
     * share is sealed to.
     *
     * @param dn the recovery agent's DN
     * @param certificate their encryption certificate
     */
    public record Holder(String dn, X509Certificate certificate) {
    }

    /**
     * Splits custody of {@code keys} among {@code holders}, any {@code threshold} of whom rebuild
     * them: a fresh custody id and secret, the keys sealed under the secret, one share per holder
     * sealed to their certificate with its digest. Before it returns, it rebuilds the secret from
     * every {@code threshold} of the shares (a sample of {@value #SUBSETS_CHECKED} when there are more
     * subsets) and opens the sealed keys with it, comparing them with {@code keys}.
     *
     * @throws IllegalArgumentException if the threshold or holders are not usable
     * @throws IllegalStateException if a check fails (nothing is returned then)
     */
    public static CustodyEntry split(List<RecoveryKey> keys, List<Holder> holders, int threshold, SecureRandom random) {
        if (holders.size() > ShamirShares.MAXIMUM_SHARES) {
            throw new IllegalArgumentException("at most " + ShamirShares.MAXIMUM_SHARES + " recovery agents hold shares");
        }
        byte[] id = new byte[8];
        random.nextBytes(id);
        String custodyId = HexFormat.of().formatHex(id);
        byte[] secret = SealedRecoveryKeys.newSecret(random);
        List<ShamirShares.Share> shares = List.of();
        try {
            byte[] sealedKeys = SealedRecoveryKeys.seal(keys, secret, custodyId, random);
            shares = ShamirShares.split(secret, threshold, holders.size(), random);
            verify(keys, sealedKeys, secret, shares, threshold, random);
            List<ShareEntry> entries = new ArrayList<>();
            for (int i = 0; i < holders.size(); i++) {
                Holder holder = holders.get(i);
                ShareContent content = new ShareContent(custodyId, holder.dn(), shares.get(i));
                byte[] encoded = content.encoded();
                try {
                    byte[] sealed = CmsEnvelope.toCertificate(holder.certificate(), random).seal(encoded);
                    entries.add(new ShareEntry(null, custodyId, holder.dn(), shares.get(i).index(),
                            ShareContent.sha256(encoded), sealed));
                } finally {
                    Arrays.fill(encoded, (byte) 0);
                }
            }
            return new CustodyEntry(custodyId, threshold, sealedKeys, entries);
        } finally {
            Arrays.fill(secret, (byte) 0);
            shares.forEach(ShamirShares.Share::clear);
        }
    }

    private static void verify(List<RecoveryKey> keys, byte[] sealedKeys, byte[] secret, List<ShamirShares.Share> shares,
            int threshold, SecureRandom random) {
        List<List<ShamirShares.Share>> subsets = new ArrayList<>();
        subsets(shares, threshold, 0, new ArrayList<>(), subsets, SUBSETS_CHECKED + 1);
        if (subsets.size() > SUBSETS_CHECKED) {
            subsets.clear();
            for (int n = 0; n < SUBSETS_CHECKED; n++) {
                List<ShamirShares.Share> shuffled = new ArrayList<>(shares);
                java.util.Collections.shuffle(shuffled, random);
                subsets.add(shuffled.subList(0, threshold));
            }
        }
        for (List<ShamirShares.Share> subset : subsets) {
            byte[] rebuilt = ShamirShares.combine(subset);
            try {
                if (!Arrays.equals(rebuilt, secret)) {
                    throw new IllegalStateException("shares " + subset + " do not rebuild the custody secret");
                }
                List<RecoveryKey> opened = SealedRecoveryKeys.open(sealedKeys, rebuilt);
                if (!sameKeys(opened, keys)) {
                    throw new IllegalStateException("the sealed recovery keys do not open to the keys sealed");
                }
            } finally {
                Arrays.fill(rebuilt, (byte) 0);
            }
        }
        if (threshold > 1) {
            byte[] fewer = ShamirShares.combine(shares.subList(0, threshold - 1));
            try {
                if (Arrays.equals(fewer, secret)) {
                    throw new IllegalStateException("fewer shares than the threshold rebuild the secret");
                }
            } finally {
                Arrays.fill(fewer, (byte) 0);
            }
        }
    }

    private static void subsets(List<ShamirShares.Share> all, int size, int from, List<ShamirShares.Share> current,
            List<List<ShamirShares.Share>> out, int limit) {
        if (out.size() >= limit) {
            return;
        }
        if (current.size() == size) {
            out.add(List.copyOf(current));
            return;
        }
        for (int i = from; i < all.size(); i++) {
            current.add(all.get(i));
            subsets(all, size, i + 1, current, out, limit);
            current.remove(current.size() - 1);
        }
    }

    /** Whether two lists hold the same certificates with matching keys, in order. */
    static boolean sameKeys(List<RecoveryKey> a, List<RecoveryKey> b) {
        if (a.size() != b.size()) {
            return false;
        }
        for (int i = 0; i < a.size(); i++) {
            if (!a.get(i).keyId().equals(b.get(i).keyId())
                    || !KeyPairFactory.matches(a.get(i).privateKey(), b.get(i).certificate().getPublicKey())) {
                return false;
            }
        }
        return true;
    }

    /**
     * The keys and secret rebuilt from {@code good} shares of {@code custody}: kept in memory only,
     * cleared by {@link #close()}.
     */
    public static final class Rebuilt implements AutoCloseable {
        private final byte[] secret;
        private final List<RecoveryKey> keys;
        private final String custodyId;

        private Rebuilt(byte[] secret, List<RecoveryKey> keys, String custodyId) {
            this.secret = secret;
            this.keys = keys;
            this.custodyId = custodyId;
        }

        /** Every recovery key, newest (the current) first. */
        public List<RecoveryKey> keys() {
            return keys;
        }

        /** The custody they were rebuilt from. */
        public String custodyId() {
            return custodyId;
        }

        /** {@code keys} sealed again under this custody's secret (a key added or retired under custody). */
        public byte[] reseal(List<RecoveryKey> newKeys, SecureRandom random) {
            return SealedRecoveryKeys.seal(newKeys, secret, custodyId, random);
        }

        /** Overwrites the secret and drops the keys as far as the JDK lets it. */
        @Override
        public void close() {
            Arrays.fill(secret, (byte) 0);
            for (RecoveryKey key : keys) {
                try {
                    key.privateKey().destroy();
                } catch (javax.security.auth.DestroyFailedException | RuntimeException e) {
                    // most providers' keys cannot be destroyed; the references go with this object
                }
            }
        }

        @Override
        public String toString() {
            return "Rebuilt[" + custodyId + ", " + keys.size() + " key(s)]";
        }
    }

    /**
     * Rebuilds the recovery keys of {@code custody} from {@code good} (at least its threshold of
     * shares judged good, {@link ShareJudge}).
     *
     * @throws IllegalArgumentException if there are too few, or what they rebuild does not open the sealed keys
     */
    public static Rebuilt rebuild(CustodyEntry custody, List<ShareContent> good) {
        if (good.size() < custody.threshold()) {
            throw new IllegalArgumentException(good.size() + " good share(s); custody " + custody.id() + " needs "
                    + custody.threshold());
        }
        List<ShamirShares.Share> shares = good.subList(0, custody.threshold()).stream().map(ShareContent::share).toList();
        byte[] secret = ShamirShares.combine(shares);
        try {
            return new Rebuilt(secret, SealedRecoveryKeys.open(custody.sealedKeys(), secret), custody.id());
        } catch (RuntimeException e) {
            Arrays.fill(secret, (byte) 0);
            throw e;
        }
    }
}
