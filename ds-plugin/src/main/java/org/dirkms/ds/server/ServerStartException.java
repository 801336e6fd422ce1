package org.dirkms.ds.server;

/**
 * The embedded directory server could not start. The message names the step and the file or
 * entry at fault; the server holds no resources once this is thrown (ports closed, partitions
 * flushed).
 */
public final class ServerStartException extends Exception {

    /**
     * @param message what failed, for a person to act on
     * @param cause   the underlying failure
     */
    public ServerStartException(String message, Throwable cause) {
        super(message, cause);
    }
}
