package org.dirkms.agent.fuzz;

/**
 * A mutated value and how it was made.
 *
 * @param bytes       the value
 * @param description the mutations applied, by position, tag and size: never the value itself,
 *                    so that a description can be printed even when the value is a secret
 */
public record Mutation(byte[] bytes, String description) {
}
