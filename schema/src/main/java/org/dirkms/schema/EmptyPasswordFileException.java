package org.dirkms.schema;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A password or passphrase file whose first line is empty ({@link PasswordFile}): an empty
 * secret is never what was meant, and an empty LDAP password would turn a simple bind into an
 * unauthenticated one (RFC 4513 section 5.1.2). The message names the file, never a secret.
 */
public final class EmptyPasswordFileException extends IOException {
    private static final long serialVersionUID = 1L;

    /** The exception for {@code file}. */
    public EmptyPasswordFileException(Path file) {
        super("the first line of " + file + " is empty: write the password or passphrase on the file's first line");
    }
}
