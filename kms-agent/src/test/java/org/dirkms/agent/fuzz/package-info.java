/**
 * The project's fuzz generator, shared by the agent's parser fuzz tests and the integration
 * tests that send its cases to the real server ({@code it}, package {@code org.dirkms.it.fuzz},
 * through this module's test jar).
 *
 * <p><b>Why a generator of our own and not Jazzer.</b> Jazzer is coverage-guided: it needs its
 * native JVMTI agent and bytecode instrumentation, it runs for a time rather than a number of
 * cases, and what it tries depends on the coverage it saw, so two runs of plain {@code mvn
 * verify} do not try the same inputs and a failure is replayed from a saved crash file. It is
 * also not in this build's repository, which builds offline. The seeded generator here runs in
 * any JVM with nothing native, tries exactly the same cases every run (case {@code i} of a
 * target is a function of the seed, the target and {@code i}: {@link org.dirkms.agent.fuzz.FuzzSettings}),
 * replays one case from two properties, and is structure-aware where coverage guidance would
 * have to discover structure: {@link org.dirkms.agent.fuzz.DerMutator} mutates valid DER seeds
 * ({@link org.dirkms.agent.fuzz.DerSeeds}: certificates, CRLs, PKCS#10, CMS SignedData and
 * EnvelopedData, a CertificatePair, all made in set-up) element by element. What it cannot do is
 * find a path no mutation of a seed reaches; the long profile ({@code -Pfuzz-long}) runs twenty
 * times the cases with any seed.
 *
 * <p>{@link org.dirkms.agent.fuzz.ParserFuzz} runs an agent parser over the mutations with a
 * timeout per case and checks that it throws only the exception types it documents;
 * {@link org.dirkms.agent.fuzz.FuzzTally} counts outcomes and prints the {@code FUZZ} line.
 *
 * <p>Test code only; may depend on the agent, Bouncy Castle and the JDK.
 */
package org.dirkms.agent.fuzz;
