package org.dirkms.ds.server;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import org.apache.directory.api.ldap.model.constants.SchemaConstants;
import org.apache.directory.api.ldap.model.entry.Attribute;
import org.apache.directory.api.ldap.model.entry.Entry;
import org.apache.directory.api.ldap.model.exception.LdapException;
import org.apache.directory.api.ldap.model.exception.LdapNoSuchObjectException;
import org.apache.directory.api.ldap.model.name.Dn;
import org.apache.directory.server.constants.ServerDNConstants;
import org.apache.directory.server.core.DefaultDirectoryService;
import org.dirkms.schema.audit.AuditHead;
import org.dirkms.schema.AttributeNames;
import org.dirkms.schema.DataFolder;
import org.dirkms.schema.DirectoryLayout;

/**
 * The directory of a data folder no server runs on, opened in this process only to read what a
 * command on that folder needs: the anchored audit head. It opens the schema, system and suffix
 * partitions without listeners, without the KMS guard (so nothing is audited and the start-time
 * check of the audit log, whose anchor is what is being read, does not apply), and without the
 * KMS schema installation, bootstrap, passwords or TLS that a server start brings: read-only in
 * spirit. It holds the folder's lock meanwhile, so that no server starts on the folder under it.
 */
public final class StoppedDirectory {

    private StoppedDirectory() {
    }

    /**
     * The suffix the data folder {@code data} was made for ({@link DataFolder#SUFFIX}), if it names one.
     *
     * @throws IOException when the file exists but cannot be read
     */
    public static Optional<String> suffixOf(DataFolder data) throws IOException {
        Path file = data.suffix();
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        String suffix = Files.readString(file, StandardCharsets.UTF_8).strip();
        return suffix.isEmpty() ? Optional.empty() : Optional.of(suffix);
    }

    /**
     * Reads the audit head anchored in the stopped data folder {@code data}.
     *
     * @return the anchored head, empty when the anchor entry is missing or incomplete
     * @throws DataFolderInUseException when a server runs on the folder (read the anchor from it instead)
     * @throws IOException when the folder holds no directory, or it cannot be opened or read
     */
    public static Optional<AuditHead> readAuditAnchor(DataFolder data) throws IOException {
        Path absolute = data.root();
        Optional<String> suffix = suffixOf(data);
        if (suffix.isEmpty() || !Files.isDirectory(data.suffixPartition())) {
            throw new IOException(absolute + " holds no directory: it is not the data folder of a dirkms server"
                    + " that has run");
        }
        DataFolderLock lock = DataFolderLock.acquire(data);
        DefaultDirectoryService service = null;
        try {
            service = DirectoryServer.newDirectoryService(data);
            service.setSystemPartition(DirectoryServer.jdbmPartition(service, "system", ServerDNConstants.SYSTEM_DN,
                    List.of(SchemaConstants.OBJECT_CLASS_AT)));
            service.setAccessControlEnabled(false);
            service.startup();
            service.addPartition(DirectoryServer.jdbmPartition(service, DataFolder.SUFFIX_PARTITION_ID,
                    suffix.get(), DirectoryServer.INDEXED_ATTRIBUTES));
            return anchor(service, new DirectoryLayout(suffix.get()));
        } catch (IOException e) {
            throw e;
        } catch (Exception e) {
            // ApacheDS's start-up declares Exception; whatever failed, the anchor is unread.
            throw new IOException("cannot open the directory in " + absolute + " to read the audit anchor: "
                    + DirectoryServer.safeMessage(e), e);
        } finally {
            try {
                if (service != null && service.isStarted()) {
                    service.shutdown();
                }
            } catch (LdapException e) {
                throw new IOException("the directory in " + absolute + " did not shut down cleanly: "
                        + DirectoryServer.safeMessage(e), e);
            } finally {
                lock.release(null);
                // ApacheDS may have made files (caches, logs) with the umask's modes.
                DataFolderPermissions.restrictTree(absolute);
            }
        }
    }

    private static Optional<AuditHead> anchor(DefaultDirectoryService service, DirectoryLayout layout)
            throws LdapException, IOException {
        Entry head;
        try {
            head = service.getAdminSession().lookup(new Dn(service.getSchemaManager(), layout.auditHead()),
                    AttributeNames.AUDIT_SEQUENCE, AttributeNames.AUDIT_HASH);
        } catch (LdapNoSuchObjectException e) {
            return Optional.empty();
        }
        Attribute sequence = head == null ? null : head.get(AttributeNames.AUDIT_SEQUENCE);
        Attribute hash = head == null ? null : head.get(AttributeNames.AUDIT_HASH);
        if (sequence == null || hash == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(new AuditHead(Long.parseLong(sequence.getString()), hash.getString()));
        } catch (IllegalArgumentException e) {
            throw new IOException("the anchor " + layout.auditHead() + " holds no valid head: " + e.getMessage());
        }
    }
}
