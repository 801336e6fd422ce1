package org.dirkms.ds.server;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.StandardOpenOption;

import org.dirkms.schema.DataFolder;

/**
 * An exclusive lock on a data folder ({@link DataFolder#LOCK}) held while a server runs: two
 * servers writing one set of partition files would corrupt them. The operating system drops the
 * lock when the process dies, so a killed server never leaves a stale lock behind.
 */
final class DataFolderLock {

    private final FileChannel channel;
    private final FileLock lock;

    private DataFolderLock(FileChannel channel, FileLock lock) {
        this.channel = channel;
        this.lock = lock;
    }

    /**
     * Locks {@code data}.
     *
     * @throws DataFolderInUseException when another server (in this or another process) holds it
     * @throws IOException when the lock file cannot be opened
     */
    static DataFolderLock acquire(DataFolder data) throws IOException {
        FileChannel channel = FileChannel.open(data.lock(), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock lock;
        try {
            lock = channel.tryLock();
        } catch (OverlappingFileLockException e) {
            lock = null;
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
        if (lock == null) {
            channel.close();
            throw new DataFolderInUseException(data.root());
        }
        return new DataFolderLock(channel, lock);
    }

    /** Releases the lock; a failure is added to {@code cause} when there is one, else thrown. */
    void release(Exception cause) {
        try {
            lock.release();
            channel.close();
        } catch (IOException e) {
            if (cause != null) {
                cause.addSuppressed(e);
            } else {
                throw new IllegalStateException("cannot release the lock of the data folder: " + e.getMessage(), e);
            }
        }
    }
}
