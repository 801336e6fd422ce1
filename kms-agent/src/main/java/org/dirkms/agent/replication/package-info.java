/**
 * Agents on a replicated directory (docs/reliability.md, "Replicated directories"): which
 * provider of a multi-provider set is the <em>home</em> where every agent makes its claims and
 * every other write ({@link org.dirkms.agent.replication.HomeProvider}), judged by what each
 * provider has applied of the others' changes, its {@code contextCSN}
 * ({@link org.dirkms.agent.replication.ContextCsn}).
 *
 * <p>The test-and-set of a claim (RFC 4511 section 4.6) is atomic on one provider only: two
 * agents writing to two providers could both win it before replication brings either change
 * across. One ordered list of providers, the same for every agent, and the rule that the home is
 * the first of them that answers and has caught up with those after it, make every agent write
 * to the same provider except in the seconds around a failover.
 *
 * <p>May depend on the Apache LDAP API client (to read {@code contextCSN}) and the JDK; never on
 * the enrollment, the CA or the key code.
 */
package org.dirkms.agent.replication;
