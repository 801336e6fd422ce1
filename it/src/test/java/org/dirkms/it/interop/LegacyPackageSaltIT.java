package org.dirkms.it.interop;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.pkcs.AuthenticatedSafe;
import org.bouncycastle.asn1.pkcs.ContentInfo;
import org.bouncycastle.asn1.pkcs.EncryptedData;
import org.bouncycastle.asn1.pkcs.PKCS12PBEParams;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.Pfx;
import org.dirkms.agent.smime.GpgsmPkcs12Salt;
import org.dirkms.agent.smime.KeyPackage;
import org.dirkms.agent.smime.OneTimeToken;
import org.dirkms.it.support.Gpgsm;
import org.dirkms.it.support.LdapTools;
import org.dirkms.schema.PackageFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A legacy key package (PBE-SHA1-3DES, for gpgsm 2.2) built while the random source first offers
 * a salt gpgsm 2.2 derives a wrong key from ({@link GpgsmPkcs12Salt}) still imports into gpgsm:
 * the KMS draws again. Without that, about one package in 64 was refused ("error parsing or
 * decrypting the PKCS#12 file") though OpenSSL opens it with the same token.
 */
class LegacyPackageSaltIT {

    @TempDir
    Path work;

    @Test
    void gpgsmImportsALegacyPackageWhateverItsSalt() throws Exception {
        LdapTools.requireTool("gpgsm", "gpgsm");
        PartnerCa ca = PartnerCa.create(work.resolve("ca"));
        PartnerCa.SingleKeyUser user = ca.issue("jdoe", "Jane Doe", "jane.doe@example.com", true);
        String pem = Files.readString(user.key()).replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
        PrivateKey key = KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(
                Base64.getDecoder().decode(pem)));
        List<KeyPackage.Item> items = List.of(new KeyPackage.Item(key, List.of(user.certificate(), ca.certificate()),
                "encryption"));
        SecureRandom random = new SecureRandom();
        char[] token = OneTimeToken.generate(random);

        // The salt length and iteration count the KMS uses, read from a package it builds.
        PKCS12PBEParams usual = certificateBagParameters(KeyPackage.build(items, token, PackageFormat.LEGACY_PBE_SHA1_3DES,
                random));
        byte[] salt = new byte[usual.getIV().length];
        do {
            random.nextBytes(salt);
        } while (!GpgsmPkcs12Salt.derivesWrongKey(salt, usual.getIterations().intValue(), token));
        byte[] p12 = KeyPackage.build(items, token, PackageFormat.LEGACY_PBE_SHA1_3DES, new FirstDraw(salt));
        Path file = Files.write(work.resolve("jdoe.p12"), p12);
        Path tokenFile = Files.writeString(work.resolve("token"), new String(token));
        LdapTools.run(List.of("openssl", "pkcs12", "-in", file.toString(), "-passin", "file:" + tokenFile, "-noout"),
                Map.of(), null).assertSuccess();

        try (Gpgsm gpgsm = Gpgsm.trusting(work.resolve("gnupg"), ca.certificate())) {
            gpgsm.importCertificates(ca.certificateFile());
            LdapTools.Result imported = gpgsm.runWithPassphrase(new String(token), "--import", file.toString());
            assertTrue(imported.exitCode() == 0 && imported.stderr().contains("secret keys imported: 1"),
                    imported.describe("gpgsm imports the package"));
        }
    }

    private static PKCS12PBEParams certificateBagParameters(byte[] p12) {
        Pfx pfx = Pfx.getInstance(p12);
        for (ContentInfo info : AuthenticatedSafe.getInstance(ASN1OctetString.getInstance(pfx.getAuthSafe().getContent())
                .getOctets()).getContentInfo()) {
            if (info.getContentType().equals(PKCSObjectIdentifiers.encryptedData)) {
                return PKCS12PBEParams.getInstance(EncryptedData.getInstance(info.getContent()).getEncryptionAlgorithm()
                        .getParameters());
            }
        }
        throw new AssertionError("no encrypted certificates in the package");
    }

    /** Random octets, except that the first draw of a salt's length is {@code salt}. */
    private static final class FirstDraw extends SecureRandom {
        private static final long serialVersionUID = 1L;
        private final byte[] salt;
        private boolean given;

        FirstDraw(byte[] salt) {
            this.salt = salt.clone();
        }

        @Override
        public synchronized void nextBytes(byte[] bytes) {
            if (!given && bytes.length == salt.length) {
                System.arraycopy(salt, 0, bytes, 0, salt.length);
                given = true;
                return;
            }
            super.nextBytes(bytes);
        }
    }
}
