package org.dirkms.dist;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.X509v2CRLBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.dirkms.agent.directory.LdapOperationsReadings;
import org.junit.jupiter.api.Test;

class OperationsServingTest {
    private static final String CA = "cn=dirkms Root CA,ou=Certification Authorities,ou=KMS,dc=example,dc=com";
    private static final Instant NOW = Instant.parse("2026-12-07T01:00:00Z");

    @Test
    void theCrlCheckFailsOnceTheNextUpdateHasPassedOrWhenThereIsNoCrl() throws Exception {
        byte[] crl = crl(NOW.minus(Duration.ofDays(1)), NOW.plus(Duration.ofHours(1)));
        assertNull(OperationsServing.crlProblem(readings(CA.toUpperCase(java.util.Locale.ROOT), crl), CA, NOW));
        String stale = OperationsServing.crlProblem(readings(CA, crl), CA, NOW.plus(Duration.ofHours(2)));
        assertTrue(stale.contains("is stale: its nextUpdate 2026-12-07T02:00:00Z has passed"), stale);
        assertTrue(OperationsServing.crlProblem(readings(CA, null), CA, NOW).contains("holds no CRL"));
        assertTrue(OperationsServing.crlProblem(readings("cn=Other CA", crl), CA, NOW).contains("no CA entry"));
    }

    private static LdapOperationsReadings.Readings readings(String caDn, byte[] crl) {
        return new LdapOperationsReadings.Readings(Map.of(), Map.of(), null, Map.of(), List.of(), List.of(),
                List.of(new LdapOperationsReadings.CaReading(caDn, "active", crl)), null);
    }

    private static byte[] crl(Instant thisUpdate, Instant nextUpdate) throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair key = generator.generateKeyPair();
        X509v2CRLBuilder builder = new X509v2CRLBuilder(new X500Name("CN=dirkms Root CA"), Date.from(thisUpdate));
        builder.setNextUpdate(Date.from(nextUpdate));
        return builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(key.getPrivate())).getEncoded();
    }
}
