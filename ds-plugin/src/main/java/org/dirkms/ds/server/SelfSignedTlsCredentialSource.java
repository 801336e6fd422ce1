package org.dirkms.ds.server;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.StringWriter;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Date;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.dirkms.schema.DataFolder;
import org.dirkms.schema.PasswordFile;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes, at first start, an EC P-256 key pair and a self-signed certificate naming every
 * requested host in its subjectAltName, stored as {@link DataFolder#TLS_KEY_STORE} (mode 0600)
 * with a random passphrase in {@link DataFolder#TLS_KEY_STORE_PASSPHRASE} (mode 0600), and the
 * certificate as {@link DataFolder#TLS_CERTIFICATE}.
 * On later starts the same credentials are reused, unless the certificate misses a requested
 * name or expires within 30 days, in which case a new one is made.
 */
public final class SelfSignedTlsCredentialSource implements TlsCredentialSource {

    private static final Logger LOG = LoggerFactory.getLogger(SelfSignedTlsCredentialSource.class);
    private static final String ALIAS = "server";
    private static final Duration VALIDITY = Duration.ofDays(397);
    private static final Duration RENEW_BEFORE = Duration.ofDays(30);

    private final Clock clock;
    private final SecureRandom random;

    /**
     * @param clock  decides the certificate's validity period and when it needs renewal
     * @param random source of the key pair, the serial number and the passphrase
     */
    public SelfSignedTlsCredentialSource(Clock clock, SecureRandom random) {
        this.clock = Objects.requireNonNull(clock, "clock");
        this.random = Objects.requireNonNull(random, "random");
    }

    @Override
    public TlsCredentials credentials(DataFolder data, Set<String> subjectAltNames)
            throws IOException, GeneralSecurityException {
        Path keyStoreFile = data.tlsKeyStore();
        Path passphraseFile = data.tlsKeyStorePassphrase();
        Path certificateFile = data.tlsCertificate();
        if (Files.exists(keyStoreFile) && Files.exists(passphraseFile) && Files.exists(certificateFile)) {
            String passphrase = PasswordFile.readString(passphraseFile);
            X509Certificate existing = load(keyStoreFile, passphrase);
            if (covers(existing, subjectAltNames)
                    && existing.getNotAfter().toInstant().isAfter(clock.instant().plus(RENEW_BEFORE))) {
                return new TlsCredentials(keyStoreFile, passphrase, certificateFile);
            }
            LOG.info("Server certificate {} misses a requested name or expires soon; making a new one",
                    certificateFile);
        }
        String passphrase = SecretFiles.newPassword(random);
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"), random);
        KeyPair keyPair = generator.generateKeyPair();
        X509Certificate certificate = selfSign(keyPair, subjectAltNames);

        KeyStore keyStore = KeyStore.getInstance("PKCS12");
        keyStore.load(null, null);
        keyStore.setKeyEntry(ALIAS, keyPair.getPrivate(), passphrase.toCharArray(), new Certificate[] {certificate});
        ByteArrayOutputStream encoded = new ByteArrayOutputStream();
        keyStore.store(encoded, passphrase.toCharArray());

        // The passphrase goes first: a key store without its passphrase would be useless.
        SecretFiles.writeText(passphraseFile, passphrase);
        SecretFiles.writeBytes(keyStoreFile, encoded.toByteArray());
        StringWriter pem = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(pem)) {
            writer.writeObject(certificate);
        }
        Files.writeString(certificateFile, pem.toString());
        LOG.info("Made a self-signed server certificate for {} in {}", subjectAltNames, certificateFile);
        return new TlsCredentials(keyStoreFile, passphrase, certificateFile);
    }

    private X509Certificate selfSign(KeyPair keyPair, Set<String> names) throws GeneralSecurityException, IOException {
        Instant now = clock.instant();
        X500Name subject = new X500Name("CN=dirkms directory server " + names.iterator().next());
        List<GeneralName> altNames = new ArrayList<>();
        for (String name : names) {
            altNames.add(isIpLiteral(name) ? new GeneralName(GeneralName.iPAddress, name)
                    : new GeneralName(GeneralName.dNSName, name));
        }
        // RFC 5280 4.1.2.2: a positive serial of at most 20 octets; 159 random bits keep it positive.
        BigInteger serial = new BigInteger(159, random).add(BigInteger.ONE);
        X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(subject, serial,
                Date.from(now.minus(Duration.ofMinutes(5))), Date.from(now.plus(VALIDITY)), subject,
                keyPair.getPublic());
        JcaX509ExtensionUtils extensions = new JcaX509ExtensionUtils();
        // RFC 5280 4.2.1.6: a server identity is checked against subjectAltName, not the CN.
        builder.addExtension(Extension.subjectAlternativeName, false,
                new GeneralNames(altNames.toArray(GeneralName[]::new)));
        builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
        builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
        builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth));
        builder.addExtension(Extension.subjectKeyIdentifier, false,
                extensions.createSubjectKeyIdentifier(keyPair.getPublic()));
        try {
            return new JcaX509CertificateConverter().getCertificate(
                    builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(keyPair.getPrivate())));
        } catch (OperatorCreationException e) {
            throw new GeneralSecurityException("cannot sign the server certificate with SHA256withECDSA", e);
        }
    }

    private static X509Certificate load(Path keyStoreFile, String passphrase) throws IOException, GeneralSecurityException {
        KeyStore keyStore = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(keyStoreFile)) {
            keyStore.load(in, passphrase.toCharArray());
        }
        Certificate certificate = keyStore.getCertificate(ALIAS);
        if (!(certificate instanceof X509Certificate x509)) {
            throw new GeneralSecurityException("key store " + keyStoreFile + " has no X.509 certificate under alias '"
                    + ALIAS + "'");
        }
        return x509;
    }

    private static boolean covers(X509Certificate certificate, Set<String> names) throws CertificateParsingException {
        Collection<List<?>> altNames = certificate.getSubjectAlternativeNames();
        if (altNames == null) {
            return false;
        }
        Set<String> present = new HashSet<>();
        for (List<?> altName : altNames) {
            Object value = altName.get(1);
            if (value instanceof String text) {
                present.add(canonical(text));
            }
        }
        for (String name : names) {
            if (!present.contains(canonical(name))) {
                return false;
            }
        }
        return true;
    }

    private static String canonical(String name) {
        if (isIpLiteral(name)) {
            try {
                return InetAddress.getByName(name).getHostAddress();
            } catch (IOException e) {
                return name;
            }
        }
        return name.toLowerCase(Locale.ROOT);
    }

    private static boolean isIpLiteral(String name) {
        return name.indexOf(':') >= 0 || name.matches("[0-9.]+");
    }
}
