package org.dirkms.schema.audit;

import java.io.BufferedReader;
import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.util.List;

import org.dirkms.schema.DataFolder;

/**
 * The append-only, hash-chained audit log file {@value #FILE_NAME} in an audit directory (the
 * embedded server's), or any other log file of the same format (the standalone agent's).
 *
 * <p>Appending is cheap: the file channel stays open, a record is encoded and written with one
 * {@code write} call. <b>Durability policy:</b> every record is handed to the operating system
 * before {@link #append} returns, so killing the server process loses nothing already appended;
 * the file is forced to the disk ({@code fsync}) every {@value #FORCE_EVERY} records, whenever
 * {@link #force()} is called (the interceptor does so before it anchors the head in the
 * directory) and on {@link #close()}. A power failure can therefore lose at most the records
 * appended since the last force; the anchor never names a record that was not forced first.
 *
 * <p>On {@link #open} the chain resumes from the last record in the file. A last line without
 * its line end (a write cut by a crash of the machine) is not a record and is cut off, with a
 * warning returned by {@link #repairNote()}.
 *
 * <p>Thread-safe: appends are serialised, so sequence numbers follow the order of appends.
 */
public final class AuditLog implements Closeable {

    /** Name of the log file inside the audit directory ({@link DataFolder#AUDIT_LOG}). */
    public static final String FILE_NAME = DataFolder.AUDIT_LOG.name();
    /** Records between two forced writes to the disk. */
    public static final int FORCE_EVERY = 64;

    private final Clock clock;
    private final FileChannel channel;
    private final Path file;
    private final String repairNote;
    private AuditHead head;
    private int unforced;

    private AuditLog(Clock clock, FileChannel channel, Path file, AuditHead head, String repairNote) {
        this.clock = clock;
        this.channel = channel;
        this.file = file;
        this.head = head;
        this.repairNote = repairNote;
    }

    /**
     * Opens (creating when missing) the log in {@code directory} and resumes its chain.
     *
     * @param directory the audit directory; created when missing
     * @param clock     the source of record times
     * @throws IOException when the file cannot be read or opened, or its last record is malformed
     */
    public static AuditLog open(Path directory, Clock clock) throws IOException {
        return openFile(directory.resolve(FILE_NAME), clock);
    }

    /**
     * Opens (creating when missing) the log {@code file} and resumes its chain: a log of another
     * name than {@value #FILE_NAME}, such as the standalone KMS agent's
     * ({@link DataFolder#AGENT_AUDIT_LOG}).
     *
     * @param file  the log file; its folder is created when missing
     * @param clock the source of record times
     * @throws IOException when the file cannot be read or opened, or its last record is malformed
     */
    public static AuditLog openFile(Path file, Clock clock) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        AuditHead head = AuditHead.EMPTY;
        String repairNote = cutUnfinishedLastLine(file);
        if (Files.exists(file)) {
            String last = lastLine(file);
            if (last != null) {
                try {
                    head = AuditRecord.parse(last).head();
                } catch (IllegalArgumentException e) {
                    throw new IOException("the last record of " + file + " is malformed (" + e.getMessage()
                            + "); run 'dirkms audit verify' to find the first bad record");
                }
            }
        }
        FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.APPEND);
        return new AuditLog(clock, channel, file, head, repairNote);
    }

    /** The path of the log file. */
    public Path file() {
        return file;
    }

    /** What {@link #open} had to repair, or {@code null} when the file was whole. */
    public String repairNote() {
        return repairNote;
    }

    /** The head of the chain: the last record appended (or found on open). */
    public synchronized AuditHead head() {
        return head;
    }

    /**
     * Appends one record and returns it.
     *
     * @param actor      DN of who did the action ({@code ""} for anonymous)
     * @param operation  what was done
     * @param target     DN of the entry it was done to
     * @param attributes names of the attributes changed, never values
     * @throws UncheckedIOException when the write fails (the caller must not acknowledge the
     *         audited action as audited)
     */
    public synchronized AuditRecord append(String actor, String operation, String target, List<String> attributes) {
        AuditRecord record = AuditRecord.next(head, clock.instant(), actor, operation, target, attributes);
        ByteBuffer bytes = ByteBuffer.wrap((record.toLine() + "\n").getBytes(StandardCharsets.UTF_8));
        try {
            while (bytes.hasRemaining()) {
                channel.write(bytes);
            }
            if (++unforced >= FORCE_EVERY) {
                channel.force(false);
                unforced = 0;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot append to the audit log " + file, e);
        }
        head = record.head();
        return record;
    }

    /** Forces every appended record to the disk and returns the head it covers. */
    public synchronized AuditHead force() throws IOException {
        channel.force(false);
        unforced = 0;
        return head;
    }

    /** Forces the file to the disk and closes it. */
    @Override
    public synchronized void close() throws IOException {
        if (channel.isOpen()) {
            channel.force(false);
            channel.close();
        }
    }

    /**
     * Cuts a last line without its line end (a write cut by a crash of the machine: not a
     * record) from {@code file}, if there is one.
     *
     * @return what was cut, for a warning, or {@code null} when the file was whole or is missing
     */
    public static String cutUnfinishedLastLine(Path file) throws IOException {
        if (!Files.exists(file)) {
            return null;
        }
        long size = Files.size(file);
        long complete = completeLength(file, size);
        if (complete == size) {
            return null;
        }
        try (FileChannel truncate = FileChannel.open(file, StandardOpenOption.WRITE)) {
            truncate.truncate(complete);
        }
        return "cut " + (size - complete) + " bytes of an unfinished last line from " + file;
    }

    /** Length of the file up to and including its last line feed. */
    private static long completeLength(Path file, long size) throws IOException {
        try (FileChannel read = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer one = ByteBuffer.allocate(1);
            for (long position = size - 1; position >= 0; position--) {
                one.clear();
                read.read(one, position);
                if (one.get(0) == '\n') {
                    return position + 1;
                }
            }
            return 0;
        }
    }

    private static String lastLine(Path file) throws IOException {
        String last = null;
        try (BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                if (!line.isEmpty()) {
                    last = line;
                }
            }
        }
        return last;
    }
}
