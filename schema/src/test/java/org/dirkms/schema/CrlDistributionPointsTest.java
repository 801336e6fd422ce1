package org.dirkms.schema;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import org.junit.jupiter.api.Test;

class CrlDistributionPointsTest {
    private static final String CA_DN = "cn=Example Root CA,ou=Certification Authorities,ou=KMS,dc=example,dc=com";

    @Test
    void theLdapUrlNamesHostPortTheCaEntryAndTheBaseScope() {
        String url = CrlDistributionPoints.ldap("ldap://kms.example.com:10389", CA_DN);
        assertEquals("ldap://kms.example.com:10389/cn=Example%20Root%20CA,ou=Certification%20Authorities,ou=KMS,"
                + "dc=example,dc=com?certificateRevocationList;binary?base", url);
        URI uri = URI.create(url);
        assertEquals("kms.example.com", uri.getHost());
        assertEquals(10389, uri.getPort());
        assertEquals("/" + CA_DN, uri.getPath());
        assertEquals("certificateRevocationList;binary?base", uri.getRawQuery());
        assertEquals(CA_DN, CrlDistributionPoints.check(url));
        assertEquals("ldap://kms.example.com:10389", CrlDistributionPoints.serverOf(url));
    }

    @Test
    void theDnIsPercentEncodedWhereRfc4516Requires() {
        // '?' would end the DN, '%' starts an escape, '/', '#' and spaces are not URL characters,
        // non-ASCII goes as UTF-8 octets (RFC 4516 section 2.1); ',', '=' and '+' stay.
        String dn = "cn=Dépôt ?50% /#1+x=y\\,z,ou=Certification Authorities,dc=example,dc=com";
        String url = CrlDistributionPoints.ldap("ldap://[2001:db8::1]:389/", dn);
        assertEquals("ldap://[2001:db8::1]:389/cn=D%C3%A9p%C3%B4t%20%3F50%25%20%2F%231+x=y%5C,z,"
                + "ou=Certification%20Authorities,dc=example,dc=com?certificateRevocationList;binary?base", url);
        assertEquals(dn, CrlDistributionPoints.check(url));
    }

    @Test
    void aServerUrlGetsAnExplicitPort() {
        assertEquals("ldap://kms.example.com:389", CrlDistributionPoints.server("ldap://kms.example.com"));
        assertEquals("ldaps://kms.example.com:636", CrlDistributionPoints.server("LDAPS://kms.example.com/"));
        assertEquals("ldap://192.0.2.10:10389", CrlDistributionPoints.server("ldap://192.0.2.10:10389"));
        for (String wrong : new String[] {"ldap:///", "kms.example.com:389", "http://kms.example.com",
                "ldap://kms.example.com/dc=example,dc=com", "ldap://user@kms.example.com", ""}) {
            assertThrows(IllegalArgumentException.class, () -> CrlDistributionPoints.server(wrong), wrong);
        }
    }

    @Test
    void onlyLdapUrlsWithHostEntryAttributeAndBaseScopeAndHttpUrlsPass() {
        assertNull(CrlDistributionPoints.check("http://pki.example.com/root.crl"));
        assertNull(CrlDistributionPoints.serverOf("http://pki.example.com/root.crl"));
        String hostless = "ldap:///cn=Example%20Root%20CA,dc=example,dc=com?certificateRevocationList;binary";
        assertTrue(assertThrows(IllegalArgumentException.class, () -> CrlDistributionPoints.check(hostless))
                .getMessage().contains("names no host"));
        String subtree = "ldap://kms.example.com:389/dc=example,dc=com?certificateRevocationList;binary?sub";
        assertTrue(assertThrows(IllegalArgumentException.class, () -> CrlDistributionPoints.check(subtree))
                .getMessage().contains("scope base"));
        for (String wrong : new String[] {"ldap://kms.example.com:389/cn=x?certificateRevocationList;binary",
                "ldap://kms.example.com:389/?certificateRevocationList;binary?base", "ldap://kms.example.com:389/cn=x??base",
                "https://pki.example.com/root.crl", "http:///root.crl", "ftp://pki.example.com/root.crl", "not a url",
                "mailto:ca@example.com"}) {
            assertThrows(IllegalArgumentException.class, () -> CrlDistributionPoints.check(wrong), wrong);
        }
    }
}
