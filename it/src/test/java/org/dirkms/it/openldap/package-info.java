/**
 * dirkms on OpenLDAP: the shared slapd harness ({@link org.dirkms.it.openldap.Slapd}, with its
 * throwaway CA {@link org.dirkms.it.openldap.SlapdCa}), configured from what
 * {@code dirkms openldap config} writes, and the integration tests that run the KMS against it:
 * the access rules probed as every role, beside the embedded server, with the same answers.
 * Real slapd, real OpenLDAP clients, real sockets; no mock of the directory.
 */
package org.dirkms.it.openldap;
