package org.dirkms.schema;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class DataFolderTest {

    @Test
    void everyPathIsBelowTheAbsoluteRoot() {
        DataFolder data = DataFolder.of(Path.of("data/../data"));
        assertTrue(data.root().isAbsolute());
        assertEquals(Path.of("data").toAbsolutePath().normalize(), data.root());
        assertEquals(data.root().resolve("admin.password"), data.adminPassword());
        assertEquals(data.root().resolve("kms-agent.password"), data.kmsAgentPassword());
        assertEquals(data.root().resolve("tls/ca.crt"), data.caCertificate());
        assertEquals(data.root().resolve("tls/server.p12.pass"), data.tlsKeyStorePassphrase());
        assertEquals(data.root().resolve("recovery/key-recovery-agent.p12"), data.recoveryKeyStore());
        assertEquals(data.root().resolve("audit/audit.log"), data.auditLog());
        assertEquals(data.root().resolve("partitions/dirkms"), data.suffixPartition());
        assertEquals(data.root().resolve("ca/dirkms_Root_CA.p12"), data.caKeyStore("dirkms Root CA"));
        assertEquals(data.root().resolve("ca/Example_Root_CA.pass"), data.caPassphrase("Example Root CA"));
        assertEquals("audit.log.broken-", DataFolder.auditLogSetAsidePrefix());
    }

    @Test
    void everyItemHasAPurposeAndTheModeOfItsKind() {
        Set<String> paths = new HashSet<>();
        for (DataFolder.Item item : DataFolder.ITEMS) {
            assertTrue(paths.add(item.path()), "listed once: " + item.path());
            assertFalse(item.purpose().isBlank(), item.path());
            assertEquals(item.kind() == DataFolder.Kind.FOLDER ? "rwx------" : "rw-------",
                    java.nio.file.attribute.PosixFilePermissions.toString(item.mode()), item.path());
        }
        assertThrows(IllegalArgumentException.class, () -> DataFolder.of(Path.of("d")).resolve(DataFolder.CA_KEY_STORE));
    }

    @Test
    void theReadmeListsEveryItem() throws Exception {
        // Surefire runs in the module's folder; the README is the project's.
        String readme = Files.readString(Path.of("..", "README.md"));
        for (DataFolder.Item item : DataFolder.ITEMS) {
            String shown = item.path() + (item.kind() == DataFolder.Kind.FOLDER && !item.path().startsWith("<")
                    ? "/" : "");
            assertTrue(readme.contains("| `" + shown.replace("|", "\\|") + "` | " + item.purpose().replace("|", "\\|")
                    + " |"), "README, \"The data folder\", lists " + shown + " with its purpose");
        }
    }
}
