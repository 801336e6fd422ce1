package org.dirkms.agent.keys;

import java.io.IOException;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.dirkms.agent.ca.CaSetup;
import org.dirkms.agent.ca.CertificationAuthority;
import org.dirkms.agent.ca.IssuanceRefusedException;
import org.dirkms.agent.ca.IssuanceRequest;
import org.dirkms.agent.ca.SoftwareSigner;
import org.dirkms.agent.ca.StandardTemplates;
import org.dirkms.schema.KeyAlgorithm;

/**
 * A CA made in test set-up (EC P-384, the fast CA key) with the standard templates, and users'
 * keys and certificates issued by it the way the agent will issue them.
 */
public final class TestPki {
    /** The subject of the test CA. */
    public static final String CA_DN = "cn=Test Root CA,ou=Certification Authorities,ou=KMS,dc=example,dc=com";
    /** A user of the tests. */
    public static final String ALICE_DN = "uid=alice,ou=People,dc=example,dc=com";
    /** Alice's address. */
    public static final String ALICE_MAIL = "alice@example.com";
    /** The subject of the recovery certificates of the tests. */
    public static final String RECOVERY_DN = "cn=Key Recovery Agent,ou=KMS,dc=example,dc=com";

    /** The randomness of all tests. */
    public static final SecureRandom RANDOM = new SecureRandom();
    /** A key factory over {@link #RANDOM}. */
    public static final KeyPairFactory KEYS = new KeyPairFactory(RANDOM);

    private final CertificationAuthority ca;

    private TestPki(CertificationAuthority ca) {
        this.ca = ca;
    }

    /** A new root CA with every standard template installed. */
    public static TestPki create() {
        Clock clock = Clock.systemUTC();
        SoftwareSigner signer = SoftwareSigner.generate(KeyAlgorithm.EC_P384, RANDOM);
        X509Certificate certificate = CaSetup.selfSignedRoot(signer, CA_DN, Duration.ofDays(365), clock, RANDOM);
        return new TestPki(new CertificationAuthority(signer, List.of(certificate), StandardTemplates.all(), clock, RANDOM,
                CertificationAuthority.Publication.at("ldap://kms.example.com:389")));
    }

    /** The CA. */
    public CertificationAuthority ca() {
        return ca;
    }

    /** A user's key pair with its certificate from {@code template}. */
    public record Credential(KeyPair keys, X509Certificate certificate) {
    }

    /** Issues Alice a certificate of {@code template} for a new key of {@code algorithm}. */
    public Credential issue(String template, KeyAlgorithm algorithm) {
        KeyPair keys = KEYS.generate(algorithm);
        try {
            return new Credential(keys, ca.issue(IssuanceRequest.forPerson(template, KeyPairFactory.certificationRequest(keys),
                    ALICE_DN, List.of(ALICE_MAIL))));
        } catch (IssuanceRefusedException e) {
            throw new AssertionError(e);
        }
    }

    /** PEM of certificates and public keys; private keys as unencrypted PKCS#8 ("PRIVATE KEY"). */
    public static String pem(Object... objects) {
        StringWriter text = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(text)) {
            for (Object object : objects) {
                if (object instanceof java.security.PrivateKey key) {
                    writer.writeObject(new JcaPKCS8Generator(key, null));
                } else {
                    writer.writeObject(object);
                }
            }
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        return text.toString();
    }

    /** Writes {@link #pem} of {@code objects} to {@code file}. */
    public static Path writePem(Path file, Object... objects) {
        try {
            return Files.writeString(file, pem(objects), StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    /** Writes {@code bytes} to {@code file}. */
    public static Path write(Path file, byte[] bytes) {
        try {
            return Files.write(file, bytes);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }
}
