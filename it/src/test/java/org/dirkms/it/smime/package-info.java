/**
 * Integration tests of {@code dirkms smime} (README, "Sending and reading secure mail"): users
 * enrolled by the real embedded directory and its agent send and read S/MIME mail with the CLI,
 * judged by OpenSSL 3 ({@code openssl cms}) in both directions, and every bad input refused in
 * one line with nothing written. May depend on everything the it module does.
 */
package org.dirkms.it.smime;
