package org.dirkms.agent.enroll;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The {@code kmsClaimedBy} value of an enrollment, with the attempts a take-over replaced.
 *
 * <p>An attempt is named by its owner and a counter ({@code "agent-7f3a #12"}); its archive
 * record and queued requests are named from that identity and its lease. A take-over must clean
 * up what the dead attempt left, but it can only do so after its own claim is written (the
 * test-and-set is what makes it the one process allowed to); a process killed between the two
 * would leave the dead attempt's archive record to nobody. So a take-over's claim carries the
 * lineage: {@code "<attempt> replaces <dead attempt>@<lease epoch> <older dead attempt>@<lease>…"},
 * and the next take-over cleans up every attempt in it. The lineage ends when the enrollment is
 * published or failed (the claim is removed then), so it holds only consecutive dead attempts.
 */
final class ClaimLineage {

    private static final String REPLACES = " replaces ";
    private static final Pattern ENTRY = Pattern.compile("\\s*(.+?)@(\\d{1,18})(?=\\s|$)");

    /** One dead attempt: its identity and the lease it held. */
    record Attempt(String claim, Instant leaseExpires) {
    }

    private ClaimLineage() {
    }

    /** The identity of the attempt that holds {@code claimedBy}, without its lineage. */
    static String attemptOf(String claimedBy) {
        int at = claimedBy.indexOf(REPLACES);
        return at < 0 ? claimedBy : claimedBy.substring(0, at);
    }

    /**
     * The suffix a take-over appends to its own attempt identity: the attempt it replaces (the
     * holder of {@code claimedBy}, whose lease expired at {@code leaseExpires}) and that
     * attempt's own lineage.
     */
    static String successorSuffix(String claimedBy, Instant leaseExpires) {
        if (claimedBy == null || leaseExpires == null) {
            return "";
        }
        StringBuilder suffix = new StringBuilder(REPLACES).append(entry(attemptOf(claimedBy), leaseExpires));
        for (Attempt older : replaced(claimedBy)) {
            suffix.append(' ').append(entry(older.claim(), older.leaseExpires()));
        }
        return suffix.toString();
    }

    /**
     * Every dead attempt to clean up when the holder of {@code claimedBy} (lease expired at
     * {@code leaseExpires}) is taken over: that holder first, then those it replaced.
     */
    static List<Attempt> deadAttempts(String claimedBy, Instant leaseExpires) {
        List<Attempt> dead = new ArrayList<>();
        dead.add(new Attempt(attemptOf(claimedBy), leaseExpires));
        dead.addAll(replaced(claimedBy));
        return dead;
    }

    /** The attempts listed after {@code replaces}; an entry that does not parse is skipped. */
    private static List<Attempt> replaced(String claimedBy) {
        List<Attempt> attempts = new ArrayList<>();
        int at = claimedBy.indexOf(REPLACES);
        if (at < 0) {
            return attempts;
        }
        // Entries are "<owner> #<n>@<epoch>", separated by spaces. An owner may hold spaces and
        // '@' (it starts with the agent's DN), so an entry ends at the first "@<digits>" that is
        // followed by a space or the end.
        Matcher entry = ENTRY.matcher(claimedBy.substring(at + REPLACES.length()));
        while (entry.find()) {
            attempts.add(new Attempt(entry.group(1), Instant.ofEpochSecond(Long.parseLong(entry.group(2)))));
        }
        return attempts;
    }

    private static String entry(String attempt, Instant leaseExpires) {
        return attempt + "@" + leaseExpires.getEpochSecond();
    }
}
