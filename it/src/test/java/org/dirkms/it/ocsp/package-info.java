/**
 * Integration tests and the benchmark of the CA's HTTP service: the CRL, the CA certificate and
 * the OCSP responder of {@code dirkms serve} over real sockets, judged with openssl and the
 * JDK's HTTP client.
 */
package org.dirkms.it.ocsp;
