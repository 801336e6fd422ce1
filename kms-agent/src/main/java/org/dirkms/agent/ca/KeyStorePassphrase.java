package org.dirkms.agent.ca;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.dirkms.schema.EmptyPasswordFileException;
import org.dirkms.schema.PasswordFile;

/**
 * The passphrase of a CA key store, read from a file or an environment variable and never
 * from a command line (where {@code ps} would show it). {@link #toString()} never shows it,
 * and no exception message of this class contains it.
 */
public final class KeyStorePassphrase {
    private final char[] value;
    private final String source;

    private KeyStorePassphrase(char[] value, String source) {
        if (value.length == 0) {
            throw new IllegalArgumentException("the key store passphrase from " + source + " is empty");
        }
        this.value = value;
        this.source = source;
    }

    /**
     * Reads the passphrase from the first line of {@code file} ({@link PasswordFile}: a trailing
     * newline is not part of it, so {@code echo secret > file} works).
     *
     * @throws IllegalArgumentException if the file cannot be read or is empty
     */
    public static KeyStorePassphrase fromFile(Path file) {
        try {
            return new KeyStorePassphrase(PasswordFile.read(file), "file " + file);
        } catch (EmptyPasswordFileException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read the key store passphrase file " + file + ": "
                    + e.getClass().getSimpleName(), e);
        }
    }

    /**
     * Reads the passphrase from the environment variable {@code name} of {@code environment}
     * (pass {@link System#getenv()}).
     *
     * @throws IllegalArgumentException if the variable is unset or empty
     */
    public static KeyStorePassphrase fromEnvironment(Map<String, String> environment, String name) {
        String text = environment.get(name);
        if (text == null) {
            throw new IllegalArgumentException("the environment variable " + name
                    + " that should hold the key store passphrase is not set");
        }
        return new KeyStorePassphrase(text.toCharArray(), "environment variable " + name);
    }

    /** Wraps a passphrase the caller already holds (tests, generated passphrases). */
    public static KeyStorePassphrase of(char[] value) {
        return new KeyStorePassphrase(value.clone(), "the caller");
    }

    /** A copy of the passphrase; the caller should clear it after use. */
    char[] chars() {
        return value.clone();
    }

    /** Overwrites the passphrase in memory; the object is unusable afterwards. */
    public void destroy() {
        Arrays.fill(value, '\0');
    }

    /** Says where the passphrase came from, never what it is. */
    @Override
    public String toString() {
        return "key store passphrase from " + source;
    }
}
