package org.dirkms.agent.ca;

import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.RSAKeyGenParameterSpec;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.dirkms.schema.KeyAlgorithm;

/** Key generation and signature algorithm choice for CA keys; one place so they agree. */
final class CaKeyAlgorithms {
    /** One provider instance, never registered globally, so the JVM's provider list stays as is. */
    static final Provider BC = new BouncyCastleProvider();

    private CaKeyAlgorithms() {
    }

    /** Generates a key pair of {@code algorithm} with {@code random}. */
    static KeyPair generate(KeyAlgorithm algorithm, SecureRandom random) {
        try {
            switch (algorithm) {
                case RSA_2048, RSA_3072 -> {
                    KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
                    int bits = algorithm == KeyAlgorithm.RSA_2048 ? 2048 : 3072;
                    generator.initialize(new RSAKeyGenParameterSpec(bits, RSAKeyGenParameterSpec.F4), random);
                    return generator.generateKeyPair();
                }
                case EC_P256, EC_P384 -> {
                    KeyPairGenerator generator = KeyPairGenerator.getInstance("EC", BC);
                    generator.initialize(new ECGenParameterSpec(
                            algorithm == KeyAlgorithm.EC_P256 ? "secp256r1" : "secp384r1"), random);
                    return generator.generateKeyPair();
                }
                default -> throw new IllegalArgumentException("unsupported key algorithm " + algorithm.ldapValue());
            }
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot generate a " + algorithm.ldapValue() + " key", e);
        }
    }

    /**
     * The JCA signature algorithm for a key: SHA-256 for RSA and P-256, SHA-384 for P-384
     * (a hash of the curve's strength, as RFC 5480 section 4 recommends).
     */
    static String signatureAlgorithm(PublicKey key) {
        if (key instanceof RSAPublicKey) {
            return "SHA256withRSA";
        }
        if (key instanceof ECPublicKey ec) {
            return ec.getParams().getCurve().getField().getFieldSize() > 256 ? "SHA384withECDSA" : "SHA256withECDSA";
        }
        throw new IllegalArgumentException("unsupported CA key type " + key.getAlgorithm());
    }

    /** A content signer for {@code privateKey} with the algorithm {@link #signatureAlgorithm} picks. */
    static ContentSigner contentSigner(PrivateKey privateKey, PublicKey publicKey) {
        try {
            return new JcaContentSignerBuilder(signatureAlgorithm(publicKey)).setProvider(BC).build(privateKey);
        } catch (OperatorCreationException e) {
            throw new IllegalStateException("the CA key cannot sign", e);
        }
    }
}
