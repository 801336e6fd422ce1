package org.dirkms.agent.names;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.dirkms.agent.directory.EnrollmentNames;
import org.dirkms.schema.DirectoryLayout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * Two spellings of one DN are one name everywhere the agent compares, keys or derives names
 * (RFC 4514 escapes and quoting, RFC 4518 case and space folding), and two different DNs are
 * never one.
 */
class DistinguishedNamesTest {
    private static final String JANE = "cn=Doe\\, Jane,ou=People,dc=example,dc=com";

    @ParameterizedTest
    @ValueSource(strings = {
        "cn=Doe\\, Jane,ou=People,dc=example,dc=com",
        "CN = doe\\2C jane , OU=people,DC=Example,DC=COM",
        "cn=\"Doe, Jane\",ou=People,dc=example,dc=com",
        "cn=Doe\\,  Jane,ou=People,dc=example,dc=com",
        "cn=  Doe\\, Jane  ,ou=People,dc=example,dc=com",
        "2.5.4.3=Doe\\, Jane,ou=People,dc=example,dc=com",
    })
    void spellingsOfOneNameAreOne(String spelling) {
        assertEquals(DistinguishedNames.normal(JANE), DistinguishedNames.normal(spelling), spelling);
        assertTrue(DistinguishedNames.same(JANE, spelling));
    }

    @Test
    void unicodeValuesCompareAfterStringPreparation() {
        String composed = "cn=Zo\u00eb M\u00fcller,ou=People,dc=example,dc=com";
        String decomposed = "cn=zoe\u0308 mu\u0308ller,ou=people,dc=example,dc=com";
        String escaped = "cn=Zo\\C3\\AB M\\C3\\BCller,ou=People,dc=example,dc=com";
        assertTrue(DistinguishedNames.same(composed, escaped), "UTF-8 hex escapes are the characters they encode");
        assertTrue(DistinguishedNames.same(composed, decomposed), "Unicode normalisation (RFC 4518 section 2.2)");
        assertFalse(DistinguishedNames.same(composed, "cn=Zoe Muller,ou=People,dc=example,dc=com"),
                "accents are not dropped: another person");
    }

    @Test
    void multiValuedRdnsCompareInAnyOrder() {
        assertTrue(DistinguishedNames.same("cn=Jane+uid=jdoe,ou=People,dc=example,dc=com",
                "UID=JDOE+cn=jane,ou=People,dc=example,dc=com"));
    }

    @Test
    void differentNamesStayDifferent() {
        assertFalse(DistinguishedNames.same(JANE, "cn=Doe Jane,ou=People,dc=example,dc=com"), "the comma is part of the value");
        assertFalse(DistinguishedNames.same(JANE, "cn=Doe,cn=Jane,ou=People,dc=example,dc=com"), "an escaped comma is not a separator");
        assertFalse(DistinguishedNames.same(JANE, "uid=Doe\\, Jane,ou=People,dc=example,dc=com"), "another attribute");
    }

    @Test
    void withinFollowsTheTreeNotTheText() {
        assertTrue(DistinguishedNames.within(JANE, "OU=people , dc=EXAMPLE,dc=com"));
        assertFalse(DistinguishedNames.within("cn=x,ou=Peoplex,dc=example,dc=com", "ou=People,dc=example,dc=com"));
        assertFalse(DistinguishedNames.within("cn=x,ou=A\\,ou=People,dc=example,dc=com", "ou=People,dc=example,dc=com"),
                "an escaped comma does not make a parent");
    }

    @Test
    void leafAndParent() {
        assertEquals("Doe, Jane", DistinguishedNames.leafValue(JANE, "cn"));
        assertEquals("Doe, Jane", DistinguishedNames.leafValue("CN = Doe\\2C Jane,ou=People", "cn"));
        assertNull(DistinguishedNames.leafValue(JANE, "uid"));
        assertNull(DistinguishedNames.leafValue("not a dn", "cn"));
        assertTrue(DistinguishedNames.same("ou=People,dc=example,dc=com", DistinguishedNames.parent(JANE)));
    }

    @Test
    void derivedNamesDoNotDependOnTheSpelling() {
        DirectoryLayout layout = new DirectoryLayout("dc=example,dc=com");
        String attempt = "uid=kms-agent,ou=KMS pid 1 00 #1";
        List<String> names = List.of(JANE, "CN = doe\\2C jane , OU=people,DC=Example,DC=COM",
                "cn=\"Doe, Jane\",ou=People,dc=example,dc=com").stream()
                .map(dn -> EnrollmentNames.requestDn(layout, dn, attempt, "encryption")).distinct().toList();
        assertEquals(1, names.size(), names.toString());
        assertFalse(EnrollmentNames.requestDn(layout, JANE, attempt, "encryption")
                .equals(EnrollmentNames.requestDn(layout, "cn=Doe Jane,ou=People,dc=example,dc=com", attempt, "encryption")));
    }

    @Test
    void somethingThatIsNotADnIsRefusedByName() {
        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
                () -> DistinguishedNames.normal("not a dn"));
        assertEquals("'not a dn' is not a DN (RFC 4514)", refused.getMessage());
    }
}
