package org.dirkms.ds.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;

class ServerSettingsTest {

    private final Path data = Path.of("data");

    @Test
    void defaultsServeLoopbackOnTheStandardPortsWithTheGuard() {
        ServerSettings settings = ServerSettings.defaults(data);
        assertEquals("127.0.0.1", settings.bindAddress());
        assertEquals(10389, settings.ldapPort());
        assertEquals(10636, settings.ldapsPort());
        assertEquals("dc=example,dc=com", settings.suffix());
        assertTrue(settings.anonymousAccess());
        assertTrue(settings.kmsGuard());
        assertEquals(0, settings.searchSizeLimit(), "no size limit: the agent reconciles the tree in one search");
        assertTrue(settings.dataDirectory().isAbsolute());
        assertEquals(0, ServerSettings.forTests(data).ldapPort());
    }

    @Test
    void badValuesAreRefusedWithAMessageNamingTheSetting() {
        ServerSettings settings = ServerSettings.defaults(data);
        assertMessage("LDAP port 70000 is out of range 0..65535", () -> settings.withPorts(70000, 10636));
        assertMessage("LDAPS port -1 is out of range", () -> settings.withPorts(10389, -1));
        assertMessage("LDAP and LDAPS ports must differ (both 10389)", () -> settings.withPorts(10389, 10389));
        assertMessage("bind address 'ldap.example.org' must be an IP address literal",
                () -> settings.withBindAddress("ldap.example.org"));
        assertMessage("bind address is required", () -> settings.withBindAddress(" "));
        assertMessage("bind address '999.1.1.1' must be an IP address literal", () -> settings.withBindAddress("999.1.1.1"));
        assertMessage("bind address '::zz' is not a valid IP address", () -> settings.withBindAddress("::zz"));
        assertMessage("suffix 'dc=example,,' is not a valid DN", () -> settings.withSuffix("dc=example,,"));
        assertMessage("suffix is required", () -> settings.withSuffix(""));
        assertMessage("search size limit -1 is negative", () -> settings.withSearchSizeLimit(-1));
        assertEquals(10, settings.withSearchSizeLimit(10).withPorts(0, 0).searchSizeLimit(), "copies keep the limit");
        // Both ports 0 is fine: two different free ports are picked.
        assertEquals(0, settings.withPorts(0, 0).ldapsPort());
        assertEquals("::1", settings.withBindAddress("::1").bindAddress());
    }

    @Test
    void plainBindsAreOffByDefaultAndAllowedOnLoopbackOnly() {
        ServerSettings settings = ServerSettings.defaults(data);
        assertTrue(!settings.plainBinds(), "binds with a password need TLS by default");
        assertTrue(settings.withPlainBinds(true).plainBinds());
        assertTrue(settings.withBindAddress("::1").withPlainBinds(true).plainBinds());
        assertMessage("binds without TLS may be allowed on a loopback address only, not on 0.0.0.0",
                () -> settings.withBindAddress("0.0.0.0").withPlainBinds(true));
        assertMessage("binds without TLS may be allowed on a loopback address only, not on 0.0.0.0",
                () -> settings.withPlainBinds(true).withBindAddress("0.0.0.0"));
    }

    private static void assertMessage(String expected, org.junit.jupiter.api.function.Executable executable) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, executable);
        assertTrue(e.getMessage().startsWith(expected), e.getMessage());
    }
}
