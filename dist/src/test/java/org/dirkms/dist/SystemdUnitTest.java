package org.dirkms.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

/**
 * The systemd unit the distribution ships ({@code src/main/systemd/dirkms.service}; README,
 * "Running as a service"): its sections and keys parse as systemd.syntax(7) reads them, it runs
 * the distribution's launcher as the user dirkms on /var/lib/dirkms, and it carries the
 * hardening the README promises. (The integration test TarballIT also runs
 * {@code systemd-analyze verify} on it where systemd is installed.)
 */
class SystemdUnitTest {

    private static final Path UNIT = Path.of("src", "main", "systemd", "dirkms.service");

    /** Section, then key: every value of the key in order (a key may be given more than once). */
    static Map<String, Map<String, List<String>>> parse(String text) {
        Map<String, Map<String, List<String>>> unit = new LinkedHashMap<>();
        String section = null;
        int number = 0;
        for (String line : text.split("\n")) {
            number++;
            String trimmed = line.strip();
            if (trimmed.isEmpty() || trimmed.startsWith("#") || trimmed.startsWith(";")) {
                continue;
            }
            if (trimmed.startsWith("[") && trimmed.endsWith("]")) {
                section = trimmed.substring(1, trimmed.length() - 1);
                unit.putIfAbsent(section, new LinkedHashMap<>());
                continue;
            }
            int equals = trimmed.indexOf('=');
            assertTrue(section != null && equals > 0, "line " + number + " is 'Key=value' in a section: " + line);
            String key = trimmed.substring(0, equals).strip();
            assertTrue(key.matches("[A-Za-z0-9]+"), "line " + number + ": a key is letters and digits: " + key);
            unit.get(section).computeIfAbsent(key, k -> new ArrayList<>()).add(trimmed.substring(equals + 1).strip());
        }
        return unit;
    }

    @Test
    void theUnitRunsTheLauncherAsItsOwnUserWithTheHardeningTheReadmeNames() throws Exception {
        Map<String, Map<String, List<String>>> unit = parse(Files.readString(UNIT));
        assertEquals(List.of("Unit", "Service", "Install"), List.copyOf(unit.keySet()));
        Map<String, List<String>> service = unit.get("Service");
        assertEquals(List.of("/opt/dirkms/bin/dirkms serve --data /var/lib/dirkms"), service.get("ExecStart"));
        assertTrue(Files.isExecutable(Path.of("src", "main", "sh", "dirkms")),
                "ExecStart's bin/dirkms is the launcher the tarball ships from src/main/sh");
        Map<String, String> expected = new LinkedHashMap<>();
        expected.put("User", "dirkms");
        expected.put("Group", "dirkms");
        expected.put("StateDirectory", "dirkms");
        expected.put("StateDirectoryMode", "0700");
        expected.put("UMask", "0077");
        expected.put("NoNewPrivileges", "yes");
        expected.put("ProtectSystem", "strict");
        expected.put("ReadWritePaths", "/var/lib/dirkms");
        expected.put("ProtectHome", "yes");
        expected.put("PrivateTmp", "yes");
        expected.put("PrivateDevices", "yes");
        expected.put("CapabilityBoundingSet", "");
        expected.put("RestrictAddressFamilies", "AF_INET AF_INET6 AF_UNIX");
        expected.put("SystemCallFilter", "@system-service");
        expected.put("LimitNOFILE", "65536");
        expected.forEach((key, value) -> assertEquals(List.of(value), service.get(key), key));
        assertTrue(!service.containsKey("MemoryDenyWriteExecute"), "the JVM's JIT needs writable code pages");
        assertEquals(List.of("multi-user.target"), unit.get("Install").get("WantedBy"));
    }
}
