/**
 * Revocation status over HTTP: the CA's current CRL and certificate (RFC 5280 section
 * 4.2.1.13 and 4.2.2.1, media types of RFC 2585 section 4) and an OCSP responder (RFC 6960)
 * that answers from the directory's current revocation state.
 *
 * <p>Owns the delegated OCSP-signing key ({@link org.dirkms.agent.ocsp.OcspSigningKeyStore}),
 * the status of a serial ({@link org.dirkms.agent.ocsp.RevocationStatus}: revoked when the CRL
 * on the CA entry lists it, good when a certificate the CA issued with it is kept in the
 * directory, unknown otherwise), the responder ({@link org.dirkms.agent.ocsp.OcspResponder},
 * request in, signed response out) and the HTTP listener
 * ({@link org.dirkms.agent.ocsp.RevocationHttpServer}, the JDK's {@code com.sun.net.httpserver}).
 *
 * <p>May depend on {@code org.dirkms.agent.ca} (the CA, its records interface
 * {@link org.dirkms.agent.ca.CaRecords} and its software signer), Bouncy Castle, the JDK and
 * {@code org.dirkms.schema}. It holds no LDAP connection: the records come through
 * {@link org.dirkms.agent.ocsp.CaRecordsAccess}, which the caller implements. Everything it
 * serves is public (certificates, CRLs, signed statuses); no answer carries a key or a secret.
 */
package org.dirkms.agent.ocsp;
