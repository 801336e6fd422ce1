package org.dirkms.agent.operations;

import java.util.function.Supplier;

/** One check of {@code /healthz}: it answers with a {@link Result}, never throws. */
@FunctionalInterface
public interface HealthCheck {

    /**
     * What a check found.
     *
     * @param name the check's name, one word ({@code directory}, {@code agent}, {@code ca}, {@code crl})
     * @param healthy whether it passed
     * @param detail what it saw, or what is wrong, in a sentence (no secret)
     */
    record Result(String name, boolean healthy, String detail) {
    }

    /** Runs the check. */
    Result check();

    /**
     * A check named {@code name} whose {@code problem} answers null when all is well and a
     * sentence otherwise; a {@link RuntimeException} it throws is a failure with its message.
     *
     * @param healthyDetail what the result says when all is well
     */
    static HealthCheck of(String name, String healthyDetail, Supplier<String> problem) {
        return () -> {
            String found;
            try {
                found = problem.get();
            } catch (RuntimeException e) {
                found = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            }
            return found == null ? new Result(name, true, healthyDetail) : new Result(name, false, found);
        };
    }
}
