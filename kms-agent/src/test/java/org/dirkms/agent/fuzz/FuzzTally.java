package org.dirkms.agent.fuzz;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * The account of one fuzz target: how many cases ran, how often each outcome came (an LDAP
 * result code, or the exception type a parser threw), the failures, and the slowest case.
 * Thread-safe. Its {@link #line()} is the {@code FUZZ} line printed at the end of a run.
 *
 * <p>Failures are of two kinds: a <em>crash</em> (no answer in time, a dropped connection, a
 * server that no longer answers a simple search, result code other or operationsError, an
 * exception type the parser does not document) and a <em>violation</em> (a result code outside
 * the set expected for the input class, Java exception text or a secret in a diagnostic).
 */
public final class FuzzTally {
    /** How many crashes, and how many kinds of violation, are kept for the report; the counts go on. */
    private static final int KEPT_FAILURES = 15;

    private final String target;
    private final Map<String, Integer> outcomes = new TreeMap<>(FuzzTally::byNumberFirst);
    private final List<String> crashList = new ArrayList<>();
    private final Map<String, String> violationKinds = new java.util.LinkedHashMap<>();
    private int cases;
    private int crashes;
    private int violations;
    private long slowestNanos = -1;
    private String slowest = "";

    /** An empty account of {@code target}. */
    public FuzzTally(String target) {
        this.target = target;
    }

    /** The target's name. */
    public String target() {
        return target;
    }

    /** Counts one case with its {@code outcome} and duration; {@code description} names it for the slowest. */
    public synchronized void record(String outcome, long nanos, String description) {
        cases++;
        outcomes.merge(outcome, 1, Integer::sum);
        if (nanos > slowestNanos) {
            slowestNanos = nanos;
            slowest = description;
        }
    }

    /** A crash of case {@code index}: see the class comment. */
    public synchronized void crash(int index, String what, String description) {
        crashes++;
        if (crashList.size() < KEPT_FAILURES) {
            crashList.add(format("CRASH", index, what, description));
        }
    }

    /** A violation of case {@code index}: see the class comment. */
    public synchronized void violation(int index, String what, String description) {
        violations++;
        // One example of each kind: the same refusal of many cases is one finding.
        String kind = what.replaceAll("[0-9]+", "#");
        kind = kind.substring(0, Math.min(kind.length(), 70));
        if (violationKinds.size() < KEPT_FAILURES) {
            violationKinds.putIfAbsent(kind, format("VIOLATION", index, what, description));
        }
    }

    private static String format(String kind, int index, String what, String description) {
        return kind + " case " + index + " (" + FuzzSettings.replay(index) + "): " + what + "\n    case: " + description;
    }

    /** Cases counted so far. */
    public synchronized int cases() {
        return cases;
    }

    /** Crashes counted so far. */
    public synchronized int crashes() {
        return crashes;
    }

    /** How often each outcome came. */
    public synchronized Map<String, Integer> outcomes() {
        return Map.copyOf(outcomes);
    }

    /**
     * {@code FUZZ <target>: <cases> cases, codes {0=12, 21=400}, 0 crashes, 0 violations,
     * slowest <ms> ms (<case>)}.
     */
    public synchronized String line() {
        String codes = outcomes.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
                .collect(Collectors.joining(", ", "{", "}"));
        return "FUZZ " + target + ": " + cases + " cases, seed " + FuzzSettings.seed() + ", " + outcomes.size()
                + " distinct outcomes " + codes + ", " + crashes + " crashes, " + violations + " violations, slowest "
                + (slowestNanos < 0 ? 0 : slowestNanos / 1_000_000) + " ms (" + slowest + ")";
    }

    /**
     * Fails with every kept failure when there was a crash or a violation.
     *
     * @throws AssertionError listing the failures and how to replay them
     */
    public synchronized void assertClean() {
        if (crashes + violations > 0) {
            List<String> failures = new ArrayList<>(crashList);
            failures.addAll(violationKinds.values());
            throw new AssertionError(line() + "\n" + String.join("\n", failures)
                    + (crashes + violations > failures.size() ? "\n  ... and more of these kinds" : ""));
        }
    }

    private static int byNumberFirst(String a, String b) {
        boolean numberA = !a.isEmpty() && a.chars().allMatch(Character::isDigit);
        boolean numberB = !b.isEmpty() && b.chars().allMatch(Character::isDigit);
        if (numberA && numberB) {
            return Integer.compare(Integer.parseInt(a), Integer.parseInt(b));
        }
        return numberA ? -1 : numberB ? 1 : a.compareTo(b);
    }
}
