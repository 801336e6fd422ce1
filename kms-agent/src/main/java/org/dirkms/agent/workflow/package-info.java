/**
 * The workflow kernel every claimed, leased, resumable piece of KMS work stands on
 * (docs/reliability.md): the {@link org.dirkms.agent.workflow.Lease} a claim lasts for, on an
 * injected clock, and the {@link org.dirkms.agent.workflow.Attempts} that name each try at the
 * work; the claim itself, as the directory stores it, is
 * {@link org.dirkms.agent.directory.Claim}. Enrollment uses them; recovery and the CA's request
 * queue are the next state machines on them.
 *
 * <p>May depend on {@code org.dirkms.agent.directory} (the claim) and the JDK; never on the CA,
 * the key code or an LDAP client.
 */
package org.dirkms.agent.workflow;
