package org.dirkms.schema;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * The one rule for every file that holds a password or a passphrase (the data folder's
 * {@code admin.password}, {@code kms-agent.password}, {@code *.pass}, and any file given with
 * {@code --password-file} or {@code --passphrase-file}): the secret is the file's first line,
 * without its line end. A trailing newline, as {@code echo secret > file}, an editor or an
 * {@code ldappasswd}-style tool leaves it, never becomes part of the secret; OpenLDAP's
 * {@code ldapsearch -y FILE} takes the whole file, which is why the data folder's own password
 * files are written without one. The line ends at the first {@code \n} or {@code \r}, so a file
 * written with {@code \r\n} reads the same. A file whose first line is empty is refused.
 *
 * <p>No message of this class contains the secret.
 */
public final class PasswordFile {

    private PasswordFile() {
    }

    /**
     * The first line of {@code file} as characters; the caller should overwrite them after use.
     * The bytes read are overwritten before this returns.
     *
     * @throws EmptyPasswordFileException if the first line is empty
     * @throws IOException if the file cannot be read (the message names the file)
     */
    public static char[] read(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        try {
            int end = 0;
            while (end < bytes.length && bytes[end] != '\n' && bytes[end] != '\r') {
                end++;
            }
            if (end == 0) {
                throw new EmptyPasswordFileException(file);
            }
            CharBuffer chars = StandardCharsets.UTF_8.decode(ByteBuffer.wrap(bytes, 0, end));
            char[] secret = new char[chars.remaining()];
            chars.get(secret);
            if (chars.hasArray()) {
                Arrays.fill(chars.array(), '\0');
            }
            return secret;
        } finally {
            Arrays.fill(bytes, (byte) 0);
        }
    }

    /**
     * The first line of {@code file} as a string, for APIs that take one (an LDAP bind).
     *
     * @throws EmptyPasswordFileException if the first line is empty
     * @throws IOException if the file cannot be read
     */
    public static String readString(Path file) throws IOException {
        char[] secret = read(file);
        try {
            return new String(secret);
        } finally {
            Arrays.fill(secret, '\0');
        }
    }
}
