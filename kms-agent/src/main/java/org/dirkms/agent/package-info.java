/**
 * The KMS agent. It speaks LDAP and nothing else to the directory and never depends on
 * ApacheDS server classes, so it runs in the server's JVM or standalone against any LDAPv3
 * server that has the KMS schema.
 */
package org.dirkms.agent;
