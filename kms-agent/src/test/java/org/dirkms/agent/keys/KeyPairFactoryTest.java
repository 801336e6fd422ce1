package org.dirkms.agent.keys;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.RSAPrivateKeySpec;
import org.dirkms.agent.ca.Pkcs10Request;
import org.dirkms.schema.KeyAlgorithm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Key generation gives the size or curve the group asks for, each PKCS#10 request proves
 * possession (checked by the CA's own parser and by {@code openssl req -verify}), and
 * {@link KeyPairFactory#matches} tells a key's own public half from any other.
 */
class KeyPairFactoryTest {
    @TempDir
    Path work;

    @Test
    void generatesTheSizeOrCurveOfEachAlgorithm() {
        assertEquals(2048, ((RSAPublicKey) TestPki.KEYS.generate(KeyAlgorithm.RSA_2048).getPublic()).getModulus().bitLength());
        assertEquals(3072, ((RSAPublicKey) TestPki.KEYS.generate(KeyAlgorithm.RSA_3072).getPublic()).getModulus().bitLength());
        assertEquals(256, fieldSize(TestPki.KEYS.generate(KeyAlgorithm.EC_P256)));
        assertEquals(384, fieldSize(TestPki.KEYS.generate(KeyAlgorithm.EC_P384)));
        assertEquals(BigInteger.valueOf(65537),
                ((RSAPublicKey) TestPki.KEYS.generate(KeyAlgorithm.RSA_2048).getPublic()).getPublicExponent());
    }

    @Test
    void certificationRequestsProvePossessionForEcAndRsa() throws Exception {
        for (KeyAlgorithm algorithm : new KeyAlgorithm[] {KeyAlgorithm.EC_P256, KeyAlgorithm.EC_P384, KeyAlgorithm.RSA_2048}) {
            KeyPair keys = TestPki.KEYS.generate(algorithm);
            byte[] request = KeyPairFactory.certificationRequest(keys);
            Pkcs10Request parsed = Pkcs10Request.parseAndVerify(request);
            assertArrayEquals(keys.getPublic().getEncoded(), parsed.subjectPublicKeyInfo().getEncoded(), algorithm.ldapValue());
            Path file = TestPki.write(work.resolve(algorithm.ldapValue() + ".csr"), request);
            String output = ExternalTools.openssl(work, "req", "-inform", "DER", "-in", file.toString(), "-verify", "-noout");
            assertTrue(output.contains("verify OK") || output.contains("Certificate request self-signature verify OK"), output);
        }
    }

    @Test
    void signatureAlgorithmFollowsTheCurveStrength() {
        assertEquals("SHA256withECDSA", KeyPairFactory.signatureAlgorithm(TestPki.KEYS.generate(KeyAlgorithm.EC_P256).getPublic()));
        assertEquals("SHA384withECDSA", KeyPairFactory.signatureAlgorithm(TestPki.KEYS.generate(KeyAlgorithm.EC_P384).getPublic()));
        assertEquals("SHA256withRSA", KeyPairFactory.signatureAlgorithm(TestPki.KEYS.generate(KeyAlgorithm.RSA_2048).getPublic()));
    }

    @Test
    void matchesOnlyTheOwnPublicHalf() throws Exception {
        KeyPair ec = TestPki.KEYS.generate(KeyAlgorithm.EC_P256);
        KeyPair otherEc = TestPki.KEYS.generate(KeyAlgorithm.EC_P256);
        KeyPair p384 = TestPki.KEYS.generate(KeyAlgorithm.EC_P384);
        KeyPair rsa = TestPki.KEYS.generate(KeyAlgorithm.RSA_2048);
        KeyPair otherRsa = TestPki.KEYS.generate(KeyAlgorithm.RSA_2048);
        assertTrue(KeyPairFactory.matches(ec.getPrivate(), ec.getPublic()));
        assertFalse(KeyPairFactory.matches(ec.getPrivate(), otherEc.getPublic()));
        assertFalse(KeyPairFactory.matches(ec.getPrivate(), p384.getPublic()));
        assertFalse(KeyPairFactory.matches(ec.getPrivate(), rsa.getPublic()));
        assertTrue(KeyPairFactory.matches(rsa.getPrivate(), rsa.getPublic()));
        assertFalse(KeyPairFactory.matches(rsa.getPrivate(), otherRsa.getPublic()));
        assertFalse(KeyPairFactory.matches(rsa.getPrivate(), ec.getPublic()));

        // The JDK's EC keys (another provider than the generator's) compare alike.
        PrivateKey jdkEc = KeyFactory.getInstance("EC").generatePrivate(
                new java.security.spec.PKCS8EncodedKeySpec(ec.getPrivate().getEncoded()));
        assertTrue(KeyPairFactory.matches(jdkEc, ec.getPublic()));
        assertFalse(KeyPairFactory.matches(jdkEc, otherEc.getPublic()));

        // An RSA key without its CRT values: the public exponent is checked by arithmetic.
        RSAPrivateCrtKey crt = (RSAPrivateCrtKey) rsa.getPrivate();
        PrivateKey plain = KeyFactory.getInstance("RSA").generatePrivate(new RSAPrivateKeySpec(crt.getModulus(),
                crt.getPrivateExponent()));
        assertTrue(KeyPairFactory.matches(plain, rsa.getPublic()));
        RSAPublicKey wrongExponent = (RSAPublicKey) KeyFactory.getInstance("RSA").generatePublic(
                new java.security.spec.RSAPublicKeySpec(crt.getModulus(), BigInteger.valueOf(3)));
        assertFalse(KeyPairFactory.matches(plain, wrongExponent));
        assertFalse(KeyPairFactory.matches(crt, wrongExponent));
    }

    private static int fieldSize(KeyPair keys) {
        return ((ECPublicKey) keys.getPublic()).getParams().getCurve().getField().getFieldSize();
    }
}
