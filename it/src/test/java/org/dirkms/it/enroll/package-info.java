/**
 * Integration tests of the agent runtime (README, "What the KMS answers"): enrollment of users
 * against the real embedded directory (claim, archive before publish, publication, delivery, failure, revocation, package
 * expiry), the syncrepl-driven agent, and the {@code dirkms enroll} bulk command, checked with
 * the OpenLDAP clients and openssl as well as in Java. May depend on everything the it module does.
 */
package org.dirkms.it.enroll;
