/**
 * Distinguished names, one way: {@link org.dirkms.agent.names.DistinguishedNames} parses and
 * normalises DNs through the LDAP API (RFC 4514, RFC 4517, RFC 4518), for every comparison, map
 * key, lock and derived name of the agent, whichever package makes it.
 *
 * <p>May depend on the JDK and the LDAP API's model classes only, so that every other package
 * of the agent may use it.
 */
package org.dirkms.agent.names;
