package org.dirkms.it.schema;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.net.JarURLConnection;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Enumeration;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;

import org.apache.directory.api.ldap.model.schema.LdapComparator;
import org.apache.directory.api.ldap.model.schema.SchemaManager;
import org.apache.directory.api.ldap.model.schema.comparators.NormalizingComparator;
import org.apache.directory.api.ldap.schema.loader.LdifSchemaLoader;
import org.apache.directory.api.ldap.schema.manager.impl.DefaultSchemaManager;
import org.apache.directory.server.core.api.DirectoryService;
import org.apache.directory.server.core.api.InstanceLayout;
import org.apache.directory.server.core.api.partition.Partition;
import org.apache.directory.server.core.api.schema.SchemaPartition;
import org.apache.directory.server.core.factory.DefaultDirectoryServiceFactory;
import org.apache.directory.server.core.factory.PartitionFactory;
import org.apache.directory.server.core.partition.ldif.LdifPartition;

/**
 * Builds the same plain ApacheDS as {@link DefaultDirectoryServiceFactory} (standard schema
 * only, {@code ou=system}), in a fresh folder under {@code target/apacheds}, for {@code @CreateDS(factory = ...)}.
 *
 * <p>It differs in one step: the standard schema LDIF is copied out of the first jar that
 * holds it. ApacheDS's own extractor refuses to run when that jar is reachable twice on the
 * class path, which is the case in this module: the dist jar's manifest {@code Class-Path}
 * names {@code lib/api-all-*.jar} beside the copy Maven puts there, and the default factory
 * then starts a server without a schema.
 */
public class PlainDirectoryServiceFactory extends DefaultDirectoryServiceFactory {

    /** A file every copy of the ApacheDS schema has: it locates the jar. */
    private static final String MARKER = "schema/ou=schema.ldif";
    private static final String PREFIX = "schema/";

    /** Called by the ApacheDS annotation processor. */
    public PlainDirectoryServiceFactory() {
    }

    /** Builds and starts the server named {@code name}, unless it already runs. */
    @Override
    public void init(String name) throws Exception {
        DirectoryService service = getDirectoryService();
        if (service.isStarted()) {
            return;
        }
        service.setInstanceId(name);
        // Under the module's target folder, so that mvn clean removes it and /tmp collects nothing.
        Path servers = Files.createDirectories(Path.of(System.getProperty("basedir", "."), "target", "apacheds"));
        Path instance = Files.createTempDirectory(servers, name + "-");
        service.setInstanceLayout(new InstanceLayout(instance.toFile()));
        File partitions = service.getInstanceLayout().getPartitionsDirectory();
        File schemaDirectory = new File(partitions, "schema");
        extractStandardSchema(schemaDirectory.toPath());

        SchemaManager schemaManager = new DefaultSchemaManager(new LdifSchemaLoader(schemaDirectory));
        schemaManager.loadAllEnabled();
        if (!schemaManager.getErrors().isEmpty()) {
            throw new IllegalStateException("the standard ApacheDS schema does not load: " + schemaManager.getErrors());
        }
        // As the default factory does: comparators normalise on the server side.
        for (LdapComparator<?> comparator : schemaManager.getComparatorRegistry()) {
            if (comparator instanceof NormalizingComparator normalizing) {
                normalizing.setOnServer();
            }
        }
        service.setSchemaManager(schemaManager);

        LdifPartition schemaStore = new LdifPartition(schemaManager, service.getDnFactory());
        schemaStore.setPartitionPath(schemaDirectory.toURI());
        SchemaPartition schemaPartition = new SchemaPartition(schemaManager);
        schemaPartition.setWrappedPartition(schemaStore);
        service.setSchemaPartition(schemaPartition);

        PartitionFactory partitionFactory = getPartitionFactory();
        Partition system = partitionFactory.createPartition(schemaManager, service.getDnFactory(), "system",
                "ou=system", 500, new File(partitions, "system"));
        system.setSchemaManager(schemaManager);
        partitionFactory.addIndex(system, "objectClass", 100);
        service.setSystemPartition(system);
        service.startup();
    }

    private static void extractStandardSchema(Path target) throws IOException {
        URL marker = PlainDirectoryServiceFactory.class.getClassLoader().getResource(MARKER);
        if (marker == null || !"jar".equals(marker.getProtocol())) {
            throw new IOException("the ApacheDS schema (" + MARKER + " in api-all) is not on the class path as a jar: "
                    + marker);
        }
        JarURLConnection connection = (JarURLConnection) marker.openConnection();
        connection.setUseCaches(false);
        try (JarFile jar = connection.getJarFile()) {
            Enumeration<JarEntry> entries = jar.entries();
            while (entries.hasMoreElements()) {
                JarEntry entry = entries.nextElement();
                if (entry.isDirectory() || !entry.getName().startsWith(PREFIX)) {
                    continue;
                }
                Path file = target.resolve(entry.getName().substring(PREFIX.length())).normalize();
                if (!file.startsWith(target)) {
                    throw new IOException("schema jar entry outside the schema folder: " + entry.getName());
                }
                Files.createDirectories(file.getParent());
                try (InputStream in = jar.getInputStream(entry)) {
                    Files.copy(in, file);
                }
            }
        }
    }
}
