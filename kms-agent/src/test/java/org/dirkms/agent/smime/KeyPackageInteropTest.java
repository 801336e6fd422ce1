package org.dirkms.agent.smime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.dirkms.agent.ca.StandardTemplates;
import org.dirkms.agent.keys.ExternalTools;
import org.dirkms.agent.keys.KeyPairFactory;
import org.dirkms.agent.keys.TestPki;
import org.dirkms.agent.keys.TestPki.Credential;
import org.dirkms.schema.KeyAlgorithm;
import org.dirkms.schema.PackageFormat;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Key packages judged by OpenSSL 3 and gpgsm 2.2: both formats open with {@code openssl pkcs12}
 * and the one-time token, giving both private keys, both certificates and the CA; {@code
 * openssl pkcs12 -info} shows the promised algorithms; a wrong token is refused; the JDK's
 * PKCS#12 reader pairs each key with its certificate; gpgsm imports the legacy package.
 */
class KeyPackageInteropTest {
    private static TestPki pki;
    private static Credential signing;
    private static Credential encryption;

    @TempDir
    Path work;

    @BeforeAll
    static void issue() {
        ExternalTools.require("openssl", "openssl");
        ExternalTools.require("gpgsm", "gpgsm");
        pki = TestPki.create();
        signing = pki.issue(StandardTemplates.SMIME_SIGNATURE, KeyAlgorithm.EC_P256);
        encryption = pki.issue(StandardTemplates.SMIME_ENCRYPTION, KeyAlgorithm.EC_P256);
    }

    @AfterEach
    void stopGpgAgent() {
        Path home = work.resolve("gnupg");
        if (Files.isDirectory(home)) {
            ExternalTools.run(work, Map.of("GNUPGHOME", home.toString()), null, List.of("gpgconf", "--kill", "all"));
        }
    }

    private static List<KeyPackage.Item> items() {
        return List.of(new KeyPackage.Item(signing.keys().getPrivate(), List.of(signing.certificate(), pki.ca().certificate()),
                        "Alice Example (signature)"),
                new KeyPackage.Item(encryption.keys().getPrivate(), List.of(encryption.certificate(), pki.ca().certificate()),
                        "Alice Example (encryption)"));
    }

    private Path build(PackageFormat format, char[] token) {
        return TestPki.write(work.resolve(format.ldapValue() + ".p12"), KeyPackage.build(items(), token, format, TestPki.RANDOM));
    }

    @Test
    void theDefaultPackageIsPbes2WithAes256AndOpensWithTheToken() {
        char[] token = OneTimeToken.generate(TestPki.RANDOM);
        Path p12 = build(PackageFormat.PBES2_AES_256, token);
        String info = ExternalTools.openssl(work, "pkcs12", "-in", p12.toString(), "-passin", "pass:" + new String(token),
                "-info", "-noout");
        assertTrue(info.contains("MAC: sha256"), info);
        assertEquals(2, count(info, "Shrouded Keybag: PBES2, PBKDF2, AES-256-CBC, Iteration 2048, PRF hmacWithSHA256"), info);
        assertTrue(info.contains("PKCS7 Encrypted data: PBES2, PBKDF2, AES-256-CBC, Iteration 2048, PRF hmacWithSHA256"), info);
        opensWithToken(p12, token, List.of());
    }

    @Test
    void theLegacyPackageIsPbeSha1TripleDesAndOpensWithoutOpensslsLegacyProvider() {
        char[] token = OneTimeToken.generate(TestPki.RANDOM);
        Path p12 = build(PackageFormat.LEGACY_PBE_SHA1_3DES, token);
        String info = ExternalTools.openssl(work, "pkcs12", "-in", p12.toString(), "-passin", "pass:" + new String(token),
                "-info", "-noout");
        assertTrue(info.contains("MAC: sha1"), info);
        assertEquals(2, count(info, "Shrouded Keybag: pbeWithSHA1And3-KeyTripleDES-CBC, Iteration 2048"), info);
        assertTrue(info.contains("PKCS7 Encrypted data: pbeWithSHA1And3-KeyTripleDES-CBC, Iteration 2048"), info);
        // Triple DES lives in OpenSSL 3's default provider (RC2-40 would need -legacy): no -legacy flag here.
        opensWithToken(p12, token, List.of());
    }

    @Test
    void aSealedPackageOpensWithTheDeliveryKeyAloneAndThenAnEmptyPassword() throws Exception {
        for (KeyAlgorithm algorithm : List.of(KeyAlgorithm.EC_P256, KeyAlgorithm.RSA_2048)) {
            java.security.KeyPair delivery = TestPki.KEYS.generate(algorithm);
            DeliveryKey key = DeliveryKey.fromCertificationRequest(KeyPairFactory.certificationRequest(delivery));
            Path deliveryKey = TestPki.writePem(work.resolve(algorithm.ldapValue() + "-delivery.key"), delivery.getPrivate());
            for (PackageFormat format : PackageFormat.values()) {
                String name = algorithm.ldapValue() + "-" + format.ldapValue();
                Path sealed = TestPki.write(work.resolve(name + ".cms"),
                        KeyPackage.sealed(items(), format, key, TestPki.RANDOM));
                String printed = ExternalTools.openssl(work, "cms", "-cmsout", "-print", "-inform", "DER", "-in",
                        sealed.toString());
                assertTrue(printed.contains(algorithm == KeyAlgorithm.RSA_2048 ? "rsaesOaep"
                        : "dhSinglePass-stdDH-sha256kdf-scheme"), printed);
                ExternalTools.openssl(work, "cms", "-decrypt", "-inform", "DER", "-in", sealed.toString(), "-inkey",
                        deliveryKey.toString(), "-out", name + ".p12");
                String keys = ExternalTools.openssl(work, "pkcs12", "-in", name + ".p12", "-passin", "pass:", "-nodes");
                for (Credential credential : List.of(signing, encryption)) {
                    String certificatePublic = ExternalTools.openssl(work, "x509", "-noout", "-pubkey", "-in",
                            TestPki.writePem(work.resolve(name + "-leaf.pem"), credential.certificate()).toString());
                    assertTrue(privateKeysOf(keys).contains(certificatePublic), name + ": the key of "
                            + credential.certificate().getSerialNumber().toString(16) + " is in the package");
                }
            }
            // Another key does not open it.
            Path other = TestPki.writePem(work.resolve("other.key"), TestPki.KEYS.generate(algorithm).getPrivate());
            Path sealed = TestPki.write(work.resolve("again.cms"),
                    KeyPackage.sealed(items(), PackageFormat.PBES2_AES_256, key, TestPki.RANDOM));
            ExternalTools.Result refused = ExternalTools.run(work, Map.of(), null, List.of("openssl", "cms", "-decrypt",
                    "-inform", "DER", "-in", sealed.toString(), "-inkey", other.toString(), "-out", "nothing.p12"));
            assertNotEquals(0, refused.exitCode(), refused.output());
        }
    }

    @Test
    void aDeliveryKeyIsARequestWhoseSignatureVerifiesOverAKeyAPackageCanBeSealedTo() throws Exception {
        byte[] request = KeyPairFactory.certificationRequest(TestPki.KEYS.generate(KeyAlgorithm.EC_P256));
        byte[] broken = request.clone();
        broken[broken.length - 3] ^= 0x01;
        IllegalArgumentException badSignature = assertThrows(IllegalArgumentException.class,
                () -> DeliveryKey.fromCertificationRequest(broken));
        assertTrue(badSignature.getMessage().contains("signature") || badSignature.getMessage().contains("PKCS#10"),
                badSignature.getMessage());
        java.security.KeyPairGenerator weak = java.security.KeyPairGenerator.getInstance("RSA");
        weak.initialize(1024);
        IllegalArgumentException small = assertThrows(IllegalArgumentException.class,
                () -> DeliveryKey.fromCertificationRequest(KeyPairFactory.certificationRequest(weak.generateKeyPair())));
        assertTrue(small.getMessage().contains("1024 bits; a delivery key needs at least 2048"), small.getMessage());
    }

    /** The public keys (PEM) of the private keys in {@code pem}, as openssl prints them. */
    private String privateKeysOf(String pem) {
        StringBuilder publics = new StringBuilder();
        Matcher key = Pattern.compile("-----BEGIN PRIVATE KEY-----.*?-----END PRIVATE KEY-----\\n?", Pattern.DOTALL)
                .matcher(pem);
        int i = 0;
        while (key.find()) {
            Path file = TestPki.write(work.resolve("key-" + i++ + ".pem"), key.group().getBytes());
            publics.append(ExternalTools.openssl(work, "pkey", "-in", file.toString(), "-pubout"));
        }
        return publics.toString();
    }

    @Test
    void aWrongTokenIsRefusedByOpenssl() {
        char[] token = OneTimeToken.generate(TestPki.RANDOM);
        for (PackageFormat format : PackageFormat.values()) {
            Path p12 = build(format, token);
            ExternalTools.Result result = ExternalTools.run(work, Map.of(), null, List.of("openssl", "pkcs12", "-in",
                    p12.toString(), "-passin", "pass:" + new String(OneTimeToken.generate(TestPki.RANDOM)), "-nodes"));
            assertNotEquals(0, result.exitCode(), result.output());
            assertTrue(result.output().contains("Mac verify error"), result.output());
        }
    }

    @Test
    void theJdkPairsEachKeyWithItsCertificateAndFriendlyName() throws Exception {
        char[] token = OneTimeToken.generate(TestPki.RANDOM);
        for (PackageFormat format : PackageFormat.values()) {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(new ByteArrayInputStream(KeyPackage.build(items(), token, format, TestPki.RANDOM)), token);
            List<String> aliases = Collections.list(store.aliases());
            assertTrue(aliases.containsAll(List.of("alice example (signature)", "alice example (encryption)")),
                    format + " " + aliases);
            for (Credential credential : List.of(signing, encryption)) {
                String alias = store.getCertificateAlias(credential.certificate());
                assertTrue(store.isKeyEntry(alias), alias);
                PrivateKey key = (PrivateKey) store.getKey(alias, token);
                assertTrue(KeyPairFactory.matches(key, credential.certificate().getPublicKey()), alias);
                java.security.cert.Certificate[] chain = store.getCertificateChain(alias);
                assertEquals(pki.ca().certificate(), chain[chain.length - 1], alias);
            }
        }
    }

    /**
     * gpgsm 2.2 reads PBE-SHA1-3DES but not PBES2, and (measured with packages OpenSSL itself
     * writes) only one private key per PKCS#12, and RSA keys only: it crashes on an EC key and
     * stops at a second key. So the package it takes is the legacy one of an RSA group whose
     * users make their signing key themselves: one RSA encryption key.
     */
    @Test
    void gpgsmImportsTheLegacyPackageOfOneRsaKey() throws Exception {
        Credential rsa = pki.issue(StandardTemplates.SMIME_ENCRYPTION, KeyAlgorithm.RSA_2048);
        char[] token = OneTimeToken.generate(TestPki.RANDOM);
        Path p12 = TestPki.write(work.resolve("legacy-rsa.p12"), KeyPackage.build(List.of(new KeyPackage.Item(
                rsa.keys().getPrivate(), List.of(rsa.certificate(), pki.ca().certificate()), "Alice Example (encryption)")),
                token, PackageFormat.LEGACY_PBE_SHA1_3DES, TestPki.RANDOM));
        Path home = Files.createDirectories(work.resolve("gnupg"));
        Files.setPosixFilePermissions(home, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        Files.writeString(home.resolve("gpg-agent.conf"), "allow-loopback-pinentry\n");
        Files.writeString(home.resolve("gpgsm.conf"), "disable-crl-checks\ndisable-dirmngr\n");
        Map<String, String> environment = Map.of("GNUPGHOME", home.toString());
        String imported = ExternalTools.succeed(work, environment, new String(token) + "\n", "gpgsm", "--batch",
                "--pinentry-mode", "loopback", "--passphrase-fd", "0", "--import", p12.toString());
        assertTrue(imported.contains("secret keys imported: 1"), imported);
        String secret = ExternalTools.succeed(work, environment, null, "gpgsm", "--batch", "--list-secret-keys",
                "--with-colons");
        String serial = rsa.certificate().getSerialNumber().toString(16).toUpperCase();
        assertTrue(secret.toUpperCase().contains(serial), "gpgsm holds the secret key of serial " + serial + ":\n" + secret);
    }

    @Test
    void badItemsAndTokensAreRefused() {
        IllegalArgumentException mismatch = assertThrows(IllegalArgumentException.class, () -> new KeyPackage.Item(
                signing.keys().getPrivate(), List.of(encryption.certificate()), "wrong"));
        assertTrue(mismatch.getMessage().contains("not the private key's"), mismatch.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new KeyPackage.Item(signing.keys().getPrivate(), List.of(), "none"));
        assertThrows(IllegalArgumentException.class, () -> KeyPackage.build(List.of(), "x".toCharArray(),
                PackageFormat.PBES2_AES_256, TestPki.RANDOM));
        assertThrows(IllegalArgumentException.class, () -> KeyPackage.build(items(), new char[0],
                PackageFormat.PBES2_AES_256, TestPki.RANDOM));
        assertTrue(items().get(0).toString().contains("Alice Example (signature)"));
    }

    private void opensWithToken(Path p12, char[] token, List<String> extra) {
        String opened = ExternalTools.openssl(work, "pkcs12", "-in", p12.toString(), "-passin", "pass:" + new String(token),
                "-nodes");
        assertEquals(2, count(opened, "-----BEGIN PRIVATE KEY-----"), "two private keys");
        assertEquals(3, count(opened, "-----BEGIN CERTIFICATE-----"), "two user certificates and the CA");
        assertTrue(opened.contains("friendlyName: Alice Example (signature)"), opened);
        assertTrue(opened.contains("friendlyName: Alice Example (encryption)"), opened);
        // Each key's public half is one of the two certificates' (pkey reads the first key of the file).
        Path pem;
        try {
            pem = Files.writeString(work.resolve("opened.pem"), opened);
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
        String firstPublic = ExternalTools.openssl(work, "pkey", "-in", pem.toString(), "-pubout");
        String signingPublic = TestPki.pem(signing.certificate().getPublicKey());
        String encryptionPublic = TestPki.pem(encryption.certificate().getPublicKey());
        assertTrue(firstPublic.equals(signingPublic) || firstPublic.equals(encryptionPublic), firstPublic);
    }

    private static int count(String text, String needle) {
        Matcher matcher = Pattern.compile(Pattern.quote(needle)).matcher(text);
        int count = 0;
        while (matcher.find()) {
            count++;
        }
        return count;
    }
}
