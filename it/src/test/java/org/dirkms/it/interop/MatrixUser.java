package org.dirkms.it.interop;

import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.List;

import org.dirkms.it.support.Gpgsm;

/**
 * One mail user of the interoperability matrix, with what each client needs to act as them.
 *
 * @param name        how the matrix names the user's kind ({@code dual-key}, {@code single-key})
 * @param dn          the user's entry
 * @param passwordFile the user's directory password (first line), for dirkms' connection
 * @param address     the user's mail address
 * @param encryption  the certificate others encrypt to (a single-key user's one certificate)
 * @param encryptionPem that certificate (PEM), for openssl
 * @param encryptionKey the private key of {@code encryption} (PKCS#8 PEM), for openssl
 * @param signing     the certificate the user signs with (a single-key user's one certificate)
 * @param signingPem  that certificate (PEM)
 * @param signingKey  the private key of {@code signing} (PKCS#8 PEM)
 * @param packages    the PKCS#12 files of the user's keys (the KMS's package, one file per key,
 *                    encryption first; a single-key user's one file), for dirkms and gpgsm
 * @param passphraseFile the file holding the packages' passphrase (the enrollment token)
 * @param passphrase  that passphrase
 * @param gpgsm       the user's gpgsm home, the packages imported
 * @param gpgsmImport what gpgsm answered when a package did not import (null when all did)
 */
record MatrixUser(String name, String dn, Path passwordFile, String address, X509Certificate encryption,
        Path encryptionPem, Path encryptionKey,
        X509Certificate signing, Path signingPem, Path signingKey, List<Path> packages, Path passphraseFile,
        String passphrase, Gpgsm gpgsm, String gpgsmImport) {
}
