/**
 * The workflow kernel every claimed, leased, resumable piece of KMS work stands on
 * (docs/reliability.md): the {@link org.dirkms.agent.workflow.Lease} a claim lasts for, on an
 * injected clock, and the {@link org.dirkms.agent.workflow.Attempts} that name each try at the
 * work; the claim itself, as the directory stores it, is
 * {@link org.dirkms.agent.directory.Claim}; and {@link org.dirkms.agent.workflow.Workflow}, what
 * the running agent needs of a state machine it drives beside enrollment (the entries it follows,
 * those waiting, the handling of one). Enrollment and the recovery of keys use them; the CA's
 * request queue is the next state machine on them.
 *
 * <p>May depend on {@code org.dirkms.agent.directory} (the claim) and the JDK; never on the CA,
 * the key code or an LDAP client.
 */
package org.dirkms.agent.workflow;
