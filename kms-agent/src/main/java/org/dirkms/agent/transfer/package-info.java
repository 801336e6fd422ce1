/**
 * Moving users with their keys from one KMS server to another (docs/transfer.md): the
 * {@link org.dirkms.agent.transfer.TransferDocument} a source writes (its users' KMS state, every
 * certificate they had, every archived encryption key, a manifest with a digest of each item) and
 * the {@link org.dirkms.agent.transfer.TransferEnvelope} around it (CMS SignedData by the source
 * KMS, sealed as CMS EnvelopedData to the destination's transport certificate), which the
 * destination opens and checks whole before it writes anything.
 *
 * <p>May depend on the cryptography packages ({@code keys}, {@code archive}), Bouncy Castle,
 * Jackson, the schema and the JDK.
 */
package org.dirkms.agent.transfer;
