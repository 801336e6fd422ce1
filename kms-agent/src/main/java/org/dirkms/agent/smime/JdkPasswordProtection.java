package org.dirkms.agent.smime;

import java.io.OutputStream;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import javax.crypto.Cipher;
import javax.crypto.CipherOutputStream;
import javax.crypto.Mac;
import javax.crypto.SecretKey;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.PBEKeySpec;
import javax.crypto.spec.PBEParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.asn1.DERNull;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.nist.NISTObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.EncryptionScheme;
import org.bouncycastle.asn1.pkcs.KeyDerivationFunc;
import org.bouncycastle.asn1.pkcs.PBES2Parameters;
import org.bouncycastle.asn1.pkcs.PBKDF2Params;
import org.bouncycastle.asn1.pkcs.PKCS12PBEParams;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.operator.GenericKey;
import org.bouncycastle.operator.MacCalculator;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.OutputEncryptor;
import org.bouncycastle.operator.jcajce.JceGenericKey;
import org.bouncycastle.pkcs.PKCS12MacCalculatorBuilder;

/**
 * The password-based protection of the default key package (PBES2 with PBKDF2-HMAC-SHA-256 and
 * AES-256-CBC, RFC 8018 sections 6.2 and 5.2; the PKCS#12 HMAC-SHA-256 MAC, RFC 7292 appendix
 * B), computed by the JDK's own provider. Bouncy Castle writes the same structures, but its
 * SHA-256 is plain Java, while the JDK's runs on the processor's SHA instructions: the
 * thousands of HMAC rounds of the key derivations were a third of the CPU time of a bulk
 * enrollment with Bouncy Castle, and a small part with the JDK. Bouncy Castle still assembles the
 * PKCS#12 structures around them; what goes on the wire is the same.
 */
final class JdkPasswordProtection {
    /** A PBKDF2 salt of 128 bits (RFC 8018 section 4.1 asks for at least 64). */
    private static final int SALT_BYTES = 16;
    /** AES-256: the key PBKDF2 derives. */
    private static final int KEY_BYTES = 32;
    /** The PKCS#12 MAC salt: as long as the HMAC-SHA-256 output, as OpenSSL writes it. */
    private static final int MAC_SALT_BYTES = 32;
    private static final AlgorithmIdentifier HMAC_SHA256 = new AlgorithmIdentifier(
            PKCSObjectIdentifiers.id_hmacWithSHA256, DERNull.INSTANCE);

    private JdkPasswordProtection() {
    }

    /**
     * An encryptor for one PKCS#12 bag: a fresh salt and IV, the key derived from {@code password}
     * with {@code iterations} rounds of PBKDF2-HMAC-SHA-256.
     *
     * @throws OperatorCreationException if the JDK lacks an algorithm (it does not in Java 17+)
     */
    static OutputEncryptor pbes2Aes256(char[] password, int iterations, SecureRandom random)
            throws OperatorCreationException {
        byte[] salt = new byte[SALT_BYTES];
        random.nextBytes(salt);
        byte[] iv = new byte[16];
        random.nextBytes(iv);
        PBEKeySpec spec = new PBEKeySpec(password, salt, iterations, KEY_BYTES * 8);
        try {
            byte[] derived = SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256").generateSecret(spec).getEncoded();
            SecretKey key = new SecretKeySpec(derived, "AES");
            Arrays.fill(derived, (byte) 0);
            Cipher cipher = Cipher.getInstance("AES/CBC/PKCS5Padding");
            cipher.init(Cipher.ENCRYPT_MODE, key, new IvParameterSpec(iv), random);
            AlgorithmIdentifier algorithm = new AlgorithmIdentifier(PKCSObjectIdentifiers.id_PBES2,
                    new PBES2Parameters(
                            new KeyDerivationFunc(PKCSObjectIdentifiers.id_PBKDF2,
                                    new PBKDF2Params(salt, iterations, HMAC_SHA256)),
                            new EncryptionScheme(NISTObjectIdentifiers.id_aes256_CBC, new DEROctetString(iv))));
            return new OutputEncryptor() {
                @Override
                public AlgorithmIdentifier getAlgorithmIdentifier() {
                    return algorithm;
                }

                @Override
                public OutputStream getOutputStream(OutputStream out) {
                    return new CipherOutputStream(out, cipher);
                }

                @Override
                public GenericKey getKey() {
                    return new JceGenericKey(algorithm, key);
                }
            };
        } catch (GeneralSecurityException e) {
            throw new OperatorCreationException("cannot set up PBES2 with AES-256: " + e.getClass().getSimpleName(), e);
        } finally {
            spec.clearPassword();
        }
    }

    /**
     * The PKCS#12 MAC over the authenticated safe: HMAC-SHA-256 keyed by the PKCS#12 key
     * derivation (RFC 7292 appendix B.2) with {@code iterations} rounds and a fresh salt.
     */
    static PKCS12MacCalculatorBuilder hmacSha256Mac(int iterations, SecureRandom random) {
        return new PKCS12MacCalculatorBuilder() {
            @Override
            public AlgorithmIdentifier getDigestAlgorithmIdentifier() {
                return new AlgorithmIdentifier(NISTObjectIdentifiers.id_sha256, DERNull.INSTANCE);
            }

            @Override
            public MacCalculator build(char[] password) throws OperatorCreationException {
                byte[] salt = new byte[MAC_SALT_BYTES];
                random.nextBytes(salt);
                PBEKeySpec spec = new PBEKeySpec(password);
                try {
                    // The JDK's PKCS#12 MAC ("HmacPBESHA256") derives its key from the password
                    // as RFC 7292 appendix B prescribes, as its own PKCS12 key store does.
                    SecretKey passwordKey = SecretKeyFactory.getInstance("PBE").generateSecret(spec);
                    Mac mac = Mac.getInstance("HmacPBESHA256");
                    mac.init(passwordKey, new PBEParameterSpec(salt, iterations));
                    AlgorithmIdentifier algorithm = new AlgorithmIdentifier(NISTObjectIdentifiers.id_sha256,
                            new PKCS12PBEParams(salt, iterations));
                    return new MacCalculator() {
                        @Override
                        public AlgorithmIdentifier getAlgorithmIdentifier() {
                            return algorithm;
                        }

                        @Override
                        public OutputStream getOutputStream() {
                            return new OutputStream() {
                                @Override
                                public void write(int b) {
                                    mac.update((byte) b);
                                }

                                @Override
                                public void write(byte[] bytes, int offset, int length) {
                                    mac.update(bytes, offset, length);
                                }
                            };
                        }

                        @Override
                        public byte[] getMac() {
                            return mac.doFinal();
                        }

                        @Override
                        public GenericKey getKey() {
                            return new JceGenericKey(algorithm, passwordKey);
                        }
                    };
                } catch (GeneralSecurityException e) {
                    throw new OperatorCreationException("cannot set up the PKCS#12 MAC: "
                            + e.getClass().getSimpleName(), e);
                } finally {
                    spec.clearPassword();
                }
            }
        };
    }
}
