package org.dirkms.ds.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

class BootstrapLdifTest {

    @Test
    void suffixEntryFollowsTheSuffixRdn() throws Exception {
        assertEquals("objectClass: domain\ndc: example\ndn: dc=example,dc=com",
                BootstrapLdif.substitute("objectClass: ${suffixObjectClass}\n${suffixRdnType}: ${suffixRdnValue}\n"
                        + "dn: ${suffix}", "dc=example,dc=com"));
        assertEquals("organization o Acme Corp", BootstrapLdif.substitute(
                "${suffixObjectClass} ${suffixRdnType} ${suffixRdnValue}", "o=Acme Corp,c=DE"));
        assertEquals("extensibleObject l Berlin",
                BootstrapLdif.substitute("${suffixObjectClass} ${suffixRdnType} ${suffixRdnValue}", "l=Berlin"));
    }

    @Test
    void bootstrapFilesAreOnTheClassPathWithEveryPlaceholderReplaced() throws Exception {
        List<String> texts = BootstrapLdif.texts("o=Acme");
        assertFalse(texts.isEmpty());
        for (String text : texts) {
            assertFalse(text.contains("${"), "placeholder left in:\n" + text);
            assertTrue(text.contains("dn: ou=KMS,o=Acme"), text);
        }
    }
}
