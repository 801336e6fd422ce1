/**
 * What an administrator and a monitoring system see of a running {@code dirkms serve}: a health
 * report ({@code /healthz}), metrics in the Prometheus text exposition format, version 0.0.4
 * ({@code /metrics}), and a read-only HTML status page ({@code /status}), served on the CA's
 * HTTP listener ({@code org.dirkms.agent.ocsp.RevocationHttpServer#mount}).
 *
 * <p>It reads the directory through {@code org.dirkms.agent.directory.LdapOperationsReadings}
 * (names, states, counts, times and reasons only), the agent through
 * {@code org.dirkms.agent.enroll.KmsAgent#liveness}, and the CA key store through
 * {@code org.dirkms.agent.ca.SoftwareSigner}. What it shows is never a secret: no token, key
 * package, wrapped key, passphrase or password is read, so none can be shown; everything taken
 * from the directory is escaped for the format it goes into.
 */
package org.dirkms.agent.operations;
