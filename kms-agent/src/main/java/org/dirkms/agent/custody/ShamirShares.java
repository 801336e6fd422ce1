package org.dirkms.agent.custody;

import java.io.IOException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.bouncycastle.crypto.threshold.ShamirSecretSplitter;
import org.bouncycastle.crypto.threshold.ShamirSplitSecret;
import org.bouncycastle.crypto.threshold.ShamirSplitSecretShare;

/**
 * Shamir secret sharing (Shamir, "How to share a secret", 1979) over GF(2^8) with the AES field
 * polynomial x^8 + x^4 + x^3 + x + 1, byte by byte, by Bouncy Castle's
 * {@code org.bouncycastle.crypto.threshold}: a secret is split into N shares of its own length, any
 * M of which give it back, fewer nothing (each byte of fewer than M shares is uniformly
 * distributed whatever the secret). Shares are numbered 1..N (the x coordinate).
 */
public final class ShamirShares {
    /** The most shares a split makes: the non-zero elements of GF(2^8). */
    public static final int MAXIMUM_SHARES = 255;

    private ShamirShares() {
    }

    /**
     * One share: its index (x coordinate, 1..255) and its value. {@link #toString()} shows the index only.
     *
     * @param index the x coordinate
     * @param value the share, as long as the secret
     */
    public record Share(int index, byte[] value) {
        /** Checks the index. */
        public Share {
            if (index < 1 || index > MAXIMUM_SHARES) {
                throw new IllegalArgumentException("a share index is 1 to " + MAXIMUM_SHARES + ", not " + index);
            }
            value = value.clone();
        }

        @Override
        public byte[] value() {
            return value.clone();
        }

        /** Overwrites the value held. */
        public void clear() {
            Arrays.fill(value, (byte) 0);
        }

        @Override
        public String toString() {
            return "Share[" + index + "]";
        }
    }

    /**
     * Splits {@code secret} into {@code holders} shares, any {@code threshold} of which rebuild it.
     *
     * @throws IllegalArgumentException unless 1 &lt;= threshold &lt;= holders &lt;= 255 and the secret is not empty
     */
    public static List<Share> split(byte[] secret, int threshold, int holders, SecureRandom random) {
        if (secret.length == 0) {
            throw new IllegalArgumentException("an empty secret cannot be split");
        }
        if (threshold < 1 || threshold > holders || holders > MAXIMUM_SHARES) {
            throw new IllegalArgumentException("a split needs 1 <= threshold (" + threshold + ") <= holders ("
                    + holders + ") <= " + MAXIMUM_SHARES);
        }
        ShamirSecretSplitter splitter = new ShamirSecretSplitter(ShamirSecretSplitter.Algorithm.AES,
                ShamirSecretSplitter.Mode.Table, secret.length, random);
        ShamirSplitSecret split = splitter.resplit(secret.clone(), threshold, holders);
        List<Share> shares = new ArrayList<>();
        ShamirSplitSecretShare[] made = (ShamirSplitSecretShare[]) split.getSecretShares();
        for (int i = 0; i < made.length; i++) {
            try {
                shares.add(new Share(i + 1, made[i].getEncoded()));
            } catch (IOException e) {
                throw new IllegalStateException("a share cannot be encoded", e);
            }
        }
        return List.copyOf(shares);
    }

    /**
     * The secret {@code shares} rebuild: exactly right when they are at least the threshold of one
     * split, distinct and unchanged; otherwise some other bytes (Shamir sharing detects nothing:
     * the callers check what they rebuild, {@link SealedRecoveryKeys#open}).
     *
     * @throws IllegalArgumentException if there is no share, two share one index, or their lengths differ
     */
    public static byte[] combine(List<Share> shares) {
        if (shares.isEmpty()) {
            throw new IllegalArgumentException("no share to rebuild a secret from");
        }
        Set<Integer> indexes = new HashSet<>();
        int length = shares.get(0).value.length;
        ShamirSplitSecretShare[] given = new ShamirSplitSecretShare[shares.size()];
        for (int i = 0; i < shares.size(); i++) {
            Share share = shares.get(i);
            if (!indexes.add(share.index())) {
                throw new IllegalArgumentException("two shares have the index " + share.index());
            }
            if (share.value.length != length) {
                throw new IllegalArgumentException("the shares differ in length: they are not of one split");
            }
            given[i] = new ShamirSplitSecretShare(share.value.clone(), share.index());
        }
        try {
            return new ShamirSplitSecret(ShamirSecretSplitter.Algorithm.AES, ShamirSecretSplitter.Mode.Table, given)
                    .getSecret();
        } catch (IOException e) {
            throw new IllegalStateException("the shares cannot be combined", e);
        }
    }
}
