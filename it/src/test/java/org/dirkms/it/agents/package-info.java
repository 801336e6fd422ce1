/**
 * Integration tests and benchmarks of several KMS agent processes sharing the work on one
 * directory (docs/reliability.md, "Several agents"): {@code dirkms serve} and {@code dirkms agent}
 * as separate processes over real sockets, agents killed with SIGKILL and restarted, judged with
 * ldapsearch, the key packages themselves and {@code dirkms archive check}. May depend on the
 * {@code it} support packages and the public faces of dist, kms-agent and schema.
 */
package org.dirkms.it.agents;
