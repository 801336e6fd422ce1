package org.dirkms.dist;

/**
 * Numeric flag values checked the way every command reports them ("--workers 'x' is not a
 * number"): picocli hands them over as given, so that the message names the flag and the value.
 */
final class Numbers {

    private Numbers() {
    }

    /**
     * {@code text} as an integer between {@code min} and {@code max}, or {@code fallback} when absent.
     *
     * @throws UsageException when it is not a number or out of range
     */
    static int integer(String flag, String text, int fallback, int min, int max) throws UsageException {
        if (text == null) {
            return fallback;
        }
        int value;
        try {
            value = Integer.parseInt(text);
        } catch (NumberFormatException e) {
            throw new UsageException(flag + " '" + text + "' is not a number");
        }
        if (value < min || value > max) {
            throw new UsageException(flag + " must be between " + min + " and " + max);
        }
        return value;
    }

    /**
     * {@code text} as a TCP port (0 to 65535), or {@code fallback} when absent.
     *
     * @throws UsageException when it is not a port number
     */
    static int port(String flag, String text, int fallback) throws UsageException {
        if (text == null) {
            return fallback;
        }
        try {
            int port = Integer.parseInt(text);
            if (port < 0 || port > 65535) {
                throw new UsageException(flag + " " + text + " is out of range 0..65535");
            }
            return port;
        } catch (NumberFormatException e) {
            throw new UsageException(flag + " '" + text + "' is not a port number");
        }
    }
}
