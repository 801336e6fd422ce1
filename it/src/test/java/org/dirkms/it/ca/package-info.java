/**
 * Integration tests and the benchmark of certificate services: the CA over the real embedded
 * directory, judged with ldapsearch, openssl and gpgsm.
 */
package org.dirkms.it.ca;
