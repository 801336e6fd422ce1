package org.dirkms.dist;

/** A command line that cannot be run as given; the message says what to change. */
public final class UsageException extends Exception {

    /** @param message what is wrong with the command line, for a person to fix */
    public UsageException(String message) {
        super(message);
    }
}
