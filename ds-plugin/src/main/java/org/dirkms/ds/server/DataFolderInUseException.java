package org.dirkms.ds.server;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A dirkms server (in this process or another) holds the data folder's lock: it is running on
 * that folder, and nothing else may open its partitions.
 */
public final class DataFolderInUseException extends IOException {

    private final Path dataDirectory;

    /** @param dataDirectory the folder in use */
    public DataFolderInUseException(Path dataDirectory) {
        super("the data folder " + dataDirectory + " is in use by another running dirkms server;"
                + " stop it first or use another data folder");
        this.dataDirectory = dataDirectory;
    }

    /** The folder in use. */
    public Path dataDirectory() {
        return dataDirectory;
    }
}
