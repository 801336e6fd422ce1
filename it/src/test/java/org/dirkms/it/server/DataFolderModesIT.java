package org.dirkms.it.server;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import org.dirkms.ds.server.DirectoryServer;
import org.dirkms.ds.server.ServerSettings;
import org.dirkms.it.support.LdapTools;
import org.dirkms.it.support.StandardErrorCapture;
import org.dirkms.schema.DataFolder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The data folder holds every secret of the directory in its partition files: a folder an
 * operator made beforehand with mode 0755 is tightened to 0700 (saying so), and once the server
 * listens every folder under it is 0700 and every file 0600, ApacheDS's partition files included,
 * at the first start and at every next one (which also restricts what was made in between, such as
 * the syncrepl provider's journal of a consumer, inside folders no one else may enter).
 */
class DataFolderModesIT {

    /** Every path under {@code root} (itself included) whose mode is not 0700 for a folder or 0600 for a file. */
    private static List<String> looseModes(Path root) throws IOException {
        List<String> loose = new ArrayList<>();
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path path : paths.toList()) {
                if (Files.isSymbolicLink(path)) {
                    continue;
                }
                String mode = PosixFilePermissions.toString(Files.getPosixFilePermissions(path,
                        LinkOption.NOFOLLOW_LINKS));
                String expected = Files.isDirectory(path) ? "rwx------" : "rw-------";
                if (!mode.equals(expected)) {
                    loose.add(mode + " " + root.relativize(path));
                }
            }
        }
        return loose;
    }

    private static void assertOwnersOnly(Path data, String when) throws IOException {
        List<String> loose = looseModes(data);
        assertTrue(loose.isEmpty(), when + ", " + loose.size() + " paths are open to others, e.g. "
                + loose.subList(0, Math.min(loose.size(), 12)));
    }

    @Test
    void aPreCreatedOpenFolderAndEverythingApacheDsMakesInItAreTheOwnersOnly(@TempDir Path temporary)
            throws Exception {
        Path data = Files.createDirectory(temporary.resolve("data"),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
        Files.writeString(data.resolve("operator-notes.txt"), "made before the first start\n");
        ServerSettings settings = ServerSettings.forTests(data);
        String log;
        ServerSettings bound;
        try (StandardErrorCapture server = StandardErrorCapture.start()) {
            try (DirectoryServer directory = DirectoryServer.start(settings)) {
                bound = directory.settings().withPorts(directory.ldapPort(), directory.ldapsPort());
                // A write that reaches the partition and the syncrepl journal before the check.
                LdapTools.against(directory.ldapUrl(), directory.tlsCertificateFile())
                        .asWithPasswordFile(directory.adminDn(), directory.adminPasswordFile())
                        .modify("dn: " + directory.layout().people() + "\nchangetype: modify\n"
                                + "replace: description\ndescription: written before the modes are checked\n-\n")
                        .assertSuccess();
                assertOwnersOnly(data, "after the first start");
                assertTrue(Files.isDirectory(DataFolder.of(data).suffixPartition()), "the suffix partition");
            }
            log = server.text();
        }
        assertTrue(log.contains("INFO org.dirkms.ds.server.DataFolderPermissions - Tightened the data folder " + data
                + " from rwxr-xr-x to rwx------"), log);

        Files.setPosixFilePermissions(data.resolve("operator-notes.txt"), PosixFilePermissions.fromString("rw-r--r--"));
        try (DirectoryServer directory = DirectoryServer.start(bound)) {
            // A syncrepl consumer (RFC 4533 refreshOnly), as the KMS agent is: the provider's journal.
            LdapTools.against(directory.ldapUrl(), directory.tlsCertificateFile())
                    .asWithPasswordFile(directory.adminDn(), directory.adminPasswordFile())
                    .withArguments("-E", "sync=ro").search(directory.layout().people(), "(objectClass=*)", "1.1")
                    .assertSuccess();
            // Files made after the start's walk keep the umask's mode, inside folders no one else enters.
            List<String> loose = looseModes(data);
            assertTrue(loose.stream().noneMatch(path -> path.startsWith("rwx")), loose.toString());
        }
        try (DirectoryServer directory = DirectoryServer.start(bound)) {
            assertOwnersOnly(data, "after the next start");
        }
    }
}
