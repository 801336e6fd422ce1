/**
 * Integration tests of the operations endpoints of {@code dirkms serve}: {@code /healthz},
 * {@code /metrics} and {@code /status} over real sockets, judged with the Prometheus text-format
 * parser of python3-prometheus-client, headless Chromium, ldapsearch and openssl.
 */
package org.dirkms.it.operations;
