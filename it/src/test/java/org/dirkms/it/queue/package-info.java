/**
 * Integration tests and the benchmark of several certification authorities serving one
 * certificate request queue ({@code ou=Requests}; docs/state-machines.md, "The certificate request
 * queue"; docs/reliability.md): {@code dirkms serve} and {@code dirkms ca serve} as separate
 * processes over real sockets, CA processes killed with SIGKILL, judged with ldapsearch, openssl
 * and {@code dirkms archive check}. May depend on the {@code it} support package and the public
 * faces of dist, kms-agent and schema.
 */
package org.dirkms.it.queue;
