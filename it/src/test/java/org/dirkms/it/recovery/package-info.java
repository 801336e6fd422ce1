/**
 * Integration tests of key recovery (docs/administrator-contract.md, 5; docs/state-machines.md,
 * "Recovery"): the request, the approvals and every refusal with the OpenLDAP clients and the
 * sample LDIF, the recovery by the agent that {@code dirkms serve} runs, the fetch with
 * {@code dirkms recovery fetch} and {@code ldapsearch}, the package opened and used with
 * {@code openssl}, the secret's readers on every path, the audit log, expiries, failures and a
 * take-over, against the real embedded directory. May depend on everything the it module does.
 */
package org.dirkms.it.recovery;
