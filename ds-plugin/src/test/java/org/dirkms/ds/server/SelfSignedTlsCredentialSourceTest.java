package org.dirkms.ds.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;
import org.dirkms.schema.DataFolder;
import org.junit.jupiter.api.io.TempDir;

class SelfSignedTlsCredentialSourceTest {

    private static final Instant NOW = Instant.parse("2026-11-25T09:00:00Z");
    private static final Set<String> NAMES = new java.util.LinkedHashSet<>(List.of("localhost", "127.0.0.1", "::1"));

    @TempDir
    Path folder;

    @Test
    void makesAnOwnerOnlyKeyStoreAndACertificateNamingEveryHost() throws Exception {
        TlsCredentials credentials = source(NOW).credentials(DataFolder.of(folder), NAMES);
        for (Path secret : List.of(credentials.keyStoreFile(), DataFolder.of(folder).tlsKeyStorePassphrase())) {
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(secret)));
        }
        assertEquals(credentials.keyStorePassphrase(), Files.readString(DataFolder.of(folder).tlsKeyStorePassphrase()));
        assertFalse(credentials.toString().contains(credentials.keyStorePassphrase()), "toString hides the passphrase");

        X509Certificate certificate = pem(credentials.certificatePemFile());
        certificate.verify(certificate.getPublicKey());
        assertEquals("EC", certificate.getPublicKey().getAlgorithm());
        Set<String> altNames = certificate.getSubjectAlternativeNames().stream().map(name -> name.get(1).toString())
                .collect(Collectors.toSet());
        assertTrue(altNames.containsAll(Set.of("localhost", "127.0.0.1")), altNames.toString());
        assertTrue(altNames.contains("0:0:0:0:0:0:0:1"), altNames.toString());
        assertTrue(certificate.getNotBefore().toInstant().isBefore(NOW));

        KeyStore keyStore = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(credentials.keyStoreFile())) {
            keyStore.load(in, credentials.keyStorePassphrase().toCharArray());
        }
        assertEquals(certificate, keyStore.getCertificate("server"));
    }

    @Test
    void reusesValidCredentialsAndRenewsThemWhenANameIsMissingOrExpiryIsNear() throws Exception {
        TlsCredentials first = source(NOW).credentials(DataFolder.of(folder), NAMES);
        byte[] pem = Files.readAllBytes(first.certificatePemFile());

        TlsCredentials again = source(NOW.plus(Duration.ofDays(100))).credentials(DataFolder.of(folder), NAMES);
        assertEquals(first.keyStorePassphrase(), again.keyStorePassphrase());
        assertArrayEquals(pem, Files.readAllBytes(again.certificatePemFile()));

        Set<String> more = new java.util.LinkedHashSet<>(NAMES);
        more.add("192.0.2.10");
        TlsCredentials widened = source(NOW.plus(Duration.ofDays(100))).credentials(DataFolder.of(folder), more);
        assertTrue(pem(widened.certificatePemFile()).getSubjectAlternativeNames().stream()
                .anyMatch(name -> name.get(1).equals("192.0.2.10")));

        byte[] widenedPem = Files.readAllBytes(widened.certificatePemFile());
        // Made at day 100 for 397 days: at day 480 it expires within 30 days.
        TlsCredentials renewed = source(NOW.plus(Duration.ofDays(480))).credentials(DataFolder.of(folder), more);
        assertFalse(java.util.Arrays.equals(widenedPem, Files.readAllBytes(renewed.certificatePemFile())),
                "a certificate within 30 days of expiry is renewed");
    }

    private static SelfSignedTlsCredentialSource source(Instant now) {
        return new SelfSignedTlsCredentialSource(Clock.fixed(now, ZoneOffset.UTC), new SecureRandom());
    }

    private static X509Certificate pem(Path file) throws Exception {
        try (InputStream in = Files.newInputStream(file)) {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
    }
}
