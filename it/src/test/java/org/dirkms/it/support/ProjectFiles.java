package org.dirkms.it.support;

import java.nio.file.Files;
import java.nio.file.Path;

/** Files of the repository the tests run from (LDIF samples, the {@code dirkms} script). */
public final class ProjectFiles {

    private ProjectFiles() {
    }

    /**
     * The repository root: the system property {@code dirkms.project.root} that the it module's
     * failsafe configuration sets, else the parent of the working directory.
     */
    public static Path root() {
        String configured = System.getProperty("dirkms.project.root");
        Path root = configured != null ? Path.of(configured) : Path.of("").toAbsolutePath().getParent();
        root = root.toAbsolutePath().normalize();
        if (!Files.isDirectory(root.resolve("ldif"))) {
            throw new AssertionError("cannot find the repository root (no ldif/ in " + root
                    + "); run the tests through Maven from the repository");
        }
        return root;
    }

    /** A file below the repository root, e.g. {@code ldif/samples/20-add-user.ldif}. */
    public static Path file(String relative) {
        return root().resolve(relative);
    }
}
