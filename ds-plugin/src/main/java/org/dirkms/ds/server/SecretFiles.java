package org.dirkms.ds.server;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;

import org.dirkms.schema.DataFolder;
import org.dirkms.schema.PasswordFile;

/**
 * Files that hold secrets (passwords, passphrases, key stores): created readable and writable by
 * the owner only from the first byte ({@link DataFolder#FILE_MODE}), and replaced atomically so
 * that a crash never leaves a half-written secret behind. They are read back with
 * {@link PasswordFile} (the first line).
 */
final class SecretFiles {

    /** 18 random bytes: 144 bits, 24 printable characters of the URL-safe Base64 alphabet. */
    private static final int PASSWORD_BYTES = 18;

    private SecretFiles() {
    }

    /** A new random password of 144 bits, printable and safe in shell arguments and LDIF. */
    static String newPassword(SecureRandom random) {
        byte[] bytes = new byte[PASSWORD_BYTES];
        random.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    /**
     * Writes {@code text} to {@code file} with mode 0600, without a trailing newline: OpenLDAP's
     * {@code ldapsearch -y FILE} takes the file's complete contents as the password.
     */
    static void writeText(Path file, String text) throws IOException {
        writeBytes(file, text.getBytes(StandardCharsets.UTF_8));
    }

    /** Writes {@code bytes} to {@code file} with mode 0600, atomically replacing any old file. */
    static void writeBytes(Path file, byte[] bytes) throws IOException {
        Path folder = file.toAbsolutePath().getParent();
        Files.createDirectories(folder);
        Path temporary;
        if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
            temporary = Files.createTempFile(folder, "." + file.getFileName(), ".tmp",
                    PosixFilePermissions.asFileAttribute(DataFolder.FILE_MODE));
        } else {
            temporary = Files.createTempFile(folder, "." + file.getFileName(), ".tmp");
        }
        try {
            Files.write(temporary, bytes);
            try {
                Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(temporary);
        }
    }
}
