package org.dirkms.ds.guard;

import java.nio.file.Path;

import org.apache.directory.server.core.api.interceptor.BaseInterceptor;
import org.dirkms.schema.DirectoryLayout;

/**
 * The KMS interceptor. It must sit in the chain right after the schema interceptor, and be
 * inserted before the directory service starts.
 */
public final class KmsInterceptor extends BaseInterceptor {

    /** Name of this interceptor in the chain. */
    public static final String NAME = "kmsInterceptor";

    private final DirectoryLayout layout;
    private final Path auditDirectory;

    /**
     * @param layout         the directory tree the interceptor guards
     * @param auditDirectory folder of the hash-chained audit log (created when missing)
     */
    public KmsInterceptor(DirectoryLayout layout, Path auditDirectory) {
        super(NAME);
        this.layout = layout;
        this.auditDirectory = auditDirectory;
    }

    /** The directory tree this interceptor guards. */
    public DirectoryLayout layout() {
        return layout;
    }

    /** Folder of the audit log. */
    public Path auditDirectory() {
        return auditDirectory;
    }
}
