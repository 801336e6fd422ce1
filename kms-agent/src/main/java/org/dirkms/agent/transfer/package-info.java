/**
 * Moving users with their keys from one KMS server to another (docs/transfer.md): the
 * {@link org.dirkms.agent.transfer.TransferDocument} a source writes (its users' KMS state, every
 * certificate they had, every archived encryption key, a manifest with a digest of each item) and
 * the {@link org.dirkms.agent.transfer.TransferEnvelope} around it (CMS SignedData by the source
 * KMS, sealed as CMS EnvelopedData to the destination's transport certificate), which the
 * destination opens and checks whole before it writes anything; the server's
 * {@link org.dirkms.agent.transfer.TransferIdentity} (its transport and signing keys); and the
 * {@link org.dirkms.agent.transfer.TransferExport} and {@link org.dirkms.agent.transfer.TransferImport}
 * that {@code dirkms export} and {@code dirkms import} run.
 *
 * <p>May depend on the cryptography packages ({@code keys}, {@code archive}), the CA (to certify
 * the identity), the records interfaces of {@code directory} ({@code EnrollmentRecords},
 * {@code TransferRecords}), {@code names}, Bouncy Castle, Jackson, the LDAP API's DN model, the
 * schema and the JDK; never an LDAP connection, the enrollment, recovery or escrow workflows
 * (ArchitectureIT).
 */
package org.dirkms.agent.transfer;
