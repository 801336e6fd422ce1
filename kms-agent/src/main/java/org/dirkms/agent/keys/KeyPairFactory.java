package org.dirkms.agent.keys;

import java.io.IOException;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.interfaces.RSAPrivateKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.RSAKeyGenParameterSpec;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x9.X9ECParameters;
import org.bouncycastle.crypto.ec.CustomNamedCurves;
import org.bouncycastle.jcajce.provider.asymmetric.util.EC5Util;
import org.bouncycastle.math.ec.ECPoint;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.dirkms.schema.KeyAlgorithm;

/**
 * Makes the key pairs of users with the {@link KeyAlgorithm} of their administrative group,
 * and the PKCS#10 requests that carry their public halves to the CA.
 *
 * <p>RSA keys come from the JDK (its key generation is about 1.5 times Bouncy Castle's; RSA
 * enrollment is bound by it), EC keys from Bouncy Castle (about six times the JDK 17's).
 * Instances are immutable and safe for concurrent use; the {@link SecureRandom} is shared.
 */
public final class KeyPairFactory {
    private final SecureRandom random;

    /** A factory drawing all randomness from {@code random}. */
    public KeyPairFactory(SecureRandom random) {
        this.random = random;
    }

    /**
     * Generates a new key pair of {@code algorithm}: RSA with public exponent 65537, or EC on
     * the named curve (RFC 5480 section 2.1.1.1: named curves only).
     */
    public KeyPair generate(KeyAlgorithm algorithm) {
        try {
            return switch (algorithm) {
                case RSA_2048, RSA_3072 -> {
                    KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
                    generator.initialize(new RSAKeyGenParameterSpec(algorithm == KeyAlgorithm.RSA_2048 ? 2048 : 3072,
                            RSAKeyGenParameterSpec.F4), random);
                    yield generator.generateKeyPair();
                }
                case EC_P256, EC_P384 -> {
                    KeyPairGenerator generator = KeyPairGenerator.getInstance("EC", JcaProviders.bouncyCastle());
                    generator.initialize(new ECGenParameterSpec(algorithm == KeyAlgorithm.EC_P256 ? "secp256r1" : "secp384r1"),
                            random);
                    yield generator.generateKeyPair();
                }
            };
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot generate a " + algorithm.ldapValue() + " key pair", e);
        }
    }

    /**
     * The PKCS#10 request (RFC 2986, DER) for {@code keys}, signed with the private key as
     * proof of possession. Its subject is empty: the CA takes the subject and the e-mail
     * addresses from the directory entry, never from the request.
     */
    public static byte[] certificationRequest(KeyPair keys) {
        try {
            return new JcaPKCS10CertificationRequestBuilder(new X500Name(new org.bouncycastle.asn1.x500.RDN[0]),
                    keys.getPublic()).build(contentSigner(keys.getPrivate(), keys.getPublic())).getEncoded();
        } catch (IOException e) {
            throw new IllegalStateException("cannot encode a certification request", e);
        }
    }

    /**
     * The JCA signature algorithm for a key: SHA-256 for RSA and P-256, SHA-384 for P-384 (a
     * hash of the curve's strength, RFC 5480 section 4).
     *
     * @throws IllegalArgumentException for a key that is neither RSA nor EC
     */
    public static String signatureAlgorithm(PublicKey key) {
        if (key instanceof RSAPublicKey) {
            return "SHA256withRSA";
        }
        if (key instanceof ECPublicKey ec) {
            return ec.getParams().getCurve().getField().getFieldSize() > 256 ? "SHA384withECDSA" : "SHA256withECDSA";
        }
        throw new IllegalArgumentException("unsupported key type " + key.getAlgorithm() + " (RSA and EC are supported)");
    }

    /** A content signer for {@code privateKey} with the algorithm {@link #signatureAlgorithm} picks for {@code publicKey}. */
    public static ContentSigner contentSigner(PrivateKey privateKey, PublicKey publicKey) {
        try {
            return new JcaContentSignerBuilder(signatureAlgorithm(publicKey)).setProvider(JcaProviders.bouncyCastle())
                    .build(privateKey);
        } catch (OperatorCreationException e) {
            throw new IllegalArgumentException("the " + privateKey.getAlgorithm() + " private key cannot sign", e);
        }
    }

    /**
     * True if {@code privateKey} is the private half of {@code publicKey}, decided from the
     * key values alone (no signature, so it also works for keys whose certificate forbids
     * signing): an RSA key has the same modulus (and, for a CRT key, the same public exponent);
     * an EC key's public point is d·G on the same curve.
     */
    public static boolean matches(PrivateKey privateKey, PublicKey publicKey) {
        if (privateKey instanceof RSAPrivateKey rsa && publicKey instanceof RSAPublicKey rsaPublic) {
            if (!rsa.getModulus().equals(rsaPublic.getModulus())) {
                return false;
            }
            if (rsa instanceof RSAPrivateCrtKey crt) {
                return crt.getPublicExponent().equals(rsaPublic.getPublicExponent());
            }
            // Without the CRT form the public exponent is not stored: check that it inverts d.
            BigInteger probe = BigInteger.TWO;
            return probe.modPow(rsaPublic.getPublicExponent(), rsa.getModulus()).modPow(rsa.getPrivateExponent(),
                    rsa.getModulus()).equals(probe);
        }
        if (privateKey instanceof ECPrivateKey ec && publicKey instanceof ECPublicKey ecPublic) {
            if (!sameCurve(ec, ecPublic)) {
                return false;
            }
            ECPoint derived = basePoint(ecPublic).multiply(ec.getS()).normalize();
            return derived.getAffineXCoord().toBigInteger().equals(ecPublic.getW().getAffineX())
                    && derived.getAffineYCoord().toBigInteger().equals(ecPublic.getW().getAffineY());
        }
        return false;
    }

    /**
     * The base point of the key's curve: the provider's own instance for a named curve (RFC 5480
     * section 2.1.1.1), which keeps its precomputed multiples from one call to the next; a point
     * converted from the explicit parameters would rebuild them on every check.
     */
    private static ECPoint basePoint(ECPublicKey publicKey) {
        ASN1Encodable parameters = SubjectPublicKeyInfo.getInstance(publicKey.getEncoded()).getAlgorithm()
                .getParameters();
        if (parameters instanceof ASN1ObjectIdentifier named) {
            X9ECParameters curve = CustomNamedCurves.getByOID(named);
            if (curve != null) {
                return curve.getG();
            }
        }
        return EC5Util.convertSpec(publicKey.getParams()).getG();
    }

    private static boolean sameCurve(ECPrivateKey privateKey, ECPublicKey publicKey) {
        var a = privateKey.getParams();
        var b = publicKey.getParams();
        return a.getCurve().equals(b.getCurve()) && a.getGenerator().equals(b.getGenerator()) && a.getOrder().equals(b.getOrder());
    }
}
