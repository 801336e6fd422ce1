package org.dirkms.agent.smime;

import java.util.ArrayList;
import java.util.List;
import org.dirkms.schema.KeyAlgorithm;
import org.dirkms.schema.PackageFormat;

/**
 * What an administrative group's configuration promises a mail client that the client cannot
 * do (docs/interoperability.md). A group names its clients through its package format:
 * {@code legacy-pbe-sha1-3des} exists for gpgsm 2.2, and gpgsm 2.2 cannot use an EC key
 * (it encrypts to no keyAgreement certificate, "Wrong key usage", and imports no EC key from a
 * PKCS#12): CMS ECDH came with GnuPG 2.3. The KMS still enrolls such a group as configured;
 * these are warnings for the administrator, not refusals.
 */
public final class ClientLimits {

    private ClientLimits() {
    }

    /**
     * The plain-language warnings for a group configured with {@code keyAlgorithm} and
     * {@code packageFormat}, each naming the attribute to change; empty when its clients can
     * use what it makes.
     */
    public static List<String> warnings(KeyAlgorithm keyAlgorithm, PackageFormat packageFormat) {
        List<String> warnings = new ArrayList<>();
        boolean ec = keyAlgorithm == KeyAlgorithm.EC_P256 || keyAlgorithm == KeyAlgorithm.EC_P384;
        if (ec && packageFormat == PackageFormat.LEGACY_PBE_SHA1_3DES) {
            warnings.add("kmsKeyAlgorithm " + keyAlgorithm.ldapValue() + " with kmsPackageFormat "
                    + packageFormat.ldapValue() + ": that package format is for gpgsm 2.2, which cannot use EC"
                    + " keys (it refuses to encrypt to them, 'Wrong key usage', and imports no EC key);"
                    + " set kmsKeyAlgorithm to RSA-2048 or RSA-3072 for gpgsm 2.2 users");
        }
        return warnings;
    }
}
