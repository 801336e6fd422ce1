/**
 * Integration tests and benchmarks of the key archive's recovery key (README, "Rotating the key
 * recovery key"): {@code dirkms archive rekey}, {@code rewrap} (killed and restarted as its own
 * process), {@code retire} and {@code check} over the real server with its agent running, checked
 * with ldapsearch, ldapmodify, openssl and the audit log as well as in Java; the re-wrap's
 * throughput against its ceiling. May depend on everything the it module does.
 */
package org.dirkms.it.archive;
