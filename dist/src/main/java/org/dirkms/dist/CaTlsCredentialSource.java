package org.dirkms.dist;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
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
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.dirkms.agent.ca.CaSetup;
import org.dirkms.agent.ca.CertificationAuthority;
import org.dirkms.agent.ca.IssuanceRefusedException;
import org.dirkms.agent.ca.IssuanceRequest;
import org.dirkms.agent.ca.KeyStorePassphrase;
import org.dirkms.agent.ca.SoftwareSigner;
import org.dirkms.agent.ca.StandardTemplates;
import org.dirkms.ds.server.TlsCredentialSource;
import org.dirkms.ds.server.TlsCredentials;
import org.dirkms.schema.DataFolder;
import org.dirkms.schema.DirectoryLayout;
import org.dirkms.schema.KeyAlgorithm;
import org.dirkms.schema.PasswordFile;

/**
 * The embedded server's TLS credentials issued by the project's own CA (the server engineer's
 * {@link TlsCredentialSource} seam, wired here in dist so that ds-plugin never sees CA code).
 *
 * <p>On a fresh data folder it makes the enterprise root CA ({@link CaCommand#DEFAULT_NAME},
 * RSA-3072, key store {@link DataFolder#CA_KEY_STORE} with a generated 0600 passphrase file
 * {@link DataFolder#CA_PASSPHRASE}, the same files {@code dirkms ca} uses), then issues the
 * server an EC P-256 certificate from the {@code ldap-server} template naming every host and
 * loopback address it serves. The CA certificate goes to {@link DataFolder#TLS_CA_CERTIFICATE},
 * which clients trust ({@code LDAPTLS_CACERT}). The
 * directory is not up yet at that moment, so the CA entry is published afterwards by
 * {@link CaServeSetup}. Later starts reuse the server certificate until it misses a name or
 * comes within 30 days of expiry.
 */
public final class CaTlsCredentialSource implements TlsCredentialSource {
    private static final String ALIAS = "server";
    private static final Duration RENEW_BEFORE = Duration.ofDays(30);

    private final DataFolder data;
    private final DirectoryLayout layout;
    private final Clock clock;
    private final SecureRandom random;
    private final CertificationAuthority.Publication publication;
    private CertificationAuthority ca;

    /**
     * A source for the server whose data folder is {@code dataDirectory} and suffix {@code layout};
     * the server certificate names the CRL distribution point of {@code publication} (the
     * directory has no CA entry to read the recorded ones from before the server starts).
     */
    public CaTlsCredentialSource(DataFolder data, DirectoryLayout layout, Clock clock, SecureRandom random,
            CertificationAuthority.Publication publication) {
        this.data = data;
        this.layout = layout;
        this.clock = clock;
        this.random = random;
        this.publication = publication;
    }

    /** The CA that issued the server certificate (set by {@link #credentials}). */
    public CertificationAuthority certificationAuthority() {
        if (ca == null) {
            throw new IllegalStateException("the CA is made when the server asks for its TLS credentials");
        }
        return ca;
    }

    @Override
    public TlsCredentials credentials(DataFolder folder, Set<String> subjectAltNames)
            throws IOException, GeneralSecurityException {
        ca = openOrCreateCa();
        Files.createDirectories(folder.tls());
        Path caFile = folder.caCertificate();
        Files.writeString(caFile, pem(ca.certificate()));
        Path keyStoreFile = folder.tlsKeyStore();
        Path passphraseFile = folder.tlsKeyStorePassphrase();
        Path certificateFile = folder.tlsCertificate();
        if (Files.exists(keyStoreFile) && Files.exists(passphraseFile)) {
            String passphrase = PasswordFile.readString(passphraseFile);
            X509Certificate existing = load(keyStoreFile, passphrase);
            if (existing != null && existing.getIssuerX500Principal().equals(ca.certificate().getSubjectX500Principal())
                    && covers(existing, subjectAltNames)
                    && existing.getNotAfter().toInstant().isAfter(clock.instant().plus(RENEW_BEFORE))) {
                return new TlsCredentials(keyStoreFile, passphrase, caFile);
            }
        }
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"), random);
        KeyPair keys = generator.generateKeyPair();
        List<String> dnsNames = new ArrayList<>();
        List<String> addresses = new ArrayList<>();
        for (String name : subjectAltNames) {
            (name.indexOf(':') >= 0 || name.matches("[0-9.]+") ? addresses : dnsNames).add(name);
        }
        X509Certificate certificate;
        try {
            byte[] request = new JcaPKCS10CertificationRequestBuilder(new X500Name(""), keys.getPublic())
                    .build(new JcaContentSignerBuilder("SHA256withECDSA").build(keys.getPrivate())).getEncoded();
            certificate = ca.issue(IssuanceRequest.forServer(StandardTemplates.LDAP_SERVER, request,
                    "cn=dirkms directory server," + layout.servers(), dnsNames, addresses));
        } catch (OperatorCreationException e) {
            throw new GeneralSecurityException("cannot sign the server's certificate request", e);
        } catch (IssuanceRefusedException e) {
            throw new GeneralSecurityException("the CA refused the server certificate: " + e.getMessage(), e);
        }
        byte[] secret = new byte[18];
        random.nextBytes(secret);
        String passphrase = Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        store.setKeyEntry(ALIAS, keys.getPrivate(), passphrase.toCharArray(),
                new Certificate[] {certificate, ca.certificate()});
        ByteArrayOutputStream encoded = new ByteArrayOutputStream();
        store.store(encoded, passphrase.toCharArray());
        // The passphrase goes first: a key store without its passphrase would be useless.
        writePrivate(passphraseFile, (passphrase + "\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        writePrivate(keyStoreFile, encoded.toByteArray());
        Files.writeString(certificateFile, pem(certificate));
        return new TlsCredentials(keyStoreFile, passphrase, caFile);
    }

    private CertificationAuthority openOrCreateCa() throws IOException {
        Path keyStore = data.caKeyStore(CaCommand.DEFAULT_NAME);
        Path passphraseFile = data.caPassphrase(CaCommand.DEFAULT_NAME);
        if (!Files.exists(passphraseFile)) {
            Files.createDirectories(data.ca());
            byte[] secret = new byte[24];
            random.nextBytes(secret);
            writePrivate(passphraseFile, (Base64.getUrlEncoder().withoutPadding().encodeToString(secret) + "\n")
                    .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        }
        KeyStorePassphrase passphrase = KeyStorePassphrase.fromFile(passphraseFile);
        SoftwareSigner signer;
        List<X509Certificate> chain;
        if (Files.exists(keyStore)) {
            signer = SoftwareSigner.open(keyStore, passphrase);
            chain = signer.storedChain();
        } else {
            String dn = "cn=" + org.apache.directory.api.ldap.model.name.Rdn.escapeValue(CaCommand.DEFAULT_NAME) + ","
                    + layout.certificationAuthorities();
            SoftwareSigner generated = SoftwareSigner.generate(KeyAlgorithm.RSA_3072, random);
            X509Certificate root = CaSetup.selfSignedRoot(generated, dn, Duration.ofDays(3650), clock, random);
            chain = List.of(root);
            signer = generated.save(keyStore, passphrase, chain, false);
        }
        passphrase.destroy();
        return new CertificationAuthority(signer, chain, StandardTemplates.all(), clock, random, publication);
    }

    private static void writePrivate(Path file, byte[] bytes) throws IOException {
        if (!Files.exists(file)) {
            Files.createFile(file, PosixFilePermissions.asFileAttribute(DataFolder.FILE_MODE));
        }
        Files.write(file, bytes, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE);
    }

    private static X509Certificate load(Path keyStoreFile, String passphrase) throws IOException, GeneralSecurityException {
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(keyStoreFile)) {
            store.load(in, passphrase.toCharArray());
        }
        return store.getCertificate(ALIAS) instanceof X509Certificate x509 ? x509 : null;
    }

    private static boolean covers(X509Certificate certificate, Set<String> names) throws CertificateParsingException {
        Collection<List<?>> present = certificate.getSubjectAlternativeNames();
        if (present == null) {
            return false;
        }
        Set<String> values = new HashSet<>();
        for (List<?> name : present) {
            values.add(canonical(String.valueOf(name.get(1))));
        }
        for (String name : names) {
            if (!values.contains(canonical(name))) {
                return false;
            }
        }
        return true;
    }

    private static String canonical(String name) {
        if (name.indexOf(':') >= 0 || name.matches("[0-9.]+")) {
            try {
                return java.net.InetAddress.getByName(name).getHostAddress();
            } catch (IOException e) {
                return name;
            }
        }
        return name.toLowerCase(Locale.ROOT);
    }

    private static String pem(X509Certificate certificate) throws IOException {
        StringWriter text = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(text)) {
            writer.writeObject(certificate);
        }
        return text.toString();
    }
}
