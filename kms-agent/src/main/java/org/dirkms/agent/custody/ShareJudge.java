package org.dirkms.agent.custody;

import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.dirkms.agent.directory.CustodyRecords.CustodyEntry;
import org.dirkms.agent.directory.CustodyRecords.ShareEntry;
import org.dirkms.agent.names.DistinguishedNames;

/**
 * Judges the custody shares given back on a request or session ({@code kmsRecoveryShare}): a share
 * counts when it opens with the request key, belongs to the current custody, is held by one of
 * the approvals counted (a recovery agent who approved), and matches the digest the custody
 * published for its holder; one per holder. Every other share is refused with the reason and the
 * agent's DN; a share that does not open names nobody by itself, so the approvers still without a
 * good share are named.
 */
public final class ShareJudge {
    private ShareJudge() {
    }

    /**
     * What the shares of one request gave.
     *
     * @param good the shares that count, one per holder; the caller clears them
     * @param refusals one line per refused share, naming the agent
     */
    public record Verdict(List<ShareContent> good, List<String> refusals) {
        /** Copies the lists. */
        public Verdict {
            good = List.copyOf(good);
            refusals = List.copyOf(refusals);
        }

        /** Overwrites the shares held. */
        public void clear() {
            good.forEach(ShareContent::clear);
        }

        /** The refusals as one line, or null when there is none. */
        public String refusalText() {
            return refusals.isEmpty() ? null : String.join("; ", refusals);
        }
    }

    /**
     * Judges {@code shares} against {@code custody}.
     *
     * @param approvers the approvals counted on the request (DNs as stored): the agents whose shares may count
     */
    public static Verdict judge(CustodyEntry custody, RequestKey requestKey, List<byte[]> shares,
            Collection<String> approvers) {
        Map<String, String> counted = new LinkedHashMap<>();
        for (String approver : approvers) {
            DistinguishedNames.normalIfValid(approver).ifPresent(normal -> counted.put(normal, approver));
        }
        Map<String, ShareEntry> published = new LinkedHashMap<>();
        for (ShareEntry share : custody.shares()) {
            DistinguishedNames.normalIfValid(share.holder()).ifPresent(normal -> published.put(normal, share));
        }
        List<ShareContent> good = new ArrayList<>();
        List<String> refusals = new ArrayList<>();
        Set<String> holders = new HashSet<>();
        int unopened = 0;
        for (byte[] sealed : shares) {
            ShareContent content;
            try {
                content = requestKey.open(sealed);
            } catch (IllegalArgumentException e) {
                unopened++;
                continue;
            }
            String holder = DistinguishedNames.normalIfValid(content.holder()).orElse(null);
            if (!content.custodyId().equals(custody.id())) {
                refusals.add("the share of " + content.holder() + " belongs to custody " + content.custodyId()
                        + ", not the current custody " + custody.id() + " (the keys were split again since): refused");
                content.clear();
            } else if (holder == null || !counted.containsKey(holder)) {
                refusals.add("the share of " + content.holder() + " comes with no approval of theirs counted on this"
                        + " request (only a recovery agent who approved gives a share): refused");
                content.clear();
            } else if (!matches(published.get(holder), content)) {
                refusals.add("the share of " + content.holder() + " is not the share custody " + custody.id()
                        + " gave them (forged or tampered with): refused");
                content.clear();
            } else if (!holders.add(holder)) {
                content.clear(); // the same agent's share twice counts once
            } else {
                good.add(content);
            }
        }
        if (unopened > 0) {
            List<String> without = new ArrayList<>();
            for (Map.Entry<String, String> approver : counted.entrySet()) {
                if (!holders.contains(approver.getKey())) {
                    without.add(approver.getValue());
                }
            }
            refusals.add(unopened + (unopened == 1 ? " share does" : " shares do") + " not open with this request's"
                    + " key (sealed to another request, replayed, or damaged): refused"
                    + (without.isEmpty() ? "" : "; approvals with no good share: " + String.join(", ", without)));
        }
        return new Verdict(good, refusals);
    }

    private static boolean matches(ShareEntry published, ShareContent content) {
        if (published == null || published.index() != content.share().index()) {
            return false;
        }
        return MessageDigest.isEqual(published.digest(), content.digest());
    }
}
