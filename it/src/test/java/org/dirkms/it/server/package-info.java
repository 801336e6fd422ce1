/**
 * Integration tests of the embedded directory server, driven as an administrator drives it
 * (OpenLDAP's ldapsearch/ldapmodify, the dirkms command) and with the Apache LDAP API.
 */
package org.dirkms.it.server;
