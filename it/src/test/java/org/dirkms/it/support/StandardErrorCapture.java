package org.dirkms.it.support;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * Captures what this JVM writes to {@code System.err} while open, and still passes it through:
 * the server's log lines, which logback's console appender (it/src/test/resources/logback-test.xml)
 * writes to the current {@code System.err} at each event, from every thread.
 *
 * <pre>{@code
 * try (StandardErrorCapture log = StandardErrorCapture.start()) {
 *     ... make the server log ...
 *     assertFalse(log.text().contains(secret));
 * }
 * }</pre>
 */
public final class StandardErrorCapture implements AutoCloseable {

    private final PrintStream original;
    private final ByteArrayOutputStream captured = new ByteArrayOutputStream();

    private StandardErrorCapture() {
        this.original = System.err;
        OutputStream both = new OutputStream() {
            @Override
            public void write(int b) {
                original.write(b);
                captured.write(b);
            }

            @Override
            public void write(byte[] bytes, int offset, int length) {
                original.write(bytes, offset, length);
                captured.write(bytes, offset, length);
            }

            @Override
            public void flush() throws IOException {
                original.flush();
            }
        };
        System.setErr(new PrintStream(both, true, StandardCharsets.UTF_8));
    }

    /** Starts capturing; close to stop. */
    public static StandardErrorCapture start() {
        return new StandardErrorCapture();
    }

    /** Everything written so far, as UTF-8 text. */
    public String text() {
        return captured.toString(StandardCharsets.UTF_8);
    }

    /** Everything written so far, as bytes. */
    public byte[] bytes() {
        return captured.toByteArray();
    }

    /** Puts the original {@code System.err} back. */
    @Override
    public void close() {
        System.err.flush();
        System.setErr(original);
    }
}
