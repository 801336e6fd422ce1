package org.dirkms.ds.server;

import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

import org.dirkms.schema.DataFolder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The modes of a data folder ({@link DataFolder}): it holds every secret attribute in its partition files (key
 * packages, tokens, wrapped keys), the password files, the TLS key and the audit log, so the
 * folder is {@code 0700} and everything in it is the owner's only: folders {@code 0700}, files
 * {@code 0600}. ApacheDS creates its partition and journal files with the process's umask
 * (usually {@code 0644}); the walk at every start takes those away from other accounts, and
 * whatever is created later lives inside a {@code 0700} folder that no other account can
 * enter. On a file system without POSIX permissions nothing is done.
 */
final class DataFolderPermissions {

    /** The mode of the data folder and of every folder inside it. */
    static final Set<PosixFilePermission> FOLDER = DataFolder.FOLDER_MODE;
    /** The mode of every file inside the data folder. */
    static final Set<PosixFilePermission> FILE = DataFolder.FILE_MODE;

    private static final Logger LOG = LoggerFactory.getLogger(DataFolderPermissions.class);

    private DataFolderPermissions() {
    }

    private static boolean posix() {
        return FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
    }

    /**
     * Creates the data folder with mode {@code 0700}, or tightens an existing one that is looser
     * (saying so in an INFO line): a folder an operator made beforehand keeps no access for others.
     */
    static void createOrTighten(Path data) throws IOException {
        if (!posix()) {
            Files.createDirectories(data);
            return;
        }
        if (!Files.isDirectory(data)) {
            Files.createDirectories(data.toAbsolutePath().getParent());
            Files.createDirectory(data, PosixFilePermissions.asFileAttribute(FOLDER));
            return;
        }
        Set<PosixFilePermission> found = Files.getPosixFilePermissions(data);
        if (!found.equals(FOLDER)) {
            Files.setPosixFilePermissions(data, FOLDER);
            LOG.info("Tightened the data folder {} from {} to {}: it holds every secret of the directory", data,
                    PosixFilePermissions.toString(found), PosixFilePermissions.toString(FOLDER));
        }
    }

    /**
     * Sets every folder under {@code data} (itself included) to {@code 0700} and every file to
     * {@code 0600}. Symbolic links are neither followed nor changed. A file that disappears
     * during the walk (a temporary file of a partition) needs no protection and is passed over.
     *
     * @return how many modes were changed
     */
    static int restrictTree(Path data) throws IOException {
        if (!posix()) {
            return 0;
        }
        int[] changed = new int[1];
        Files.walkFileTree(data, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path folder, BasicFileAttributes attributes) throws IOException {
                restrict(folder, FOLDER, changed);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attributes) throws IOException {
                if (attributes.isRegularFile()) {
                    restrict(file, FILE, changed);
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException failure) throws IOException {
                if (failure instanceof NoSuchFileException) {
                    return FileVisitResult.CONTINUE;
                }
                throw failure;
            }
        });
        // ApacheDS remakes its partitions' transaction logs at every start: routine, hence debug.
        LOG.debug("Restricted {} files and folders in {} to their owner (files 0600, folders 0700)", changed[0], data);
        return changed[0];
    }

    private static void restrict(Path path, Set<PosixFilePermission> mode, int[] changed) throws IOException {
        try {
            if (!Files.getPosixFilePermissions(path).equals(mode)) {
                Files.setPosixFilePermissions(path, mode);
                changed[0]++;
            }
        } catch (NoSuchFileException e) {
            // Removed by the server between the listing and now: nothing left to protect.
        }
    }
}
