/**
 * The standalone KMS agent's own audit trail: every write the agent makes to the directory, in a
 * hash-chained log in its data folder ({@code audit/agent.log}, the format of
 * {@link org.dirkms.schema.audit}), its head anchored in the directory at an entry under
 * {@code ou=Audit,ou=KMS} that only KMS agents write ({@link org.dirkms.agent.audit.AgentAuditTrail}).
 * It is what the embedded server's KMS interceptor does for every write, done by the agent for
 * its own writes where no interceptor runs (OpenLDAP).
 *
 * <p>Depends on the JDK, the Apache LDAP API (to read and write the anchor), the schema module
 * and the agent's connection ({@link org.dirkms.agent.enroll.AgentConnection},
 * {@link org.dirkms.agent.enroll.WriteJournal}); nothing in the agent depends on it but the
 * command line that wires it in.
 */
package org.dirkms.agent.audit;
