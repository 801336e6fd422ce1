package org.dirkms.agent.ca;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.dirkms.schema.AttributeNames;
import org.dirkms.schema.KeyAlgorithm;
import org.junit.jupiter.api.Test;

/** Templates read from directory attributes: round trip of the standard set, and errors that name the fault. */
class CertificateTemplateTest {
    private static final String DN = "cn=smime-signature,ou=Certificate Templates,ou=KMS,dc=example,dc=com";

    @Test
    void everyStandardTemplateSurvivesTheDirectoryRoundTrip() {
        for (CertificateTemplate template : StandardTemplates.all()) {
            assertEquals(template, CertificateTemplate.fromEntry("cn=" + template.name(), template.toAttributes()));
        }
        assertEquals(8, StandardTemplates.all().size());
    }

    @Test
    void standardSmimeTemplatesHaveTheUsagesOfTheDesign() {
        Map<String, CertificateTemplate> byName = new LinkedHashMap<>();
        StandardTemplates.all().forEach(t -> byName.put(t.name(), t));
        assertEquals(Set.of(KeyUsageName.DIGITAL_SIGNATURE, KeyUsageName.NON_REPUDIATION),
                byName.get(StandardTemplates.SMIME_SIGNATURE).keyUsages());
        assertEquals(Set.of(KeyUsageName.KEY_ENCIPHERMENT, KeyUsageName.KEY_AGREEMENT),
                byName.get(StandardTemplates.SMIME_ENCRYPTION).keyUsages());
        assertEquals(1, byName.get(StandardTemplates.LEGACY_V1).version());
        assertEquals(List.of(ExtendedKeyUsages.SERVER_AUTH), byName.get(StandardTemplates.LDAP_SERVER).extendedKeyUsages());
    }

    @Test
    void theSubordinateCaTemplateCertifiesCasAndNoOtherDoes() {
        for (CertificateTemplate template : StandardTemplates.all()) {
            assertEquals(template.name().equals(StandardTemplates.SUBORDINATE_CA), template.certifiesCas(),
                    template.name());
        }
        Map<String, List<String>> ca = with(AttributeNames.KEY_USAGE, "keyCertSign", "cRLSign");
        ca.remove(AttributeNames.EXTENDED_KEY_USAGE);
        assertTrue(CertificateTemplate.fromEntry(DN, ca).certifiesCas());
    }

    @Test
    void attributeNamesAreMatchedWithoutRegardToCase() {
        Map<String, List<String>> attributes = new LinkedHashMap<>();
        StandardTemplates.all().get(0).toAttributes().forEach((k, v) -> attributes.put(k.toUpperCase(), v));
        assertEquals(StandardTemplates.all().get(0), CertificateTemplate.fromEntry(DN, attributes));
    }

    @Test
    void errorsNameTheEntryAndTheAttribute() {
        assertFault(AttributeNames.VALIDITY_DAYS, "'soon' is not an integer", with(AttributeNames.VALIDITY_DAYS, "soon"));
        assertFault(AttributeNames.VALIDITY_DAYS, "'0' is not between 1 and 11000", with(AttributeNames.VALIDITY_DAYS, "0"));
        assertFault(AttributeNames.KEY_USAGE, "'digitalsignature' is not one of: digitalSignature, nonRepudiation, "
                + "keyEncipherment, dataEncipherment, keyAgreement, keyCertSign, cRLSign",
                with(AttributeNames.KEY_USAGE, "digitalsignature"));
        String notCa = "must not contain keyCertSign or cRLSign, unless it is a CA template: exactly keyCertSign and"
                + " cRLSign, and no kmsExtendedKeyUsage";
        assertFault(AttributeNames.KEY_USAGE, notCa, with(AttributeNames.KEY_USAGE, "keyCertSign"));
        // A CA template with an end-entity usage or an extended key usage is neither kind.
        assertFault(AttributeNames.KEY_USAGE, notCa, with(AttributeNames.KEY_USAGE, "keyCertSign", "cRLSign",
                "digitalSignature"));
        assertFault(AttributeNames.KEY_USAGE, notCa, with(AttributeNames.KEY_USAGE, "keyCertSign", "cRLSign"));
        assertFault(AttributeNames.ALLOWED_KEY_ALGORITHM, "'DSA-1024' is not one of: RSA-2048, RSA-3072, EC-P256, EC-P384",
                with(AttributeNames.ALLOWED_KEY_ALGORITHM, "DSA-1024"));
        assertFault(AttributeNames.MINIMUM_RSA_KEY_SIZE, "'1024' is below 2048 bits",
                with(AttributeNames.MINIMUM_RSA_KEY_SIZE, "1024"));
        assertFault(AttributeNames.CERTIFICATE_VERSION, "'2' is not 1 or 3", with(AttributeNames.CERTIFICATE_VERSION, "2"));
        assertFault(AttributeNames.KEY_USAGE, "must be absent from a version 1 template: version 1 certificates carry no extensions",
                with(AttributeNames.CERTIFICATE_VERSION, "1"));
        assertFault(AttributeNames.EXTENDED_KEY_USAGE, "'emailProtection' is not a dotted OID",
                with(AttributeNames.EXTENDED_KEY_USAGE, "emailProtection"));
        Map<String, List<String>> noCn = with(AttributeNames.CN);
        assertFault(AttributeNames.CN, "is required", noCn);
        assertFault(AttributeNames.VALIDITY_DAYS, "must have one value, not 2", with(AttributeNames.VALIDITY_DAYS, "1", "2"));
    }

    @Test
    void minimumRsaSizeDefaultsTo2048() {
        Map<String, List<String>> attributes = with(AttributeNames.MINIMUM_RSA_KEY_SIZE);
        assertEquals(2048, CertificateTemplate.fromEntry(DN, attributes).minimumRsaKeySize());
        assertEquals(Set.of(KeyAlgorithm.values()), CertificateTemplate.fromEntry(DN, attributes).allowedKeyAlgorithms());
    }

    /** The smime-signature template's attributes with {@code attribute} set to {@code values} (none: removed). */
    private static Map<String, List<String>> with(String attribute, String... values) {
        Map<String, List<String>> attributes = new LinkedHashMap<>(StandardTemplates.all().get(0).toAttributes());
        if (values.length == 0) {
            attributes.remove(attribute);
        } else {
            attributes.put(attribute, List.of(values));
        }
        return attributes;
    }

    private static void assertFault(String attribute, String problem, Map<String, List<String>> attributes) {
        InvalidTemplateException e = assertThrows(InvalidTemplateException.class,
                () -> CertificateTemplate.fromEntry(DN, attributes));
        assertEquals(DN, e.entryDn());
        assertEquals(attribute, e.attribute());
        assertEquals("certificate template " + DN + ": " + attribute + " " + problem, e.getMessage());
    }
}
