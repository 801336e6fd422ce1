/**
 * Partner trust (docs/state-machines.md, "Trust list"; docs/directory-layout.md, "ou=Trust"):
 * the root certificates of partner organisations a KMS administrator adds under
 * {@code ou=Trust} ({@link org.dirkms.agent.trust.PartnerRoot}, checked before anything is
 * published), the signed trust list the KMS agent that runs with the enterprise CA publishes on
 * {@code cn=Trust List,ou=Trust} and keeps current ({@link org.dirkms.agent.trust.TrustService},
 * a {@link org.dirkms.agent.workflow.Workflow}: CMS SignedData, RFC 5652, over an RFC 5914
 * TrustAnchorList, {@link org.dirkms.agent.trust.SignedTrustList}), the key that signs it
 * ({@link org.dirkms.agent.trust.TrustListSigningKeyStore}), and the cross-certificates the
 * enterprise CA issues for partner roots ({@link org.dirkms.agent.trust.CrossCertification}).
 *
 * <p>May depend on {@code org.dirkms.agent.workflow} (the {@code Workflow} the running agent
 * drives), {@code org.dirkms.agent.directory} (all directory access, behind
 * {@link org.dirkms.agent.trust.TrustRecords}, which the directory package implements over
 * LDAP), {@code org.dirkms.agent.ca} (the CA that certifies the signer and cross-certifies, and
 * its revocation), {@code names}, {@code org.dirkms.schema}, Bouncy Castle (CMS) and the Apache
 * LDAP API client (only to be wired to a connection); never on {@code enroll}, {@code recovery},
 * {@code escrow} nor ApacheDS server classes. No private key reaches a log line, an exception
 * message or {@code kmsLastError}.
 */
package org.dirkms.agent.trust;
