package org.dirkms.agent.smime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.ASN1Sequence;
import org.bouncycastle.asn1.pkcs.AuthenticatedSafe;
import org.bouncycastle.asn1.pkcs.ContentInfo;
import org.bouncycastle.asn1.pkcs.EncryptedData;
import org.bouncycastle.asn1.pkcs.EncryptedPrivateKeyInfo;
import org.bouncycastle.asn1.pkcs.PKCS12PBEParams;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.Pfx;
import org.bouncycastle.asn1.pkcs.SafeBag;
import org.bouncycastle.crypto.PBEParametersGenerator;
import org.bouncycastle.crypto.digests.SHA1Digest;
import org.bouncycastle.crypto.generators.PKCS12ParametersGenerator;
import org.bouncycastle.crypto.params.KeyParameter;
import org.dirkms.agent.ca.StandardTemplates;
import org.dirkms.agent.keys.TestPki;
import org.dirkms.agent.keys.TestPki.Credential;
import org.dirkms.schema.KeyAlgorithm;
import org.dirkms.schema.PackageFormat;
import org.junit.jupiter.api.Test;

/**
 * {@link GpgsmPkcs12Salt} names exactly the salts on which gpgsm 2.2's PKCS#12 key derivation
 * (its minip12.c, which writes RFC 7292 appendix B.2 step 6.B's sum back without leading zero
 * octets) gives another Triple DES key than Bouncy Castle's, and a legacy package is never built
 * on one.
 */
class GpgsmPkcs12SaltTest {
    private static final int ITERATIONS = KeyPackage.ITERATIONS;

    @Test
    void namesExactlyTheSaltsOnWhichGpgsmDerivesAnotherKey() throws Exception {
        SecureRandom random = new SecureRandom();
        char[] token = OneTimeToken.generate(random);
        int wrong = 0;
        for (int n = 0; n < 3000; n++) {
            byte[] salt = new byte[20];
            random.nextBytes(salt);
            byte[] rfc = bouncyCastleKey(salt, token);
            assertArrayEquals(rfc, derive(salt, token, false), "the emulation follows RFC 7292 appendix B.2");
            boolean differs = !Arrays.equals(rfc, derive(salt, token, true));
            assertEquals(differs, GpgsmPkcs12Salt.derivesWrongKey(salt, ITERATIONS, token), "salt " + n);
            wrong += differs ? 1 : 0;
        }
        // About one salt in 128: some must have come up among 3000 (none: probability below 1e-9).
        assertTrue(wrong > 0, "no salt of 3000 hit the defect");
    }

    @Test
    void aLegacyPackageIsNeverBuiltOnSuchASalt() throws Exception {
        TestPki pki = TestPki.create();
        Credential encryption = pki.issue(StandardTemplates.SMIME_ENCRYPTION, KeyAlgorithm.EC_P256);
        SecureRandom random = new SecureRandom();
        char[] token = OneTimeToken.generate(random);
        byte[] bad = new byte[20];
        do {
            random.nextBytes(bad);
        } while (!GpgsmPkcs12Salt.derivesWrongKey(bad, ITERATIONS, token));

        byte[] p12 = KeyPackage.build(List.of(new KeyPackage.Item(encryption.keys().getPrivate(),
                List.of(encryption.certificate(), pki.ca().certificate()), "encryption")), token,
                PackageFormat.LEGACY_PBE_SHA1_3DES, new BadFirst(bad));

        List<PKCS12PBEParams> parameters = pbeParameters(p12);
        assertEquals(2, parameters.size(), "the certificates' and the key's encryption");
        for (PKCS12PBEParams p : parameters) {
            assertFalse(Arrays.equals(bad, p.getIV()), "the salt gpgsm misreads was drawn again");
            assertFalse(GpgsmPkcs12Salt.derivesWrongKey(p.getIV(), p.getIterations().intValue(), token));
        }
    }

    private static byte[] bouncyCastleKey(byte[] salt, char[] token) {
        PKCS12ParametersGenerator generator = new PKCS12ParametersGenerator(new SHA1Digest());
        generator.init(PBEParametersGenerator.PKCS12PasswordToBytes(token), salt, ITERATIONS);
        return ((KeyParameter) generator.generateDerivedParameters(192)).getKey();
    }

    /**
     * RFC 7292 appendix B.2 for a 24-octet key with SHA-1; with {@code asGpgsm} step 6.B writes
     * each sum back as gpgsm 2.2 does: its significant octets only, from the start of the block,
     * the rest of the block left as it was.
     */
    private static byte[] derive(byte[] salt, char[] token, boolean asGpgsm) throws Exception {
        byte[] password = PBEParametersGenerator.PKCS12PasswordToBytes(token);
        byte[] input = new byte[128];
        for (int i = 0; i < 64; i++) {
            input[i] = salt[i % salt.length];
            input[64 + i] = password[i % password.length];
        }
        MessageDigest sha1 = MessageDigest.getInstance("SHA-1");
        byte[] key = new byte[24];
        for (int offset = 0; ; offset += 20) {
            byte[] diversifier = new byte[64];
            Arrays.fill(diversifier, (byte) 1);
            sha1.update(diversifier);
            sha1.update(input);
            byte[] a = sha1.digest();
            for (int i = 1; i < ITERATIONS; i++) {
                a = sha1.digest(a);
            }
            System.arraycopy(a, 0, key, offset, Math.min(20, key.length - offset));
            if (offset + 20 >= key.length) {
                return key;
            }
            byte[] b = new byte[64];
            for (int i = 0; i < 64; i++) {
                b[i] = a[i % 20];
            }
            BigInteger bPlusOne = new BigInteger(1, b).add(BigInteger.ONE);
            for (int j = 0; j < 128; j += 64) {
                BigInteger sum = new BigInteger(1, Arrays.copyOfRange(input, j, j + 64)).add(bPlusOne)
                        .mod(BigInteger.ONE.shiftLeft(512));
                byte[] magnitude = sum.toByteArray();
                int first = 0;
                while (first < magnitude.length - 1 && magnitude[first] == 0) {
                    first++; // toByteArray's sign octet and leading zeros: gcry_mpi_print writes neither
                }
                magnitude = Arrays.copyOfRange(magnitude, first, magnitude.length);
                if (asGpgsm) {
                    System.arraycopy(magnitude, 0, input, j, magnitude.length);
                } else {
                    Arrays.fill(input, j, j + 64, (byte) 0);
                    System.arraycopy(magnitude, 0, input, j + 64 - magnitude.length, magnitude.length);
                }
            }
        }
    }

    private static List<PKCS12PBEParams> pbeParameters(byte[] p12) {
        List<PKCS12PBEParams> found = new ArrayList<>();
        Pfx pfx = Pfx.getInstance(p12);
        AuthenticatedSafe safe = AuthenticatedSafe.getInstance(ASN1OctetString.getInstance(pfx.getAuthSafe().getContent())
                .getOctets());
        for (ContentInfo info : safe.getContentInfo()) {
            if (info.getContentType().equals(PKCSObjectIdentifiers.encryptedData)) {
                EncryptedData data = EncryptedData.getInstance(info.getContent());
                found.add(PKCS12PBEParams.getInstance(data.getEncryptionAlgorithm().getParameters()));
            } else {
                ASN1Sequence bags = ASN1Sequence.getInstance(ASN1OctetString.getInstance(info.getContent()).getOctets());
                for (int i = 0; i < bags.size(); i++) {
                    SafeBag bag = SafeBag.getInstance(bags.getObjectAt(i));
                    if (bag.getBagId().equals(PKCSObjectIdentifiers.pkcs8ShroudedKeyBag)) {
                        EncryptedPrivateKeyInfo key = EncryptedPrivateKeyInfo.getInstance(bag.getBagValue());
                        found.add(PKCS12PBEParams.getInstance(key.getEncryptionAlgorithm().getParameters()));
                    }
                }
            }
        }
        return found;
    }

    /** Gives the salt gpgsm misreads at every draw of its length until it was taken twice, then random octets. */
    private static final class BadFirst extends SecureRandom {
        private static final long serialVersionUID = 1L;
        private final byte[] bad;
        private int given;

        BadFirst(byte[] bad) {
            this.bad = bad.clone();
        }

        @Override
        public void nextBytes(byte[] bytes) {
            if (bytes.length == bad.length && given < 2) {
                given++;
                System.arraycopy(bad, 0, bytes, 0, bad.length);
            } else {
                super.nextBytes(bytes);
            }
        }
    }
}
