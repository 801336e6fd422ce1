package org.dirkms.agent.smime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.dirkms.schema.KeyAlgorithm;
import org.dirkms.schema.PackageFormat;
import org.junit.jupiter.api.Test;

class ClientLimitsTest {

    @Test
    void anEcGroupWithThePackageForGpgsm22IsWarnedAboutWithTheFix() {
        for (KeyAlgorithm ec : List.of(KeyAlgorithm.EC_P256, KeyAlgorithm.EC_P384)) {
            List<String> warnings = ClientLimits.warnings(ec, PackageFormat.LEGACY_PBE_SHA1_3DES);
            assertEquals(1, warnings.size(), warnings.toString());
            String warning = warnings.get(0);
            assertTrue(warning.contains(ec.ldapValue()) && warning.contains("legacy-pbe-sha1-3des")
                    && warning.contains("gpgsm 2.2") && warning.contains("Wrong key usage")
                    && warning.contains("RSA-2048 or RSA-3072"), warning);
        }
    }

    @Test
    void groupsWhoseClientsCanUseTheirKeysHaveNoWarning() {
        for (KeyAlgorithm algorithm : KeyAlgorithm.values()) {
            assertEquals(List.of(), ClientLimits.warnings(algorithm, PackageFormat.PBES2_AES_256), algorithm.name());
        }
        assertEquals(List.of(), ClientLimits.warnings(KeyAlgorithm.RSA_2048, PackageFormat.LEGACY_PBE_SHA1_3DES));
        assertEquals(List.of(), ClientLimits.warnings(KeyAlgorithm.RSA_3072, PackageFormat.LEGACY_PBE_SHA1_3DES));
    }
}
