/**
 * The fuzz suite against the real embedded server: every input the server parses from others —
 * certificates, CRLs, PKCS#10, CMS values, crossCertificatePair, every KMS attribute by its
 * syntax and enumeration, DN-valued attributes, entry names, search filters and compares, LDIF
 * change records, whole BER messages — sent over TLS sockets (LDAPS and StartTLS) as the KMS
 * agent, the superuser, a KMS administrator, an ordinary user and an anonymous client
 * ({@link org.dirkms.it.fuzz.Who}).
 *
 * <p><b>Generator.</b> The project's own seeded, structure-aware generator
 * ({@code org.dirkms.agent.fuzz}, from the agent's test jar; its package comment says why not
 * Jazzer): DER seeds made in set-up mutated element by element, text mutated character by
 * character ({@link org.dirkms.it.fuzz.TextMutator}), DNs and filters built and broken by their
 * RFCs' rules ({@link org.dirkms.it.fuzz.DnStrings}, {@link org.dirkms.it.fuzz.FilterCases}).
 * Case {@code i} of a target is a function of the seed, the target and {@code i}; a failure is
 * replayed with {@code -Ddirkms.fuzz.seed=... -Ddirkms.fuzz.case=i}. Requests are encoded by hand
 * ({@link org.dirkms.it.fuzz.LdapRequests}) so that what the Apache LDAP API would refuse to send
 * — malformed names, filters 60 000 levels deep, broken PDUs — reaches the server.
 *
 * <p><b>What each case must satisfy</b> ({@link org.dirkms.it.fuzz.ServerFuzzRunner}): an answer
 * within {@value org.dirkms.it.fuzz.ServerFuzzRunner#TIMEOUT_MILLIS} ms; never other (80) nor
 * operationsError (1); a result code from the set expected for its input class, decided per case
 * from what the generator knows of the value ({@link org.dirkms.it.fuzz.Validity}, with
 * independent oracles such as {@link org.dirkms.it.fuzz.DerOracle}) and from the access rules
 * of docs/security.md ({@link org.dirkms.it.fuzz.Policy});
 * no Java exception text or stack trace in the diagnostic; no secret echoed in a diagnostic, and
 * no planted secret ({@link org.dirkms.it.fuzz.FuzzFixture}) in any response to an identity that
 * may not read it; and the server still answers a simple search afterwards, on the same
 * connection or, when the case may end it (a malformed PDU), on a new one.
 *
 * <p>Test code only; may depend on the server's and the agent's modules, the Apache LDAP API
 * (for parsing, never for sending cases) and Bouncy Castle.
 */
package org.dirkms.it.fuzz;
