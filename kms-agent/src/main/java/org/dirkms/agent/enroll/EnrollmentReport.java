package org.dirkms.agent.enroll;

import java.io.BufferedWriter;
import java.io.Closeable;
import java.io.IOException;
import java.io.Writer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import org.dirkms.schema.EnrollmentState;

/**
 * The report of a bulk enrollment: one tab-separated line per user (DN, mail, state, token,
 * detail), in a file of mode 0600 from its creation, since it holds one-time tokens.
 *
 * <p>A report is never replaced silently: an earlier one may hold tokens not yet handed out.
 * {@link Existing#REFUSE} creates the file exclusively, and {@link #open} fails with
 * {@link FileAlreadyExistsException} when anything (a symbolic link too) is at its path;
 * {@link Existing#REPLACE} writes a new file beside it and moves it over the old one in one
 * atomic rename when the report is {@link #close() closed}, so the path holds either the old
 * report or the whole new one. Either way the file is opened before anyone is enrolled.
 */
public final class EnrollmentReport implements Closeable {
    private static final FileAttribute<Set<PosixFilePermission>> OWNER_ONLY =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));

    /** What {@link #open} does when a file is already at the report's path. */
    public enum Existing {
        /** Fails with {@link FileAlreadyExistsException}; the file is left as it is. */
        REFUSE,
        /** Replaces it, atomically, when the new report is closed. */
        REPLACE
    }

    private final Path file;
    private final Path written;
    private final FileChannel channel;
    private final Writer out;

    private EnrollmentReport(Path file, Path written, FileChannel channel) {
        this.file = file;
        this.written = written;
        this.channel = channel;
        this.out = new BufferedWriter(Channels.newWriter(channel, StandardCharsets.UTF_8));
    }

    /**
     * Opens the report at {@code file}, mode 0600, and writes its header line.
     *
     * @throws FileAlreadyExistsException if {@code existing} is {@link Existing#REFUSE} and
     *         something is at {@code file}
     * @throws IOException if the file (or, to replace, a new file in its directory) cannot be
     *         created, or {@code file} is a directory
     */
    public static EnrollmentReport open(Path file, Existing existing) throws IOException {
        EnrollmentReport report;
        if (existing == Existing.REFUSE) {
            report = new EnrollmentReport(file, file, FileChannel.open(file, Set.of(StandardOpenOption.CREATE_NEW,
                    StandardOpenOption.WRITE), OWNER_ONLY));
        } else {
            if (Files.isDirectory(file)) {
                throw new IOException(file + " is a directory, not a report to replace");
            }
            Path absolute = file.toAbsolutePath();
            // In the same directory, so that the final rename is one atomic step on one file system.
            Path written = Files.createTempFile(absolute.getParent(), "." + absolute.getFileName() + ".", ".new",
                    OWNER_ONLY);
            report = new EnrollmentReport(file, written, FileChannel.open(written, StandardOpenOption.WRITE));
        }
        try {
            report.out.write("# dn\tmail\tstate\ttoken\tdetail\n");
        } catch (IOException e) {
            report.abandon();
            throw e;
        }
        return report;
    }

    /** One user's line; the token goes out as characters, never as a String that outlives the run. */
    void write(EnrollmentResult result) throws IOException {
        EnrollmentState state = result.state();
        out.write(clean(result.dn()) + "\t" + clean(String.join(",", result.mail())) + "\t"
                + (state == null ? "unknown" : state.ldapValue()) + "\t");
        if (result.token() != null) {
            out.write(result.token());
        }
        out.write("\t" + clean(result.detail() == null ? "" : result.detail()) + "\n");
    }

    /**
     * Writes the report to disk and, to replace, renames it over the old one. Also after a run
     * that failed part-way: the lines written hold the tokens of the users enrolled so far.
     *
     * @throws IOException if it cannot be written or renamed; the message names the file that
     *         holds the tokens
     */
    @Override
    public void close() throws IOException {
        try (channel; out) {
            out.flush();
            // On disk before the rename, so that a crash never leaves an empty file at the path.
            channel.force(true);
        }
        if (!written.equals(file)) {
            try {
                Files.move(written, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (IOException e) {
                throw new IOException("the report could not replace " + file + " (" + e.getMessage()
                        + "); it is in " + written, e);
            }
        }
    }

    private void abandon() throws IOException {
        try (channel; out) {
            Files.deleteIfExists(written);
        }
    }

    private static String clean(String text) {
        return text.replace('\t', ' ').replace('\n', ' ');
    }
}
