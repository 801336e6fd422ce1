/**
 * The certificate request queue under {@code ou=Requests} as certification authorities serve
 * it (docs/state-machines.md, "The certificate request queue"): any number of CAs, in any
 * number of processes, each claiming with a lease only what a template installed on it allows
 * and its capacity leaves room for, taking over what a CA that died held once its lease ran out,
 * and recording each certificate with a test-and-set on its own claim, so that no request ever
 * gets two. A state machine on the workflow kernel ({@link org.dirkms.agent.workflow.Lease},
 * {@link org.dirkms.agent.workflow.Attempts}) over the CA's records.
 *
 * <p>May depend on {@code org.dirkms.agent.ca}, the workflow kernel, the DN names, the schema
 * and the JDK; never on the directory's LDAP code, the enrollment or the command line.
 */
package org.dirkms.agent.queue;
