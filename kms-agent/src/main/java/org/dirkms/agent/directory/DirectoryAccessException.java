package org.dirkms.agent.directory;

/**
 * A directory operation failed. The message names the operation and the entry and carries the
 * server's result code and diagnostic, which never contain a secret because this package never
 * sends one; the LDAP API exception is the cause.
 */
public final class DirectoryAccessException extends RuntimeException {
    /** A failure of the operation described by {@code message}. */
    public DirectoryAccessException(String message, Throwable cause) {
        super(message, cause);
    }

    /** A failure without an underlying exception (e.g. an entry that should exist does not). */
    public DirectoryAccessException(String message) {
        super(message);
    }
}
