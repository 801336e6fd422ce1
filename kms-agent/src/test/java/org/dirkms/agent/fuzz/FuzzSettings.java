package org.dirkms.agent.fuzz;

import java.util.OptionalInt;
import java.util.SplittableRandom;

/**
 * How many cases a fuzz target runs and from which seed, read from system properties so that
 * the default {@code mvn verify} run and the {@code -Pfuzz-long} profile share one code path:
 * <ul>
 * <li>{@code dirkms.fuzz.seed}: the seed of every target (default {@value #DEFAULT_SEED}); case
 * {@code i} of a target draws from a generator made of the seed, the target name and {@code i}
 * only, so a case is the same whatever ran before it and in whichever thread;</li>
 * <li>{@code dirkms.fuzz.scale}: multiplies each target's default case count (default 1;
 * {@code -Pfuzz-long} sets 20);</li>
 * <li>{@code dirkms.fuzz.cases}: the case count of every target, overriding the scaled default;</li>
 * <li>{@code dirkms.fuzz.case}: run this one case index only, to replay a failure.</li>
 * </ul>
 * An empty property counts as absent (the POM passes them all through, set or not).
 */
public final class FuzzSettings {

    /** The seed when none is given: fixed, so that the default run is the same every time. */
    public static final long DEFAULT_SEED = 20261125L;

    private FuzzSettings() {
    }

    /** The seed of this run. */
    public static long seed() {
        String value = property("dirkms.fuzz.seed");
        return value == null ? DEFAULT_SEED : Long.parseLong(value);
    }

    /** How many cases a target whose default is {@code defaultCases} runs. */
    public static int cases(int defaultCases) {
        String cases = property("dirkms.fuzz.cases");
        if (cases != null) {
            return Integer.parseInt(cases);
        }
        String scale = property("dirkms.fuzz.scale");
        return defaultCases * (scale == null ? 1 : Integer.parseInt(scale));
    }

    /** The one case to replay, when {@code dirkms.fuzz.case} is set. */
    public static OptionalInt onlyCase() {
        String value = property("dirkms.fuzz.case");
        return value == null ? OptionalInt.empty() : OptionalInt.of(Integer.parseInt(value));
    }

    /** Whether case {@code index} runs in this run (all do, unless one is replayed). */
    public static boolean runs(int index) {
        OptionalInt only = onlyCase();
        return only.isEmpty() || only.getAsInt() == index;
    }

    /**
     * The generator of case {@code index} of {@code target}: a function of the seed, the target
     * and the index alone.
     */
    public static SplittableRandom random(String target, int index) {
        long mixed = seed() * 0x9E3779B97F4A7C15L + target.hashCode() * 0xC2B2AE3D27D4EB4FL + index;
        return new SplittableRandom(mixed);
    }

    /** How to replay case {@code index}: the Maven properties to add to the command. */
    public static String replay(int index) {
        return "-Ddirkms.fuzz.seed=" + seed() + " -Ddirkms.fuzz.case=" + index;
    }

    private static String property(String name) {
        String value = System.getProperty(name);
        return value == null || value.isBlank() ? null : value.strip();
    }
}
