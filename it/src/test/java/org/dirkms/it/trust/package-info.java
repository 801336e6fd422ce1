/**
 * Partner trust as an administrator and an auditor drive it (README, "Trusting a partner
 * organisation"): partner roots added with {@code dirkms trust add} and with the sample LDIF,
 * the signed trust list checked with {@code openssl cms -verify} and {@code openssl asn1parse},
 * cross-certificates checked with {@code openssl verify} against the enterprise root and the CRL
 * read from the directory with {@code ldapsearch}, and every bad input refused with nothing
 * published.
 */
package org.dirkms.it.trust;
