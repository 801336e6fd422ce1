/**
 * Certificate services: the certification authority that issues every certificate of dirkms.
 *
 * <p>Owns the CA key behind {@link org.dirkms.agent.ca.CaSigner} (software PKCS#12 now, a
 * PKCS#11 token later), root and subordinate set-up ({@link org.dirkms.agent.ca.CaSetup}),
 * certificate templates as typed, validated records
 * ({@link org.dirkms.agent.ca.CertificateTemplate}), the issuance pipeline
 * (validate the request, apply the template, enforce policy, sign:
 * {@link org.dirkms.agent.ca.CertificationAuthority#issue}) and revocation with CRLs.
 *
 * <p>May depend on Bouncy Castle, the JDK, {@code org.dirkms.schema} and the LDAP API's name
 * classes only. It knows no directory: {@link org.dirkms.agent.ca.CertificationAuthority} is
 * given the subject DN and addresses read from the directory entry, and
 * {@link org.dirkms.agent.ca.CaService} reads and writes the CA's records through
 * {@link org.dirkms.agent.ca.CaRecords}, the interface this package owns and
 * {@code org.dirkms.agent.directory} implements over LDAP. Refusals are
 * {@link org.dirkms.agent.ca.IssuanceRefusedException}s whose message is a plain-language
 * reason fit for {@code kmsLastError}; no message ever contains key material or a passphrase.
 *
 * <p>A CRL is updated by reading the published one and publishing its successor, so updates
 * must not interleave: {@link org.dirkms.agent.ca.CaService} makes them take turns per CA within
 * the JVM ({@link org.dirkms.agent.ca.CrlUpdateLocks}) and publishes with the directory's
 * compare-and-swap ({@link org.dirkms.agent.ca.CaRecords#replaceCrl}) against other
 * processes, so no revocation is lost to a concurrent one.
 */
package org.dirkms.agent.ca;
